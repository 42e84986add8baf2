"""Who hears about a change to an organization, and which message they get.

Each function renders now and delivers after commit (see ``warehouse_orgs.email``); people
without a verified primary address are skipped.
"""

from dataclasses import dataclass
from typing import Any

from pyramid.request import Request

from warehouse_orgs.accounts.interfaces import IUserService
from warehouse_orgs.accounts.models import User
from warehouse_orgs.email import send_email
from warehouse_orgs.events.history import actor_name
from warehouse_orgs.organizations.interfaces import (
    IOrganizationMembershipService,
    IOrganizationService,
    ITeamService,
)
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationApplication,
    OrganizationInvitation,
    Team,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.project_interfaces import ProjectMovePreview
from warehouse_orgs.packaging.models import Project, ProjectRoleName


def owners_of(request: Request, organization: Organization) -> list[User]:
    return request.find_service(IOrganizationMembershipService).owners(organization)


def email_user(request: Request, name: str, user: User, **context: Any) -> None:
    primary = user.primary_email
    if primary is None or not primary.verified:
        return
    send_email(request, name, primary.email, reader=user.username, **context)


def email_invitee(
    request: Request, invitation: OrganizationInvitation, name: str, **context: Any
) -> None:
    """Mail the invitee: an invitation made by address goes to that address (to the account
    that verified it, by its username, or, bound to the address, to nobody by name: message
    ``name``-by-address, which has nothing of what the inviter typed); one made by username
    goes to the account's primary address."""
    if invitation.user is None:
        send_email(request, f"{name}-by-address", invitation.email, **context)
    elif invitation.is_by_address:
        send_email(
            request, name, invitation.invited_address, reader=invitation.user.username, **context
        )
    else:
        email_user(request, name, invitation.user, **context)


def email_owners(
    request: Request,
    name: str,
    organization: Organization,
    *,
    owners: list[User] | None = None,
    exclude: User | None = None,
    **context: Any,
) -> None:
    """Email every Owner (``owners`` when they were collected before a deletion)."""
    for owner in owners if owners is not None else owners_of(request, organization):
        if exclude is not None and owner.id == exclude.id:
            continue
        email_user(
            request,
            name,
            owner,
            organization_name=organization.name,
            initiator=actor_name(request),
            **context,
        )


def email_applicant(
    request: Request, application: OrganizationApplication, name: str, **context: Any
) -> None:
    """Tell the applicant how their application moved."""
    email_user(
        request,
        name,
        application.submitted_by,
        username=application.submitted_by.username,
        organization_name=application.name,
        application_url=request.route_url(
            "manage.organizations.application", application_id=application.id
        ),
        **context,
    )


def email_team_created(request: Request, team: Team) -> None:
    """Tell the organization's Owners and Managers, who run its teams, that one was made;
    not whoever made it."""
    organization = team.organization
    for role in request.find_service(IOrganizationMembershipService).roles(organization):
        if role.role_name not in (OrganizationRoleType.Owner, OrganizationRoleType.Manager):
            continue
        if role.user_id == request.user.id:
            continue
        email_user(
            request,
            "organization-team-created",
            role.user,
            organization_name=organization.name,
            team_name=team.name,
            initiator=actor_name(request),
        )


@dataclass(frozen=True)
class TeamGrantAudience:
    """Who hears about a change to a team's role on a project: the team's members, whose
    access changes, and the Owners who are not on the team (the project's own and the
    organization's), who answer for who reaches the project. Never the person who acted."""

    members: list[User]
    owners: list[User]


def team_grant_audience(request: Request, team: Team, project: Project) -> TeamGrantAudience:
    """Collect the audience now: once a role is removed, who it reached is no longer asked."""
    actor_id = request.user.id
    members = [
        team_role.organization_role.user
        for team_role in request.find_service(ITeamService).team_members(team)
    ]
    on_team = {user.id for user in members}
    project_owners = [
        role.user for role in project.roles if role.role_name == ProjectRoleName.Owner
    ]
    owners: dict[Any, User] = {}
    for user in [*project_owners, *owners_of(request, team.organization)]:
        if user.id not in on_team and user.id != actor_id:
            owners.setdefault(user.id, user)
    return TeamGrantAudience(
        members=[user for user in members if user.id != actor_id],
        owners=sorted(owners.values(), key=lambda user: user.username),
    )


def email_team_grant(
    request: Request,
    audience: TeamGrantAudience,
    name_for_members: str,
    name_for_owners: str,
    *,
    team: Team,
    project: Project,
    role: str,
    old_role: str | None = None,
) -> None:
    """Tell a team's members and the project's Owners that the team was given a role on the
    project, that the role changed (``old_role`` is what it was), or that it was taken away."""
    context = {
        "organization_name": team.organization.name,
        "team_name": team.name,
        "project_name": project.name,
        "role": str(role),
        "old_role": None if old_role is None else str(old_role),
        "initiator": actor_name(request),
    }
    for user in audience.members:
        email_user(request, name_for_members, user, **context)
    for user in audience.owners:
        email_user(request, name_for_owners, user, **context)


def email_project_moved(request: Request, project: Project, preview: ProjectMovePreview) -> None:
    """Tell the Owners of the organization a project joined, and of the one it left, what
    happened to it, the person left its Owner by a removal, and everyone else who lost their
    access to it (a team's member, say); never whoever did it."""
    organizations = request.find_service(IOrganizationService)
    common = {"project_name": project.name}
    if preview.target is not None:
        target = organizations.get_organization_by_name(preview.target)
        if target is not None:
            email_owners(
                request,
                "organization-project-added",
                target,
                exclude=request.user,
                source_name=preview.source,
                **common,
            )
    if preview.source is None:
        return
    source = organizations.get_organization_by_name(preview.source)
    if source is None:
        return
    owners = owners_of(request, source)
    if preview.new_owner is not None:
        new_owner = request.find_service(IUserService).get_user_by_username(preview.new_owner)
        if new_owner is not None and all(owner.id != new_owner.id for owner in owners):
            owners.append(new_owner)
    email_owners(
        request,
        "organization-project-removed",
        source,
        owners=owners,
        exclude=request.user,
        target_name=preview.target,
        new_owner=preview.new_owner,
        losing=preview.losing,
        **common,
    )
    told = {owner.username for owner in owners} | {request.user.username}
    users = request.find_service(IUserService)
    for username in preview.losing:
        if username in told:
            continue
        user = users.get_user_by_username(username)
        if user is not None:
            email_user(
                request,
                "organization-project-access-ended",
                user,
                organization_name=source.name,
                target_name=preview.target,
                initiator=actor_name(request),
                **common,
            )
