"""Victim assistance (IMAS 13.10): survivors and the services they receive."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from assistance.models import AssistanceService, Survivor
from core.services import apply_fields, editable_fields, stamp
from core.validation import Problems, check_dates_ordered, check_not_future, full_clean_into
from incidents.models import Casualty
from reference.models import Organisation

SURVIVOR_INPUT = editable_fields(Survivor, exclude={"organisation"})
SERVICE_INPUT = editable_fields(AssistanceService, exclude={"organisation", "survivor"})


@transaction.atomic
def survivor_create(*, user, organisation: Organisation, data: Mapping[str, Any]) -> Survivor:
    """A survivor is a casualty who was injured, not killed, and is followed once."""
    survivor = Survivor(organisation=organisation)
    apply_fields(survivor, data, allowed=SURVIVOR_INPUT)
    survivor_validate(survivor)
    stamp(survivor, user)
    survivor.save()
    return survivor


@transaction.atomic
def survivor_update(*, survivor: Survivor, user, data: Mapping[str, Any]) -> Survivor:
    survivor = Survivor.objects.select_for_update().get(pk=survivor.pk)
    apply_fields(survivor, data, allowed=SURVIVOR_INPUT)
    survivor_validate(survivor)
    stamp(survivor, user)
    survivor.save()
    return survivor


def survivor_validate(survivor: Survivor) -> None:
    problems = Problems()
    casualty = survivor.casualty if survivor.casualty_id else None
    if casualty is not None and casualty.outcome != Casualty.Outcome.INJURED:
        problems.add("casualty", _("Only an injured casualty can be followed as a survivor."))
    full_clean_into(survivor, problems, exclude=list(problems.errors))
    problems.raise_if_any()


def assistance_service_validate(service: AssistanceService) -> None:
    problems = Problems()
    check_not_future(service.start_date, "start_date", problems)
    check_not_future(service.end_date, "end_date", problems)
    check_dates_ordered(
        service.start_date, service.end_date, "end_date", problems, _("The end date cannot be before the start date.")
    )
    if service.provider_id is None and not service.provider_name:
        problems.add("provider", _("Name the provider: an organisation or, failing that, a name."))
    if service.outcome == AssistanceService.Outcome.COMPLETED and service.end_date is None:
        problems.add("end_date", _("A completed service has an end date."))
    incident_date = service.survivor.casualty.incident.incident_date if service.survivor_id else None
    if incident_date and service.start_date and service.start_date < incident_date:
        problems.add(
            "start_date", _("A service cannot start before the incident (%(date)s).") % {"date": incident_date}
        )
    full_clean_into(service, problems, exclude=[n for n in problems.errors if n != "non_field_errors"])
    problems.raise_if_any()


@transaction.atomic
def assistance_service_create(
    *, user, organisation: Organisation, survivor: Survivor, data: Mapping[str, Any]
) -> AssistanceService:
    service = AssistanceService(organisation=organisation, survivor=survivor)
    apply_fields(service, data, allowed=SERVICE_INPUT)
    assistance_service_validate(service)
    stamp(service, user)
    service.save()
    return service


@transaction.atomic
def assistance_service_update(*, service: AssistanceService, user, data: Mapping[str, Any]) -> AssistanceService:
    service = AssistanceService.objects.select_for_update().get(pk=service.pk)
    apply_fields(service, data, allowed=SERVICE_INPUT)
    assistance_service_validate(service)
    stamp(service, user)
    service.save()
    return service
