"""Property-based run of schemathesis against the live schema: no 5xx, nothing off-schema.

Bounded in time: a few examples per operation, as partner A (a real token, real database).
"""

import os

import pytest
import schemathesis
from django.contrib.auth.models import Group
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Profile
from mineaction.wsgi import application

# A few per operation in `make test`; SCHEMATHESIS_EXAMPLES=200 for a deeper run by hand.
EXAMPLES_PER_OPERATION = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
# The contract: no 5xx, and every status, content type, header and body as documented. A 400 for
# a schema-valid but meaningless value (a box with west > east) is documented, not a failure.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def keep_test_connection():
    """Django's test client does the same: a request's end must not close the test's connection."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def partner_token(django_user_model, partner_a):
    from rest_framework.authtoken.models import Token

    user = django_user_model.objects.create_user("fuzzer", password="pw-fuzzer-1")
    Profile.objects.create(user=user, organisation=partner_a)
    user.groups.add(Group.objects.get(name="partner_data_manager"))
    return Token.objects.create(user=user).key


@pytest.mark.django_db
def test_api_conforms_to_its_schema(keep_test_connection, partner_token):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?lang=en", application)
    headers = {"Authorization": f"Token {partner_token}", "Accept-Language": "en"}
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # every failing operation is reported
            failures.append(f"{operation.method.upper()} {operation.path}: {exc!r}"[:3000])
    assert operations > 50
    assert not failures, "\n\n".join(failures)
