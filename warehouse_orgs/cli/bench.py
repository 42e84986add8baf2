"""``warehouse-orgs dev bench`` (``make bench``): the app's pages under load, beside the floor.

It builds a scale database apart from the development one (``<database>_bench``, and a tenth
of it, ``<database>_bench_small``, to show how pages grow), serves it twice side by side under
gunicorn with 2 sync workers each, the app in production mode and the floor app
(dev/bench/floor.py: one indexed SELECT as a bare HTML page), and drives both with wrk,
alternating floor and page round by round so that both see the same machine. It prints one
table: each page's requests per second, its ratio to the floor, its p50 and p99 latency, the
statements it sends, and the same on the small database.

Statements per request are counted in this process: the same production configuration, one
request per page on the same database after a warm-up one, and a ``before_cursor_execute``
listener on the app's engine. That counts what SQLAlchemy sends; the driver's own BEGIN and
COMMIT around each transaction are round trips it does not see.
"""

import concurrent.futures
import contextlib
import dataclasses
import datetime
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import alembic.command
import click
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url

from warehouse_orgs.accounts.security_policy import AUTH_PASSWORD_DATE_KEY, AUTH_TIME_KEY
from warehouse_orgs.db import alembic_config, create_database_engine, normalize_database_url
from warehouse_orgs.devtools.scale_data import (
    ADMIN_USERNAME,
    BIG_ORGANIZATION,
    OWNER_USERNAME,
    ScaleSizes,
    application_name,
    build_scale_data,
    project_name,
    typical_organization,
)
from warehouse_orgs.paths import PROJECT_ROOT, state_dir
from warehouse_orgs.sessions import AUTH_USERID_KEY, SESSION_COOKIE_NAME, SESSION_LIFETIME
from warehouse_orgs.sessions.services import hash_key

BENCH_DIR = PROJECT_ROOT / "dev" / "bench"
WRK_SCRIPT = BENCH_DIR / "latency.lua"
# The row that says what a scale database holds, so the next run can reuse it.
MARKER_TABLE = "bench_scale"
# Where Pyramid's SessionCSRFStoragePolicy keeps the token: present from the start, so a page
# with a form does not write the session back on its first request.
CSRF_SESSION_KEY = "_csrft_"
SMALL_DIVISOR = 10
WORKERS = 2
SERVER_START_SECONDS = 60
WARM_UP_REQUESTS = 10
# Warming a slow page up stops after this long (and at least two requests).
WARM_UP_SECONDS = 5
# How long the servers get to finish what a run left queued before the next run starts.
DRAIN_SECONDS = 300


# ---------------------------------------------------------------------------------- pages


@dataclasses.dataclass(frozen=True)
class BenchPage:
    label: str
    path: str
    # "anonymous", or the bench user whose session the request carries.
    viewer: str = "anonymous"
    # Sent with the ETag of the same page's full answer, expecting 304.
    conditional: bool = False

    @property
    def expected_status(self) -> int:
        return 304 if self.conditional else 200


FLOOR_PAGE = BenchPage("floor: one indexed SELECT", f"/org/{typical_organization()}/")


