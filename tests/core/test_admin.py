"""The national database in the Django admin: every page renders, in French, with local maps."""

import pytest
from django.contrib import admin

from hazards.services import hazard_area_create
from tests.geo import MOPTI, square

pytestmark = pytest.mark.django_db

DOMAIN_APPS = {"reference", "hazards", "incidents", "education", "assistance", "community"}
MODELS = [m for m in admin.site._registry if m._meta.app_label in DOMAIN_APPS]


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("chef", "chef@example.org", "pw-chef-123")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_list_and_add_page_renders_in_french(client, superuser, model):
    client.force_login(superuser)
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    pages = (base, base + "add/") if admin.site._registry[model].has_add_permission(_request(superuser)) else (base,)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert 'lang="fr"' in html
        assert "cdn.jsdelivr" not in html


def test_map_widget_uses_openlayers_from_static_files(client, superuser):
    client.force_login(superuser)
    html = client.get("/admin/hazards/hazardarea/add/").content.decode()
    assert "/static/vendor/ol/ol.js" in html
    assert "/static/gis/js/OLMapWidget.js" in html


def test_a_bad_polygon_is_a_form_error_and_nothing_is_saved(client, superuser, authority):
    client.force_login(superuser)
    # The map widget sends Web Mercator unless told: say WGS84.
    bowtie = "SRID=4326;POLYGON((-4.19 14.49, -4.18 14.5, -4.18 14.49, -4.19 14.5, -4.19 14.49))"
    response = client.post(
        "/admin/hazards/hazardarea/add/",
        {
            "organisation": authority.pk,
            "land_class": "sha",
            "geometry": bowtie,
            "evidence": "indirect",
            "survey_date": "2024-01-10",
            "hazard_status": "open",
            "hazard_status_date": "2024-01-10",
            "beneficiaries": 0,
            "priority": 2,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "The geometry is not valid: Self-intersection" in response.content.decode()
    from hazards.models import HazardArea

    assert not HazardArea.objects.exists()


def test_a_hazard_saved_in_the_admin_goes_through_the_service(client, superuser, authority):
    client.force_login(superuser)
    response = client.post(
        "/admin/hazards/hazardarea/add/",
        {
            "organisation": authority.pk,
            "land_class": "sha",
            "geometry": square(MOPTI).ewkt,
            "evidence": "indirect",
            "survey_date": "2024-01-10",
            "hazard_status": "open",
            "hazard_status_date": "2024-01-10",
            "beneficiaries": 5,
            "priority": 2,
            "contamination_types": ["uxo"],
        },
    )
    assert response.status_code == 302
    from hazards.models import HazardArea

    hazard = HazardArea.objects.get()
    assert hazard.reference.startswith("ML-HA-")
    assert hazard.admin_area.pcode == "ML05"
    assert hazard.created_by == superuser
    assert hazard.remaining_area_m2 == pytest.approx(hazard.area_m2)


def test_change_page_of_a_record_renders(client, superuser, partner_a, past):
    hazard = hazard_area_create(
        user=superuser,
        organisation=partner_a,
        data={"land_class": "cha", "geometry": square(MOPTI), "evidence": "direct", "survey_date": past},
    )
    client.force_login(superuser)
    response = client.get(f"/admin/hazards/hazardarea/{hazard.pk}/change/")
    assert response.status_code == 200
    assert hazard.reference in response.content.decode()
