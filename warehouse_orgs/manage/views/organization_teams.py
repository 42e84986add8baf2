"""/manage/organization/<name>/teams/ and /manage/organization/<name>/team/<team_name>/...:
an organization's teams, who is on them, and what they reach.

Who may do what comes from the organization's ACL (a team's ACL is its organization's): every
member reads, Owners and Managers change. The one rule the ACL cannot say, that taking someone
else off a team needs OrganizationTeamsManage while leaving needs only OrganizationsRoleRemove,
is checked in ``remove``. The rules themselves (names, who may be on a team, the locks) are the
team service's; these views turn its refusals into words beside the field.
"""

from dataclasses import dataclass, field
from typing import Any

from pyramid.httpexceptions import HTTPForbidden, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults
from sqlalchemy import select

from warehouse_orgs.accounts.models import User
from warehouse_orgs.authnz import Permissions
from warehouse_orgs.confirmation import confirmed
from warehouse_orgs.manage.team_forms import (
    AddTeamMemberForm,
    DeleteTeamForm,
    RemoveTeamMemberForm,
    TeamNameForm,
)
from warehouse_orgs.manage.views.organization_page import OrganizationPage
from warehouse_orgs.organizations.emails import email_team_created, email_user
from warehouse_orgs.organizations.interfaces import (
    ITeamService,
    TeamNameUnavailable,
    TeamRefused,
)
from warehouse_orgs.organizations.models import Organization, Team, TeamRole
from warehouse_orgs.pagination import page_number, paginate

READ = Permissions.OrganizationTeamsRead
MANAGE_TEAMS = Permissions.OrganizationTeamsManage
TEAMS = "manage.organization.teams"
SETTINGS = "manage.team.settings"
MEMBERS = "manage.team.roles"
GONE = "That person is no longer on the team. Reload the page."
# The add field suggests at most this many members as one types; anyone else is typed in full.
SUGGESTED_MEMBERS = 100


def refusal_status(refusal: TeamRefused) -> int:
    # A name someone else holds is a conflict; a name against the rules is bad input.
    return 409 if isinstance(refusal, TeamNameUnavailable) else 400


