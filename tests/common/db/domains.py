import factory

from tests.common.db import ModelFactory
from tests.common.db.organizations import OrganizationFactory
from warehouse_orgs.domains.models import OrganizationDomain


class OrganizationDomainFactory(ModelFactory):
    """A domain added to an organization and not verified yet."""

    class Meta:
        model = OrganizationDomain

    organization = factory.SubFactory(OrganizationFactory)
    domain = factory.Sequence(lambda n: f"domain-{n}.example.org")
    token = factory.Sequence(lambda n: f"test-token-{n:032d}")
