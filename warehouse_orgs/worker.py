"""The Celery entry point: ``celery -A warehouse_orgs.worker worker`` (needs REDIS_URL)."""

from warehouse_orgs.config import configure
from warehouse_orgs.request_logging import configure_logging

configure_logging()
_config = configure()
_config.commit()
celery = _config.registry["celery.app"]
if celery is None:
    raise SystemExit("REDIS_URL is not set: without a broker, tasks run in the web process.")
