"""Incidents and casualties: every write and every rule (IMAS 10.60; Landmine Monitor)."""

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core import policy
from core.dates import check_event_date, period_end, period_start
from core.exceptions import ApplicationError
from core.history import recorded
from core.models import DatePrecision
from core.services import apply_fields, editable_fields, next_reference, part_add, part_update, part_write, stamp
from core.validation import Problems, check_not_future, check_place, full_clean_into
from incidents.models import Casualty, CasualtyIdentity, Incident, IncidentSource
from reference.models import OrdnanceCategory, Organisation
from reference.ordnance import activation_contradiction, classify_device
from reference.selectors import admin_area_for_geometry

INCIDENT_INPUT = editable_fields(Incident, exclude={"reference", "organisation"})
CASUALTY_INPUT = editable_fields(Casualty, exclude={"incident"})
SOURCE_INPUT = editable_fields(IncidentSource, exclude={"incident"})
IDENTITY_INPUT = editable_fields(CasualtyIdentity, exclude={"casualty"})


def age_group_for(age: int | None) -> str:
    """A child is under 18 (DOMAIN.md, Landmine Monitor)."""
    if age is None:
        return Casualty.AgeGroup.UNKNOWN
    return Casualty.AgeGroup.CHILD if age < Casualty.CHILD_AGE_LIMIT else Casualty.AgeGroup.ADULT


def incident_validate(incident: Incident) -> None:
    problems = Problems()
    check_place(incident, problems)
    check_event_date(incident, "incident_date", problems)
    now = timezone.localtime()
    if incident.date_precision != DatePrecision.DAY and incident.incident_time is not None:
        problems.add("incident_time", _("A time goes with an exact day: leave it empty, or give the day."))
    elif (
        incident.incident_date == now.date()
        and incident.incident_time is not None
        and incident.incident_time > now.time()
    ):
        problems.add("incident_time", _("The time cannot be in the future."))
    if not incident.device_category_reported:
        # The reporter gave no category: the model's, else unknown, and it follows the model.
        model = incident.ordnance_type
        incident.device_category_reported = model.category if model is not None else OrdnanceCategory.UNKNOWN
        incident.device_category_reported_derived = True
    # Mali rule (Mine Action Review 2025; APMBC Art. 2.1): an explicit "not set off by a person"
    # is respected, so a record that contradicts it is refused rather than counted either way.
    contradiction = activation_contradiction(
        person_activated=incident.person_activated,
        how_activated=incident.how_activated,
        anti_handling_device=incident.anti_handling_device,
    )
    if contradiction:
        problems.add("person_activated", contradiction)
    incident.device_category = classify_device(
        reported=incident.device_category_reported,
        person_activated=incident.person_activated,
        how_activated=incident.how_activated,
        anti_handling_device=incident.anti_handling_device,
    )
    if "location" not in problems.errors:
        incident.admin_area = admin_area_for_geometry(incident.location)
    full_clean_into(incident, problems, exclude=[n for n in problems.errors if n != "non_field_errors"])
    problems.raise_if_any()


