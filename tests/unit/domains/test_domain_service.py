"""The verified-domain service's rules that a page cannot show on its own: the limit holds
when two Owners add at once."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.common.concurrency import service_request
from tests.common.races import race
from warehouse_orgs.domains.interfaces import DomainRefused
from warehouse_orgs.domains.models import MAX_DOMAINS_PER_ORGANIZATION, OrganizationDomain
from warehouse_orgs.domains.services import DatabaseDomainVerificationService
from warehouse_orgs.organizations.models import Organization


def _organization_with_domains(engine: Any, count: int) -> None:
    with Session(engine) as setup:
        organization = Organization(
            name="raced", display_name="Raced", orgtype="Community", link_url="https://x.org/",
            description="",
        )  # fmt: skip
        setup.add(organization)
        setup.flush()
        for n in range(count):
            setup.add(
                OrganizationDomain(
                    organization_id=organization.id, domain=f"d{n}.example.org", token=f"t{n}"
                )
            )
        setup.commit()


def _add(registry: Any, domain: str) -> Any:
    def add(session: Session) -> str:
        organization = session.scalars(
            select(Organization).where(Organization.name == "raced")
        ).one()
        service = DatabaseDomainVerificationService(service_request(registry, session))
        return service.add_domain(organization, domain).domain

    return add


def test_two_owners_adding_the_last_free_place_at_once_add_one(app_registry, committed_database):
    _organization_with_domains(committed_database, MAX_DOMAINS_PER_ORGANIZATION - 1)

    first, second = race(
        committed_database, _add(app_registry, "one.org"), _add(app_registry, "two.org")
    )

    assert first.succeeded
    assert isinstance(second.error, DomainRefused)
    assert "at most" in str(second.error)
    with Session(committed_database) as check:
        assert check.scalar(select(func.count()).select_from(OrganizationDomain)) == (
            MAX_DOMAINS_PER_ORGANIZATION
        )


def test_two_owners_adding_the_same_domain_at_once_add_it_once(app_registry, committed_database):
    _organization_with_domains(committed_database, 0)

    first, second = race(
        committed_database, _add(app_registry, "Same.org"), _add(app_registry, "same.org")
    )

    assert first.succeeded
    assert isinstance(second.error, DomainRefused)
    assert "already on the list" in str(second.error)


def _remove(registry: Any) -> Any:
    def remove(session: Session) -> None:
        domain = session.scalars(
            select(OrganizationDomain).where(OrganizationDomain.domain == "d0.example.org")
        ).one()
        DatabaseDomainVerificationService(service_request(registry, session)).remove_domain(domain)

    return remove


def test_two_owners_removing_the_same_domain_at_once_remove_it_once(
    app_registry, committed_database
):
    # Without the organization's lock and a fresh look at the row, the second removal deleted
    # a row already gone, and the request failed with a 500.
    _organization_with_domains(committed_database, 1)

    first, second = race(committed_database, _remove(app_registry), _remove(app_registry))

    assert first.succeeded
    assert isinstance(second.error, DomainRefused)
    assert "removed meanwhile" in str(second.error)
    with Session(committed_database) as check:
        assert check.scalar(select(func.count()).select_from(OrganizationDomain)) == 0
