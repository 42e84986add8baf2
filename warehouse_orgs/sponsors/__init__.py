"""The sponsorship program: who sponsors the index (/sponsors/ and the footer of every page),
the prospectus and its inquiry form (/sponsor/), PSF staff's curation (/admin/sponsors/), and
the hourly sync from the PSF's sponsor feed. Independent of organizations and billing."""

import datetime

from pyramid.config import Configurator

from warehouse_orgs.request_validation import UploadAllowance
from warehouse_orgs.sponsors.change_listener import listener_connection
from warehouse_orgs.sponsors.feed import update_sponsors_from_feed
from warehouse_orgs.sponsors.footer import (
    FOOTER_CACHE_KEY,
    FooterSponsorCache,
    footer_digest,
    footer_sponsors,
)
from warehouse_orgs.sponsors.interfaces import ISponsorLogoStorage, ISponsorService
from warehouse_orgs.sponsors.logos import MAX_LOGO_BYTES, SPONSOR_FORM_MAX_BYTES
from warehouse_orgs.sponsors.services import DatabaseSponsorService
from warehouse_orgs.sponsors.storage import (
    LOCAL_STORAGE,
    STATIC_PREFIX,
    local_logo_directory,
    logo_image_origins,
)


def includeme(config: Configurator) -> None:
    settings = config.registry.settings
    config.register_service_factory(DatabaseSponsorService.create_service, ISponsorService)
    config.include(".cache_keys")

    storage = config.maybe_dotted(settings.get("sponsors.logo_storage") or LOCAL_STORAGE)
    config.register_service_factory(storage.create_service, ISponsorLogoStorage)
    if (settings.get("sponsors.logo_storage") or LOCAL_STORAGE) == LOCAL_STORAGE:
        # Before the site's own /static/ view, which would otherwise answer these paths.
        config.add_static_view(
            f"static/{STATIC_PREFIX}", str(local_logo_directory(settings)), cache_max_age=3600
        )
    config.add_image_origins(logo_image_origins)
    # The staff sponsor forms are the only ones that send files: their two logos.
    sponsor_form = UploadAllowance(
        file_fields=frozenset({"color_logo", "white_logo"}),
        max_body_bytes=SPONSOR_FORM_MAX_BYTES,
        too_large=(
            f"The form is larger than {SPONSOR_FORM_MAX_BYTES // 1024} KiB; a logo may be at "
            f"most {MAX_LOGO_BYTES // 1024} KiB. Nothing was saved: choose smaller files."
        ),
    )
    for route_name in ("admin.sponsor.create", "admin.sponsor.detail"):
        config.allow_uploads(route_name, sponsor_form)

    # The footer of every page: one statement per process after each committed change to the
    # sponsors, which PostgreSQL tells every process of; none per page.
    config.registry[FOOTER_CACHE_KEY] = FooterSponsorCache(
        listener_connection(settings["database.url"], settings.get("database.statement_timeout_ms"))
    )
    config.add_request_method(footer_sponsors, name="footer_sponsors", reify=True)
    config.add_request_method(footer_digest, name="footer_digest", reify=True)

    config.register_task(update_sponsors_from_feed)
    if settings.get("sponsors.feed_url") and settings.get("sponsors.feed_token"):
        config.add_periodic_task(update_sponsors_from_feed, datetime.timedelta(hours=1))
