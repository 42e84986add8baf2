"""Times on pages are UTC even when the database server's own time zone is not."""

import alembic.command
import webtest
from sqlalchemy import create_engine, text

from tests.conftest import make_test_config
from warehouse_orgs.db import alembic_config, normalize_database_url
from warehouse_orgs.sponsors.footer import FOOTER_CACHE_KEY


def test_pages_show_utc_when_the_database_default_is_another_zone(scratch_database):
    url = scratch_database("utc_pages")
    alembic.command.upgrade(alembic_config(url), "head")
    admin = create_engine(normalize_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            name = connection.execute(text("SELECT current_database()")).scalar()
            # UTC+14: 23:30 UTC on New Year's Day is already the 2nd there.
            connection.execute(
                text(f"ALTER DATABASE \"{name}\" SET timezone TO 'Pacific/Kiritimati'")
            )
            organization_id = connection.execute(
                text(
                    "INSERT INTO organizations (name, display_name, orgtype, link_url, description,"
                    " created) VALUES ('tz-check', 'Time Zone Check', 'Community',"
                    " 'https://tz.example.com/', 'Made by a test.', '2024-01-01 23:30:00+00')"
                    " RETURNING id"
                )
            ).scalar()
            connection.execute(
                text(
                    "INSERT INTO organization_name_catalog (normalized_name, organization_id)"
                    " VALUES ('tz-check', :id)"
                ),
                {"id": organization_id},
            )
    finally:
        admin.dispose()

    config = make_test_config(url)
    config.commit()
    try:
        page = webtest.TestApp(config.make_wsgi_app()).get("/org/tz-check/", status=200)
    finally:
        config.registry[FOOTER_CACHE_KEY].close()
        config.registry["sqlalchemy.engine"].dispose()
    created = page.html.find("time")
    assert created.text == "2024-01-01"
    assert created["datetime"] == "2024-01-01T23:30:00+00:00"
