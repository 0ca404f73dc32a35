"""Production: HTTPS behind a reverse proxy (`manage.py check --deploy` passes with these)."""

from .base import *  # noqa: F403
from .base import _bool, env

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A request the proxy received over plain HTTP is sent to HTTPS; the container's healthcheck calls
# /healthz/ on the web service itself, over HTTP, and must get its answer.
SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
# Browsers that saw the site once refuse it over plain HTTP for a year, subdomains included.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# The browsers' preload list is hard to leave: only when the domain's owner asks for it.
SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]  # noqa: F405

SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = _bool("CSRF_COOKIE_SECURE", default=True)
SESSION_COOKIE_HTTPONLY = True
# No page script reads the CSRF cookie: forms carry the token, Swagger UI and the browsable API
# receive it rendered in their page.
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DEMO_DATA_ALLOWED = _bool("DEMO_DATA_ALLOWED", default=False)
