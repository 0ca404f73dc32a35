"""Community liaison: reports from communities, and what officers make of them."""

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from community.models import CommunityReport
from core import policy
from core.dates import check_event_date
from core.exceptions import ApplicationError
from core.services import editable_fields, next_reference, record_write, stamp
from core.validation import Problems, as_multipolygon, check_location, check_place, full_clean_into
from hazards.models import HazardArea, LandClass, LandReleaseActivity
from hazards.services import hazard_area_create, land_release_activity_create
from reference.models import Organisation
from reference.ordnance import recount_category
from reference.selectors import admin_area_for_geometry

REPORT_INPUT = editable_fields(CommunityReport, exclude={"reference", "organisation", "outcome"})


def community_report_validate(report: CommunityReport) -> None:
    problems = Problems()
    check_place(report, problems)
    report.suspected_area = as_multipolygon(report.suspected_area)
    check_location(report.suspected_area, "suspected_area", problems, kind="MultiPolygon")
    check_event_date(report, "report_date", problems)
    if report.item_count is not None and report.item_count < 0:
        problems.add("item_count", _("A count or an area can never be negative."))
    # Mali rule (Mine Action Review 2025; APMBC Art. 2.1, reference.ordnance.classify_device): an
    # improvised AV mine a person can set off counts as an improvised AP mine; the reporter's
    # category is kept in `item_category_reported`.
    report.item_category, report.item_category_reported = recount_category(
        category=report.item_category, kept=report.item_category_reported, person_sensitive=report.item_person_sensitive
    )
    if "location" not in problems.errors:
        report.admin_area = admin_area_for_geometry(report.location)
    full_clean_into(report, problems, exclude=[n for n in problems.errors if n != "non_field_errors"])
    problems.raise_if_any()


@transaction.atomic
def community_report_create(*, user, organisation: Organisation, data: Mapping[str, Any]) -> CommunityReport:
    return record_write(
        CommunityReport(organisation=organisation, reference=next_reference("CR")),
        user=user,
        data=data,
        allowed=REPORT_INPUT,
        validate=community_report_validate,
    )


@transaction.atomic
def community_report_update(*, report: CommunityReport, user, data: Mapping[str, Any]) -> CommunityReport:
    return record_write(
        CommunityReport.objects.select_for_update().get(pk=report.pk),
        user=user,
        data=data,
        allowed=REPORT_INPUT,
        validate=community_report_validate,
    )


def _ensure_pending(report: CommunityReport) -> CommunityReport:
    report = CommunityReport.objects.select_for_update().get(pk=report.pk)
    if report.outcome != CommunityReport.Outcome.PENDING:
        raise ApplicationError(
            _("This report was already dealt with: %(outcome)s.") % {"outcome": report.get_outcome_display()},
            errors={"outcome": [_("The report is no longer pending.")]},
        )
    return report


@transaction.atomic
def community_report_to_spot_task(
    *, report: CommunityReport, user, organisation: Organisation, start_date: datetime.date
) -> LandReleaseActivity:
    """An officer sends an EOD team to the reported item: an EOD spot task at its location."""
    policy.check_view(user, report)
    report = _ensure_pending(report)
    task = land_release_activity_create(
        user=user,
        organisation=organisation,
        data={
            "kind": LandReleaseActivity.Kind.EOD_SPOT_TASK,
            "location": report.location,
            "start_date": start_date,
            "notes": _("From community report %(ref)s.") % {"ref": report.reference},
        },
    )
    report.outcome, report.spot_task = CommunityReport.Outcome.SPOT_TASK, task
    stamp(report, user)
    report.save(update_fields=["outcome", "spot_task", "updated_by", "updated_at"])
    return task


@transaction.atomic
def community_report_to_hazard_area(
    *, report: CommunityReport, user, organisation: Organisation, data: Mapping[str, Any] | None = None
) -> HazardArea:
    """An officer records the reported area as a suspected hazardous area (indirect evidence)."""
    policy.check_view(user, report)
    report = _ensure_pending(report)
    fields = {
        "land_class": LandClass.SHA,
        "geometry": report.suspected_area,
        "evidence": HazardArea.Evidence.INDIRECT,
        "evidence_description": report.description,
        "survey_date": report.report_date,
        "date_precision": report.date_precision,
        **(data or {}),
    }
    if fields["geometry"] is None:
        raise ApplicationError(
            _("The report has no suspected area: draw the polygon of the hazardous area."),
            errors={"geometry": [_("This field is required.")]},
        )
    hazard = hazard_area_create(user=user, organisation=organisation, data=fields)
    report.outcome, report.hazard_area = CommunityReport.Outcome.HAZARD_AREA, hazard
    stamp(report, user)
    report.save(update_fields=["outcome", "hazard_area", "updated_by", "updated_at"])
    return hazard
