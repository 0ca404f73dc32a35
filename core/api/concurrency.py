"""ETags from record versions; If-Match preconditions on writes (RFC 9110, 13.1.1)."""

from django.db.models import Model

from core.api.exceptions import PreconditionFailed, PreconditionRequired


def etag(record: Model) -> str:
    return f'"{record.version}"'


def _tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def if_match_tags(request) -> list[str] | None:
    """The ETags of the request's If-Match, or None without the header."""
    header = request.headers.get("If-Match")
    return None if header is None else _tags(header)


def check_version_read(user, record: Model, tags: list[str] | None) -> None:
    """A stale version read is refused (412). Without one, a record last changed by someone else
    is refused too (428): a blind write would silently undo their change."""
    if tags is None:
        if record.updated_by_id != user.pk:
            raise PreconditionRequired()
        return
    if "*" not in tags and etag(record) not in tags:
        raise PreconditionFailed()


def check_if_match(request, record: Model) -> None:
    check_version_read(request.user, record, if_match_tags(request))


def not_modified(request, record: Model) -> bool:
    """If-None-Match with the current ETag: the client's copy is fresh (304, no body on slow links)."""
    header = request.headers.get("If-None-Match")
    return header is not None and (etag(record) in _tags(header) or "*" in _tags(header))
