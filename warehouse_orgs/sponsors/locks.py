"""The sponsor list's one lock.

The sponsors, their levels and the inquiries change rarely and from few hands (PSF staff, the
hourly feed sync, a visitor's inquiry), but two of those at once could break a rule the code
keeps: the sync deciding a row is the feed's while staff make it hand-curated, two staff
members editing one sponsor, an inquiry's status set twice. Every change takes this one
transaction-scoped lock first, then reads what it changes again as committed now.
"""

import zlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

# A fixed key for pg_advisory_xact_lock: the sponsor list is one aggregate.
SPONSOR_LIST_LOCK_KEY = zlib.crc32(b"warehouse_orgs.sponsors")


def lock_sponsor_list(db: Session) -> None:
    """Hold the sponsor list until this transaction ends."""
    db.execute(select(func.pg_advisory_xact_lock(SPONSOR_LIST_LOCK_KEY)))
