"""/manage/projects/ and /manage/project/<name>/...: a user's projects, each one's settings,
collaborators and history.

The context of a project page is the Project (ProjectFactory resolves the name), so its ACL
decides who may read and who may change; the views never check roles themselves.
"""

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults

from warehouse_orgs.accounts.interfaces import IUserService
from warehouse_orgs.authnz import Permissions
from warehouse_orgs.confirmation import confirmed
from warehouse_orgs.manage.project_organization_forms import (
    RemoveProjectForm,
    TransferProjectForm,
)
from warehouse_orgs.manage.project_team_forms import (
    TEAM_ROLE_CHOICES,
    ChangeTeamGrantForm,
    GrantTeamForm,
    RemoveTeamGrantForm,
)
from warehouse_orgs.organizations.emails import email_team_grant, team_grant_audience
from warehouse_orgs.organizations.interfaces import ITeamService, TeamRefused
from warehouse_orgs.organizations.models import Organization, TeamProjectRole, TeamProjectRoleType
from warehouse_orgs.organizations.project_interfaces import (
    IOrganizationProjectService,
    ProjectMovePreview,
)
from warehouse_orgs.ownership import LastOwnerRefused
from warehouse_orgs.packaging.forms import (
    ROLE_CHOICES,
    AddRoleForm,
    ChangeRoleForm,
    CreateProjectForm,
    DeleteProjectForm,
    RemoveRoleForm,
)
from warehouse_orgs.packaging.interfaces import IProjectService
from warehouse_orgs.packaging.models import ROLE_PERMISSIONS, Project, ProjectRoleName, Role
from warehouse_orgs.packaging.services import (
    ProjectNameUnavailable,
    RoleAlreadyExists,
    RoleNotFound,
)
from warehouse_orgs.pagination import page_number, page_of_loaded

CREATE = Permissions.ProjectsCreate
READ = Permissions.ProjectsRead
WRITE = Permissions.ProjectsWrite

# How the collaboration page names each permission when it shows what a role may do.
PERMISSION_LABELS: dict[Permissions, str] = {
    Permissions.ProjectsRead: "see the settings, collaborators and history",
    Permissions.ProjectsUpload: "upload releases",
    Permissions.ProjectsWrite: "manage collaborators and delete the project",
}
ROLE_GONE = "That collaborator is no longer on this project. Reload the page."
GRANT_GONE = "That team no longer has a role on this project. Reload the page."
NOT_IN_ORGANIZATION = "This project belongs to no organization, so no team can be given a role."
ROLES = "manage.project.roles"


