"""What a history page or export shows of one event, and to whom.

Staff read every event as it was recorded. Anyone else reads a staff action as done by "PyPI
staff", without the staff member's name or address: staff act for the index, and their
identity and location are theirs, not the organization's.
"""

import dataclasses
import datetime
from typing import Any

from warehouse_orgs.events.tags import describe

STAFF = "PyPI staff"
REDACTED = "—"


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    time: datetime.datetime
    sentence: str
    actor: str
    ip: str
    tag: str

    @classmethod
    def of(cls, event: Any, *, staff: bool) -> "HistoryEntry":
        details = dict(event.additional or {})
        name = details.get("actor") or ""
        ip = str(event.ip_address or "")
        if event.acted_as_staff:
            actor = f"{STAFF} ({name})" if staff and name else STAFF
            ip = ip if staff else REDACTED
            details["actor"] = actor
        else:
            actor = name
        return cls(
            time=event.time,
            sentence=describe(event.tag, details),
            actor=actor,
            ip=ip,
            tag=event.tag,
        )

    def as_dict(self) -> dict[str, str]:
        """For the CSV and JSON exports: the same fields the page shows."""
        return {
            "time": self.time.isoformat(),
            "sentence": self.sentence,
            "actor": self.actor,
            "ip": self.ip,
            "tag": self.tag,
        }


def actor_name(request: Any) -> str:
    """Who did it, as told to people outside staff (in emails, for example)."""
    if getattr(request, "acting_as_staff", False):
        return STAFF
    return request.user.username if request.user is not None else "PyPI"
