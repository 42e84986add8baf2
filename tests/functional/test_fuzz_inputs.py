"""Hostile input against every page and every form the app has: never a 5xx, and a refused
request changes nothing.

Nothing here lists the forms. Each GET route comes from Pyramid's introspector; its URL is
filled in with rows made for the purpose; it is opened as the first of anonymous, an Owner of a
Company organization, a staff admin, a user yet to set up two-factor authentication and one
half-way through logging in who gets a page; and every ``<form>`` inside that page's ``<main>``
is read from its HTML. Hypothesis then sends each form back with its fields kept, changed,
dropped or repeated, with fields it never had, as urlencoded or multipart bodies (text with NUL
and control characters, bytes that are not UTF-8, 100 kB values, numbers and uploaded files
where text is expected), always with the valid CSRF token so the request reaches the view. The
page itself is requested with every query parameter the views read, and with its path segments
replaced by the same values.

Each example runs in a savepoint that is rolled back, and the cookies its answer sets are not
kept, so an accepted form does not change what the next example sees.
"""

import dataclasses
import datetime
import email.message
import email.utils
import inspect
import logging
import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_from_bytes, urlsplit

import pytest
import webob
import webtest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pyramid.interfaces import IRoutesMapper
from sqlalchemy import Connection, text

from tests.common.app_routes import AppRoute, app_routes, production_routes
from tests.common.concurrency import service_request
from tests.common.db.accounts import PASSWORD, EmailFactory, UserFactory
from tests.common.db.domains import OrganizationDomainFactory
from tests.common.db.organizations import (
    OrganizationApplicationFactory,
    OrganizationFactory,
    OrganizationInvitationFactory,
    OrganizationRoleFactory,
    TeamFactory,
    TeamProjectRoleFactory,
    TeamRoleFactory,
)
from tests.common.db.packaging import ProjectFactory, RoleFactory
from tests.common.db.sponsors import SponsorFactory, SponsorInquiryFactory, SponsorLevelFactory
from tests.common.db.subscriptions import (
    ManualActivationFactory,
    mirror_subscription,
    pay_at_local_stripe,
)
from tests.common.hostile_input import (
    BODY_KINDS,
    Body,
    Fields,
    Value,
    encoded_body,
    hostile_value,
    mutated_pairs,
    query_string,
)
from tests.common.html_forms import HtmlForm, page_forms
from tests.common.sessions import log_in
from tests.common.table_snapshots import TableSnapshot, table_snapshot
from warehouse_orgs import pagination
from warehouse_orgs.accounts.models import User
from warehouse_orgs.accounts.services import PASSWORD_RESET_ACTION, TokenService, password_state
from warehouse_orgs.accounts.views import EMAIL_VERIFY_ACTION
from warehouse_orgs.email.services import CapturedEmailSender
from warehouse_orgs.organizations.models import (
    OrganizationApplicationStatus,
    OrganizationHandover,
    OrganizationProject,
)
from warehouse_orgs.organizations.owner_approval_models import (
    OrganizationOwnerChange,
    OwnerChangeKind,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.packaging.models import ProjectRoleName
from warehouse_orgs.paths import PROJECT_ROOT
from warehouse_orgs.subscriptions.products import sync_products

CSRF_FIELD = "csrf_token"
REMOTE_ADDR = "192.0.2.10"
PRINCIPALS = ("anonymous", "owner", "admin", "without-two-factor", "half-logged-in")
FUZZ = settings(
    # Per form and kind of body (or query string): about 16 requests per form in all.
    max_examples=4,
    deadline=None,
    derandomize=True,
    database=None,
    # Shrinking a failure can take minutes of requests; the failure message already names the
    # request, its fields and the server's traceback.
    phases=[Phase.explicit, Phase.generate],
    report_multiple_bugs=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# Addresses no page links to or offers a form for, and why; each has hostile-input tests of
# its own.
NOT_A_PAGE: dict[str, str] = {
    "billing.webhook": "the payment provider posts signed JSON to it; a GET answers 405 "
    "(tests/functional/test_billing_webhook.py sends both hostile input)",
}
GET_ROUTES = [
    route for route in production_routes() if route.answers_get and route.name not in NOT_A_PAGE
]


def query_parameters_read_by_views() -> list[str]:
    """Every name the code reads from a query string or ``request.params``: a parameter a
    view starts reading is fuzzed without this test being told."""
    read = re.compile(r"request\.(?:GET|params)(?:\.(?:get|getall|getone)\(|\[)\s*[\"'](\w+)[\"']")
    names = {
        name
        for path in (PROJECT_ROOT / "warehouse_orgs").rglob("*.py")
        for name in read.findall(path.read_text())
    }
    # Pagination reads its parameter under a name its callers may choose.
    names.add(inspect.signature(pagination.page_number).parameters["parameter"].default)
    return sorted(names)


QUERY_PARAMETERS = query_parameters_read_by_views()


@dataclass
class World:
    """Rows that fill every route's placeholders, and the people who open the pages."""

    placeholders: dict[str, list[str]]
    # Rows for one route's placeholders instead of the shared ones, where its forms need a row
    # the others do not (a paying organization for "Manage billing").
    route_placeholders: dict[str, dict[str, list[str]]]
    # Pages that only show their form for a valid link.
    queries: dict[str, dict[str, str]]
    # Each principal but "anonymous", with their browser once they have signed in.
    users: dict[str, User]
    browsers: dict[str, webtest.TestApp] = field(default_factory=dict)


@pytest.fixture
def world(
    app_registry, db_session, outbox: CapturedEmailSender, app_on_local_stripe, monkeypatch
) -> World:
    owner = UserFactory.create()
    unverified = EmailFactory.create(user=owner, primary=False, verified=False)
    EmailFactory.create(user=owner, primary=False, verified=True)
    company = OrganizationFactory.create(orgtype="Company")
    community = OrganizationFactory.create()
    inviting = OrganizationFactory.create()
    # The owner is nowhere the sole Owner, so their account page offers to delete it.
    co_owner = UserFactory.create()
    for organization in (company, community):
        OrganizationRoleFactory.create(organization=organization, user=owner)
        OrganizationRoleFactory.create(organization=organization, user=co_owner)
    for role_name in (
        OrganizationRoleType.Manager,
        OrganizationRoleType.Member,
        OrganizationRoleType.BillingManager,
    ):
        OrganizationRoleFactory.create(organization=company, role_name=role_name)
    member = OrganizationRoleFactory.create(
        organization=community, role_name=OrganizationRoleType.Member
    )
    # A team of the same name in both, with someone on it to take off (and members to add).
    for organization in (company, community):
        TeamRoleFactory.create(
            team=TeamFactory.create(organization=organization, name="maintainers")
        )
    OrganizationInvitationFactory.create(organization=company)
    # A domain of the Community organization, so its settings page offers Verify and Remove.
    OrganizationDomainFactory.create(organization=community)
    # The Company organization is out of good standing, so its people page offers no "Send
    # again"; the Community one's does.
    OrganizationInvitationFactory.create(organization=community)
    invitation_token = "an-invitation-token-for-the-owner"
    OrganizationInvitationFactory.create(organization=inviting, user=owner, token=invitation_token)
    project = ProjectFactory.create()
    RoleFactory.create(project=project, user=owner)
    RoleFactory.create(project=project, user=co_owner)
    RoleFactory.create(project=project, role_name=ProjectRoleName.Maintainer)
    db_session.add(OrganizationProject(organization_id=company.id, project_id=project.id))
    # A team with a role on it, so its collaboration page offers changing and removing one.
    TeamProjectRoleFactory.create(
        team=TeamFactory.create(organization=company, name="releasers"), project=project
    )
    # Billing: the Company organization has none, so its staff page offers activating it by
    # hand; another one pays (at the local Stripe, so a staff cancellation goes through) and
    # was activated by hand too, so its staff page offers cancelling the subscription, and
    # changing and ending the manual activation.
    paying = OrganizationFactory.create(orgtype="Company")
    subscription = mirror_subscription(paying, pay_at_local_stripe(app_on_local_stripe))
    ManualActivationFactory.create(organization=paying)
    # The owner pays for it, so its Billing page offers "Manage billing"; with the prices
    # synced, the unpaid Company organization's offers activation.
    for payer in (owner, co_owner):  # the owner is not its only Owner: they may still leave
        OrganizationRoleFactory.create(organization=paying, user=payer)
    sync_products(service_request(app_registry, db_session))
    # Succession: the Community organization has a pending handover to its member, so its
    # staff page offers cancelling it and its handover page objecting; the others' staff
    # pages offer starting one.
    db_session.add(
        OrganizationHandover(
            organization_id=community.id,
            candidate_role_id=member.id,
            candidate_username=member.user.username,
            reason="The Owners have not been seen for years.",
            takes_effect_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=7),
        )
    )
    # A second Owner's approval: the Community organization requires it, and has a proposal
    # by each of its two Owners, so its owner changes page offers approving, rejecting and
    # withdrawing.
    # A third Owner, so the owner is not one of two (which would keep their account).
    community.owner_changes_need_approval = True
    OrganizationRoleFactory.create(organization=community, role_name=OrganizationRoleType.Owner)
    for proposer, subject in ((co_owner, member), (owner, None)):
        db_session.add(
            OrganizationOwnerChange(
                organization_id=community.id,
                kind=OwnerChangeKind.MakeOwner if subject else OwnerChangeKind.DeleteOrganization,
                subject=subject.user.username if subject else community.name,
                subject_key=f"role:{subject.id}" if subject else "organization",
                role_id=subject.id if subject else None,
                old_role=subject.role_name if subject else None,
                new_role=OrganizationRoleType.Owner if subject else None,
                proposed_by_id=proposer.id,
                proposed_by_username=proposer.username,
                expires_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=72),
            )
        )
    submitted = OrganizationApplicationFactory.create(submitted_by=owner)
    asked = OrganizationApplicationFactory.create(
        submitted_by=owner, status=OrganizationApplicationStatus.MoreInformationNeeded
    )
    admin = UserFactory.create(is_superuser=True)
    half_logged_in = UserFactory.create()
    without_two_factor = UserFactory.create(without_two_factor=True)
    forgetful = UserFactory.create()
    # A feed is configured, so the staff sponsor list offers "Sync now" (nothing listens on
    # port 9: a sync that did run would be refused at once and recorded).
    monkeypatch.setitem(app_registry.settings, "sponsors.feed_url", "http://127.0.0.1:9/feed")
    monkeypatch.setitem(app_registry.settings, "sponsors.feed_token", "fuzz-token")
    sponsor = SponsorFactory.create(with_white_logo=True, footer=True)
    level = SponsorLevelFactory.create()
    inquiry = SponsorInquiryFactory.create(level=level)
    db_session.flush()

    mail = email.message.EmailMessage()
    mail["Subject"], mail["To"], mail["From"] = "Hello", "someone@example.com", "noreply@example"
    mail["Date"] = email.utils.formatdate()
    mail.set_content("A captured message.")
    mail.add_alternative("<p>A captured message.</p>", subtype="html")
    outbox.send(mail)

    email_token = TokenService(app_registry.settings["token.secret"], "email", 3600).dumps(
        {"action": EMAIL_VERIFY_ACTION, "email.id": str(unverified.id), "email": unverified.email}
    )
    reset_token = TokenService(app_registry.settings["token.secret"], "password", 3600).dumps(
        {
            "action": PASSWORD_RESET_ACTION,
            "user.id": str(forgetful.id),
            "state": password_state(forgetful),
        }
    )
    return World(
        route_placeholders={
            "manage.organization.subscription": {"organization_name": [paying.name]},
        },
        placeholders={
            "project_name": [project.name],
            "organization_name": [company.name, community.name],
            "application_id": [str(submitted.id), str(asked.id)],
            "user_id": [str(owner.id)],
            "organization_id": [str(company.id), str(community.id), str(paying.id)],
            "subscription_id": [str(subscription.id)],
            "role_id": [str(member.id)],
            "team_name": ["maintainers"],
            "message_id": [message.id for message in outbox.messages()],
            "sponsor_id": [str(sponsor.id)],
            "level_id": [str(level.id)],
            "inquiry_id": [str(inquiry.id)],
        },
        queries={
            "accounts.verify_email": {"token": email_token},
            "accounts.verify_organization_role": {"token": invitation_token},
            "accounts.reset_password": {"token": reset_token},
        },
        users={
            "owner": owner,
            "admin": admin,
            "without-two-factor": without_two_factor,
            "half-logged-in": half_logged_in,
        },
    )


