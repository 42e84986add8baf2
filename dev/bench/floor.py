"""The floor: the fastest a dynamic page can be on this stack, for ``make bench`` to compare
the app's pages with.

The same pieces as the app (gunicorn, Pyramid, SQLAlchemy with the app's engine settings and
pool, psycopg, PostgreSQL), doing the least a page can do: one connection from the pool per
request, one indexed SELECT (an organization by its normalized name, the unique index the app
uses too), the row rendered into a bare HTML page. No sessions, no security policy, no
templates engine, no transaction manager: whatever the app spends beyond this is its own.

Served as ``gunicorn --pythonpath dev/bench 'floor:application_from_environment()'`` with
DATABASE_URL set.
"""

import html
import os

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy import Engine, text

from warehouse_orgs.db import create_database_engine

ORGANIZATION = text(
    "SELECT name, display_name, description, link_url FROM organizations"
    " WHERE normalized_name = normalize_pep503_name(:name)"
)


def organization_page(request: Request) -> Response:
    engine: Engine = request.registry["engine"]
    # Ends in COMMIT, as the app's requests do: a ROLLBACK would make psycopg forget the
    # prepared statement, and the floor would plan its SELECT again on every request.
    with engine.begin() as connection:
        row = connection.execute(ORGANIZATION, {"name": request.matchdict["name"]}).first()
    if row is None:
        return Response("<!doctype html><title>Not found</title>", status=404)
    name, display_name, description, link_url = (html.escape(value) for value in row)
    return Response(
        f"<!doctype html><html lang=en><title>{display_name}</title>"
        f"<h1>{display_name}</h1><p>{name}</p><p>{description}</p>"
        f'<p><a href="{link_url}">{link_url}</a></p></html>'
    )


def make_app(database_url: str) -> object:
    config = Configurator()
    config.registry["engine"] = create_database_engine(database_url)
    config.add_route("organization", "/org/{name}/")
    config.add_view(organization_page, route_name="organization", request_method="GET")
    return config.make_wsgi_app()


def application_from_environment() -> object:
    """gunicorn's factory: ``floor:application_from_environment()``."""
    return make_app(os.environ["DATABASE_URL"])