def _prefixed(prefix: str, errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {f"{prefix}.{field}": messages for field, messages in errors.items()}


def incident_touch(incident_id: int, user) -> None:
    """A casualty is part of its incident's report: its change is a new version of the incident
    (ETag, If-None-Match, and `updated_since` syncs of incidents see it)."""
    Incident.objects.filter(pk=incident_id).update(
        version=F("version") + 1, updated_at=timezone.now(), updated_by=user if getattr(user, "pk", None) else None
    )


def casualty_validate(casualty: Casualty, problems: Problems | None = None) -> None:
    """Ages lie between 0 and 120; the age group follows from the age when it is known."""
    collect = problems if problems is not None else Problems()
    if casualty.age is not None:
        if not isinstance(casualty.age, int) or casualty.age < 0 or casualty.age > 120:
            collect.add("age", _("An age lies between 0 and 120 years."))
        else:
            derived = age_group_for(casualty.age)
            if casualty.age_group not in (Casualty.AgeGroup.UNKNOWN, derived, "", None):
                collect.add("age_group", _("The age group does not match the age %(age)s.") % {"age": casualty.age})
            casualty.age_group = derived
    full_clean_into(casualty, collect, exclude=["incident", *collect.errors])
    if problems is None:
        collect.raise_if_any()


def _casualty_build(incident: Incident, data: Mapping[str, Any], problems: Problems, prefix: str) -> Casualty:
    data = dict(data)
    identity = data.pop("identity", None)
    casualty = Casualty(incident=incident)
    try:
        apply_fields(casualty, data, allowed=CASUALTY_INPUT)
    except ApplicationError as exc:
        # Unknown fields of a nested casualty, reported under its position.
        for field, messages in getattr(exc, "errors", {}).items():
            for message in messages:
                problems.add(f"{prefix}.{field}", message)
        return casualty
    local = Problems()
    casualty_validate(casualty, local)
    if identity is not None:
        casualty._identity_data = identity
        # An age already refused tells nothing about the date of birth.
        _identity_check(identity, incident, local, age=None if "age" in local.errors else casualty.age)
    for field, messages in local.errors.items():
        for message in messages:
            problems.add(f"{prefix}.{field}", message)
    return casualty


def casualties_check(*, incident: Incident, casualties: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """The casualties' own rules, nothing saved: what a page shows beside the incident's own
    mistakes, so that every refused value is marked at once (keys as `incident_create` gives them)."""
    problems = Problems()
    for index, data in enumerate(casualties):
        _casualty_build(incident, data, problems, f"casualties[{index}]")
    return dict(problems.errors)


def _years_between(born: datetime.date, day: datetime.date) -> int:
    """Completed years of age on `day`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _identity_check(
    identity: Mapping[str, Any], incident: Incident, problems: Problems, *, age: int | None = None
) -> None:
    """A date of birth is not an event date: it lies before the incident, at most 120 years
    before it, and agrees within a year with the age reported for the casualty. An incident known
    only by its month or year may have happened on any day of that period."""
    unknown = set(identity) - IDENTITY_INPUT
    for name in sorted(unknown):
        problems.add(f"identity.{name}", _("This field cannot be set."))
    born = identity.get("date_of_birth")
    if isinstance(born, datetime.date):
        incident_date = incident.incident_date if isinstance(incident.incident_date, datetime.date) else None
        if incident_date:
            first = period_start(incident_date, incident.date_precision)
            last = period_end(incident_date, incident.date_precision)
            youngest, oldest = _years_between(born, first), _years_between(born, last)
        if born > timezone.localdate():
            problems.add("identity.date_of_birth", _("The date cannot be in the future."))
        elif incident_date and born > last:
            problems.add("identity.date_of_birth", _("The date of birth cannot be after the incident."))
        elif incident_date and youngest > 120:
            problems.add("identity.date_of_birth", _("The date of birth lies more than 120 years before the incident."))
        # Reported ages are often rounded, or given at the last birthday: one year either way is kept.
        elif incident_date and age is not None and not youngest - 1 <= age <= oldest + 1:
            problems.add(
                "identity.date_of_birth",
                _("The date of birth gives an age of %(years)s at the incident, not the age %(age)s reported.")
                % {"years": youngest if age < youngest else oldest, "age": age},
            )
    if not identity.get("full_name"):
        problems.add("identity.full_name", _("This field cannot be blank."))


def incident_build(
    incident: Incident,
    data: Mapping[str, Any],
    casualties: Iterable[Mapping[str, Any]] = (),
    sources: Iterable[Mapping[str, Any]] = (),
) -> tuple[list[Casualty], list[IncidentSource]]:
    """Fills `incident` (its organisation and reference set) from input and builds its casualties
    and sources, every rule checked and nothing saved: ApplicationError with all the field errors.
    The single create and the import of many (field.imports) both build through it."""
    apply_fields(incident, data, allowed=INCIDENT_INPUT)
    problems = Problems()
    try:
        incident_validate(incident)
    except ApplicationError as exc:
        problems.errors.update(exc.errors)
    built = [_casualty_build(incident, c, problems, f"casualties[{i}]") for i, c in enumerate(casualties)]
    built_sources = []
    for i, data_source in enumerate(sources):
        source = IncidentSource(incident=incident)
        local = Problems()
        unknown = set(data_source) - SOURCE_INPUT
        for name in sorted(unknown):
            local.add(name, _("This field cannot be set."))
        if not unknown:
            apply_fields(source, data_source, allowed=SOURCE_INPUT)
            check_not_future(source.reported_on, "reported_on", local)
            full_clean_into(source, local, exclude=["incident", *local.errors])
        for field, messages in local.errors.items():
            for message in messages:
                problems.add(f"sources[{i}].{field}", message)
        built_sources.append(source)
    problems.raise_if_any()
    return built, built_sources


@transaction.atomic
def incident_create(
    *,
    user,
    organisation: Organisation,
    data: Mapping[str, Any],
    casualties: Iterable[Mapping[str, Any]] = (),
    sources: Iterable[Mapping[str, Any]] = (),
) -> Incident:
    """Records an incident with its casualties and sources in one step: all or nothing."""
    policy.check_report_for(user, Incident, organisation)
    incident = Incident(organisation=organisation, reference=next_reference("INC"))
    built, built_sources = incident_build(incident, data, casualties, sources)
    stamp(incident, user)
    incident.save()
    for casualty in built:
        casualty.incident = incident
        stamp(casualty, user)
        casualty.save()
        identity = getattr(casualty, "_identity_data", None)
        if identity is not None:
            CasualtyIdentity.objects.create(casualty=casualty, created_by=casualty.created_by, **identity)
    for source in built_sources:
        source.incident = incident
        stamp(source, user)
        source.save()
    return incident


@transaction.atomic
def incident_update(*, incident: Incident, user, data: Mapping[str, Any]) -> Incident:
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    policy.check_change(user, incident)
    reported_before = incident.device_category_reported
    apply_fields(incident, data, allowed=INCIDENT_INPUT)
    # The reporter's category survives other edits; only one taken from the model follows a
    # new model. Sending back the stored value (a client's read, a form) says nothing new.
    if "device_category_reported" in data and incident.device_category_reported != reported_before:
        incident.device_category_reported_derived = False
    elif "ordnance_type" in data and incident.device_category_reported_derived:
        incident.device_category_reported = ""
    incident_validate(incident)
    stamp(incident, user)
    incident.save()
    return incident


@transaction.atomic
def casualty_add(*, incident: Incident, user, data: Mapping[str, Any]) -> Casualty:
    """A casualty added to an incident's report: the incident changes (core.policy)."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    policy.check_add_to(user, Casualty, incident)
    problems = Problems()
    casualty = _casualty_build(incident, data, problems, "casualty")
    if problems:
        problems.errors = {k.removeprefix("casualty."): v for k, v in problems.errors.items()}
    problems.raise_if_any()
    stamp(casualty, user)
    casualty.save()
    identity = getattr(casualty, "_identity_data", None)
    if identity is not None:
        CasualtyIdentity.objects.create(casualty=casualty, created_by=casualty.created_by, **identity)
    incident_touch(incident.pk, user)
    return casualty


@transaction.atomic
def casualty_update(*, casualty: Casualty, user, data: Mapping[str, Any]) -> Casualty:
    casualty = Casualty.objects.select_for_update().get(pk=casualty.pk)
    policy.check_change(user, casualty)
    data = dict(data)
    if "identity" in data or "incident" in data:
        raise ApplicationError(
            _("The record is not valid."),
            errors={name: [_("This field cannot be set.")] for name in ("identity", "incident") if name in data},
        )
    apply_fields(casualty, data, allowed=CASUALTY_INPUT)
    # The stored age group followed from the old age: a new age without a group gets its own group.
    if "age" in data and "age_group" not in data and (casualty.age is None or isinstance(casualty.age, int)):
        casualty.age_group = age_group_for(casualty.age)
    problems = Problems()
    casualty_validate(casualty, problems)
    # A new age must still agree with the date of birth on record (a pseudonym keeps only the year).
    identity = None
    if "age" in data and casualty.age is not None and "age" not in problems.errors:
        identity = CasualtyIdentity.objects.filter(casualty=casualty, pseudonymised_at__isnull=True).first()
    if identity is not None:
        stored = Problems()
        _identity_check(
            {"full_name": identity.full_name, "date_of_birth": identity.date_of_birth},
            casualty.incident,
            stored,
            age=casualty.age,
        )
        for message in stored.errors.get("identity.date_of_birth", []):
            problems.add("age", message)
    problems.raise_if_any()
    stamp(casualty, user)
    casualty.save()
    incident_touch(casualty.incident_id, user)
    return casualty


@transaction.atomic
def casualty_delete(*, casualty: Casualty, user) -> None:
    """A casualty removed from its incident's report (a draft or rejected one): its last state
    stays in the history, and partners' syncs learn it left (core.models.Removal)."""
    from core.models import Removal
    from core.workflow import removal_record

    casualty = Casualty.objects.select_for_update().get(pk=casualty.pk)
    policy.check_delete(user, casualty)
    with recorded(user=user, action="delete"):
        removal_record(record=casualty, reason=Removal.Reason.DELETED)
        incident_touch(casualty.incident_id, user)
        casualty.delete()


def incident_source_add(*, incident: Incident, user, data: Mapping[str, Any]) -> IncidentSource:
    """Another source of an incident (NGO, UN, media, hospital), with its reliability."""
    return part_add(IncidentSource(incident=incident), parent=incident, user=user, data=data, allowed=SOURCE_INPUT,
                    validate=incident_source_validate)  # fmt: skip


def incident_source_update(*, source: IncidentSource, user, data: Mapping[str, Any]) -> IncidentSource:
    return part_update(source, user=user, data=data, allowed=SOURCE_INPUT, validate=incident_source_validate)


def incident_source_validate(source: IncidentSource) -> None:
    problems = Problems()
    check_not_future(source.reported_on, "reported_on", problems)
    full_clean_into(source, problems, exclude=["incident", *problems.errors])
    problems.raise_if_any()


@transaction.atomic
def casualty_identity_set(*, casualty: Casualty, user, data: Mapping[str, Any]) -> CasualtyIdentity:
    """Writes a casualty's identity (personal data), for roles allowed to write it."""
    casualty = Casualty.objects.select_for_update().get(pk=casualty.pk)
    identity = CasualtyIdentity.objects.filter(casualty=casualty).first()
    policy.check_write_identity(user, casualty, creating=identity is None)
    identity = identity or CasualtyIdentity(casualty=casualty)
    problems = Problems()
    _identity_check(data, casualty.incident, problems, age=casualty.age)
    if problems:
        raise ApplicationError(
            _("The record is not valid."), errors={k.removeprefix("identity."): v for k, v in problems.errors.items()}
        )
    return part_write(identity, user=user, data=data, allowed=IDENTITY_INPUT, validate=lambda i: None)


def identities_pseudonymise(*, incidents_before: datetime.date) -> int:
    """Personal data is kept no longer than needed (data minimisation): identities of casualties
    of old incidents keep a stable pseudonym for statistics on survivors, and nothing else."""
    from django.db.models import Value
    from django.db.models.functions import MD5, Concat, Substr, TruncYear

    identities = CasualtyIdentity.objects.filter(
        casualty__incident__incident_date__lt=incidents_before, pseudonymised_at__isnull=True
    )
    with transaction.atomic():
        return identities.update(
            full_name=Concat(Value("PSEUDO-"), Substr(MD5(Concat(Value("casualty-"), "casualty_id")), 1, 12)),
            date_of_birth=TruncYear("date_of_birth"),
            address="",
            phone="",
            contact_person="",
            pseudonymised_at=timezone.now(),
        )
