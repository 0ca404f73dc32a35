"""One record of each type, written through the services, for tests that walk every page."""

import datetime

from assistance.services import assistance_service_create, survivor_create
from community.services import community_report_create
from core.workflow import record_transition
from education.services import risk_education_session_create
from hazards.services import hazard_area_create, land_release_activity_create
from incidents.services import incident_create
from tests.geo import GAO, MOPTI, point, square

DAY = datetime.date(2024, 3, 15)


def one_of_each(*, partner, organisation) -> dict:
    """A partner's submitted incident with two casualties, and a draft of every other type."""
    incident = incident_create(
        user=partner,
        organisation=organisation,
        data={
            "incident_class": "improvised",
            "incident_date": DAY,
            "location": point(GAO),
            "device_category_reported": "improvised_av_mine",
            "how_activated": "stepped_on",
        },
        casualties=[
            {"outcome": "injured", "sex": "male", "age": 12, "civilian_status": "civilian"},
            {"outcome": "killed", "sex": "female", "age": 34, "civilian_status": "civilian"},
        ],
    )
    record_transition(record=incident, user=partner, action="submit")
    hazard = hazard_area_create(
        user=partner,
        organisation=organisation,
        data={"land_class": "cha", "geometry": square(MOPTI, 0.02), "evidence": "direct", "survey_date": DAY,
              "contamination_types": ["improvised_ap_mines"]},
    )  # fmt: skip
    activity = land_release_activity_create(
        user=partner,
        organisation=organisation,
        data={"kind": "clearance", "report_type": "progress", "hazard_area": hazard, "start_date": DAY,
              "area_cleared_m2": 1000},
    )  # fmt: skip
    session = risk_education_session_create(
        user=partner,
        organisation=organisation,
        data={"session_date": DAY, "location": point(MOPTI), "method": "direct", "target_group": "school",
              "girls": 25, "boys": 31, "women": 4, "men": 2, "with_disability": 3},
    )  # fmt: skip
    survivor = survivor_create(
        user=partner, organisation=organisation, data={"casualty": incident.casualties.get(outcome="injured")}
    )
    service = assistance_service_create(
        user=partner,
        organisation=organisation,
        survivor=survivor,
        data={"service_type": "physiotherapy", "provider": organisation, "start_date": DAY},
    )
    report = community_report_create(
        user=partner,
        organisation=organisation,
        data={"report_date": DAY, "subject": "item", "location": point(MOPTI), "item_category": "uxo",
              "item_count": 1},
    )  # fmt: skip
    return {
        "incidents": incident,
        "hazards": hazard,
        "activities": activity,
        "risk-education": session,
        "survivors": survivor,
        "services": service,
        "community-reports": report,
    }


def approve_all(records: dict) -> None:
    """Every record of `one_of_each` approved, as the authority's officer would."""
    from core.policy import SYSTEM

    for record in records.values():
        record.refresh_from_db()
        if record.status == "draft":
            record = record_transition(record=record, user=SYSTEM, action="submit")
        record_transition(record=record, user=SYSTEM, action="approve")


def every_page(records: dict) -> dict[str, str]:
    """Every page of the web application a partner's records give, by a name for messages."""
    pages = {
        "dashboard": "/",
        "map": "/map/",
        "approval queue": "/queue/",
        "data quality": "/quality/",
        "password change": "/accounts/password_change/",
        "exports": "/exports/",
        "treaty reports": "/reports/",
    }
    for name, record in records.items():
        pages[f"{name} list"] = f"/{name}/"
        pages[f"{name} record"] = f"/{name}/{record.pk}/"
        pages[f"{name} new"] = f"/{name}/new/"
        pages[f"{name} edit"] = f"/{name}/{record.pk}/edit/"
    return pages


AUTHORITY_PAGES = {"incident reconciliation": "/reconciliation/", "hazard reconciliation": "/reconciliation/hazards/"}
