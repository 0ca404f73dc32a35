"""What the benches share (imported after `django.setup()`; `make bench` runs only the benches):
a run inside a transaction that is rolled back, on the demo data or on a database of the bench's
own, the median time of a call, and a user of an organisation with one role."""

import statistics
import time


class Rollback(Exception):
    pass


def rolled_back(run, *args) -> None:
    """`run(*args)` in a transaction that is rolled back: the database is left as it was."""
    from django.db import transaction

    try:
        with transaction.atomic():
            run(*args)
            raise Rollback
    except Rollback:
        pass


def on_demo_data(run, *, description: str, rounds: int) -> None:
    """A bench over the demo data already loaded: `--rounds N` (default `rounds`), then `run(rounds)`
    rolled back."""
    import argparse
    import sys

    from incidents.models import Incident

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=rounds)
    chosen = parser.parse_args().rounds
    if not Incident.objects.exists():
        sys.exit("No incidents: run `manage.py generate_demo_data --scale large` first.")
    rolled_back(run, chosen)


def on_own_database(name: str, run, *args, **settings) -> None:
    """`run(*args)` on a database of the bench's own (`name`, made from template1 as the test
    database is, migrated, dropped at the end), throttle counters in memory and `settings`
    overridden: the national database and a running server are never touched."""
    from django.db import connections
    from django.test.utils import override_settings, setup_databases, teardown_databases

    # The test settings Django filled in, with a name of our own.
    connections["default"].settings_dict["TEST"]["NAME"] = name
    memory = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bench"}}
    with override_settings(CACHES=memory, **settings):
        created = setup_databases(verbosity=0, interactive=False)
        try:
            run(*args)
        finally:
            teardown_databases(created, verbosity=0)


def timed(function, rounds: int, *, warm: bool = False) -> float:
    """Median seconds of one call (after one call to warm the caches, with `warm`)."""
    if warm:
        function()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def member(username: str, organisation, role: str):
    """A user of `organisation` with one role (accounts.roles), read back as a request would."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from accounts.models import Profile

    user = get_user_model().objects.create_user(username)
    Profile.objects.create(user=user, organisation=organisation)
    user.groups.add(Group.objects.get(name=role))
    return get_user_model().objects.get(pk=user.pk)


def authority_and_partner(prefix: str) -> dict:
    """An officer of the national authority, and a data manager of the organisation of the first
    draft incident (so that scoping has something to leave out), by the label a bench prints."""
    from accounts import roles
    from core.models import RecordStatus
    from incidents.models import Incident
    from reference.selectors import national_authority

    draft = Incident.objects.filter(status=RecordStatus.DRAFT).select_related("organisation").first()
    return {
        "authority": member(f"{prefix}-{roles.IM_OFFICER}", national_authority(), roles.IM_OFFICER),
        f"partner {draft.organisation.acronym}": member(
            f"{prefix}-{roles.PARTNER_DATA_MANAGER}", draft.organisation, roles.PARTNER_DATA_MANAGER
        ),
    }


def serving_in_process() -> None:
    """Requests served in process by the test client: its host allowed, and forced logins left out
    of the lockout records (django-axes), since they are no login attempts."""
    from axes.signals import handle_user_logged_in
    from django.conf import settings
    from django.contrib.auth.signals import user_logged_in

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    user_logged_in.disconnect(handle_user_logged_in)
