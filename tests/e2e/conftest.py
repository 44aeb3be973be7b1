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


# axe-core impacts that fail a test; "moderate" and "minor" ones are left to review,
# except a page without a main heading (every page has its h1).
FAILING_IMPACTS = ["serious", "critical"]
FAILING_RULES = ["page-has-heading-one"]
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    # Experimental in axe-core, but a visible label missing from the accessible name
    # (a reaction "✊ 1" named "Solidarity") is what screen-reader users hear.
    "rules": {"label-content-name-mismatch": {"enabled": True}},
}
# Injected into every page of a test's contexts: after each load (and after each htmx
# swap) the page runs axe-core itself and reports what fails to the test through a
# binding, so no navigation of the test can race a check run from Python.
AXE_IN_PAGE = """
if (window.top === window) {
  const options = %(options)s, impacts = %(impacts)s, rules = %(rules)s;
  const report = () => {
    const previous = window.__axeRun || Promise.resolve();
    window.__axeRun = previous.then(() => axe.run(document, options)).then(
      (results) => window.__axeReport({
        url: location.href,
        width: window.innerWidth,
        violations: results.violations
          .filter((v) => impacts.includes(v.impact) || rules.includes(v.id))
          .map((v) => ({id: v.id, impact: v.impact,
                        nodes: v.nodes.slice(0, 3).map((n) => n.html.slice(0, 160))})),
      }),
      () => null,
    );
    return window.__axeRun;
  };
  window.__axeCheck = report;
  window.addEventListener("load", report);
  document.addEventListener("htmx:afterSettle", () => setTimeout(report, 0));
}
"""

# Resolves once the check started by the page's load has reported.
AXE_WAIT = """() => new Promise((done) => {
  const wait = () =>
    window.__axeRun ? window.__axeRun.then(done) : setTimeout(wait, 10);
  wait();
})"""


def _axe_script() -> str:
    import json

    from axe_playwright_python.base import AXE_SCRIPT

    return (
        AXE_SCRIPT
        + "\n"
        + AXE_IN_PAGE
        % {
            "options": json.dumps(AXE_OPTIONS),
            "impacts": json.dumps(FAILING_IMPACTS),
            "rules": json.dumps(FAILING_RULES),
        }
    )


class A11yWatch:
    """Collects what axe-core finds on every page of the contexts it watches (after
    each load and htmx swap, and once more on each page's last state at the end)."""

    def __init__(self):
        self.problems: list[str] = []
        self.checked: list[tuple[str, int]] = []
        self.pages = []

    def watch(self, context) -> None:
        context.expose_binding(
            "__axeReport", lambda _source, report: self.record(report)
        )
        context.add_init_script(_axe_script())
        context.on("page", lambda page: self.pages.append(page))

    def record(self, report: dict) -> None:
        self.checked.append((report["url"], report["width"]))
        for violation in report["violations"]:
            line = (
                f"{report['url']} [{report['width']}px] {violation['id']} "
                f"({violation['impact']}): " + " | ".join(violation["nodes"])
            )
            if line not in self.problems:
                self.problems.append(line)

    def follow(self, page) -> None:
        """Make each `page.goto` return once axe-core has checked the page it loaded
        (a test's next step would otherwise navigate away during the check)."""
        goto = page.goto

        def goto_and_check(*args, **kwargs):
            response = goto(*args, **kwargs)
            page.evaluate(AXE_WAIT)
            return response

        page.goto = goto_and_check

    def check(self, page) -> None:
        """Check the page as it is now (after a change that is not a load)."""
        page.evaluate("() => window.__axeCheck && window.__axeCheck()")

    def finish(self) -> None:
        for page in self.pages:
            if not page.is_closed() and page.url.startswith("http"):
                try:
                    self.check(page)
                except Exception as error:  # noqa: BLE001 - a page mid-navigation
                    if "context was destroyed" not in str(error):
                        raise


@pytest.fixture
def a11y():
    """Every page opened by `new_page` is checked by axe-core after each navigation;
    the test fails at its end on any serious or critical violation."""
    watch = A11yWatch()
    yield watch
    assert not watch.problems, "axe-core violations:\n" + "\n".join(watch.problems)


@pytest.fixture
def new_page(browser, a11y):
    """new_page(phone=False) opens a page in a fresh context (its own cookies)."""
    contexts = []

    def open_page(phone: bool = False, locale: str = "fr-FR"):
        viewport = (
            {"width": 360, "height": 740} if phone else {"width": 1280, "height": 900}
        )
        context = browser.new_context(viewport=viewport, locale=locale)
        context.set_default_timeout(10_000)
        # A first page (templates, a cold server) can take long on a busy 2-core box.
        context.set_default_navigation_timeout(30_000)
        a11y.watch(context)
        contexts.append(context)
        page = context.new_page()
        a11y.follow(page)
        return page

    yield open_page
    a11y.finish()
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
