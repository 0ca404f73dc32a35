"""What the benches share (imported after `django.setup()`; `make bench` runs only the benches):
a run inside a transaction that is rolled back, on the demo data or on a database of the bench's
own, the times of a call, a measurement recorded for `bench/results.json`, and a user of an
organisation with one role."""

import json
import os
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


def sampled(function, rounds: int, *, warm: bool = False) -> list[float]:
    """Seconds of each of `rounds` calls (after one call to warm the caches, with `warm`)."""
    if warm:
        function()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


def timed(function, rounds: int, *, warm: bool = False) -> float:
    """Median seconds of one call (after one call to warm the caches, with `warm`)."""
    return statistics.median(sampled(function, rounds, warm=warm))


def _figures(value) -> dict:
    samples = value if isinstance(value, list) else [value]
    return {
        "median_ms": round(statistics.median(samples) * 1000, 2),
        "min_ms": round(min(samples) * 1000, 2),
        "max_ms": round(max(samples) * 1000, 2),
        "runs": len(samples),
    }


def record(group: str, case: str, ours, raw=None, *, target: float | None = None, **extra) -> tuple:
    """One case for `make bench`'s table and bench/results.json (the file named by BENCH_RESULTS, one
    JSON line a case): our times and the raw SQL's (seconds: one or a list of runs), the ratio of
    the medians and the target it must not exceed; `extra` holds other figures (memory, rows/s).
    Answers the two medians in seconds (None for no raw), for the bench's own table."""
    line = {"scale": os.environ.get("BENCH_SCALE", ""), "group": group, "case": case, "ours": _figures(ours)}
    if raw is not None:
        line["raw"] = _figures(raw)
        line["ratio"] = round(line["ours"]["median_ms"] / max(line["raw"]["median_ms"], 0.001), 3)
    # The targets are for the national scale of data (`large`); smaller scales show how costs grow.
    if target is not None and line["scale"] in ("", "large"):
        line["target"] = target
        line["holds"] = line.get("ratio", line["ours"]["median_ms"]) <= target
    line.update(extra)
    path = os.environ.get("BENCH_RESULTS")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps(line) + "\n")
    return line["ours"]["median_ms"] / 1000, line["raw"]["median_ms"] / 1000 if raw is not None else None


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
