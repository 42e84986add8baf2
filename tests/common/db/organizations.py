import datetime

import factory

from tests.common.db import ModelFactory
from tests.common.db.accounts import UserFactory
from tests.common.db.packaging import ProjectFactory
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationApplication,
    OrganizationInvitation,
    OrganizationNameCatalog,
    OrganizationProject,
    OrganizationRole,
    Team,
    TeamProjectRole,
    TeamProjectRoleType,
    TeamRole,
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


class TeamFactory(ModelFactory):
    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class TeamRoleFactory(ModelFactory):
    """A membership of ``team`` for ``organization_role`` (by default a new Member of the
    team's organization). The keys are composite, so the row is made by ids."""

    class Meta:
        model = TeamRole
        exclude = ("team", "organization_role")

    team = factory.SubFactory(TeamFactory)
    organization_role = factory.SubFactory(
        OrganizationRoleFactory,
        organization=factory.SelfAttribute("..team.organization"),
        role_name=OrganizationRoleType.Member,
    )
    team_id = factory.SelfAttribute("team.id")
    organization_id = factory.SelfAttribute("team.organization_id")
    organization_role_id = factory.SelfAttribute("organization_role.id")
    organization_role_name = factory.SelfAttribute("organization_role.role_name")


class TeamProjectRoleFactory(ModelFactory):
    """A team's role on a project (Maintainer by default). It does not put the project in the
    team's organization: ``OrganizationProjectFactory`` does."""

    class Meta:
        model = TeamProjectRole

    team = factory.SubFactory(TeamFactory)
    project = factory.SubFactory(ProjectFactory)
    role_name = TeamProjectRoleType.Maintainer


class OrganizationProjectFactory(ModelFactory):
    class Meta:
        model = OrganizationProject

    organization_id = factory.LazyAttribute(lambda o: o.organization.id)
    project_id = factory.LazyAttribute(lambda o: o.project.id)

    class Params:
        organization = factory.SubFactory(OrganizationFactory)
        project = factory.SubFactory(ProjectFactory)
