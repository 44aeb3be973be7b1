"""Browser tests: Playwright for Python driving Debian's chromium.

Without chromium they are skipped with the way to install it; under CI (CI=true) a
missing browser fails instead, so that a green run always means they ran."""

import os
import shutil

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
]


def chromium_path() -> str | None:
    found = os.environ.get("CHROMIUM_PATH") or next(
        (path for path in CHROMIUM_CANDIDATES if os.path.exists(path)), None
    )
    return found or shutil.which("chromium")


# Module scope: Playwright's sync API keeps an event loop running in this thread while
# it is open, which would break the async (Channels) tests collected after tests/e2e.
@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        message = (
            "Browser tests need Debian's chromium: sudo apt-get install chromium "
            "(or set CHROMIUM_PATH)."
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """new_page(phone=False) opens a page in a fresh context (its own cookies)."""
    contexts = []

    def open_page(phone: bool = False, locale: str = "fr-FR"):
        viewport = (
            {"width": 360, "height": 740} if phone else {"width": 1200, "height": 900}
        )
        context = browser.new_context(viewport=viewport, locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def login(live_server):
    """login(page, user): log in through the real form."""

    def do_login(page, user, password: str = "correct-horse-battery"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=login]", user.email)
        page.fill("input[name=password]", password)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return do_login
