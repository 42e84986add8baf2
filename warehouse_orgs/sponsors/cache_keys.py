"""The surrogate keys of what shows the sponsors, and which changes purge them.

``/sponsors/`` sends ``sponsors``. The footer of every page shows the footer and
infrastructure sponsors, so every page a shared cache keeps carries ``sponsors-footer``
(added by the cache package to each response that names keys of its own); a change to a
sponsor the footer shows, before or after it, purges that key, and with it every cached page.
"""

from pyramid.config import Configurator
from sqlalchemy import inspect

from warehouse_orgs.cache.keys import RowChange
from warehouse_orgs.sponsors.models import Sponsor

SPONSORS_PAGE_KEY = "sponsors"
FOOTER_KEY = "sponsors-footer"
# The sync's bookkeeping, which no page shows.
NOT_SHOWN = frozenset({"logo_source_url", "origin", "updated", "created"})
# What decides whether the footer shows a sponsor, and what it shows of one.
FOOTER_FIELDS = (
    "name", "link_url", "white_logo_url", "service", "infra_sponsor", "footer", "is_active",
)  # fmt: skip


def keys_for_sponsor(sponsor: Sponsor, change: RowChange) -> set[str]:
    shown = [a.key for a in inspect(Sponsor).column_attrs if a.key not in NOT_SHOWN]
    keys = set()
    if change.touched(*shown):
        keys.add(SPONSORS_PAGE_KEY)
    # In the footer before or after the change: footer or infrastructure at either time (a
    # sponsor without a white logo or inactive is not shown, but purging for it costs little).
    in_footer = True in change.values("footer") | change.values("infra_sponsor")
    if in_footer and change.touched(*FOOTER_FIELDS):
        keys.add(FOOTER_KEY)
    return keys


def includeme(config: Configurator) -> None:
    config.register_origin_cache_keys(Sponsor, keys_for_sponsor)
    config.add_site_wide_surrogate_key(FOOTER_KEY)
