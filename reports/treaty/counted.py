"""The records behind each figure (traceability): read as ids with the row they counted under, in
the same snapshot as the figures, and described (reference, page) only when a document lists them."""

from collections.abc import Callable, Iterable, Sequence

from django.db.models import Model, QuerySet
from django.urls import get_resolver, reverse

from core.pages import page_name_for
from reports.treaty.structure import Counted

# Any number that cannot be mistaken for the rest of a path.
_PLACEHOLDER = 987654321
# Rows fetched at once from a server-side cursor: memory stays bounded however many records.
_CHUNK = 10_000


def page_path_template(model: type[Model]) -> str:
    """The path of a record's page with `{}` for its id, e.g. "/incidents/{}/"."""
    # The pages register themselves when the URLconf is imported (core.pages.record_urls).
    get_resolver().url_patterns  # noqa: B018
    name = page_name_for(model)
    if name is None:
        return ""
    return reverse(f"{name}-detail", args=[_PLACEHOLDER]).replace(str(_PLACEHOLDER), "{}")


def describer(
    model: type[Model], *, references: Sequence[str], page_model: type[Model] | None = None, page_id: str = "pk"
) -> Callable[[list[int]], dict[int, tuple[str, str]]]:
    """Reads, for a chunk of ids, each record's reference (the non-empty values of `references`,
    joined) and the path of its page: its own, or that of the report it belongs to (`page_model`,
    whose id is at `page_id`), e.g. a casualty's incident."""
    template = page_path_template(page_model or model)

    def describe(ids: list[int]) -> dict[int, tuple[str, str]]:
        rows = model._base_manager.filter(pk__in=ids).values_list("pk", page_id, *references)
        described = {}
        for pk, page, *values in rows:
            reference = " · ".join(dict.fromkeys(str(value) for value in values if value))
            described[pk] = (reference, template.format(page) if template and page is not None else "")
        return described

    return describe


def counted_from(
    queryset: QuerySet,
    *,
    form: str,
    figure: str,
    record_type: str,
    under: Sequence[str],
    label: Callable[[tuple], str],
    describe: Callable[[list[int]], dict[int, tuple[str, str]]],
) -> Counted:
    """The records of `queryset`, each with the row it counted under: `under` names the fields that
    place it, `label` turns their values into the row's name (called once per distinct row)."""
    counted = Counted(form=form, figure=figure, record_type=record_type, describe=describe)
    rows = queryset.order_by("pk").values_list("pk", *under).iterator(chunk_size=_CHUNK)
    add_records(counted, ((row[0], tuple(_hashable(v) for v in row[1:])) for row in rows), label)
    return counted


def _hashable(value):
    # Array fields (contamination types) come as lists.
    return tuple(value) if isinstance(value, list) else value


def add_records(counted: Counted, records: Iterable[tuple[int, tuple]], label: Callable[[tuple], str]) -> None:
    """Appends (id, key) pairs; each distinct key becomes one label."""
    index: dict[tuple, int] = {}
    for pk, key in records:
        position = index.get(key)
        if position is None:
            position = index[key] = len(counted.under_labels)
            counted.under_labels.append(label(key))
        counted.ids.append(pk)
        counted.under.append(position)
