from tests.browser.conftest import browser, page, screenshot  # noqa: F401
