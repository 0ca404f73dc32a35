import os
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker

from mineaction.celery import app as celery_app
from tests.browser.conftest import CHROMIUM, SCREENSHOTS
from tests.workers import broker  # noqa: F401  (a fixture: the tests' Redis broker, emptied)


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker, in a thread, consuming from the real Redis broker."""
    # start_worker pings through this task before it yields.
    import celery.contrib.testing.tasks  # noqa: F401

    # Tasks that earlier tests queued without a worker (their records gone, each a quick no-op) come
    # before the ping: it may wait for them.
    with start_worker(
        celery_app, pool="solo", perform_ping_check=True, ping_task_timeout=90, shutdown_timeout=10
    ) as worker:
        yield worker


# --- Reference data and personas --------------------------------------------------------

import datetime  # noqa: E402

from django.contrib.auth.models import Group, Permission  # noqa: E402
from django.core.management import call_command  # noqa: E402


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Mali's reference data, loaded once for the whole run (tests roll back their own rows)."""
    with django_db_blocker.unblock():
        call_command("load_reference_data", verbosity=0)


@pytest.fixture
def authority(db):
    from reference.models import Organisation

    return Organisation.objects.get(acronym="CNLPAL")


@pytest.fixture
def partner_a(db):
    from reference.models import Organisation

    return Organisation.objects.get(acronym="HI")


@pytest.fixture
def partner_b(db):
    from reference.models import Organisation

    return Organisation.objects.get(acronym="DRC")


@pytest.fixture
def officer(django_user_model, authority):
    """An information management officer of the authority: may read casualty identities."""
    from accounts.models import Profile

    user = django_user_model.objects.create_user("awa.officer", password="pw-officer-1", is_staff=True)
    Profile.objects.create(user=user, organisation=authority)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["reference", "hazards", "incidents", "education", "assistance", "community"]
        )
    )
    user.groups.add(Group.objects.get(name="information_management_officer"))
    return user


@pytest.fixture
def partner_user(django_user_model, partner_a):
    """A partner NGO's data manager (partner A): staff for the admin, but no right to casualty identities."""
    from accounts.models import Profile

    user = django_user_model.objects.create_user("moussa.partner", password="pw-partner-1", is_staff=True)
    Profile.objects.create(user=user, organisation=partner_a)
    user.groups.add(Group.objects.get(name="partner_data_manager"))
    return user


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache: throttle counters, and figures cached under a
    generation number another test's rolled-back records produced."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def messages_in_english():
    """Rule messages are asserted in English; pages choose their language per request."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def past():
    """A fixed day in the past: rules forbid future dates."""
    return datetime.date(2024, 3, 15)


# --- Browser tests (Debian's Chromium driven by Playwright) ----------------------------------


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the live server's database
    # access happens in its own thread, so Django's async guard does not apply here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def pytest_terminal_summary(terminalreporter):
    """Name the folder of the screenshots the browser tests wrote, for a person to look at."""
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.glob("*.png")):
        terminalreporter.write_line(f"Screenshots of the pages in Chromium: {SCREENSHOTS}")
