"""Production: HTTPS behind a reverse proxy."""

from .base import *  # noqa: F403
from .base import _bool

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = _bool("CSRF_COOKIE_SECURE", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
DEMO_DATA_ALLOWED = _bool("DEMO_DATA_ALLOWED", default=False)