def browser(world: World, wsgi_app: Any, principal: str) -> webtest.TestApp:
    """The principal's browser, signed in the first time it is asked for."""
    if principal not in world.browsers:
        app = webtest.TestApp(wsgi_app, extra_environ={"REMOTE_ADDR": REMOTE_ADDR})
        user = world.users.get(principal)
        if principal == "half-logged-in":
            form = app.get("/account/login/").forms["login-form"]
            form["username"], form["password"] = user.username, PASSWORD
            form.submit(status=303)
        elif user is not None:
            log_in(app, user)
        world.browsers[principal] = app
    return world.browsers[principal]


@dataclass
class Page:
    route: AppRoute
    values: dict[str, str]
    query: dict[str, str]
    principal: str
    app: Any
    html: str

    @property
    def path(self) -> str:
        return self.route.path(
            **{name: quote(value, safe="") for name, value in self.values.items()}
        )

    @property
    def url(self) -> str:
        return self.path + ("?" + query_string(self._query_pairs()) if self.query else "")

    def _query_pairs(self) -> list[tuple[bytes, bytes]]:
        return [(name.encode(), value.encode()) for name, value in self.query.items()]


def fillings(route: AppRoute, world: World) -> list[dict[str, str]]:
    """Each way to fill the route's placeholders with the world's rows."""
    missing = [name for name in route.placeholders if name not in world.placeholders]
    assert not missing, f"{route.name}: make rows for {missing} in the world fixture"
    result: list[dict[str, str]] = [{}]
    own = world.route_placeholders.get(route.name, {})
    for name in route.placeholders:
        values = own.get(name, world.placeholders[name])
        result = [{**done, name: value} for done in result for value in values]
    return result


