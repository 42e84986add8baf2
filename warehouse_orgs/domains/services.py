"""The verified-domains service, on the request's transaction."""

import datetime
import secrets
import uuid
from typing import Any

from pyramid.request import Request
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value
from zope.interface import implementer

from warehouse_orgs.db import RequestDatabaseService
from warehouse_orgs.domains.emails import email_owners_domain_lost
from warehouse_orgs.domains.interfaces import (
    DomainRefused,
    IDomainVerificationService,
    RecheckSummary,
)
from warehouse_orgs.domains.lookup import TxtLookup
from warehouse_orgs.domains.models import (
    MAX_DOMAINS_PER_ORGANIZATION,
    DomainCheck,
    OrganizationDomain,
)
from warehouse_orgs.domains.names import DomainNameRefused, normalize_domain
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.locks import lock_organization
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.ownership import reload_for_update

# The daily re-check reads verified domains this many at a time.
RECHECK_BATCH = 200


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@implementer(IDomainVerificationService)
class DatabaseDomainVerificationService(RequestDatabaseService):
    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.lookup = TxtLookup.from_settings(request.registry.settings)

    def domains(self, organization: Organization) -> list[OrganizationDomain]:
        return list(
            self.db.scalars(
                select(OrganizationDomain)
                .where(OrganizationDomain.organization_id == organization.id)
                .order_by(OrganizationDomain.domain)
                # Bounded by MAX_DOMAINS_PER_ORGANIZATION; the limit keeps the page so if a
                # row ever got past it.
                .limit(MAX_DOMAINS_PER_ORGANIZATION)
            )
        )

    def get_domain(self, organization: Organization, domain_id: str) -> OrganizationDomain | None:
        try:
            key = uuid.UUID(domain_id)
        except ValueError:
            return None
        domain = self.db.scalars(
            select(OrganizationDomain).where(
                OrganizationDomain.id == key,
                OrganizationDomain.organization_id == organization.id,
            )
        ).one_or_none()
        if domain is not None:
            # The organization as the caller has it (from traversal, with its ACL's roles).
            set_committed_value(domain, "organization", organization)
        return domain

    def add_domain(self, organization: Organization, text: str) -> OrganizationDomain:
        try:
            name = normalize_domain(text)
        except DomainNameRefused as refusal:
            raise DomainRefused(str(refusal)) from None
        # Two Owners adding at once must not pass the limit or the same name together.
        lock_organization(self.db, organization)
        existing = list(
            self.db.scalars(
                select(OrganizationDomain.domain).where(
                    OrganizationDomain.organization_id == organization.id
                )
            )
        )
        if name in existing:
            raise DomainRefused(f"{name} is already on the list below.")
        if len(existing) >= MAX_DOMAINS_PER_ORGANIZATION:
            raise DomainRefused(
                f"An organization can have at most {MAX_DOMAINS_PER_ORGANIZATION} domains. "
                "Remove one first."
            )
        domain = OrganizationDomain(
            organization_id=organization.id,
            domain=name,
            token=secrets.token_urlsafe(32),
            added_by_id=self.request.user.id if self.request.user is not None else None,
        )
        self.db.add(domain)
        organization.record_event(EventTag.OrganizationDomainAdd, self.request, {"domain": name})
        self.db.flush()
        return domain

    def verify_domain(self, domain: OrganizationDomain) -> DomainCheck:
        # The look-up may take seconds: no lock is held while it runs.
        found = self.lookup.check(domain.record_name, domain.record_value)
        organization = domain.organization
        current = self._locked(domain)
        if current is None:
            raise DomainRefused(f"{domain.domain} was removed meanwhile.")
        current.last_checked_at = _now()
        current.last_check_result = str(found)
        details = {"domain": current.domain, "result": str(found)}
        if found == DomainCheck.verified:
            if current.verified_at is None:
                current.verified_at = current.last_checked_at
            organization.record_event(EventTag.OrganizationDomainVerify, self.request, details)
        else:
            # A failed attempt by hand leaves an existing badge alone: only the daily re-check,
            # which tells the Owners, takes one away.
            organization.record_event(EventTag.OrganizationDomainVerifyFail, self.request, details)
        return found

    def _locked(self, domain: OrganizationDomain) -> OrganizationDomain | None:
        """The domain as committed now, under its organization's lock (the one every change to
        an organization's domains takes), or None when it was removed meanwhile."""
        lock_organization(self.db, self.db.get(Organization, domain.organization_id))
        return reload_for_update(self.db, OrganizationDomain, domain.id)

    def remove_domain(self, domain: OrganizationDomain) -> None:
        # Two removals at once: the second finds the row gone instead of deleting nothing.
        if self._locked(domain) is None:
            raise DomainRefused(f"{domain.domain} was removed meanwhile.")
        organization = self.db.get(Organization, domain.organization_id)
        organization.record_event(
            EventTag.OrganizationDomainRemove,
            self.request,
            {"domain": domain.domain, "was_verified": domain.is_verified},
        )
        self.db.delete(domain)
        self.db.flush()

    def recheck_verified_domains(self) -> RecheckSummary:
        checked = still = lost = unanswered = 0
        after: tuple[str, uuid.UUID] | None = None
        while True:
            batch = self._verified_batch(after)
            if not batch:
                break
            after = (batch[-1].domain, batch[-1].id)
            for domain in batch:
                checked += 1
                found = self.lookup.check(domain.record_name, domain.record_value)
                outcome = self._apply_recheck(domain, found)
                still += outcome == "kept"
                lost += outcome == "lost"
                unanswered += outcome == "unanswered"
        return RecheckSummary(checked, still, lost, unanswered)

    def _verified_batch(self, after: tuple[str, uuid.UUID] | None) -> list[OrganizationDomain]:
        statement = (
            select(OrganizationDomain)
            .join(Organization, Organization.id == OrganizationDomain.organization_id)
            .options(contains_eager(OrganizationDomain.organization))
            .where(OrganizationDomain.verified_at.is_not(None))
            .order_by(OrganizationDomain.domain, OrganizationDomain.id)
            .limit(RECHECK_BATCH)
        )
        if after is not None:
            statement = statement.where(
                func.row(OrganizationDomain.domain, OrganizationDomain.id) > func.row(*after)
            )
        return list(self.db.scalars(statement))

    def _apply_recheck(self, domain: OrganizationDomain, found: DomainCheck) -> str:
        organization = domain.organization
        current = self._locked(domain)
        if current is None or current.verified_at is None:
            # Removed, or taken away by another run, while this one looked it up.
            return "unanswered"
        current.last_checked_at = _now()
        current.last_check_result = str(found)
        if found == DomainCheck.verified:
            return "kept"
        if found == DomainCheck.unavailable:
            # No answer is not an answer: a resolver that times out or a zone whose servers
            # fail for an hour says nothing about the record, and taking badges (and emailing
            # every Owner) on a DNS outage would punish organizations for someone else's
            # trouble. Only a definite answer without the record (NXDOMAIN, no TXT, another
            # value) takes the badge away; the next run asks again.
            return "unanswered"
        current.verified_at = None
        organization.record_event(
            EventTag.OrganizationDomainLose,
            self.request,
            {"domain": current.domain, "result": str(found)},
        )
        email_owners_domain_lost(self.request, organization, current, found)
        return "lost"

    @classmethod
    def create_service(cls, context: Any, request: Request) -> "DatabaseDomainVerificationService":
        return cls(request)
