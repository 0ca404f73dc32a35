"""History of every domain record: django-pghistory events, with who did what and why.

Every insert, update and delete of a tracked table is captured by database triggers (so
bulk updates are too); the context of a change (user, action, reason) is attached by
`recorded()` around each service write, and by pghistory's middleware for pages.
"""

from contextlib import contextmanager
from types import SimpleNamespace

import pghistory
from django.utils.translation import gettext_lazy

# How each act reads on a record's history page; the API gives the codes.
ACTION_LABELS = {
    "create": gettext_lazy("created"),
    "update": gettext_lazy("changed"),
    "delete": gettext_lazy("deleted"),
    "restore": gettext_lazy("restored"),
    "submit": gettext_lazy("submitted"),
    "approve": gettext_lazy("approved"),
    "reject": gettext_lazy("rejected"),
    "reopen": gettext_lazy("reopened"),
    "merge": gettext_lazy("merged"),
    "withdraw": gettext_lazy("withdrawn"),
    "pseudonymise": gettext_lazy("pseudonymised"),
}
# A row event written outside a named act (a figure recomputed after an approval) reads by its kind.
ROW_EVENT_LABELS = {"insert": ACTION_LABELS["create"], "update": ACTION_LABELS["update"],
                    "delete": ACTION_LABELS["delete"]}  # fmt: skip


@contextmanager
def inserts_recorded_in_bulk(*models):
    """Around a bulk insert of these models: their row-by-row history trigger stands aside, and
    `bulk_insert_history` writes the same events in one statement. A trigger costs half a
    millisecond a row (plpgsql and the event table's indexes, row by row); an import of 100,000
    incidents with their casualties would spend most of its time there."""
    import pgtrigger

    with pgtrigger.ignore(*(f"{model._meta.label}:insert_insert" for model in models)):
        yield


def bulk_insert_history(model, ids: list[int]) -> None:
    """The insert events of these records, as the trigger writes them (every tracked column, the
    context of the `recorded()` block around), for all of them at once."""
    from django.apps import apps
    from django.db import connection

    event = apps.get_model(model._meta.app_label, f"{model.__name__}Event")
    columns = [f.column for f in event._meta.concrete_fields if not f.name.startswith("pgh_")]
    listed = ", ".join(f'"{column}"' for column in columns)
    read = ", ".join(f'r."{column}"' for column in columns)
    with connection.cursor() as cursor:
        # Names come from the models, never from input; the ids are a parameter.
        cursor.execute(
            f'INSERT INTO "{event._meta.db_table}" ({listed}, "pgh_context_id", "pgh_created_at", "pgh_label", '  # noqa: S608  # nosec B608 # table and column names come from the models; the ids are a parameter
            f'"pgh_obj_id") SELECT {read}, c.id, NOW(), %s, r."id" FROM "{model._meta.db_table}" r '
            'CROSS JOIN (SELECT _pgh_attach_context() AS id) c WHERE r."id" = ANY(%s)',
            ["insert", list(ids)],
        )


def history_trackers() -> tuple:
    """Inserts, updates (of any field) and deletes; new tracker objects for each model."""
    return (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


@contextmanager
def recorded(*, user, action: str, reason: str = "", **extra):
    """Attach who did what, and why, to the history events written inside the block."""
    user_id = getattr(user, "pk", None)
    with pghistory.context(user=user_id, username=getattr(user, "username", None), action=action, reason=reason,
                           **extra):  # fmt: skip
        yield


def record_history(record) -> list[SimpleNamespace]:
    """The versions of one record, oldest first, with their context (user, action, reason).

    Row events written by one act (a creation that also fills in derived figures) are shown
    as one version: the act's first event, with the changes of all of them.
    """
    from pghistory.models import Events

    versions: list[SimpleNamespace] = []
    for event in Events.objects.tracks(record).order_by("pgh_created_at", "pgh_id"):
        last = versions[-1] if versions else None
        if last is not None and event.pgh_context_id and event.pgh_context_id == last.pgh_context_id:
            for field, (old, new) in (event.pgh_diff or {}).items():
                last.pgh_diff[field] = [last.pgh_diff.get(field, [old])[0], new]
            continue
        versions.append(
            SimpleNamespace(
                pgh_created_at=event.pgh_created_at,
                pgh_label=event.pgh_label,
                pgh_context_id=event.pgh_context_id,
                pgh_context=event.pgh_context or {},
                action_label=ACTION_LABELS.get((event.pgh_context or {}).get("action"))
                or ROW_EVENT_LABELS.get(event.pgh_label, event.pgh_label),
                pgh_diff=dict(event.pgh_diff or {}),
            )
        )
    return versions


def actor_labels(reader, user_ids) -> dict[int, str]:
    """How each acting user is named to `reader`: the authority sees usernames; a partner sees
    the usernames of its own organisation's staff, and other actors by their organisation's
    acronym (staff of a national authority or an NGO in a conflict zone are not named to others)."""
    from django.contrib.auth import get_user_model

    from accounts.models import Profile
    from accounts.selectors import is_authority, user_organisation

    ids = {i for i in user_ids if i is not None}
    names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
    if is_authority(reader):
        return names
    own = user_organisation(reader)
    organisations = {
        profile.user_id: profile.organisation
        for profile in Profile.objects.filter(user_id__in=ids).select_related("organisation")
    }
    labels = {}
    for user_id in ids:
        organisation = organisations.get(user_id)
        same = organisation is not None and own is not None and organisation.pk == own.pk
        labels[user_id] = names.get(user_id, "") if same else (organisation.acronym if organisation else "")
    return labels


def record_history_for(record, user) -> list:
    """The record's history as `user` may read it (actors named by `actor_labels`); personal
    fields and user ids stay hidden from readers without the right to them."""
    from accounts.selectors import is_authority
    from core import policy, registry

    events = record_history(record)
    labels = actor_labels(user, {event.pgh_context.get("user") for event in events})
    # Changes of who last wrote the record are user ids: only the authority reads them.
    hidden: set[str] = set() if is_authority(user) else {"created_by", "created_by_id", "updated_by", "updated_by_id"}
    if not policy.may_read_personal_fields(user, record):
        hidden |= set(registry.get(record).personal_fields)
    for event in events:
        actor_id = event.pgh_context.get("user")
        event.actor = labels.get(actor_id, "") if actor_id is not None else event.pgh_context.get("username") or ""
        event.pgh_diff = {name: values for name, values in event.pgh_diff.items() if name not in hidden}
    return events
