"""The accounts of `make bench`'s concurrent load (imported in `manage.py shell`): one account and
token per client, most of them authority officers, the others a partner's data managers (their own
throttle rate each, as partners' scripts have), and approved incidents for the details to read."""

from django.db import connection
from rest_framework.authtoken.models import Token

from accounts import roles
from bench._support import member
from reference.models import Organisation
from reference.selectors import national_authority


def load_users(count: int) -> dict:
    partner = (
        Organisation.objects.filter(acronym="HI").first()
        or Organisation.objects.exclude(pk=national_authority().pk).first()
    )
    tokens = []
    for index in range(count):
        if index % 3 == 2:
            user = member(f"bench.load.{index}", partner, roles.PARTNER_DATA_MANAGER)
        else:
            user = member(f"bench.load.{index}", national_authority(), roles.IM_OFFICER)
        tokens.append(Token.objects.create(user=user).key)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM incidents_incident TABLESAMPLE SYSTEM (2) "
            "WHERE status = 'approved' AND deleted_at IS NULL LIMIT 5000"
        )
        incidents = [row[0] for row in cursor.fetchall()]
    return {"tokens": tokens, "incidents": incidents}
