from core.models import RecordStatus

MOPTI_SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-4.19, 14.49], [-4.18, 14.49], [-4.18, 14.50], [-4.19, 14.50], [-4.19, 14.49]]],
}
GAO_POINT = {"type": "Point", "coordinates": [-0.04, 16.27]}
MOPTI_POINT = {"type": "Point", "coordinates": [-4.19, 14.49]}


def hazard_payload(**overrides) -> dict:
    return {
        "land_class": "cha",
        "geometry": MOPTI_SQUARE,
        "evidence": "direct",
        "survey_date": "2024-03-15",
        "contamination_types": ["improvised_ap_mines"],
        **overrides,
    }


def incident_payload(**overrides) -> dict:
    return {
        "incident_class": "improvised",
        "incident_date": "2024-03-15",
        "location": GAO_POINT,
        "device_category_reported": "improvised_av_mine",
        "how_activated": "stepped_on",
        **overrides,
    }


def approve(model, pk) -> None:
    # The approval workflow is its own feature; here only the state matters.
    model.objects.filter(pk=pk).update(status=RecordStatus.APPROVED)