def bench_pages(sizes: ScaleSizes) -> list[BenchPage]:
    """The pages measured, on any database ``build_scale_data`` made with ``sizes``. Labels
    name the kind of page, so the same page on two databases shares a row of the table."""
    typical = typical_organization()
    project = project_name(sizes.big_organization_projects + 1)
    search = application_name(max(1, sizes.pending_applications // 2))
    big = BIG_ORGANIZATION
    return [
        # Not a page: one SELECT 1 through the app's whole stack (tweens, transaction, logging),
        # so the table shows what every page pays before it does anything of its own.
        BenchPage("/_health/ (the app's stack, SELECT 1)", "/_health/"),
        BenchPage("/org/<typical>/ anonymous", f"/org/{typical}/"),
        BenchPage("/org/<big>/ anonymous", f"/org/{big}/"),
        BenchPage("/org/<typical>/ If-None-Match: 304", f"/org/{typical}/", conditional=True),
        BenchPage("/project/<typical>/ anonymous", f"/project/{project}/"),
        # The public directory: a search over every active organization, by trigram index.
        BenchPage("/organizations/?q=<typical> anonymous", f"/organizations/?q={typical}"),
        BenchPage("/manage/organizations/ owner", "/manage/organizations/", OWNER_USERNAME),
        BenchPage(
            "/manage/organization/<big>/people/ owner",
            f"/manage/organization/{big}/people/",
            OWNER_USERNAME,
        ),
        BenchPage(
            "/admin/organization_applications/?q=<name> admin",
            f"/admin/organization_applications/?q={search}",
            ADMIN_USERNAME,
        ),
    ]


def describe_pages(sizes: ScaleSizes) -> str:
    return (
        f"<typical>: {typical_organization()} and its project "
        f"{project_name(sizes.big_organization_projects + 1)}; <big>: {BIG_ORGANIZATION}; "
        f"<name>: {application_name(max(1, sizes.pending_applications // 2))} among the pending "
        f"applications; owner: {OWNER_USERNAME}, an Owner of both; admin: {ADMIN_USERNAME}, a "
        "superuser."
    )


# ------------------------------------------------------------------------------ databases


def default_database_url() -> str:
    """The development database's URL: DATABASE_URL, or the embedded server's, as ``make
    serve`` uses (the embedded server starts here, and stops when this process ends)."""
    if os.environ.get("DATABASE_URL"):
        return normalize_database_url(os.environ["DATABASE_URL"])
    from warehouse_orgs.cli.local_postgres import DEFAULT_DATABASE_NAME, local_server_url

    return local_server_url(DEFAULT_DATABASE_NAME)


def with_database(url: str, suffix: str) -> str:
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}{suffix}").render_as_string(hide_password=False)


def head_revision(url: str) -> str:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head() or ""


def _marker(connection: Connection) -> dict[str, Any] | None:
    exists = connection.execute(
        text("SELECT to_regclass(:table) IS NOT NULL"), {"table": MARKER_TABLE}
    ).scalar()
    if not exists:
        return None
    row = connection.execute(text("SELECT sizes, revision FROM bench_scale")).first()
    return None if row is None else {"sizes": row.sizes, "revision": row.revision}


def prepare_database(url: str, sizes: ScaleSizes, *, rebuild: bool, label: str) -> float | None:
    """Make ``url`` hold ``sizes`` at the newest migration: reuse it when its marker says so,
    otherwise drop it and build it again. Returns the build's seconds, None when reused."""
    from warehouse_orgs.cli.local_postgres import create_database_if_missing, drop_database

    wanted = {"sizes": sizes.as_dict(), "revision": head_revision(url)}
    create_database_if_missing(url)
    if not rebuild:
        engine = create_database_engine(url)
        try:
            with engine.connect() as connection:
                found = _marker(connection)
        finally:
            engine.dispose()
        if found == wanted:
            click.echo(f"{label}: reusing {make_url(url).database} (same sizes and migrations).")
            return None
        if found is not None:
            click.echo(f"{label}: {make_url(url).database} holds other sizes or migrations.")
    started = time.monotonic()
    click.echo(f"{label}: building {make_url(url).database}:")
    drop_database(url)
    create_database_if_missing(url)
    # One progress line for all of them, rather than Alembic's line per migration.
    migrations_log = logging.getLogger("alembic.runtime.migration")
    level = migrations_log.level
    migrations_log.setLevel(logging.WARNING)
    try:
        alembic.command.upgrade(alembic_config(url), "head")
    finally:
        migrations_log.setLevel(level)
    _echo_step("migrations", 0, time.monotonic() - started)
    engine = create_database_engine(url)
    try:
        with engine.begin() as connection:
            build_scale_data(connection, sizes, progress=_echo_step)
            connection.execute(
                text("CREATE TABLE bench_scale (sizes jsonb NOT NULL, revision text NOT NULL)")
            )
            connection.execute(
                text("INSERT INTO bench_scale VALUES (CAST(:sizes AS jsonb), :revision)"),
                {"sizes": json.dumps(wanted["sizes"]), "revision": wanted["revision"]},
            )
        # What autovacuum does soon after a bulk load on a real server: the visibility map
        # that lets the planner answer from an index alone (the people page's members).
        vacuum_started = time.monotonic()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        _echo_step("VACUUM ANALYZE", 0, time.monotonic() - vacuum_started)
    finally:
        engine.dispose()
    seconds = time.monotonic() - started
    click.echo(f"{label}: built in {_duration(seconds)}.")
    return seconds


def _echo_step(what: str, rows: int, seconds: float) -> None:
    count = f"{rows:>10,} rows" if rows else " " * 15
    click.echo(f"  {what:<48} {count}  {seconds:6.1f} s")


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{seconds:.1f} s"


def start_sessions(url: str) -> dict[str, str]:
    """A session cookie for each bench user, as a password-and-TOTP login leaves it (the row
    the login's ``remember`` writes, authenticated now), so the logged-in pages are measured
    as a signed-in person sees them. Both users have a verified email and two-factor."""
    from warehouse_orgs.sessions.models import BrowserSession

    cookies = {}
    now = datetime.datetime.now(datetime.UTC)
    engine = create_database_engine(url)
    try:
        with engine.begin() as connection:
            users = connection.execute(
                text("SELECT id, username, password_date FROM users WHERE username IN (:a, :b)"),
                {"a": OWNER_USERNAME, "b": ADMIN_USERNAME},
            ).all()
            for user in users:
                key = secrets.token_urlsafe(32)
                data = {
                    CSRF_SESSION_KEY: secrets.token_urlsafe(32),
                    AUTH_USERID_KEY: str(user.id),
                    AUTH_TIME_KEY: now.timestamp(),
                    AUTH_PASSWORD_DATE_KEY: user.password_date.timestamp(),
                }
                connection.execute(
                    BrowserSession.__table__.insert().values(
                        key_hash=hash_key(key),
                        user_id=user.id,
                        data=data,
                        expires=now + SESSION_LIFETIME,
                    )
                )
                cookies[user.username] = f"{SESSION_COOKIE_NAME}={key}"
    finally:
        engine.dispose()
    return cookies


# -------------------------------------------------------------------------------- servers


def production_environment(database_url: str, site_url: str) -> dict[str, str]:
    """The environment of a production deploy, with secrets made for this run, mail and
    billing pointed at a port where nothing listens (no page measured sends either), and
    nothing of the development environment left over."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if name
        not in {"PROXY_SECRET", "REDIS_URL", "SPONSOR_FEED_URL", "SPONSOR_FEED_TOKEN", "PORT"}
    }
    environ |= {
        "WAREHOUSE_ORGS_ENV": "production",
        "DATABASE_URL": database_url,
        "SITE_URL": site_url,
        "SESSION_SECRET": secrets.token_urlsafe(48),
        "TOKEN_SECRET": secrets.token_urlsafe(48),
        "MAIL_BACKEND": "warehouse_orgs.email.services.SMTPEmailSender host=127.0.0.1 port=9",
        "BILLING_BACKEND": (
            "warehouse_orgs.subscriptions.billing.StripeBillingService "
            f"secret_key=sk_live_bench{secrets.token_hex(16)} "
            f"webhook_secret=whsec_bench{secrets.token_hex(16)} api_base=http://127.0.0.1:9"
        ),
    }
    return environ


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_command(port: int, app: str, *extra: str) -> list[str]:
    """gunicorn as a deploy runs it: sync workers, the app loaded once and forked (which only
    makes starting faster; each worker serves the same code the same way)."""
    return [
        sys.executable, "-m", "gunicorn",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(WORKERS),
        "--worker-class", "sync",
        "--preload",
        "--forwarded-allow-ips", "",
        *extra,
        app,
    ]  # fmt: skip


@contextlib.contextmanager
def running_servers(
    commands: dict[str, list[str]], environ: dict[str, str]
) -> Iterator[dict[str, "Server"]]:
    """Start each named command (a gunicorn) at once, and stop them all together when the
    block ends; each one's output goes to ``.state/bench/<name>.log``."""
    servers: dict[str, Server] = {}
    try:
        for name, command in commands.items():
            log_path = state_dir() / "bench" / f"{name}.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            with log_path.open("wb") as log:
                process = subprocess.Popen(  # noqa: S603
                    command, cwd=PROJECT_ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT
                )
            servers[name] = Server(process, log_path)
        yield servers
    finally:
        # gunicorn's quick shutdown (nothing is in flight by now), all at once: each takes
        # a few seconds.
        for server in servers.values():
            server.process.send_signal(signal.SIGINT)
        for server in servers.values():
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


@dataclasses.dataclass(frozen=True)
class Server:
    process: subprocess.Popen
    log_path: Path

    def wait_until_serving(self, url: str) -> None:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise click.ClickException(
                    f"The server stopped (exit {self.process.returncode}); its log, "
                    f"{self.log_path}:\n" + self.log_path.read_text(errors="replace")[-3000:]
                )
            try:
                with urllib.request.urlopen(url, timeout=5):  # noqa: S310 (our own loopback)
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.1)
        raise click.ClickException(f"Nothing answered at {url} within {SERVER_START_SECONDS} s.")


