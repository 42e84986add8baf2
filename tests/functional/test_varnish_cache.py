"""A real Varnish (Debian's varnishd with the xkey module, ``dev/varnish/origin.vcl``) in front
of the real app under gunicorn, on a database of its own, as a CDN is in front of production.

A public page is served from Varnish's copy the second time; a change made through the app's
own pages commits, the app purges the page's surrogate keys (``ORIGIN_CACHE`` names this
Varnish), and the next visitor gets the page as it now is. Nothing here is a stand-in.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import alembic.command
import pytest
import requests
from sqlalchemy import Engine

from tests.common.databases import scratch_database_url
from tests.common.db import Session as FactorySession
from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.instant_login import start_session
from tests.common.network import free_port
from warehouse_orgs.cli.local_postgres import create_database_if_missing, drop_database
from warehouse_orgs.cli.local_varnish import VARNISHD, LocalVarnish, running_varnish
from warehouse_orgs.db import alembic_config, create_database_engine
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.paths import PROJECT_ROOT
from warehouse_orgs.sessions import SESSION_COOKIE_NAME

STARTUP_SECONDS = 60
STOP_SECONDS = 10


@dataclass
class CachedSite:
    varnish: LocalVarnish
    # The signed-in owner's session cookie and CSRF token (they are PSF staff too).
    cookie: str
    csrf_token: str
    organization_ids: dict[str, str]

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return requests.get(self.varnish.url + path, allow_redirects=False, timeout=10, **kwargs)

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        return requests.post(
            self.varnish.url + path,
            data={**data, "csrf_token": self.csrf_token},
            cookies={SESSION_COOKIE_NAME: self.cookie},
            allow_redirects=False,
            timeout=10,
        )


class _Browser:
    """What ``start_session`` needs of a browser: somewhere to put the cookie."""

    cookie = ""

    def set_cookie(self, name: str, value: str) -> None:
        self.cookie = value


def _make_world(engine: Engine) -> tuple[str, str, dict[str, str]]:
    with engine.connect() as connection:
        session = FactorySession(bind=connection)
        try:
            # Signed in by a session row, never by password: no need to pay for hashing one.
            owner = UserFactory.create(username="olive", is_superuser=True, password="unused")
            ids = {}
            for name in ("acme", "beta"):
                organization = OrganizationFactory.create(
                    name=name, display_name=name.title(), description="Tools for everyone."
                )
                OrganizationRoleFactory.create(
                    organization=organization, user=owner, role_name=OrganizationRoleType.Owner
                )
                ids[name] = str(organization.id)
            browser = _Browser()
            csrf_token = start_session(browser, session, owner)
            session.commit()
        finally:
            FactorySession.remove()
    return browser.cookie, csrf_token, ids


def _wait_until_healthy(url: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        with contextlib.suppress(requests.RequestException):
            if requests.get(url + "/_health/", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"The app did not start:\n{log_path.read_text()[-3000:]}")


@contextlib.contextmanager
def _gunicorn(port: int, env: dict[str, str], log_path: Path) -> Iterator[None]:
    command = [
        sys.executable, "-m", "gunicorn",
        "--bind", f"127.0.0.1:{port}",
        # Two processes: the purge reaches the copy whichever of them served it.
        "--workers", "2",
        # Loaded once, then forked: both workers answer sooner.
        "--preload",
        "--graceful-timeout", "2",
        "--forwarded-allow-ips", "",
        "warehouse_orgs.wsgi:application",
    ]  # fmt: skip
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command, env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_until_healthy(f"http://127.0.0.1:{port}", server, log_path)
        yield
    finally:
        # Gunicorn's quick shutdown: nothing is in flight by now.
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture(scope="module")
def cached_site(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CachedSite]:
    if not Path(VARNISHD).exists():
        pytest.fail(f"Varnish is not at {VARNISHD}: run `make varnish`")
    work = tmp_path_factory.mktemp("varnish")
    database_url = scratch_database_url(server_url, "varnish")
    drop_database(database_url)
    create_database_if_missing(database_url)
    try:
        alembic.command.upgrade(alembic_config(database_url), "head")
        engine = create_database_engine(database_url)
        try:
            cookie, csrf_token, ids = _make_world(engine)
        finally:
            engine.dispose()
        app_port = free_port()
        with running_varnish(work / "varnishd", free_port(), app_port) as varnish:
            env = {
                **os.environ,
                "WAREHOUSE_ORGS_ENV": "development",
                "DATABASE_URL": database_url,
                "SESSION_SECRET": "insecure-varnish-test",
                "TOKEN_SECRET": "insecure-varnish-test",
                "MAIL_BACKEND": f"warehouse_orgs.email.services.CapturedEmailSender path={work}",
                "REDIS_URL": "",
                "ORIGIN_CACHE": varnish.origin_cache_setting(),
            }
            with _gunicorn(app_port, env, work / "gunicorn.log"):
                yield CachedSite(varnish, cookie, csrf_token, ids)
    finally:
        drop_database(database_url)


def test_the_second_visit_is_served_by_varnish(cached_site):
    first = cached_site.get("/org/acme/")
    assert (first.status_code, first.headers["X-Cache"]) == (200, "MISS")
    second = cached_site.get("/org/acme/")
    assert (second.status_code, second.headers["X-Cache"]) == (200, "HIT")
    assert second.text == first.text
    assert int(second.headers["Age"]) >= 0
    assert "org-acme" in second.headers["Surrogate-Key"].split()


def test_a_saved_change_is_seen_by_the_next_visitor(cached_site):
    cached_site.get("/org/acme/")
    assert cached_site.get("/org/acme/").headers["X-Cache"] == "HIT"

    saved = cached_site.post(
        "/manage/organization/acme/settings/",
        {
            "display_name": "Acme",
            "link_url": "https://acme.example.com/",
            "description": "Now with rockets.",
            "orgtype": "Community",
        },
    )
    assert saved.status_code == 303, saved.text

    page = cached_site.get("/org/acme/")
    assert (page.status_code, page.headers["X-Cache"]) == (200, "MISS")
    assert "Now with rockets." in page.text
    assert "Tools for everyone." not in page.text
    assert cached_site.get("/org/acme/").headers["X-Cache"] == "HIT"


def test_a_rename_purges_the_page_under_the_old_name(cached_site):
    cached_site.get("/org/beta/")
    assert cached_site.get("/org/beta/").headers["X-Cache"] == "HIT"

    organization_id = cached_site.organization_ids["beta"]
    renamed = cached_site.post(
        f"/admin/organizations/{organization_id}/rename/",
        {"new_organization_name": "beta-tools", "confirm_organization_name": "beta"},
    )
    assert renamed.status_code == 303, renamed.text

    old = cached_site.get("/org/beta/")
    assert old.status_code == 308
    assert old.headers["Location"].endswith("/org/beta-tools/")
    new = cached_site.get("/org/beta-tools/")
    assert (new.status_code, new.headers["X-Cache"]) == (200, "MISS")


def test_a_signed_in_visitor_is_never_served_a_shared_copy(cached_site):
    cached_site.get("/org/acme/")
    page = cached_site.get("/org/acme/", cookies={SESSION_COOKIE_NAME: cached_site.cookie})
    assert (page.status_code, page.headers["X-Cache"]) == (200, "PASS")
    assert "olive" in page.text
