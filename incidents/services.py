"""Incidents and casualties: every write and every rule (IMAS 10.60; Landmine Monitor)."""

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.services import apply_fields, editable_fields, next_reference, stamp
from core.validation import Problems, check_not_future, check_place, full_clean_into
from incidents.models import Casualty, CasualtyIdentity, Incident, IncidentSource
from reference.models import OrdnanceCategory, Organisation
from reference.selectors import admin_area_for_geometry

# Ways of setting a device off that mean a person did it by presence, proximity or contact.
PERSON_ACTIVATIONS = frozenset(
    {Incident.HowActivated.STEPPED_ON, Incident.HowActivated.TRIPWIRE, Incident.HowActivated.HANDLED}
)

INCIDENT_INPUT = editable_fields(Incident, exclude={"reference", "organisation"})
CASUALTY_INPUT = editable_fields(Casualty, exclude={"incident"})
SOURCE_INPUT = editable_fields(IncidentSource, exclude={"incident"})
IDENTITY_INPUT = editable_fields(CasualtyIdentity, exclude={"casualty"})


def classify_device(*, reported: str, person_activated: bool | None, how_activated: str) -> str:
    """The device category the national database counts.

    Mali rule (Mine Action Review, Clearing the Mines 2025, recommendation to Mali; APMBC
    Art. 2): an improvised anti-vehicle mine sensitive enough to be detonated by a person is
    recorded as an improvised anti-personnel mine. The reporter's value is kept apart.
    """
    if reported == OrdnanceCategory.IMPROVISED_AV_MINE and (
        person_activated is True or how_activated in PERSON_ACTIVATIONS
    ):
        return OrdnanceCategory.IMPROVISED_AP_MINE
    return reported


def age_group_for(age: int | None) -> str:
    """A child is under 18 (DOMAIN.md, Landmine Monitor)."""
    if age is None:
        return Casualty.AgeGroup.UNKNOWN
    return Casualty.AgeGroup.CHILD if age < Casualty.CHILD_AGE_LIMIT else Casualty.AgeGroup.ADULT


def incident_validate(incident: Incident) -> None:
    problems = Problems()
    check_place(incident, problems)
    check_not_future(incident.incident_date, "incident_date", problems)
    now = timezone.localtime()
    if (
        incident.incident_date == now.date()
        and incident.incident_time is not None
        and incident.incident_time > now.time()
    ):
        problems.add("incident_time", _("The time cannot be in the future."))
    if not incident.device_category_reported and incident.ordnance_type is not None:
        incident.device_category_reported = incident.ordnance_type.category
    if not incident.device_category_reported:
        incident.device_category_reported = OrdnanceCategory.UNKNOWN
    incident.device_category = classify_device(
        reported=incident.device_category_reported,
        person_activated=incident.person_activated,
        how_activated=incident.how_activated,
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
        _identity_check(identity, incident, local)
    for field, messages in local.errors.items():
        for message in messages:
            problems.add(f"{prefix}.{field}", message)
    return casualty


def _identity_check(identity: Mapping[str, Any], incident: Incident, problems: Problems) -> None:
    unknown = set(identity) - IDENTITY_INPUT
    for name in sorted(unknown):
        problems.add(f"identity.{name}", _("This field cannot be set."))
    born = identity.get("date_of_birth")
    if isinstance(born, datetime.date):
        if born > timezone.localdate():
            problems.add("identity.date_of_birth", _("The date cannot be in the future."))
        elif incident.incident_date and born > incident.incident_date:
            problems.add("identity.date_of_birth", _("The date of birth cannot be after the incident."))
    if not identity.get("full_name"):
        problems.add("identity.full_name", _("This field cannot be blank."))


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
    incident = Incident(organisation=organisation, reference=next_reference("INC"))
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
    apply_fields(incident, data, allowed=INCIDENT_INPUT)
    if "device_category_reported" not in data and "ordnance_type" in data:
        incident.device_category_reported = ""
    incident_validate(incident)
    stamp(incident, user)
    incident.save()
    return incident


@transaction.atomic
def casualty_add(*, incident: Incident, user, data: Mapping[str, Any]) -> Casualty:
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
    data = dict(data)
    if "identity" in data or "incident" in data:
        raise ApplicationError(
            _("The record is not valid."),
            errors={name: [_("This field cannot be set.")] for name in ("identity", "incident") if name in data},
        )
    apply_fields(casualty, data, allowed=CASUALTY_INPUT)
    casualty_validate(casualty)
    stamp(casualty, user)
    casualty.save()
    incident_touch(casualty.incident_id, user)
    return casualty


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
