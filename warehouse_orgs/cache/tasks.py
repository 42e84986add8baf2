from pyramid.request import Request

from warehouse_orgs.cache.interfaces import IOriginCache, PurgeFailed
from warehouse_orgs.tasks import retry_on


# A cache that did not answer may answer later: on Celery the purge is tried again. Without a
# broker the failure is logged (warehouse_orgs.tasks) and the committed change stands.
@retry_on(PurgeFailed)
def purge_origin_cache(request: Request, keys: list[str]) -> None:
    """Purge the surrogate keys a committed change affected."""
    request.find_service(IOriginCache).purge(keys)