def open_pages(route: AppRoute, world: World, wsgi_app: Any) -> list[Page]:
    """The route's pages, each as the first principal who gets a page (200) rather than a
    redirect to log in or a refusal. An address that only sends its visitors elsewhere (a
    form's action URL opened with GET) is kept as the first principal it redirects other than
    to the login page, with no forms."""
    pages = []
    for values in fillings(route, world):
        query = world.queries.get(route.name, {})
        redirected: Page | None = None
        for principal in PRINCIPALS:
            app = browser(world, wsgi_app, principal)
            page = Page(route, values, query, principal, app, "")
            response = app.get(page.url, expect_errors=True)
            assert response.status_int < 500, f"{page.url} as {principal}: {response.status}"
            if response.status_int == 200:
                page.html = response.text
                pages.append(page)
                break
            location = urlsplit(response.location or "").path
            if 300 <= response.status_int < 400 and location != "/account/login/":
                redirected = redirected or page
        else:
            assert redirected is not None, f"{route.name}: no principal gets a page at {page.url}"
            pages.append(redirected)
    return pages


def route_of(registry: Any, path: str) -> str:
    for route in registry.getUtility(IRoutesMapper).get_routes():
        if route.match(path) is not None:
            return route.name
    return "(no route)"


def where(frame: traceback.FrameSummary) -> str:
    root = str(PROJECT_ROOT) + "/"
    return f"{frame.filename.removeprefix(root)}:{frame.lineno}"


