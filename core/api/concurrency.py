"""ETags from record versions; If-Match preconditions on writes (RFC 9110, 13.1.1)."""

from django.db.models import Model

from core.api.exceptions import PreconditionFailed, PreconditionRequired


def etag(record: Model) -> str:
    return f'"{record.version}"'


def _tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def check_if_match(request, record: Model) -> None:
    """A stale If-Match is refused (412). Without one, a record last changed by someone else
    is refused too (428): a blind write would silently undo their change."""
    header = request.headers.get("If-Match")
    if header is None:
        if record.updated_by_id != request.user.pk:
            raise PreconditionRequired()
        return
    tags = _tags(header)
    if "*" not in tags and etag(record) not in tags:
        raise PreconditionFailed()


def not_modified(request, record: Model) -> bool:
    """If-None-Match with the current ETag: the client's copy is fresh (304, no body on slow links)."""
    header = request.headers.get("If-None-Match")
    return header is not None and (etag(record) in _tags(header) or "*" in _tags(header))
