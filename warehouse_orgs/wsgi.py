"""The WSGI entry point: ``gunicorn warehouse_orgs.wsgi:application``."""

from warehouse_orgs.config import configure
from warehouse_orgs.request_logging import configure_logging

configure_logging()
application = configure().make_wsgi_app()