class ServerErrors(logging.Handler):
    """The tracebacks the app logs for a 500, to show in a failure."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.tracebacks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.exc_info or record.exc_info[1] is None:
            return
        error = record.exc_info[1]
        frames = traceback.extract_tb(error.__traceback__)
        # The app's own frames say where to fix it; the library frame that raised says how.
        kept = [frame for frame in frames if "/warehouse_orgs/" in frame.filename]
        if frames and (not kept or kept[-1] is not frames[-1]):
            kept.append(frames[-1])
        lines = [f"  {where(frame)} in {frame.name}: {frame.line}" for frame in kept]
        lines.append(f"  {type(error).__name__}: {error}")
        self.tracebacks.append("\n".join(lines))


@pytest.fixture
def server_errors() -> Iterator[ServerErrors]:
    handler = ServerErrors()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


def send(app: Any, method: str, url: str, body: Body | None = None) -> webob.Response:
    """The request exactly as given, with the browser's cookies but without WebTest's own
    handling of the URL, which cannot build a request whose path is not UTF-8. Cookies the
    answer sets are not kept: each example starts from the same browser."""
    request = webob.Request.blank(url, method=method)
    request.environ["REMOTE_ADDR"] = REMOTE_ADDR
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in app.cookiejar)
    if cookies:
        request.environ["HTTP_COOKIE"] = cookies
    if body is not None:
        request.content_type = body.content_type
        request.body = body.data
    return request.get_response(app.app)


# Refusing a wrong password is meant to leave a trace: a rate-limit hit and a login-failure
# event. The visitor's session is the browser's state, not the site's; a refused form may flash
# a message into it.
REFUSAL_TRACES = frozenset({"browser_sessions", "rate_limit_hits", "user_events"})
# So that user_events still counts, but for its login failures.
USER_EVENTS_BUT_LOGIN_FAILURES = text(
    "SELECT count(*), md5(coalesce(string_agg(e::text, ',' ORDER BY e::text), '')) "
    "FROM user_events AS e WHERE e.tag <> 'account:login:failure'"
)


@dataclass(frozen=True)
class DatabaseState:
    tables: TableSnapshot
    user_events: tuple[Any, ...]


def database_state(connection: Connection) -> DatabaseState:
    return DatabaseState(
        table_snapshot(connection), tuple(connection.execute(USER_EVENTS_BUT_LOGIN_FAILURES).one())
    )


def changed_tables(before: DatabaseState, after: DatabaseState) -> list[str]:
    """The tables whose rows a request added, removed or edited, but for the traces a refusal
    is meant to leave."""
    changed = before.tables.changed_tables(after.tables, ignore=REFUSAL_TRACES)
    if before.user_events != after.user_events:
        changed.append("user_events")
    return changed


@dataclass
class Harness:
    connection: Connection
    errors: ServerErrors

    @contextmanager
    def isolated(self) -> Iterator[DatabaseState]:
        """One example: whatever the request does is undone. Yields what the database held
        before it."""
        savepoint = self.connection.begin_nested()
        self.errors.tracebacks.clear()
        try:
            yield database_state(self.connection)
        finally:
            savepoint.rollback()

    def changes(self, before: DatabaseState) -> list[str]:
        return changed_tables(before, database_state(self.connection))

    def failure(self, what: str, response: webob.Response) -> str:
        traceback = self.errors.tracebacks[-1] if self.errors.tracebacks else "(no traceback)"
        return f"{what}\nanswered {response.status}\n{traceback}"

    def get(self, app: Any, url: str, described: str) -> None:
        with self.isolated() as before:
            response = send(app, "GET", url)
            assert response.status_int < 500, self.failure(f"GET {described}", response)
            # GET never changes anything, whatever it answers.
            changed = self.changes(before)
            assert not changed, f"GET {described} changed {changed}"

    def post(self, app: Any, url: str, body: Body, described: str) -> None:
        with self.isolated() as before:
            response = send(app, "POST", url, body)
            what = f"POST {url} as {body.content_type} with {described}"
            assert response.status_int < 500, self.failure(what, response)
            if response.status_int >= 400:
                changed = self.changes(before)
                assert not changed, f"{what} was refused ({response.status}) but changed {changed}"
                # A page of the site saying what went wrong, not a stack trace.
                assert response.content_type == "text/html", self.failure(what, response)
                assert b"<main" in response.body, self.failure(what, response)
                assert b"Traceback" not in response.body, self.failure(what, response)


@pytest.fixture
def harness(db_connection, server_errors) -> Harness:
    return Harness(db_connection, server_errors)


def fuzz_query(harness: Harness, page: Page, extra_names: list[str]) -> None:
    base = [(name, value) for name, value in page.query.items()]
    names = sorted({*QUERY_PARAMETERS, *extra_names})

    def run(readable: bool) -> None:
        @FUZZ
        @given(data=st.data())
        def hostile_query(data: st.DataObject) -> None:
            pairs = data.draw(mutated_pairs(base, readable=readable), label="query")
            pairs += data.draw(
                st.lists(
                    st.tuples(st.sampled_from(names).map(str.encode), hostile_value((), readable)),
                    max_size=4,
                ).map(Fields),
                label="parameters the views read",
            )
            path = page.path
            if page.route.placeholders and data.draw(st.booleans(), label="hostile path"):
                placeholder = data.draw(st.sampled_from(page.route.placeholders))
                raw = data.draw(hostile_value((), readable).map(Value), label=placeholder)
                values = {name: quote(value, safe="") for name, value in page.values.items()}
                path = page.route.path(**{**values, placeholder: quote_from_bytes(raw, safe="")})
            url = path + "?" + query_string(pairs)
            harness.get(page.app, url, f"{path[:200]} as {page.principal} with {pairs!r}")

        hostile_query()

    # Text the views must cope with, then input that must be refused before them; apart, so
    # that neither hides the other.
    run(readable=True)
    run(readable=False)


def fuzz_form(harness: Harness, page: Page, form: HtmlForm) -> None:
    untouched = form.untouched()
    csrf = frozenset({CSRF_FIELD})

    def run(kind: str) -> None:
        @FUZZ
        @given(data=st.data())
        def hostile_post(data: st.DataObject) -> None:
            readable = kind != "unreadable"
            pairs = data.draw(
                mutated_pairs(untouched, readable=readable, keep=csrf), label="fields"
            )
            body = data.draw(
                encoded_body(kind, pairs, text_names=frozenset({CSRF_FIELD.encode()})),
                label="body",
            )
            harness.post(
                page.app, form.action, body, f"{kind} fields {pairs!r} (as {page.principal})"
            )

        hostile_post()

    # Every kind of body on every form, so that each form meets each kind of trouble.
    for kind in BODY_KINDS:
        run(kind)


def explained(failure: AssertionError) -> str:
    """The failure with Hypothesis' notes (its falsifying example)."""
    return "\n".join([str(failure), *getattr(failure, "__notes__", [])])