@view_defaults(route_name="manage.projects", renderer="manage/projects/list.html")
class ProjectListPage:
    """Every project the user has a role on, and the form that creates one."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.project_service = request.find_service(IProjectService)

    def page(self, form: CreateProjectForm, status: int = 200) -> dict[str, Any]:
        self.request.response.status = status
        return {
            "projects": self.project_service.projects_for_user(
                self.request.user, page_number(self.request)
            ),
            "form": form,
        }

    # The root context grants ProjectsCreate to anyone signed in: the list shows only the
    # user's own projects, so the same permission guards reading it.
    @view_config(request_method="GET", permission=CREATE)
    def show(self) -> dict[str, Any]:
        return self.page(CreateProjectForm())

    @view_config(request_method="POST", permission=CREATE)
    def create(self) -> Any:
        form = CreateProjectForm(self.request.POST)
        if not form.validate():
            return self.page(form, 400)
        try:
            project = self.project_service.create_project(form.name.data, self.request.user)
        except ProjectNameUnavailable:
            form.name.errors = ["A project with this name already exists. Choose another."]
            return self.page(form, 400)
        self.request.session.flash(
            f"The project {project.name} is created; you are its Owner.", queue="success"
        )
        return HTTPSeeOther(
            self.request.route_path("manage.project.settings", project_name=project.name)
        )


class ProjectPage:
    """What every page of one project shares."""

    def __init__(self, project: Project, request: Request) -> None:
        self.project = project
        self.request = request
        self.project_service = request.find_service(IProjectService)

    def context(self, status: int = 200, **values: Any) -> dict[str, Any]:
        self.request.response.status = status
        return {
            "project": self.project,
            "can_write": bool(self.request.has_permission(WRITE, self.project)),
            **values,
        }

    def done(self, message: str, route_name: str) -> HTTPSeeOther:
        self.request.session.flash(message, queue="success")
        return HTTPSeeOther(self.request.route_path(route_name, project_name=self.project.name))


@view_defaults(
    route_name="manage.project.settings", context=Project, renderer="manage/projects/settings.html"
)
class ProjectSettingsPage(ProjectPage):
    """The project's details, its place in organizations (transfer, remove; see
    project_organization.py for those two actions) and its deletion."""

    def page(
        self,
        status: int = 200,
        delete_form: DeleteProjectForm | None = None,
        transfer_form: TransferProjectForm | None = None,
        remove_form: RemoveProjectForm | None = None,
        preview: ProjectMovePreview | None = None,
    ) -> Any:
        values: dict[str, Any] = {"delete_form": delete_form or DeleteProjectForm(), "move": None}
        if self.request.has_permission(WRITE, self.project):
            options = self.request.find_service(IOrganizationProjectService).move_options(
                self.project, self.request.user
            )
            values.update(
                move=options,
                transfer_form=transfer_form
                or TransferProjectForm(targets=options.targets, html_id_prefix="transfer"),
                remove_form=remove_form
                or RemoveProjectForm(choices=options.owner_choices, html_id_prefix="remove"),
                preview=preview,
            )
        return self.context(status, **values)

    @view_config(request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(request_method="POST", permission=WRITE, require_reauth=True)
    def delete(self) -> Any:
        form = DeleteProjectForm(self.request.POST)
        valid = form.validate()
        if valid and form.confirm_project_name.data != self.project.name:
            form.confirm_project_name.errors = [f"Type {self.project.name} exactly to confirm."]
            valid = False
        if not valid:
            return self.page(400, delete_form=form)
        name = self.project.name
        self.project_service.delete_project(self.project)
        self.request.session.flash(f"The project {name} is deleted.", queue="success")
        return HTTPSeeOther(self.request.route_path("manage.projects"))


@view_defaults(context=Project, renderer="manage/projects/roles.html")
class ProjectRolesPage(ProjectPage):
    """The collaborators: add, change a role, remove. Each change posts to its own URL."""

    def __init__(self, project: Project, request: Request) -> None:
        super().__init__(project, request)
        self.user_service = request.find_service(IUserService)
        self.team_service = request.find_service(ITeamService)
        self._organization: Organization | None = None
        self._organization_read = False

    @property
    def organization(self) -> Organization | None:
        """The active organization the project belongs to: its teams may be given roles."""
        if not self._organization_read:
            self._organization = self.team_service.project_organization(self.project)
            self._organization_read = True
        return self._organization

    def page(
        self,
        status: int = 200,
        add_form: AddRoleForm | None = None,
        error: str | None = None,
        refused_removal: RemoveRoleForm | None = None,
        grant_form: GrantTeamForm | None = None,
        team_error: str | None = None,
        refused_team_removal: RemoveTeamGrantForm | None = None,
    ) -> dict[str, Any]:
        refused_id = refused_removal.role_id.data if refused_removal else None
        # The project's ACL has loaded every role, with its user, in the order the page lists
        # them: the page shows 25 of them and counts the Owners without asking again. A change
        # is posted with the page number it was made on, so a refused one is shown there.
        roles = self.project.roles
        collaborators = page_of_loaded(roles, page_number(self.request))
        return self.context(
            status,
            add_form=add_form or AddRoleForm(),
            error=error,
            **self.teams_context(grant_form, team_error, refused_team_removal),
            collaborators=collaborators,
            owner_count=sum(role.role_name == ProjectRoleName.Owner for role in roles),
            # Each shown row's removal form; the refused one as it was sent, its disclosure
            # open.
            removal_forms={
                role.id: refused_removal
                if refused_removal is not None and str(role.id) == refused_id
                else RemoveRoleForm(html_id_prefix=removal_form_id(role))
                for role in collaborators.items
            },
            # On its own too, so the error summary at the top of the page finds it.
            refused_removal=refused_removal,
            role_choices=ROLE_CHOICES,
            role_permissions={
                role: [PERMISSION_LABELS[p] for p in permissions]
                for role, permissions in ROLE_PERMISSIONS.items()
            },
        )

    def teams_context(
        self,
        grant_form: GrantTeamForm | None,
        team_error: str | None,
        refused_team_removal: RemoveTeamGrantForm | None,
    ) -> dict[str, Any]:
        """The Teams section, for a project of an organization: each team's role, and for
        those who manage the project the teams that may still be given one."""
        organization = self.organization
        if organization is None:
            return {"organization": None}
        grants = self.team_service.project_grants(self.project)
        refused_id = refused_team_removal.grant_id.data if refused_team_removal else None
        context: dict[str, Any] = {
            "organization": organization,
            "grants": grants,
            "team_error": team_error,
            "team_role_choices": TEAM_ROLE_CHOICES,
            "refused_team_removal": refused_team_removal,
            "team_removal_forms": {
                grant.id: refused_team_removal
                if refused_team_removal is not None and str(grant.id) == refused_id
                else RemoveTeamGrantForm(html_id_prefix=team_removal_form_id(grant))
                for grant in grants
            },
        }
        if self.request.has_permission(WRITE, self.project):
            context["changeable_grants"] = self.team_service.changeable_grants(
                self.request.user, grants
            )
            context["grant_form"] = grant_form or self.grant_form(grants=grants)
        return context

    def grant_form(
        self, formdata: Any = None, grants: list[TeamProjectRole] | None = None
    ) -> GrantTeamForm:
        """The teams of the organization without a role on the project yet, to choose from."""
        assert self.organization is not None
        if grants is None:
            grants = self.team_service.project_grants(self.project)
        granted = {grant.team_id for grant in grants}
        names = [
            summary.team.name
            for summary in self.team_service.teams(self.organization)
            if summary.team.id not in granted
        ]
        return GrantTeamForm(formdata, team_names=names, html_id_prefix="grant-team")

    def chosen_grant(self, grant_id: str) -> TeamProjectRole | None:
        for grant in self.team_service.project_grants(self.project):
            if str(grant.id) == grant_id:
                return grant
        return None

    def chosen_role(self, form: ChangeRoleForm | RemoveRoleForm) -> Role | None:
        if not form.validate():
            return None
        return self.project_service.get_role(self.project, form.role_id.data)

    @view_config(route_name="manage.project.roles", request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(
        route_name="manage.project.roles",
        request_method="POST",
        permission=WRITE,
        require_reauth=True,
    )
    def add(self) -> Any:
        form = AddRoleForm(self.request.POST)
        if not form.validate():
            return self.page(400, add_form=form)
        user = self.user_service.get_user_by_username(form.username.data)
        if user is None:
            form.username.errors = ["There is no account with this username."]
            return self.page(400, add_form=form)
        if not user.has_verified_primary_email:
            form.username.errors = [
                f"{user.username} has not verified their email address yet, so they cannot be "
                "added."
            ]
            return self.page(400, add_form=form)
        role_name = ProjectRoleName(form.role_name.data)
        try:
            self.project_service.add_role(self.project, user, role_name)
        except RoleAlreadyExists:
            form.username.errors = [
                f"{user.username} already has a role on this project; change it in the table."
            ]
            return self.page(409, add_form=form)
        return self.done(f"{user.username} is added to {self.project.name} as {role_name}.", ROLES)

    @view_config(
        route_name="manage.project.roles.change",
        request_method="POST",
        permission=WRITE,
        require_reauth=True,
    )
    def change(self) -> Any:
        form = ChangeRoleForm(self.request.POST)
        role = self.chosen_role(form)
        if role is None:
            return self.page(400, error=form.first_error or ROLE_GONE)
        username, role_name = role.user.username, ProjectRoleName(form.role_name.data)
        try:
            self.project_service.change_role(role, role_name)
        except LastOwnerRefused:
            return self.page(409, error=last_owner_message(username, "change their role"))
        except RoleNotFound:
            return self.page(409, error=ROLE_GONE)
        return self.done(f"{username}'s role on {self.project.name} is now {role_name}.", ROLES)

    @view_config(
        route_name="manage.project.roles.delete",
        request_method="POST",
        permission=WRITE,
        require_reauth=True,
    )
    def remove(self) -> Any:
        # A confirmation that is too long is refused beside its field, on the row it names.
        probe = RemoveRoleForm(self.request.POST)
        probe.validate()
        role = (
            None
            if probe.role_id.errors
            else self.project_service.get_role(self.project, probe.role_id.data)
        )
        if role is None:
            return self.page(400, error=ROLE_GONE)
        user = role.user
        form = RemoveRoleForm(self.request.POST, html_id_prefix=removal_form_id(role))
        valid = form.validate()
        if not (confirmed(form.confirm_username, user.username) and valid):
            return self.page(400, refused_removal=form)
        try:
            self.project_service.remove_role(role)
        except LastOwnerRefused:
            return self.page(409, error=last_owner_message(user.username, "remove them"))
        except RoleNotFound:
            return self.page(409, error=ROLE_GONE)
        if user.id == self.request.user.id:
            # Their own access went with the role: the project's pages would now answer 403.
            self.request.session.flash(f"You left {self.project.name}.", queue="success")
            return HTTPSeeOther(self.request.route_path("manage.projects"))
        return self.done(f"{user.username} is removed from {self.project.name}.", ROLES)

    @view_config(
        route_name="manage.project.roles.team",
        request_method="POST",
        permission=WRITE,
        require_reauth=True,
    )
    def grant_team(self) -> Any:
        if self.organization is None:
            return self.page(400, error=NOT_IN_ORGANIZATION)
        form = self.grant_form(self.request.POST)
        if not form.validate():
            return self.page(400, grant_form=form)
        team = self.team_service.get_team(self.organization, form.team_name.data)
        role_name = TeamProjectRoleType(form.role_name.data)
        try:
            if team is None:
                raise TeamRefused(f"The team {form.team_name.data} no longer exists.")
            self.team_service.grant_project(team, self.project, role_name)
        except TeamRefused as refusal:
            form.team_name.errors = [str(refusal)]
            return self.page(409, grant_form=form)
        email_team_grant(
            self.request,
            team_grant_audience(self.request, team, self.project),
            "organization-team-project-role-added-for-member",
            "organization-team-project-role-added",
            team=team,
            project=self.project,
            role=role_name,
        )
        return self.done(
            f"The team {team.name} is now {role_name} of {self.project.name}: its members "
            "have that role.",
            ROLES,
        )

    @view_config(
        route_name="manage.project.roles.team.change",
        request_method="POST",
        permission=WRITE,
        require_reauth=True,
    )
    def change_team(self) -> Any:
        form = ChangeTeamGrantForm(self.request.POST)
        if not form.validate():
            return self.page(400, team_error=form.first_error)
        grant = self.chosen_grant(form.grant_id.data)
        if grant is None:
            return self.page(400, team_error=GRANT_GONE)
        team, role_name = grant.team, TeamProjectRoleType(form.role_name.data)
        team_name = team.name
        try:
            old_role = self.team_service.change_grant(grant, role_name)
        except TeamRefused as refusal:
            return self.page(409, team_error=str(refusal))
        if old_role is not None:
            email_team_grant(
                self.request,
                team_grant_audience(self.request, team, self.project),
                "organization-team-project-role-changed-for-member",
                "organization-team-project-role-changed",
                team=team,
                project=self.project,
                role=role_name,
                old_role=old_role,
            )
        return self.done(
            f"The team {team_name}'s role on {self.project.name} is now {role_name}.", ROLES
        )

    @view_config(
        route_name="manage.project.roles.team.delete",
        request_method="POST",
        permission=WRITE,
        require_reauth=True,
    )
    def remove_team(self) -> Any:
        # A confirmation that is too long is refused beside its field, on the row it names.
        probe = RemoveTeamGrantForm(self.request.POST)
        probe.validate()
        grant = None if probe.grant_id.errors else self.chosen_grant(probe.grant_id.data)
        if grant is None:
            return self.page(400, team_error=GRANT_GONE)
        team_name = grant.team.name
        form = RemoveTeamGrantForm(self.request.POST, html_id_prefix=team_removal_form_id(grant))
        valid = form.validate()
        if not (confirmed(form.confirm_team_name, team_name) and valid):
            return self.page(400, refused_team_removal=form)
        team, role_name = grant.team, grant.role_name
        # Who the role reached is read before it goes.
        audience = team_grant_audience(self.request, team, self.project)
        try:
            self.team_service.revoke_grant(grant)
        except TeamRefused as refusal:
            return self.page(409, team_error=str(refusal))
        email_team_grant(
            self.request,
            audience,
            "organization-team-project-role-removed-for-member",
            "organization-team-project-role-removed",
            team=team,
            project=self.project,
            role=role_name,
        )
        return self.done(
            f"The team {team_name} no longer has a role on {self.project.name}.", ROLES
        )


def removal_form_id(role: Role) -> str:
    return f"remove-role-{role.id}"


def team_removal_form_id(grant: TeamProjectRole) -> str:
    return f"remove-team-{grant.id}"


def last_owner_message(username: str, action: str) -> str:
    return (
        f"{username} is the only Owner of this project. Make someone else an Owner before you "
        f"{action}."
    )


class ProjectHistoryPage(ProjectPage):
    @view_config(
        route_name="manage.project.history",
        context=Project,
        renderer="manage/projects/history.html",
        request_method="GET",
        permission=READ,
    )
    def show(self) -> dict[str, Any]:
        page = self.project_service.history(self.project, page_number(self.request))
        return self.context(events=page)
