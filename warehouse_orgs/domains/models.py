"""The domains an organization says are its own, and the proof it published for each.

An Owner adds a domain and is given a TXT record to publish: at ``_warehouse-orgs-challenge.``
followed by the domain, the value ``warehouse-orgs-verification=`` followed by the row's random
token. A domain is verified while ``verified_at`` is set: the record was found with exactly that
value, and the daily re-check has not since found it gone. The history of each step is on the
organization (tags ``organization:domain:*``), so it outlives a removed row.
"""

import datetime
import enum
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warehouse_orgs.db import Model
from warehouse_orgs.domains.names import DOMAIN_MAX_LENGTH

if TYPE_CHECKING:
    from warehouse_orgs.accounts.models import User
    from warehouse_orgs.organizations.models import Organization

# The label under the domain where the record goes, and what its value starts with: both name
# this index, so a record published for another service is never taken for ours.
RECORD_LABEL = "_warehouse-orgs-challenge"
RECORD_VALUE_PREFIX = "warehouse-orgs-verification="
# Enough for any real organization, few enough that the settings page and a re-check stay small.
MAX_DOMAINS_PER_ORGANIZATION = 10
TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)


class DomainCheck(enum.StrEnum):
    """What the last look-up found."""

    # The record is there with exactly the value asked for.
    verified = "verified"
    # A definite answer: the name does not exist, or holds no TXT record.
    missing = "missing"
    # A definite answer: TXT records are there, none with the value asked for.
    wrong = "wrong"
    # No answer to judge by: a timeout, a server failure, a refusal.
    unavailable = "unavailable"


class OrganizationDomain(Model):
    __tablename__ = "organization_domains"
    __table_args__ = (
        # One row per domain per organization; the index also lists an organization's domains.
        Index(
            "ix_organization_domains_organization_id_domain",
            "organization_id",
            "domain",
            unique=True,
        ),
        # Which organizations verified a domain (staff review, by domain and its parents).
        Index(
            "ix_organization_domains_verified_domain",
            "domain",
            postgresql_where=text("verified_at IS NOT NULL"),
        ),
        CheckConstraint(
            f"domain = lower(domain) AND length(domain) BETWEEN 3 AND {DOMAIN_MAX_LENGTH}",
            name="domain_is_normalized",
        ),
        CheckConstraint(
            "last_check_result IS NULL OR last_check_result IN "
            f"({', '.join(repr(str(c)) for c in DomainCheck)})",
            name="last_check_result_is_known",
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    domain: Mapped[str] = mapped_column(Text)
    token: Mapped[str] = mapped_column(String(TOKEN_LENGTH))
    # Indexed: deleting the account sets it to NULL.
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    verified_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    last_checked_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    last_check_result: Mapped[str | None] = mapped_column(String(20))

    organization: Mapped["Organization"] = relationship(lazy="raise")
    added_by: Mapped["User | None"] = relationship(lazy="raise")

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def record_name(self) -> str:
        return f"{RECORD_LABEL}.{self.domain}"

    @property
    def record_value(self) -> str:
        return f"{RECORD_VALUE_PREFIX}{self.token}"