# -------------------------------------------------------------------------------- requests


def fetch(url: str, headers: dict[str, str], timeout: float = 30) -> tuple[int, dict[str, str]]:
    """One GET without following redirects: its status and headers."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (our own loopback)
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def warm_up(url: str, headers: dict[str, str]) -> float:
    """A few requests one at a time, so each worker has run the page before it is measured;
    returns their median latency in milliseconds."""
    latencies: list[float] = []
    started = time.monotonic()
    while len(latencies) < WARM_UP_REQUESTS and (
        len(latencies) < 2 or time.monotonic() - started < WARM_UP_SECONDS
    ):
        before = time.perf_counter()
        fetch(url, headers)
        latencies.append((time.perf_counter() - before) * 1000)
    return statistics.median(latencies)


def wait_until_idle(probe_url: str) -> None:
    """Return once every worker is free: as many requests at once as there are workers, each
    answered only after what was queued before it (a sync worker takes one at a time)."""
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        answers = [pool.submit(fetch, probe_url, {}, DRAIN_SECONDS) for _ in range(WORKERS)]
        for answer in answers:
            answer.result()


def page_headers(page: BenchPage, cookies: dict[str, str], etags: dict[str, str]) -> dict[str, str]:
    headers = {}
    if page.viewer != "anonymous":
        headers["Cookie"] = cookies[page.viewer]
    if page.conditional and page.path in etags:
        headers["If-None-Match"] = etags[page.path]
    return headers


def check_pages(
    base_url: str,
    pages: list[BenchPage],
    cookies: dict[str, str],
    etags: dict[str, str],
    production: bool = False,
) -> None:
    """Each page answers the server's requests as it answered in-process (else the numbers
    would measure an error page, or a conditional GET that is not answered 304), and the app
    as production does (HSTS is sent only there)."""
    for page in pages:
        status, headers = fetch(base_url + page.path, page_headers(page, cookies, etags))
        if status != page.expected_status:
            where = f" to {headers['Location']}" if "Location" in headers else ""
            raise click.ClickException(
                f"{page.label}: expected {page.expected_status}, got {status}{where}."
            )
        if production and "Strict-Transport-Security" not in headers:
            raise click.ClickException(f"{page.label}: not answered in production mode.")


def count_statements(
    environ: dict[str, str], pages: list[BenchPage], cookies: dict[str, str]
) -> tuple[dict[str, int], dict[str, str]]:
    """The SQL statements each page sends, counted in this process on the same production
    configuration and database: a warm-up request first (caches a process keeps, like the
    footer's sponsors, are then as they are under load), then the counted one. Also returns
    the ETags the conditional requests send."""
    from webob import Request

    from warehouse_orgs.config import configure
    from warehouse_orgs.sponsors.footer import FOOTER_CACHE_KEY

    config = configure(environ=environ)
    config.commit()
    app = config.make_wsgi_app()
    engine = config.registry["sqlalchemy.engine"]
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    def get(page: BenchPage, etags: dict[str, str]) -> Any:
        request = Request.blank(
            page.path,
            headers=page_headers(page, cookies, etags),
            environ={"REMOTE_ADDR": "127.0.0.1"},
        )
        return request.get_response(app)

    event.listen(engine, "before_cursor_execute", record)
    counts: dict[str, int] = {}
    etags: dict[str, str] = {}
    # The access log of these requests is not the benchmark's output.
    logging.disable(logging.INFO)
    try:
        for page in pages:
            if page.conditional:
                full = get(page, {})
                if full.etag is None:
                    raise click.ClickException(f"{page.path} answered with no ETag.")
                etags[page.path] = f'"{full.etag}"'
            for _ in range(2):
                sent.clear()
                response = get(page, etags)
            if response.status_code != page.expected_status:
                raise click.ClickException(
                    f"{page.label}: expected {page.expected_status}, got {response.status_code}."
                )
            counts[page.label] = len(sent)
    finally:
        event.remove(engine, "before_cursor_execute", record)
        # This process's sponsors listener would otherwise outlive the app, and its database.
        config.registry[FOOTER_CACHE_KEY].close()
        engine.dispose()
        logging.disable(logging.NOTSET)
    return counts, etags


# ------------------------------------------------------------------------------------ wrk


@dataclasses.dataclass(frozen=True)
class WrkRun:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(url: str, headers: dict[str, str], seconds: int, connections: int) -> WrkRun:
    command = [
        wrk_binary(), "--threads", "1", "--connections", str(connections),
        "--duration", f"{seconds}s", "--timeout", "10s", "--script", str(WRK_SCRIPT),
    ]  # fmt: skip
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    finished = subprocess.run(  # noqa: S603
        [*command, url], capture_output=True, text=True, check=False, timeout=seconds + 60
    )
    for line in finished.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            result = json.loads(line.removeprefix("BENCH-RESULT "))
            break
    else:
        raise click.ClickException(f"wrk gave no result:\n{finished.stdout}{finished.stderr}")
    errors = sum(result[kind] for kind in ("connect", "read", "write", "status", "timeout"))
    return WrkRun(
        requests=result["requests"],
        seconds=result["duration_us"] / 1e6,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        errors=errors,
    )


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise click.ClickException(
            "wrk is not installed: `make wrk` installs Debian's package (make bench does too)."
        )
    return found


@dataclasses.dataclass
class PageResult:
    page: BenchPage
    runs: list[WrkRun] = dataclasses.field(default_factory=list)
    floor_runs: list[WrkRun] = dataclasses.field(default_factory=list)
    statements: int | None = None
    # One request at a time, nothing else asked (the warm-up's median).
    alone_ms: float | None = None

    @staticmethod
    def _rate(runs: list[WrkRun]) -> float:
        seconds = sum(run.seconds for run in runs)
        return sum(run.requests for run in runs) / seconds if seconds else 0.0

    @property
    def rate(self) -> float:
        return self._rate(self.runs)

    @property
    def floor_rate(self) -> float:
        return self._rate(self.floor_runs)

    @property
    def ratio(self) -> float:
        return self.rate / self.floor_rate if self.floor_rate else 0.0

    @property
    def p50_ms(self) -> float:
        return statistics.median(run.p50_ms for run in self.runs)

    @property
    def p99_ms(self) -> float:
        return statistics.median(run.p99_ms for run in self.runs)

    @property
    def errors(self) -> int:
        return sum(run.errors for run in self.runs)

    @property
    def incomplete(self) -> bool:
        """Some run saw no request finish: the page takes longer than a run under load."""
        return any(run.requests == 0 for run in self.runs)

    @property
    def run_seconds(self) -> float:
        return max(run.seconds for run in self.runs)


@dataclasses.dataclass
class DatabaseResult:
    label: str
    sizes: ScaleSizes
    floor: PageResult
    pages: list[PageResult]
    build_seconds: float | None


@dataclasses.dataclass(frozen=True)
class LoadOptions:
    seconds: int
    rounds: int
    connections: int


def bench_database(
    label: str, url: str, sizes: ScaleSizes, options: LoadOptions, build_seconds: float | None
) -> DatabaseResult:
    """Serve ``url`` with the app and the floor side by side and measure every page."""
    pages = bench_pages(sizes)
    cookies = start_sessions(url)
    app_port, floor_port = free_port(), free_port()
    app_url, floor_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{floor_port}"
    environ = production_environment(url, app_url)
    floor_command = gunicorn_command(
        floor_port, "floor:application_from_environment()", "--pythonpath", str(BENCH_DIR)
    )
    click.echo(f"{label}: starting the app (production) and the floor, {WORKERS} workers each.")
    commands = {
        f"app-{label}": gunicorn_command(app_port, "warehouse_orgs.wsgi:application"),
        f"floor-{label}": floor_command,
    }
    with running_servers(commands, environ) as servers:
        app, floor_server = servers[f"app-{label}"], servers[f"floor-{label}"]
        # While they start: the statements of each page, counted in this process.
        statements, etags = count_statements(environ, pages, cookies)
        app.wait_until_serving(app_url + "/_health/")
        floor_server.wait_until_serving(floor_url + FLOOR_PAGE.path)
        check_pages(app_url, pages, cookies, etags, production=True)
        check_pages(floor_url, [FLOOR_PAGE], cookies, etags)
        alone = {
            page.label: warm_up(
                (floor_url if page is FLOOR_PAGE else app_url) + page.path,
                page_headers(page, cookies, etags),
            )
            for page in [FLOOR_PAGE, *pages]
        }
        floor = PageResult(FLOOR_PAGE, statements=1, alone_ms=alone[FLOOR_PAGE.label])
        results = []
        for page in pages:
            result = PageResult(page, statements=statements[page.label], alone_ms=alone[page.label])
            for number in range(1, options.rounds + 1):
                floor_run = run_wrk(
                    floor_url + FLOOR_PAGE.path, {}, options.seconds, options.connections
                )
                wait_until_idle(floor_url + FLOOR_PAGE.path)
                page_run = run_wrk(
                    app_url + page.path,
                    page_headers(page, cookies, etags),
                    options.seconds,
                    options.connections,
                )
                # A page slower than the run leaves requests queued; they must not run into
                # the next measurement.
                wait_until_idle(app_url + "/_health/")
                result.floor_runs.append(floor_run)
                floor.runs.append(floor_run)
                result.runs.append(page_run)
                click.echo(
                    f"  {label}: {page.label:<58} round {number}/{options.rounds}: "
                    f"floor {floor_run.rate:7.1f}/s, page {page_run.rate:7.1f}/s"
                )
            results.append(result)
    return DatabaseResult(label, sizes, floor, results, build_seconds)


# ---------------------------------------------------------------------------------- table


def _measured(result: PageResult, is_floor: bool) -> list[str]:
    """req/s, x floor, p50, p99 and statements; "<" and ">" where no request finished within a
    run (the rate is then below one per run, the latency above a run)."""
    ratio = 1.0 if is_floor else result.ratio
    if result.incomplete:
        bound = 1 / result.run_seconds
        return [
            f"<{bound:.1f}",
            f"<{bound / result.floor_rate:.4f}" if result.floor_rate else "-",
            f">{result.run_seconds * 1000:.0f}",
            f">{result.run_seconds * 1000:.0f}",
            str(result.statements),
        ]
    return [
        f"{result.rate:.1f}",
        f"{ratio:.2f}",
        f"{result.p50_ms:.1f}",
        f"{result.p99_ms:.1f}",
        str(result.statements),
    ]


def format_table(full: DatabaseResult, small: DatabaseResult | None) -> str:
    """One table: the full database's numbers, then the small one's beside them."""
    header = ["page", "req/s", "x floor", "p50 ms", "p99 ms", "stmts"]
    if small is not None:
        header += ["small req/s", "small x floor", "small stmts", "growth"]
    rows = [header]
    small_by_label = {} if small is None else {r.page.label: r for r in [small.floor, *small.pages]}
    notes = []
    for result in [full.floor, *full.pages]:
        label = result.page.label + (" (errors!)" if result.errors else "")
        row = [label, *_measured(result, result is full.floor)]
        if small is not None:
            other = small_by_label[result.page.label]
            small_cells = _measured(other, other is small.floor)
            # Ratios to the floor measured alongside, so a machine busier during one database's
            # runs than the other's cancels out.
            measured_both = not (result.incomplete or other.incomplete) and other.ratio
            is_floor = result is full.floor
            growth = (
                f"{result.ratio / other.ratio - 1:+.0%}" if measured_both and not is_floor else "-"
            )
            row += [*small_cells[:2], small_cells[4], growth]
        rows.append(row)
        for database, each in ((full, result), (small, small_by_label.get(result.page.label))):
            if each is not None and database is not None and each.incomplete:
                notes.append(
                    f"{each.page.label} ({database.label}): no request finished within a "
                    f"{each.run_seconds:.0f} s run; one request alone took {each.alone_ms:.0f} ms."
                )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join([*lines, *(["", *notes] if notes else [])])


def describe_sizes(sizes: ScaleSizes) -> str:
    return (
        f"{sizes.organizations:,} organizations, {sizes.projects:,} projects, "
        f"{sizes.organization_roles:,} organization roles, {sizes.team_roles:,} team roles, "
        f"{sizes.users:,} users, one organization of {sizes.big_organization_members:,} "
        f"members and {sizes.big_organization_projects:,} projects, "
        f"{sizes.pending_applications:,} pending applications, {sizes.events:,} events"
    )


# -------------------------------------------------------------------------------- command


def _size_option(name: str) -> Any:
    default = getattr(ScaleSizes(), name)
    return click.option(
        f"--{name.replace('_', '-')}", name, type=click.IntRange(min=0), default=default,
        show_default=True,
    )  # fmt: skip


@click.command()
@_size_option("organizations")
@_size_option("projects")
@_size_option("organization_roles")
@_size_option("team_roles")
@_size_option("users")
@_size_option("big_organization_members")
@_size_option("big_organization_projects")
@_size_option("projects_per_organization")
@_size_option("pending_applications")
@_size_option("big_organization_invitations")
@_size_option("events")
@click.option(
    "--growth/--no-growth",
    default=True,
    show_default=True,
    help=f"Also measure a database {SMALL_DIVISOR} times smaller, to show how pages grow.",
)
@click.option("--rebuild", is_flag=True, help="Build the scale databases again even if they fit.")
@click.option("--build-only", is_flag=True, help="Build (or check) the databases, measure nothing.")
@click.option("--seconds", type=click.IntRange(min=1), default=5, show_default=True,
              help="Length of each wrk run.")  # fmt: skip
@click.option("--rounds", type=click.IntRange(min=1), default=3, show_default=True,
              help="Floor-then-page runs per page.")  # fmt: skip
@click.option("--connections", type=click.IntRange(min=1), default=4, show_default=True,
              help="wrk's open connections.")  # fmt: skip
@click.option(
    "--database-url",
    help="The full scale database (the small one gets _small after its name). "
    "Default: the development database's name plus _bench, on its server.",
)
def bench(
    growth: bool,
    rebuild: bool,
    build_only: bool,
    seconds: int,
    rounds: int,
    connections: int,
    database_url: str | None,
    **size_options: int,
) -> None:
    """Measure the app's pages beside the floor on a scale database (make bench)."""
    sizes = ScaleSizes(**size_options)
    problems = sizes.problems()
    if problems:
        raise click.UsageError("Impossible sizes: " + "; ".join(problems) + ".")
    if not build_only:
        wrk_binary()
    full_url = database_url or with_database(default_database_url(), "_bench")
    databases = [("full", full_url, sizes)]
    if growth:
        databases.insert(
            0, ("small", with_database(full_url, "_small"), sizes.scaled(SMALL_DIVISOR))
        )
    built = {
        label: prepare_database(url, wanted, rebuild=rebuild, label=label)
        for label, url, wanted in databases
    }
    if build_only:
        return
    options = LoadOptions(seconds=seconds, rounds=rounds, connections=connections)
    load_before = os.getloadavg()[0]
    results = {
        label: bench_database(label, url, wanted, options, built[label])
        for label, url, wanted in databases
    }
    click.echo("")
    full = results["full"]
    click.echo(f"Full database: {describe_sizes(full.sizes)}.")
    if "small" in results:
        click.echo(f"Small database: {describe_sizes(results['small'].sizes)}.")
    for label, seconds_taken in built.items():
        if seconds_taken is not None:
            click.echo(f"Built the {label} database in {_duration(seconds_taken)}.")
    click.echo(
        f"{rounds} round(s) of {seconds} s per page, floor and page alternating; "
        f"wrk with {connections} connections; gunicorn with {WORKERS} sync workers each; "
        "p50/p99: median over rounds."
    )
    click.echo(describe_pages(full.sizes))
    click.echo(
        f"Load average (1 min) before: {load_before:.1f}, after: {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs (anything else running slows both sides)."
    )
    click.echo("")
    click.echo(format_table(full, results.get("small")))
    if any(result.errors for result in [full.floor, *full.pages]):
        click.echo("\n(errors!): wrk counted errors or answers other than 2xx/3xx on that row.")
