"""Every page runs at most eight SQL statements, and the same number with one row behind it as
with ten thousand (issue 12).

The pages are the application's real GET routes (tests/common/app_routes.py), so a new page
is held to the budget the day it is added; who may see each page and the URL to ask come from
the permission matrix's table (tests/functional/test_permission_matrix.py), so a route without
an entry there fails here too. Each page is asked by a principal who may see it, in the world
of tests/common/permission_world.py, first as it is built (a handful of rows), then after
tests/common/large_world.py has grown it to ten thousand members, invitations, projects,
events, applications, sponsors and inquiries. The statements counted are the ones the request
sends to PostgreSQL (tests/common/query_recorder.py), without the savepoints of the test's
transaction.

Building the large world and asking every page twice takes a while, so it is done once per
run: the first xdist worker to need the answers works them out under a lock and leaves them in
the run's shared temporary directory, and the others read them there; each test then reads its
page's two answers.
"""

import dataclasses
import fcntl
import json
import os
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pyramid.config import Configurator
from pyramid.router import Router
from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker

from tests.common.app_routes import production_routes
from tests.common.db import Session as FactorySession
from tests.common.instant_login import start_session
from tests.common.large_world import ROWS, grow
from tests.common.permission_world import PRINCIPALS, Principal, World
from tests.common.query_recorder import QueryRecorder
from tests.conftest import RecordingTestApp
from tests.functional.test_permission_matrix import (
    OUT_OF_SCOPE,
    ROUTES,
    Outcome,
    expected_outcome,
    route_path,
)
from warehouse_orgs.organizations.models import OrganizationType
from warehouse_orgs.sponsors.footer import FOOTER_CACHE_KEY

BUDGET = 8

# Who asks, among those who may see a page: a visitor where anyone may (what the CDN's misses
# cost), else the person who sees the most of it.
ASKERS = ["anonymous", "company-owner", "non-member", "admins", "psf_staff"]
ORDERED_PRINCIPALS = sorted(
    PRINCIPALS,
    key=lambda p: ASKERS.index(p.label) if p.label in ASKERS else len(ASKERS),
)
# Whose own lists grow: the account most pages are asked as (the staff's user page is about
# the world's other_user, grown too).
GROWN_PEOPLE = ("company-owner",)

GET_ROUTES = sorted(
    route.name
    for route in production_routes()
    if route.answers_get and route.name not in OUT_OF_SCOPE
)


@dataclass(frozen=True)
class Answer:
    principal: str
    path: str
    status: int
    statements: list[str]
    body_size: int
    # The 4xx this page rightly answers with (the webhook's 405 to a browser), if any.
    allowed_status: int | None = None

    @property
    def count(self) -> int:
        return len(self.statements)

    def listing(self) -> str:
        return "\n".join(f"  {n}. {' '.join(s.split())[:240]}" for n, s in enumerate(self, 1))

    def __iter__(self) -> Iterator[str]:
        return iter(self.statements)


def asker(name: str) -> Principal:
    """The first principal (in ``ASKERS``' order) the matrix says may see the page."""
    route = ROUTES[name]
    need = route.get if route.back_to is None else ROUTES[route.back_to].get
    return next(p for p in ORDERED_PRINCIPALS if expected_outcome(p, need) is Outcome.ALLOWED)


def ask(app: RecordingTestApp, world: World, config: Configurator, name: str) -> Answer:
    principal = asker(name)
    app.reset()
    with world.seat(principal) as seat:
        path = route_path(config, name, seat)
        visit = ROUTES[name].get_visit(seat)
        if seat.user is not None or visit.session:
            start_session(app, world.db, seat.user, **visit.session)
        if visit.params:
            path = f"{path}?{urllib.parse.urlencode(visit.params)}"
        response = app.get(path, expect_errors=True)
        return Answer(
            principal.label,
            path,
            response.status_int,
            response.sql_statements,
            len(response.body),
            visit.allowed_status,
        )