# The contract's path for each staff decision (ARCHITECTURE.md) takes the form of the
# application page's decision panel, which posts to decide/: each is fuzzed with that form, sent
# to its own address.
DECISION_PATHS = ("approve", "decline", "defer", "requestmoreinfo", "addnote")


def with_same_form_routes(forms: list[HtmlForm]) -> list[HtmlForm]:
    extra = []
    for form in forms:
        if form.method == "post" and form.action_path.endswith("/decide/"):
            for decision in DECISION_PATHS:
                action = form.action.replace("/decide/", f"/{decision}/")
                extra.append(dataclasses.replace(form, action=action))
    return forms + extra


@pytest.mark.parametrize("route", GET_ROUTES, ids=[route.name for route in GET_ROUTES])
def test_hostile_input_never_causes_a_server_error_and_refusals_change_nothing(
    route, world, wsgi_app, app_registry, harness
):
    """The route's address with hostile query strings and path segments, then every form on
    its pages. Each is tried, so one failure does not hide the next."""
    failures = []
    fuzzed_forms = set()
    for number, page in enumerate(open_pages(route, world, wsgi_app)):
        forms = with_same_form_routes(page_forms(page.html, page.url))
        # The query string and path do not depend on which row fills the address.
        if number == 0:
            search_fields = [
                name for form in forms if form.method == "get" for name in form.names()
            ]
            try:
                fuzz_query(harness, page, search_fields)
            except AssertionError as failure:
                failures.append(f"{page.url}: {explained(failure)}")
        for form in forms:
            key = (route_of(app_registry, form.action_path), tuple(sorted(form.names())))
            if form.method != "post" or key in fuzzed_forms:
                continue
            fuzzed_forms.add(key)
            assert CSRF_FIELD in form.names(), f"{form.action} on {page.url} has no CSRF token"
            try:
                fuzz_form(harness, page, form)
            except AssertionError as failure:
                form_name = form.form_id or form.action
                failures.append(f"{form_name} on {page.url}: {explained(failure)}")
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


