"""The OpenAPI description: committed, true to the code, and honest about errors."""

import subprocess
import sys
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _generated() -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--lang", "en", "--validate"],
        cwd=ROOT, capture_output=True, text=True, check=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "mineaction.settings.test"},
    )  # fmt: skip
    return result.stdout


def test_committed_schema_matches_the_code():
    committed = (ROOT / "docs" / "openapi.yaml").read_text()
    assert _generated() == committed, "docs/openapi.yaml is stale: run `make schema` and commit it"


def test_schema_describes_auth_filters_errors_and_etags():
    schema = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }  # fmt: skip
    incidents = schema["paths"]["/api/v1/incidents/"]
    names = {p["name"] for p in incidents["get"]["parameters"]}
    assert {"date_after", "date_before", "admin_area", "bbox", "status", "organisation", "category",
            "updated_since", "ordering", "page", "page_size", "pagination", "cursor"} <= names  # fmt: skip
    assert set(incidents["post"]["responses"]) >= {"200", "201", "400", "401", "403", "429"}
    detail = schema["paths"]["/api/v1/incidents/{id}/"]
    assert set(detail["put"]["responses"]) >= {"200", "400", "401", "403", "404", "412", "428", "429"}
    assert "ETag" in detail["put"]["responses"]["200"]["headers"]
    assert "If-Match" in {p["name"] for p in detail["patch"]["parameters"]}
    geojson = incidents["get"]["responses"]["200"]["content"]["application/geo+json"]["schema"]
    assert geojson == {"$ref": "#/components/schemas/GeoJSONFeatureCollection"}
    assert "/api/v1/statistics/casualties/" in schema["paths"]