@pytest.fixture(scope="module")
def answers(
    engine: Engine, app_config: Configurator, wsgi_app: Router, tmp_path_factory: Any
) -> dict[str, tuple[Answer, Answer]]:
    """Every page's answer on the small world and on the large one, worked out once per run
    (the base temporary directory's parent is shared by the xdist workers)."""
    shared = tmp_path_factory.getbasetemp()
    # Without xdist the base directory is the run's own; its parent holds every run's, and
    # answers left there would be read by the next run, whatever the code then is.
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    stored = shared / "statement-budget-answers.json"
    with (shared / "statement-budget.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stored.exists():
            found = measure(engine, app_config, wsgi_app, tmp_path_factory)
            stored.write_text(
                json.dumps(
                    {name: [dataclasses.asdict(a) for a in pair] for name, pair in found.items()}
                )
            )
    return {
        name: (Answer(**small), Answer(**large))
        for name, (small, large) in json.loads(stored.read_text()).items()
    }


def measure(
    engine: Engine, app_config: Configurator, wsgi_app: Router, tmp_path_factory: Any
) -> dict[str, tuple[Answer, Answer]]:
    registry = app_config.registry
    saved = registry.get("sqlalchemy.sessionmaker")
    names = [name for name in GET_ROUTES if name in ROUTES]
    with engine.connect() as connection:
        transaction = connection.begin()
        db = FactorySession(bind=connection, join_transaction_mode="create_savepoint")
        recorder = QueryRecorder(connection)
        try:
            registry["sqlalchemy.sessionmaker"] = sessionmaker(
                bind=connection, join_transaction_mode="create_savepoint"
            )
            registry.settings["mail.path"] = str(tmp_path_factory.mktemp("budget-mail"))
            registry[FOOTER_CACHE_KEY].prime([])
            app = RecordingTestApp(wsgi_app, recorder, extra_environ={"REMOTE_ADDR": "192.0.2.10"})
            world = World(db, registry.settings)
            small = {name: ask(app, world, app_config, name) for name in names}
            people = [*(world.users[label] for label in GROWN_PEOPLE), world.other_user]
            grow(connection, world, people, ROWS)
            # The large world is large: the pages below are asked about ten thousand members.
            members = connection.scalar(
                text("SELECT count(*) FROM organization_roles WHERE organization_id = :id"),
                {"id": world.organizations[OrganizationType.Company].id},
            )
            assert members > ROWS
            db.expire_all()
            large = {name: ask(app, world, app_config, name) for name in names}
        finally:
            recorder.close()
            FactorySession.remove()
            transaction.rollback()
            registry["sqlalchemy.sessionmaker"] = saved
    return {name: (small[name], large[name]) for name in names}


def test_every_page_is_asked():
    """Pages are found in the application's route table; the permission matrix must say who
    may see each (its own test fails for a route it lacks, and so does this one)."""
    assert GET_ROUTES
    missing = [name for name in GET_ROUTES if name not in ROUTES]
    assert not missing, f"GET routes with no entry in the permission matrix: {missing}"


@pytest.mark.parametrize(
    "name",
    [name for name in GET_ROUTES],
)
def test_page_statement_budget(answers, name):
    assert name in answers, f"{name} has no entry in the permission matrix's ROUTES"
    small, large = answers[name]
    for answer in (small, large):
        assert answer.status < 400 or answer.status == answer.allowed_status, (
            f"{answer.principal}: GET {answer.path} answered {answer.status}"
        )
    assert small.count <= BUDGET, (
        f"{small.principal}: GET {small.path} sent {small.count} statements "
        f"(budget {BUDGET}):\n{small.listing()}"
    )
    assert large.count == small.count, (
        f"{large.principal}: GET {large.path} sent {small.count} statements on the small world "
        f"and {large.count} with {ROWS} rows of each kind behind it:\n{large.listing()}"
    )
