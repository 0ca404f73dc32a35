"""Risk education sessions (IMAS 12.10): sex-and-age-disaggregated counts."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.dates import check_event_date
from core.services import editable_fields, next_reference, record_write
from core.validation import Problems, check_not_negative, check_place, full_clean_into
from education.models import RiskEducationSession
from reference.models import Organisation
from reference.selectors import admin_area_for_geometry

COUNTS = ("girls", "boys", "women", "men", "with_disability")
SESSION_INPUT = editable_fields(RiskEducationSession, exclude={"reference", "organisation"})


def risk_education_session_validate(session: RiskEducationSession) -> None:
    problems = Problems()
    check_place(session, problems)
    check_event_date(session, "session_date", problems)
    check_not_negative(session, COUNTS, problems)
    if not any(n in problems.errors for n in COUNTS):
        total = session.girls + session.boys + session.women + session.men
        if session.with_disability > total:
            problems.add(
                "with_disability",
                _("People with a disability (%(n)s) cannot outnumber the beneficiaries (%(total)s).")
                % {"n": session.with_disability, "total": total},
            )
        # Mass media reach is estimated; a direct session without anyone did not take place.
        if total == 0 and session.method == RiskEducationSession.Method.DIRECT:
            problems.add("non_field_errors", _("A direct session reaches at least one girl, boy, woman or man."))
    if "location" not in problems.errors:
        session.admin_area = admin_area_for_geometry(session.location)
    full_clean_into(session, problems, exclude=[n for n in problems.errors if n != "non_field_errors"])
    problems.raise_if_any()


@transaction.atomic
def risk_education_session_create(*, user, organisation: Organisation, data: Mapping[str, Any]) -> RiskEducationSession:
    return record_write(
        RiskEducationSession(organisation=organisation, reference=next_reference("RE")),
        user=user,
        data=data,
        allowed=SESSION_INPUT,
        validate=risk_education_session_validate,
    )


@transaction.atomic
def risk_education_session_update(
    *, session: RiskEducationSession, user, data: Mapping[str, Any]
) -> RiskEducationSession:
    return record_write(
        RiskEducationSession.objects.select_for_update().get(pk=session.pk),
        user=user,
        data=data,
        allowed=SESSION_INPUT,
        validate=risk_education_session_validate,
    )
