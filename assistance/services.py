"""Victim assistance (IMAS 13.10): survivors and the services they receive."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from assistance.models import AssistanceService, Survivor
from core import policy
from core.dates import check_event_date, period_end, period_label, period_start
from core.services import editable_fields, record_write
from core.validation import Problems, check_dates_ordered, check_not_future, full_clean_into
from incidents.models import Casualty
from reference.models import Organisation

SURVIVOR_INPUT = editable_fields(Survivor, exclude={"organisation"})
SERVICE_INPUT = editable_fields(AssistanceService, exclude={"organisation", "survivor"})


@transaction.atomic
def survivor_create(*, user, organisation: Organisation, data: Mapping[str, Any]) -> Survivor:
    """A survivor is a casualty who was injured, not killed, and is followed once."""
    if isinstance(data.get("casualty"), Casualty):
        policy.check_view(user, data["casualty"])
    return record_write(
        Survivor(organisation=organisation), user=user, data=data, allowed=SURVIVOR_INPUT, validate=survivor_validate
    )


@transaction.atomic
def survivor_update(*, survivor: Survivor, user, data: Mapping[str, Any]) -> Survivor:
    return record_write(
        Survivor.objects.select_for_update().get(pk=survivor.pk),
        user=user,
        data=data,
        allowed=SURVIVOR_INPUT,
        validate=survivor_validate,
    )


def survivor_validate(survivor: Survivor) -> None:
    problems = Problems()
    casualty = survivor.casualty if survivor.casualty_id else None
    if casualty is not None and casualty.outcome != Casualty.Outcome.INJURED:
        problems.add("casualty", _("Only an injured casualty can be followed as a survivor."))
    full_clean_into(survivor, problems, exclude=list(problems.errors))
    problems.raise_if_any()


def assistance_service_validate(service: AssistanceService) -> None:
    problems = Problems()
    check_event_date(service, "start_date", problems)
    check_not_future(service.end_date, "end_date", problems)
    check_dates_ordered(
        service.start_date, service.end_date, "end_date", problems, _("The end date cannot be before the start date.")
    )
    if service.provider_id is None and not service.provider_name:
        problems.add("provider", _("Name the provider: an organisation or, failing that, a name."))
    if service.outcome == AssistanceService.Outcome.COMPLETED and service.end_date is None:
        problems.add("end_date", _("A completed service has an end date."))
    incident = service.survivor.casualty.incident if service.survivor_id else None
    # Either date may be known only by its month or year: refused only when the service's period
    # ends before the incident's begins.
    if (
        incident is not None
        and service.start_date
        and "start_date" not in problems.errors
        and period_end(service.start_date, service.date_precision)
        < period_start(incident.incident_date, incident.date_precision)
    ):
        problems.add(
            "start_date",
            _("A service cannot start before the incident (%(date)s).")
            % {"date": period_label(incident.incident_date, incident.date_precision)},
        )
    full_clean_into(service, problems, exclude=[n for n in problems.errors if n != "non_field_errors"])
    problems.raise_if_any()


@transaction.atomic
def assistance_service_create(
    *, user, organisation: Organisation, survivor: Survivor, data: Mapping[str, Any]
) -> AssistanceService:
    policy.check_view(user, survivor)
    return record_write(
        AssistanceService(organisation=organisation, survivor=survivor),
        user=user,
        data=data,
        allowed=SERVICE_INPUT,
        validate=assistance_service_validate,
    )


@transaction.atomic
def assistance_service_update(*, service: AssistanceService, user, data: Mapping[str, Any]) -> AssistanceService:
    return record_write(
        AssistanceService.objects.select_for_update().get(pk=service.pk),
        user=user,
        data=data,
        allowed=SERVICE_INPUT,
        validate=assistance_service_validate,
    )
