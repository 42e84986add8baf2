"""The demo data ``make serve`` builds the first time it runs.

``build_demo_data(request)`` runs inside one transaction and must be idempotent: it adds what is
missing and leaves what is there. It returns the lines to print.

The foundation has no tables of its own yet; accounts, organizations, billing and sponsors each
add their demo rows here as they land.
"""

from pyramid.request import Request
from sqlalchemy import text


def build_demo_data(request: Request) -> list[str]:
    revision = request.db.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    return [f"Database at migration {revision}; no demo rows to add yet."]