def test_every_route_that_takes_a_post_has_a_form_the_fuzzing_finds(world, wsgi_app, app_registry):
    """The form tests cover a POST route only through a form on some page; a route nobody's
    page links to would escape them, so this fails until a page offers it (or the world
    fixture makes the rows that make a page offer it)."""
    posted = {
        route_of(app_registry, form.action_path)
        for route in GET_ROUTES
        for page in open_pages(route, world, wsgi_app)
        for form in with_same_form_routes(page_forms(page.html, page.url))
        if form.method == "post"
    }
    takes_posts = {route.name for route in app_routes(app_registry) if route.answers_post}
    # Test-only probe views are not part of the app.
    takes_posts &= {route.name for route in production_routes()}
    assert takes_posts - posted - set(NOT_A_PAGE) == set()


def test_the_fuzzing_knows_the_query_parameters_the_views_read():
    """A guard on the source scan itself: if it stopped matching, the query tests would
    silently send only made-up names."""
    assert {"next", "token", "q", "page", "format"} <= set(QUERY_PARAMETERS)


def test_form_discovery_reads_fields_as_a_browser_sends_them():
    html = (
        '<header><form method="post" action="/out/"><input name="csrf_token"></form></header>'
        '<main><form method="post" action="?next=/x/">'
        '<input type="hidden" name="csrf_token" value="t&amp;k">'
        '<input name="plain" value="v"><input type="checkbox" name="box" value="1">'
        '<input type="checkbox" name="ticked" value="y" checked>'
        '<textarea name="note">\nhello</textarea>'
        '<select name="choice"><option value="a">A</option><option selected>B</option></select>'
        '<button name="decline" value="1">No</button><button name="other" value="2">?</button>'
        '</form><form method="get" action="/search/"><input name="q"></form></main>'
    )
    post, search = page_forms(html, "/page/")
    assert post.action == "/page/?next=/x/"
    assert post.action_path == "/page/"
    assert post.untouched() == [
        ("csrf_token", "t&k"),
        ("plain", "v"),
        ("ticked", "y"),
        ("note", "hello"),
        ("choice", "B"),
        ("decline", "1"),
    ]
    assert (search.method, search.names()) == ("get", ["q"])


def test_the_refusal_check_sees_rows_added_and_changed_but_not_refused_logins(
    db_connection, db_session
):
    """The refusal check can fail: it sees an insert and an update in place, and leaves out
    only the trace a refused login is meant to leave."""
    empty = database_state(db_connection)
    user = UserFactory.create()
    created = database_state(db_connection)
    assert changed_tables(empty, created) == ["user_emails", "users"]
    user.name = "Someone Else"
    db_session.flush()
    renamed = database_state(db_connection)
    assert changed_tables(created, renamed) == ["users"]
    db_session.add(user.Event(source=user, tag="account:login:failure", additional={}))
    db_session.flush()
    refused_login = database_state(db_connection)
    assert changed_tables(renamed, refused_login) == []
    db_session.add(user.Event(source=user, tag="account:logout", additional={}))
    db_session.flush()
    assert changed_tables(refused_login, database_state(db_connection)) == ["user_events"]
