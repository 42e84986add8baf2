import datetime

import factory

from tests.common.db import ModelFactory
from tests.common.db.accounts import UserFactory
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationApplication,
    OrganizationInvitation,
    OrganizationNameCatalog,
    OrganizationRole,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.services import hash_token


class OrganizationFactory(ModelFactory):
    """An active Community organization, with its name in the catalog."""

    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"org-{n}")
    display_name = factory.LazyAttribute(lambda o: o.name.title())
    orgtype = "Community"
    link_url = factory.LazyAttribute(lambda o: f"https://{o.name}.example.com/")
    description = "An organization made by a test."

    @factory.post_generation
    def catalog(obj: Organization, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            session = OrganizationFactory._meta.sqlalchemy_session
            session.refresh(obj, ["normalized_name"])
            session.add(
                OrganizationNameCatalog(normalized_name=obj.normalized_name, organization_id=obj.id)
            )
            session.flush()


class OrganizationRoleFactory(ModelFactory):
    class Meta:
        model = OrganizationRole

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role_name = OrganizationRoleType.Owner


class OrganizationApplicationFactory(ModelFactory):
    class Meta:
        model = OrganizationApplication

    name = factory.Sequence(lambda n: f"applied-{n}")
    display_name = factory.LazyAttribute(lambda o: o.name.title())
    orgtype = "Community"
    link_url = "https://example.com/"
    description = "Please."
    usage = "We maintain several packages together and want one place for them."
    membership_size = "2-5"
    submitted_by = factory.SubFactory(UserFactory)


class OrganizationInvitationFactory(ModelFactory):
    """A pending invitation whose token is ``token`` (only its hash is stored)."""

    class Meta:
        model = OrganizationInvitation
        exclude = ("token",)

    token = factory.Sequence(lambda n: f"invitation-token-{n}")
    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role_name = OrganizationRoleType.Member
    token_hash = factory.LazyAttribute(lambda o: hash_token(o.token))
    expires_at = factory.LazyFunction(
        lambda: datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=7)
    )
