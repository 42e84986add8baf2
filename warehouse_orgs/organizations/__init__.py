"""Organizations: applications, review, roles, invitations and their history."""

import datetime
from typing import Any

from pyramid.authorization import Allow
from pyramid.config import Configurator
from pyramid.request import Request
from sqlalchemy import Select, exists, select

from warehouse_orgs.accounts.models import User
from warehouse_orgs.authnz import user_principal
from warehouse_orgs.organizations.interfaces import (
    IOrganizationApplicationService,
    IOrganizationMembershipService,
    IOrganizationService,
    ITeamService,
    ProjectAccess,
)
from warehouse_orgs.organizations.models import OrganizationProject, OrganizationRole
from warehouse_orgs.organizations.owner_approval_interfaces import IOwnerApprovalService
from warehouse_orgs.organizations.project_interfaces import IOrganizationProjectService
from warehouse_orgs.organizations.project_maintainers import opted_in_team_members
from warehouse_orgs.organizations.project_owner import owning_organization
from warehouse_orgs.organizations.services import (
    DatabaseOrganizationApplicationService,
    DatabaseOrganizationMembershipService,
    DatabaseOrganizationService,
    DatabaseTeamService,
)
from warehouse_orgs.organizations.services.owner_approval import DatabaseOwnerApprovalService
from warehouse_orgs.organizations.services.projects import DatabaseOrganizationProjectService
from warehouse_orgs.organizations.services.succession import DatabaseSuccessionService
from warehouse_orgs.organizations.succession_interfaces import ISuccessionService
from warehouse_orgs.organizations.tasks import (
    complete_due_handovers,
    expire_organization_invitations,
    find_ownerless_risk_organizations,
    lapse_overdue_owner_changes,
)
from warehouse_orgs.packaging.models import ACE, Project, ProjectRoleName
from warehouse_orgs.packaging.models import ROLE_PERMISSIONS as PROJECT_ROLE_PERMISSIONS


def refuse_deleting_sole_owners(request: Request, user: User, *, lock: bool) -> list[str]:
    """The only Owner of an organization cannot delete the account: nobody could manage it.
    Nor can one of two Owners of an organization that requires a second Owner's approval
    (issue 13): it keeps two Owners while the rule is on."""
    membership = request.find_service(IOrganizationMembershipService)
    needing = membership.organizations_needing_owner(user, lock=lock)
    names = [name for name, keeps in needing if keeps == 1]
    pairs = [name for name, keeps in needing if keeps == 2]
    reasons = []
    if names:
        reasons.append(
            f"You are the only owner of the organization{'s' if len(names) > 1 else ''} "
            f"{', '.join(names)}. Make someone else an owner first."
        )
    if pairs:
        reasons.append(
            f"{', '.join(pairs)} require{'s' if len(pairs) == 1 else ''} a second Owner's "
            "approval for owner changes, so keep at least two Owners: add another Owner "
            "first, or have the rule turned off."
        )
    return reasons


def record_account_deletion(request: Request, user: User) -> None:
    request.find_service(IOrganizationMembershipService).record_account_deletion(user)


def land_members_on_their_organizations(request: Request, user: User) -> str | None:
    """After logging in, a member of any organization lands on the list of them."""
    member = request.db.scalar(select(exists().where(OrganizationRole.user_id == user.id)))
    return request.route_path("manage.organizations") if member else None


def organization_owner_entries(access: list[ProjectAccess]) -> list[ACE]:
    """The Owners of the organization that owns a project administer it, as its own Owners
    do (ARCHITECTURE.md, Permissions)."""
    permissions = [str(p) for p in PROJECT_ROLE_PERMISSIONS[ProjectRoleName.Owner]]
    return [(Allow, user_principal(a.user_id), permissions) for a in access if a.team is None]


def team_entries(access: list[ProjectAccess]) -> list[ACE]:
    """Members of a team with a role on a project hold that role's permissions, while the
    project belongs to the team's organization (ARCHITECTURE.md, invariant 3)."""
    return [
        (
            Allow,
            user_principal(a.user_id),
            [str(p) for p in PROJECT_ROLE_PERMISSIONS[ProjectRoleName(a.role_name)]],
        )
        for a in access
        if a.team is not None
    ]


def organization_access_to_project(request: Request, project: Project) -> list[ACE]:
    """What the project's organization grants: its Owners, then its teams. Both sources are
    read in one statement, so a project's ACL costs the same however many there are."""
    access = request.find_service(ITeamService).project_access(project.id)
    return [*organization_owner_entries(access), *team_entries(access)]


def projects_reached_through_organizations(request: Request, user: User) -> Select[Any]:
    return request.find_service(IOrganizationProjectService).reached_projects(user)


def projects_of_organizations(request: Request) -> Select[Any]:
    """Projects an organization owns: its Owners administer them, so they need no individual
    Owner (the database's owner rule says the same, whether the organization is active or
    not)."""
    return select(OrganizationProject.project_id)


def includeme(config: Configurator) -> None:
    config.include(".badges")
    config.include(".review_facts")
    config.include(".seats")
    config.include(".deletion")
    config.include(".directory")
    config.include(".cache_keys")
    config.register_service_factory(
        DatabaseOrganizationService.create_service, IOrganizationService
    )
    config.register_service_factory(
        DatabaseOrganizationApplicationService.create_service, IOrganizationApplicationService
    )
    config.register_service_factory(
        DatabaseOrganizationMembershipService.create_service, IOrganizationMembershipService
    )
    config.register_service_factory(DatabaseTeamService.create_service, ITeamService)
    config.register_service_factory(
        DatabaseOrganizationProjectService.create_service, IOrganizationProjectService
    )
    config.register_service_factory(DatabaseSuccessionService.create_service, ISuccessionService)
    config.register_service_factory(
        DatabaseOwnerApprovalService.create_service, IOwnerApprovalService
    )
    config.add_account_deletion_check(refuse_deleting_sole_owners)
    config.add_account_deletion_hook(record_account_deletion)
    config.add_login_landing(land_members_on_their_organizations)
    config.add_project_access_source(organization_access_to_project)
    config.add_project_owner_lookup(owning_organization)
    config.add_project_maintainer_source(opted_in_team_members)
    config.add_user_project_source(projects_reached_through_organizations)
    config.add_owner_rule_exemption(projects_of_organizations)
    config.add_periodic_task(expire_organization_invitations, datetime.timedelta(hours=1))
    config.add_periodic_task(find_ownerless_risk_organizations, datetime.timedelta(days=1))
    config.add_periodic_task(complete_due_handovers, datetime.timedelta(hours=1))
    config.add_periodic_task(lapse_overdue_owner_changes, datetime.timedelta(hours=1))
