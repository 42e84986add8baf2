"""Names for the databases a test run makes beside the server's own."""

import os
import uuid

from sqlalchemy.engine import make_url

# One id per run when xdist is not there to give one; every worker of a run shares xdist's.
_RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)[:8]


def scratch_database_url(server_url: str, label: str) -> str:
    """A database name unique to this run and worker, so parallel runs never collide."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", _RUN)[:8]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"wo_test_{run}_{worker}_{label}"
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)
