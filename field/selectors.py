"""Reads of imports, as their doors (pages, API) show them."""

from field.models import RecordImport


def may_follow(user, record_import: RecordImport) -> bool:
    """An import is its owner's (and a superuser's): its report quotes the file's rows."""
    return getattr(user, "is_superuser", False) or record_import.owner_id == getattr(user, "pk", None)


def import_of(user, pk) -> RecordImport | None:
    """The import `pk` if the user may follow it, else None (a 404 for either door)."""
    record_import = RecordImport.objects.select_related("organisation", "mapping").filter(pk=pk).first()
    return record_import if record_import is not None and may_follow(user, record_import) else None


def imports_of(user):
    return RecordImport.objects.filter(owner=user).select_related("organisation", "mapping")
