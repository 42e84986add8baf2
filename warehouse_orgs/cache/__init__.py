"""The shared cache in front of the app: public pages say what they show in a
``Surrogate-Key`` header, and a committed change purges the keys it affects
(``IOriginCache``, chosen by ``ORIGIN_CACHE``). Features name their keys with
``config.register_origin_cache_keys`` (see ``keys.py``); this package imports none of them."""

from pyramid.config import Configurator
from pyramid.events import NewResponse

from warehouse_orgs.cache.interfaces import IOriginCache
from warehouse_orgs.cache.keys import site_wide_keys
from warehouse_orgs.cache.services import LOGGING_CACHE
from warehouse_orgs.cache.tasks import purge_origin_cache

SURROGATE_KEY_HEADER = "Surrogate-Key"


def add_site_wide_keys(event: NewResponse) -> None:
    """A page that names its own keys also carries those of what every page shows."""
    response = event.response
    own = response.headers.get(SURROGATE_KEY_HEADER)
    if own is None:
        return
    keys = own.split()
    keys += [key for key in site_wide_keys(event.request.registry) if key not in keys]
    response.headers[SURROGATE_KEY_HEADER] = " ".join(keys)


# How long after a commit its keys are purged a second time (keys.py, OriginCacheKeys): longer
# than a request takes from its first read to its answer, which statement_timeout bounds.
DEFAULT_REPURGE_SECONDS = 15.0


def includeme(config: Configurator) -> None:
    settings = config.registry.settings
    backend_name = settings.get("origin_cache.backend") or LOGGING_CACHE
    backend = config.maybe_dotted(backend_name)
    # The logging cache keeps nothing, so there is nothing to purge twice.
    settings.setdefault(
        "origin_cache.repurge_seconds",
        0 if backend_name == LOGGING_CACHE else DEFAULT_REPURGE_SECONDS,
    )
    config.register_service_factory(backend.create_service, IOriginCache)
    config.register_task(purge_origin_cache)
    config.include(".keys")
    config.add_subscriber(add_site_wide_keys, NewResponse)
