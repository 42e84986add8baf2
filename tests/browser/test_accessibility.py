"""axe-core in a real Chromium on every page people can reach in the demo data, as each kind of
person, at a desktop and a phone width; and on forms that failed, whose errors have markup of
their own.

The pages are found by following the links people see, from a few start pages, so a page added
later is checked without anyone listing it here. Only serious and critical violations fail the
test; each is printed with the rule, what it asks for and the elements it found. Beside axe, a
page may not be wider than the screen (reflow, which axe does not check). Downloads (the CSV and
JSON exports) are not pages and are left out.

axe-core comes from the pinned ``axe-playwright-python`` package (it bundles ``axe.min.js``).
The app's Content-Security-Policy allows no injected ``<script>``, so the file's text is
evaluated through the DevTools protocol, which the page's policy does not govern.
"""

import json
import runpy
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qsl, urldefrag, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError
from pyramid.interfaces import IRoutesMapper
from pyramid.registry import Registry

from tests.common.db.accounts import totp_code
from tests.common.sessions import make_authentication_stale
from warehouse_orgs.accounts.models import User
from warehouse_orgs.email import send_email
from warehouse_orgs.paths import PROJECT_ROOT
from warehouse_orgs.tasks import run_task

pytestmark = pytest.mark.browser

AXE_SOURCE = files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
DEMO_DATA = runpy.run_path(str(PROJECT_ROOT / "dev" / "demo_data.py"))

# A desktop and a phone (an iPhone 12 to 15 is 390 CSS pixels wide).
WIDTHS = (1280, 390)
HEIGHT = 900
FAILING_IMPACTS = {"serious", "critical"}
START_PATHS = (
    "/",
    "/manage/organizations/",
    "/manage/account/",
    "/manage/projects/",
    "/admin/",
)
# The crawl's bounds. Pages that differ only in which row they show (the fifth application,
# the third page of a list) have the same markup, so a few of each route and set of query
# parameters are enough; the overall cap keeps a runaway link (a calendar, say) from hanging
# the suite.
PER_KIND = 3
MAX_PAGES = 120
# Pages whose whole job would be lost by visiting them in a crawl. Logging out is a POST form
# (never a link), so nothing is listed here today; add a route name with the reason if a GET
# link ever ends a session or spends a token.
SKIP_ROUTES: frozenset[str] = frozenset()
# Pages the demo data is built to show, which a crawl of links could quietly stop reaching (a
# link moved, the per-kind bound met first): carol, the Owner of legacy-tools, objecting to its
# pending handover; demo-community's verified-domain badge on its page and in the directory.
MUST_REACH: dict[str, tuple[str, ...]] = {
    "anonymous": ("/org/demo-community/", "/organizations/"),
    "carol": ("/manage/organization/legacy-tools/handover/",),
    "alice": ("/manage/organization/two-key-tools/owner-changes/",),
}


@dataclass
class Finding:
    url: str
    width: int
    violations: list[dict[str, Any]]


@dataclass
class CrawlReport:
    person: str
    pages: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    unvisited: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def failure_text(who: str, findings: list[Finding]) -> str:
    """Each problem once, with the pages and widths it was found at, so a header problem on
    every page reads as one problem."""
    where: dict[tuple[str, str, str, str], list[str]] = {}
    details: dict[tuple[str, str, str, str], str] = {}
    for finding in findings:
        for violation in finding.violations:
            for node in violation["nodes"]:
                target = " ".join(json.dumps(part) for part in node["target"])
                key = (violation["impact"], violation["id"], violation["help"], target)
                where.setdefault(key, []).append(f"{finding.url} at {finding.width}px")
                details[key] = (
                    violation.get("helpUrl", "")
                    + "\n      "
                    + " ".join((node.get("failureSummary") or "").split())
                )
    lines = [f"axe found serious or critical problems as {who}:"]
    for key, pages in where.items():
        impact, rule, help_text, target = key
        lines.append(f"\n[{impact}] {rule}: {help_text}\n  at {target}\n      {details[key]}")
        lines.extend(f"    on {page}" for page in pages[:8])
        if len(pages) > 8:
            lines.append(f"    and on {len(pages) - 8} more")
    return "\n".join(lines)


def run_axe(page: Page) -> list[dict[str, Any]]:
    """The serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    results = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, failureSummary: n.failureSummary})),
            }));
        }"""
    )
    return [violation for violation in results if violation["impact"] in FAILING_IMPACTS]


