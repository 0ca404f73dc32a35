import re

import pytest
import yaml
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_admin_login_page_is_served_in_french_by_default(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()


def test_admin_accepts_a_superuser_login(client):
    get_user_model().objects.create_superuser("root", "root@example.org", "a-strong-pass-42")

    response = client.post(
        "/admin/login/?next=/admin/", {"username": "root", "password": "a-strong-pass-42"}, follow=True
    )

    assert response.status_code == 200
    assert response.context["user"].is_superuser
    assert response.redirect_chain[-1][0] == "/admin/"


def test_openapi_schema_is_served_without_login(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Mine Action IMS API"


def test_swagger_ui_uses_local_static_files_only(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    # No asset from elsewhere: every src and href is on this site (the page's CSRF token is random
    # text, so a bare "cdn" may occur in it).
    assert re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", html) == []
    assert "https://" not in html


def test_home_page_links_to_admin_and_api_docs(client):
    # The home page is the dashboard: a visitor logs in first.
    assert client.get("/")["Location"] == "/accounts/login/?next=/"
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "a-strong-pass-42"))

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/admin/"' in html
    assert 'href="/api/docs/"' in html
