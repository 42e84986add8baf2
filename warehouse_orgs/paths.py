"""Where the checkout keeps the things that are not Python modules."""

import os
from pathlib import Path

# The repository root: templates/ and migrations/ sit beside the package, as the layout fixes.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def state_dir() -> Path:
    """The directory for local, untracked state (database files, captured mail)."""
    return Path(os.environ.get("WAREHOUSE_ORGS_STATE_DIR", PROJECT_ROOT / ".state"))