# axe has no rule for reflow (WCAG 1.4.10): a page wider than the screen makes people scroll
# sideways to read every line. This names the outermost elements that stick out, leaving out
# what sits inside a scrolling box (a wide table scrolling in its panel is the design).
WIDER_THAN_SCREEN = """() => {
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= width) return [];
    const clipped = element => {
        for (let box = element.parentElement; box; box = box.parentElement) {
            if (getComputedStyle(box).overflowX !== "visible") return true;
        }
        return false;
    };
    const wide = [...document.body.querySelectorAll("*")].filter(
        element => element.getBoundingClientRect().right > width + 1 && !clipped(element));
    // Something placed absolutely can stick out of a scrolling box it sits in (its containing
    // block is outside it) and still widen the page; then the page itself is named.
    if (!wide.length) return [["html"]];
    return wide.filter(element => !wide.includes(element.parentElement)).slice(0, 5).map(
        element => [element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
            + [...element.classList].map(name => "." + name).join("")]);
}"""


def reflow_violations(page: Page) -> list[dict[str, Any]]:
    targets = page.evaluate(WIDER_THAN_SCREEN)
    if not targets:
        return []
    return [
        {
            "id": "page-wider-than-screen",
            "impact": "serious",
            "help": "Content must fit the screen's width without scrolling sideways (reflow)",
            "helpUrl": "https://www.w3.org/WAI/WCAG22/Understanding/reflow.html",
            "nodes": [{"target": target, "failureSummary": ""} for target in targets],
        }
    ]


def check_page(page: Page) -> list[Finding]:
    """axe (and the reflow check) at each width, on the page already loaded, without loading
    it again."""
    findings = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        violations = run_axe(page) + reflow_violations(page)
        if violations:
            findings.append(Finding(page.url, width, violations))
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
    return findings


def load_demo_data(registry: Registry) -> None:
    """What `make serve` builds, in this test's transaction (rolled back afterwards), and one
    captured message, so the development mail pages show a list and a message as they do
    once anyone has done anything."""
    run_task(registry, DEMO_DATA["build_demo_data"], (), {})
    run_task(registry, send_email, ("mail-check", "alice@example.com"), {})