@view_defaults(context=Organization, route_name=TEAMS, renderer="manage/organization/teams.html")
class OrganizationTeamsPage(OrganizationPage):
    shows_standing = True

    def page(self, status: int = 200, create_form: TeamNameForm | None = None) -> dict[str, Any]:
        teams = self.request.find_service(ITeamService)
        return self.context(
            status,
            teams=teams.teams_page(self.organization, page_number(self.request)),
            create_form=create_form or TeamNameForm(html_id_prefix="create-team"),
            can_manage_teams=bool(self.request.has_permission(MANAGE_TEAMS, self.organization)),
        )

    @view_config(request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(request_method="POST", permission=MANAGE_TEAMS, require_reauth=True)
    def create(self) -> Any:
        form = TeamNameForm(self.request.POST, html_id_prefix="create-team")
        if not form.validate():
            return self.page(400, create_form=form)
        try:
            team = self.request.find_service(ITeamService).create_team(
                self.organization, form.name.data
            )
        except TeamRefused as refusal:
            form.name.errors = [str(refusal)]
            return self.page(refusal_status(refusal), create_form=form)
        email_team_created(self.request, team)
        self.request.session.flash(
            f"The team {team.name} is created. Add its members here.", queue="success"
        )
        return HTTPSeeOther(team_path(self.request, MEMBERS, team))


def team_path(request: Request, route_name: str, team: Team) -> str:
    return request.route_path(
        route_name, organization_name=team.organization.name, team_name=team.name
    )


class TeamPage(OrganizationPage):
    """What every page of one team shares: the team (the context), its organization, the
    team service, and whether the person looking may change the team."""

    shows_standing = True

    def __init__(self, team: Team, request: Request) -> None:
        super().__init__(team.organization, request)
        self.team = team
        self.teams = request.find_service(ITeamService)

    def context(self, status: int = 200, **values: Any) -> dict[str, Any]:
        return super().context(
            status,
            team=self.team,
            can_manage_teams=bool(self.request.has_permission(MANAGE_TEAMS, self.team)),
            **values,
        )

    def done(self, message: str, route_name: str) -> HTTPSeeOther:
        self.request.session.flash(message, queue="success")
        return HTTPSeeOther(team_path(self.request, route_name, self.team))

    def email_member(self, name: str, user: User) -> None:
        """Tell ``user`` what someone else did to their place on the team."""
        if user.id == self.request.user.id:
            return
        email_user(
            self.request,
            name,
            user,
            organization_name=self.organization.name,
            team_name=self.team.name,
            initiator=self.request.user.username,
        )


@view_defaults(context=Team, route_name=SETTINGS, renderer="manage/organization/team_settings.html")
class TeamSettingsPage(TeamPage):
    def page(
        self,
        status: int = 200,
        rename_form: TeamNameForm | None = None,
        delete_form: DeleteTeamForm | None = None,
        error: str = "",
    ) -> dict[str, Any]:
        return self.context(
            status,
            rename_form=rename_form
            or TeamNameForm(data={"name": self.team.name}, html_id_prefix="rename-team"),
            delete_form=delete_form or DeleteTeamForm(html_id_prefix="delete-team"),
            # Loaded here rather than in the template, so the page's statements stay fixed.
            members=self.teams.team_members(self.team),
            projects=self.teams.team_projects(self.team),
            error=error,
        )

    @view_config(request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(request_method="POST", permission=MANAGE_TEAMS, require_reauth=True)
    def rename(self) -> Any:
        form = TeamNameForm(self.request.POST, html_id_prefix="rename-team")
        if not form.validate():
            return self.page(400, rename_form=form)
        try:
            old = self.teams.rename_team(self.team, form.name.data)
        except TeamRefused as refusal:
            form.name.errors = [str(refusal)]
            return self.page(refusal_status(refusal), rename_form=form)
        if old is None:
            return self.done("Nothing changed.", SETTINGS)
        return self.done(f"The team {old} is now called {self.team.name}.", SETTINGS)

    @view_config(
        request_method="POST",
        request_param="confirm_team_name",
        permission=MANAGE_TEAMS,
        require_reauth=True,
    )
    def delete(self) -> Any:
        form = DeleteTeamForm(self.request.POST, html_id_prefix="delete-team")
        valid = form.validate()
        if not (confirmed(form.confirm_team_name, self.team.name) and valid):
            return self.page(400, delete_form=form)
        name, organization = self.team.name, self.organization
        try:
            memberships = self.teams.delete_team(self.team)
        except TeamRefused as refusal:
            return self.page(409, error=str(refusal))
        for membership in memberships:
            self.email_member("organization-team-deleted", membership.organization_role.user)
        self.request.session.flash(f"The team {name} is deleted.", queue="success")
        return HTTPSeeOther(self.request.route_path(TEAMS, organization_name=organization.name))


@dataclass
class MemberRow:
    """One line of the team's members table and what the person looking may do with it."""

    team_role: TeamRole
    is_me: bool
    can_remove: bool
    can_leave: bool
    removal_form: RemoveTeamMemberForm = field(repr=False)

    @property
    def user(self) -> User:
        return self.team_role.organization_role.user


def removal_form_id(team_role: TeamRole) -> str:
    return f"remove-team-role-{team_role.id}"


@view_defaults(context=Team, renderer="manage/organization/team_members.html")
class TeamMembersPage(TeamPage):
    def page(
        self,
        status: int = 200,
        add_form: AddTeamMemberForm | None = None,
        refused: tuple[str, RemoveTeamMemberForm] | None = None,
        error: str = "",
    ) -> dict[str, Any]:
        members = self.teams.team_members_page(self.team, page_number(self.request))
        can_manage = bool(self.request.has_permission(MANAGE_TEAMS, self.team))
        # Only those who may add someone are offered suggestions; none at all means there is
        # nobody to add.
        candidates = (
            self.teams.candidate_usernames(self.team, SUGGESTED_MEMBERS) if can_manage else []
        )
        may_leave = bool(
            self.request.has_permission(Permissions.OrganizationsRoleRemove, self.team)
        )
        rows = []
        for member in members.items:
            form_id = removal_form_id(member)
            is_me = member.organization_role.user_id == self.request.user.id
            rows.append(
                MemberRow(
                    team_role=member,
                    is_me=is_me,
                    can_remove=can_manage and not is_me,
                    can_leave=is_me and may_leave,
                    removal_form=refused[1]
                    if refused and refused[0] == form_id
                    else RemoveTeamMemberForm(html_id_prefix=form_id),
                )
            )
        return self.context(
            status,
            rows=rows,
            members=members,
            candidates=candidates,
            show_actions=any(row.can_remove or row.can_leave for row in rows),
            add_form=add_form or AddTeamMemberForm(html_id_prefix="add-member"),
            error=error,
            # Also on its own, so the error summary at the top finds it.
            refused_removal=refused[1] if refused else None,
        )

    @view_config(route_name=MEMBERS, request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(
        route_name=MEMBERS, request_method="POST", permission=MANAGE_TEAMS, require_reauth=True
    )
    def add(self) -> Any:
        form = AddTeamMemberForm(self.request.POST, html_id_prefix="add-member")
        if not form.validate():
            return self.page(400, add_form=form)
        try:
            team_role = self.teams.add_member_by_username(self.team, form.username.data)
        except TeamRefused as refusal:
            form.username.errors = [str(refusal)]
            return self.page(refusal_status(refusal), add_form=form)
        user = team_role.organization_role.user
        self.email_member("organization-team-member-added", user)
        return self.done(f"{user.username} is on the team {self.team.name}.", MEMBERS)

    @view_config(
        route_name="manage.team.delete_role",
        request_method="POST",
        permission=Permissions.OrganizationsRoleRemove,
        require_reauth=True,
    )
    def remove(self) -> Any:
        # Which confirmation applies, and the ids of its fields, depend on the row it names.
        form = RemoveTeamMemberForm(self.request.POST)
        form.validate()
        team_role = (
            None if form.role_id.errors else self.teams.get_team_role(self.team, form.role_id.data)
        )
        if team_role is None:
            return self.page(400, error=GONE)
        user = team_role.organization_role.user
        leaving = user.id == self.request.user.id
        if not leaving and not self.request.has_permission(MANAGE_TEAMS, self.team):
            raise HTTPForbidden("Only Owners and Managers can take other people off a team.")
        form_id = removal_form_id(team_role)
        form = RemoveTeamMemberForm(self.request.POST, html_id_prefix=form_id)
        valid = form.validate()
        if leaving:
            valid = confirmed(form.confirm_team_name, self.team.name) and valid
        else:
            valid = confirmed(form.confirm_username, user.username) and valid
        if not valid:
            return self.page(400, refused=(form_id, form))
        try:
            self.teams.remove_member(team_role)
        except TeamRefused as refusal:
            return self.page(409, error=str(refusal))
        if leaving:
            return self.done(f"You left the team {self.team.name}.", MEMBERS)
        self.email_member("organization-team-member-removed", user)
        return self.done(f"{user.username} is off the team {self.team.name}.", MEMBERS)


@view_config(
    route_name="manage.team.projects",
    context=Team,
    renderer="manage/organization/team_projects.html",
    request_method="GET",
    permission=READ,
)
class TeamProjectsPage(TeamPage):
    def __call__(self) -> dict[str, Any]:
        return self.context(
            grants=self.teams.team_projects_page(self.team, page_number(self.request))
        )


@view_config(
    route_name="manage.team.history",
    context=Team,
    renderer="manage/organization/team_history.html",
    request_method="GET",
    permission=READ,
)
class TeamHistoryPage(TeamPage):
    def __call__(self) -> dict[str, Any]:
        event = Team.Event
        query = (
            select(event)
            .where(event.source_id == self.team.id)
            .order_by(event.time.desc(), event.id)
        )
        return self.context(events=paginate(self.request.db, query, page_number(self.request)))