def log_in(page: Page, base_url: str, user: User) -> None:
    """Through the real forms, as the person would."""
    page.goto(base_url + "/account/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(DEMO_DATA["DEMO_PASSWORD"])
    page.get_by_role("button", name="Log in").click()
    if user.totp_secret is not None:
        page.get_by_label("Authentication code").fill(totp_code(user))
        page.get_by_role("button", name="Verify").click()
    account = page.locator(".site-header__account")
    expect(account.get_by_role("link", name=user.username)).to_be_visible()


class Crawler:
    """Breadth first over same-origin links, bounded by route and query parameters."""

    def __init__(self, base_url: str, registry: Registry) -> None:
        self.base_url = base_url
        self.origin = urlsplit(base_url)
        self.mapper = registry.getUtility(IRoutesMapper)

    def route_name(self, path: str) -> str | None:
        for route in self.mapper.get_routes():
            if route.match(path) is not None:
                return route.name
        return None

    def normalise(self, href: str) -> str | None:
        url, _fragment = urldefrag(href)
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != (self.origin.scheme, self.origin.netloc):
            return None
        if parts.path.startswith("/static/"):
            return None
        return url

    def kind(self, url: str) -> tuple[str, tuple[str, ...]] | None:
        parts = urlsplit(url)
        name = self.route_name(parts.path)
        if name is None or name in SKIP_ROUTES:
            return None
        return name, tuple(sorted({key for key, _ in parse_qsl(parts.query)}))

    def crawl(self, page: Page, report: CrawlReport) -> None:
        queue: deque[str] = deque(self.base_url + path for path in START_PATHS)
        seen: set[str] = set(queue)
        per_kind: dict[tuple[str, tuple[str, ...]], int] = {}
        while queue:
            url = queue.popleft()
            kind = self.kind(url)
            if kind is None:
                continue
            if per_kind.get(kind, 0) >= PER_KIND:
                continue
            if len(report.pages) >= MAX_PAGES:
                report.unvisited.append(url)
                continue
            per_kind[kind] = per_kind.get(kind, 0) + 1
            try:
                response = page.goto(url)
            except PlaywrightError as error:
                # A CSV export is a file to save, not a page to read.
                if "Download is starting" not in error.message:
                    raise
                report.skipped[url] = "a download"
                continue
            assert response is not None
            content_type = response.headers.get("content-type", "")
            if not content_type.startswith("text/html"):
                report.skipped[url] = content_type
                continue
            # A captured email's own HTML (/_dev/mail/<id>/html) is sandboxed so that no script
            # runs in it, axe's included (evaluating would wait for ever); it is an email, not a
            # page of the site, and its frame on the message page is checked with that page.
            policy = response.headers.get("content-security-policy", "")
            if "sandbox" in policy and "allow-scripts" not in policy:
                report.skipped[url] = "sandboxed: runs no script"
                continue
            # A redirect (to log in, say) lands on a page visited on its own account.
            if page.url != url and page.url in seen:
                continue
            seen.add(page.url)
            report.pages.append(page.url)
            report.statuses[page.url] = response.status
            report.findings.extend(check_page(page))
            for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
                link = self.normalise(href)
                if link is not None and link not in seen:
                    seen.add(link)
                    queue.append(link)


@pytest.fixture
def demo_world(app_registry: Registry, db_session) -> dict[str, User]:
    load_demo_data(app_registry)
    db_session.expire_all()
    users = db_session.query(User).filter(User.username.in_(DEMO_DATA["DEMO_USERS"])).all()
    return {user.username: user for user in users}


@pytest.fixture
def person_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": HEIGHT})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


PEOPLE = ("anonymous", "alice", "bob", "carol", "support", "admin")


@pytest.mark.parametrize("person", PEOPLE)
def test_every_reachable_page_passes_axe(
    person: str, person_page: Page, live_server: str, app_registry, demo_world
):
    if person != "anonymous":
        log_in(person_page, live_server, demo_world[person])
    report = CrawlReport(person)
    Crawler(live_server, app_registry).crawl(person_page, report)

    # The crawl's reach, for anyone who runs this with -s.
    print(f"\n{person}: {len(report.pages)} pages")  # noqa: T201
    for url in report.pages:
        print(f"  {report.statuses[url]} {url}")  # noqa: T201
    for url, why in report.skipped.items():
        print(f"  skipped {url}: {why}")  # noqa: T201
    server_errors = [url for url, status in report.statuses.items() if status >= 500]
    assert not server_errors, f"pages that answered 5xx as {person}: {server_errors}"
    # Everyone reaches more than the start pages, or the crawl is not crawling.
    assert len(report.pages) > len(START_PATHS)
    assert not report.unvisited, (
        f"the crawl stopped at {MAX_PAGES} pages with links left: {report.unvisited[:10]}; "
        "raise MAX_PAGES if the site grew, or find the link that makes endless pages"
    )
    missed = [path for path in MUST_REACH.get(person, ()) if live_server + path not in report.pages]
    assert not missed, f"the crawl as {person} did not reach {missed}"
    if report.findings:
        pytest.fail(failure_text(person, report.findings), pytrace=False)


# Forms sent empty (or with a wrong password): the error summary, the messages beside the
# fields and aria-invalid are markup no page shows until something fails.
FAILED_FORMS = {
    "anonymous": (
        ("/account/login/", "#login-form"),
        ("/account/register/", "#register-form"),
        ("/account/request-password-reset/", "#request-password-reset-form"),
    ),
    "alice": (
        ("/manage/organizations/", "#apply-form"),
        ("/manage/organization/demo-community/people/", "#invite-member-form"),
        ("/manage/account/", "#change-password-form"),
        ("/manage/projects/", "#create-project-form"),
    ),
}


def log_in_checking_each_step(page: Page, base_url: str, user: User) -> list[Finding]:
    """The login journey, with axe on the two-factor step before and after a wrong code
    (pages a crawl of links never reaches)."""
    page.goto(base_url + "/account/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(DEMO_DATA["DEMO_PASSWORD"])
    page.get_by_role("button", name="Log in").click()
    code = page.get_by_label("Authentication code")
    findings = check_page(page)
    wrong = f"{(int(totp_code(user)) + 1) % 1_000_000:06d}"
    code.fill(wrong)
    page.get_by_role("button", name="Verify").click()
    expect(code).to_have_attribute("aria-invalid", "true")
    findings += check_page(page)
    code.fill(totp_code(user))
    page.get_by_role("button", name="Verify").click()
    account = page.locator(".site-header__account")
    expect(account.get_by_role("link", name=user.username)).to_be_visible()
    return findings


@pytest.mark.parametrize("person", FAILED_FORMS)
def test_failed_forms_pass_axe(person: str, person_page: Page, live_server: str, demo_world):
    page = person_page
    findings = []
    if person != "anonymous":
        findings += log_in_checking_each_step(page, live_server, demo_world[person])
    for path, form in FAILED_FORMS[person]:
        page.goto(live_server + path)
        page.locator(f"{form} [type=submit]").last.click()
        page.wait_for_load_state()
        # Proof that this is the failed form, not the page as it first was.
        expect(page.locator(f'{form} [aria-invalid="true"]').first).to_be_visible()
        findings += check_page(page)
    if findings:
        pytest.fail(failure_text(f"{person}, after failed forms", findings), pytrace=False)


# 640 CSS pixels is how a 1280-pixel window lays out at 200% zoom.
HEADER_WIDTHS = (320, 390, 640, 1280)
HEADER_LINKS = """() => {
    const header = document.querySelector(".site-header").getBoundingClientRect();
    return [...document.querySelectorAll(".site-header a, .site-header button")].map(link => {
        const box = link.getBoundingClientRect();
        return {
            name: link.textContent.trim(),
            inside: box.width > 0 && box.left >= header.left && box.right <= header.right
                && box.top >= header.top && box.bottom <= header.bottom
                && box.right <= document.documentElement.clientWidth,
        };
    });
}"""


def test_the_header_keeps_every_link_on_it_at_any_width(
    person_page: Page, live_server: str, demo_world
):
    """The staff header has the most links: on a phone, at 200% zoom and on a desktop each one
    stays on the dark header, on screen, and shows where the keyboard is."""
    page = person_page
    log_in(page, live_server, demo_world["admin"])
    expected = {"Home", "Account", "Your projects", "Organizations", "Admin", "admin", "Log out"}
    for width in HEADER_WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        page.goto(live_server + "/manage/organizations/")
        links = page.evaluate(HEADER_LINKS)
        assert expected <= {link["name"] for link in links}
        outside = [link["name"] for link in links if not link["inside"]]
        assert not outside, f"at {width}px these fall off the header: {outside}"

        admin = page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")
        for _ in range(12):
            page.keyboard.press("Tab")
            if admin.evaluate("link => link === document.activeElement"):
                break
        outline = admin.evaluate(
            "link => [getComputedStyle(link).outlineStyle, getComputedStyle(link).outlineWidth]"
        )
        assert outline == ["solid", "3px"], f"at {width}px the focused link shows {outline}"


def test_steps_a_crawl_cannot_reach_pass_axe(
    person_page: Page, live_server: str, demo_world, db_session
):
    """States behind a step: the recovery-code page (and its refusal), a removal's confirmation
    open and then refused, the password step an idle owner meets, and a staff decision sent
    without a choice."""
    page = person_page
    findings: list[Finding] = []
    alice = demo_world["alice"]

    page.goto(live_server + "/account/login/")
    page.get_by_label("Username").fill(alice.username)
    page.get_by_label("Password").fill(DEMO_DATA["DEMO_PASSWORD"])
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Use a recovery code").click()
    findings += check_page(page)
    page.get_by_role("button", name="Verify").click()
    expect(page.locator('[aria-invalid="true"]').first).to_be_visible()
    findings += check_page(page)
    page.goto(live_server + "/account/two-factor/")
    page.get_by_label("Authentication code").fill(totp_code(alice))
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".site-header__account").get_by_role("link", name="alice")).to_be_visible()

    # alice owns demo-community: open carol's removal, then send a wrong name.
    page.goto(live_server + "/manage/organization/demo-community/people/")
    removal = page.locator("details", has_text="carol loses")
    removal.locator("summary").click()
    findings += check_page(page)
    removal.get_by_label("Their username").fill("not-carol")
    removal.get_by_role("button", name="Remove carol").click()
    expect(page.locator("#error-summary")).to_be_focused()
    findings += check_page(page)

    # The password step, met by an owner idle for an hour.
    make_authentication_stale(db_session)
    page.goto(live_server + "/manage/organization/demo-community/people/")
    page.get_by_label("Username or email address", exact=True).fill("newbie")
    page.get_by_label("Role", exact=True).select_option("Member")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your password")
    findings += check_page(page)

    if findings:
        pytest.fail(failure_text("alice, behind a step", findings), pytrace=False)


def test_a_refused_staff_decision_passes_axe(person_page: Page, live_server: str, demo_world):
    page = person_page
    log_in(page, live_server, demo_world["support"])
    page.goto(live_server + "/admin/organization_applications/")
    page.locator("#applications-table tbody a").first.click()
    page.locator("#decision-form [type=submit]").last.click()
    expect(page.locator("#error-summary")).to_be_focused()
    findings = check_page(page)
    if findings:
        pytest.fail(failure_text("support, refused decision", findings), pytrace=False)
