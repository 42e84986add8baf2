"""/manage/organization/<name>/projects/: the organization's projects, who reaches each and
through what; adding a project one owns (a preview first, nothing changes until it is
confirmed) and creating a new one in the organization.

Every member reads; Owners and Managers add and create (OrganizationProjectsAdd). Whether the
person may add this project (they own it, it is in no organization) is the service's rule; the
views turn its refusals into words beside the field.
"""

from typing import Any

from pyramid.view import view_config, view_defaults

from warehouse_orgs.authnz import Permissions
from warehouse_orgs.manage.organization_project_forms import AddProjectForm
from warehouse_orgs.manage.views.organization_page import OrganizationPage
from warehouse_orgs.organizations.emails import email_project_moved
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.organizations.project_interfaces import (
    IOrganizationProjectService,
    OrganizationProjectRefused,
    ProjectMovePreview,
)
from warehouse_orgs.packaging.forms import CreateProjectForm
from warehouse_orgs.packaging.interfaces import IProjectService
from warehouse_orgs.packaging.services import ProjectNameUnavailable
from warehouse_orgs.pagination import page_number

READ = Permissions.OrganizationsRead
ADD = Permissions.OrganizationProjectsAdd
PROJECTS = "manage.organization.projects"
NO_SUCH_PROJECT = "There is no project with this name."
NAME_TAKEN = "A project with this name already exists. Choose another."
# Who reaches each listed project: this many names of each kind, then how many more.
SHOWN_PER_KIND = 5
# The add field suggests at most this many of the person's projects as they type; any other
# they own is typed in full.
SUGGESTED_PROJECTS = 100


@view_defaults(
    context=Organization, route_name=PROJECTS, renderer="manage/organization/projects.html"
)
class OrganizationProjectsPage(OrganizationPage):
    shows_standing = True

    @property
    def projects(self) -> IOrganizationProjectService:
        return self.request.find_service(IOrganizationProjectService)

    def page(
        self,
        status: int = 200,
        add_form: AddProjectForm | None = None,
        create_form: CreateProjectForm | None = None,
        preview: ProjectMovePreview | None = None,
    ) -> dict[str, Any]:
        listed = self.projects.projects(self.organization, page_number(self.request))
        can_add = bool(self.request.has_permission(ADD, self.organization))
        # Loaded only for those who may add: suggestions for the name field, and whether
        # there is anything to add at all.
        addable = (
            self.projects.addable_projects(self.request.user, SUGGESTED_PROJECTS) if can_add else []
        )
        return self.context(
            status,
            projects=listed,
            reach=self.projects.reach(
                self.organization, [p.id for p in listed.items], SHOWN_PER_KIND
            ),
            can_add=can_add,
            addable=addable,
            add_form=add_form or AddProjectForm(html_id_prefix="add-project"),
            create_form=create_form or CreateProjectForm(html_id_prefix="create-project"),
            preview=preview,
        )

    @view_config(request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(
        request_method="POST", request_param="project", permission=ADD, require_reauth=True
    )
    def add(self) -> Any:
        """Without ``confirm``: the page again, with what adding would change. With it: add."""
        form = AddProjectForm(self.request.POST, html_id_prefix="add-project")
        if not form.validate():
            return self.page(400, add_form=form)
        project = self.request.find_service(IProjectService).get_project_by_name(form.project.data)
        if project is None:
            form.project.errors = [NO_SUCH_PROJECT]
            return self.page(400, add_form=form)
        try:
            if not form.confirm.data:
                preview = self.projects.preview_add(self.organization, project, self.request.user)
                return self.page(add_form=form, preview=preview)
            preview = self.projects.add_project(self.organization, project, self.request.user)
        except OrganizationProjectRefused as refusal:
            form.project.errors = [str(refusal)]
            return self.page(400, add_form=form)
        email_project_moved(self.request, project, preview)
        kept = "" if preview.actor_keeps_own_role else " Your own Owner role on it has ended."
        return self.done(
            f"The project {project.name} is now part of {self.organization.name}.{kept}", PROJECTS
        )

    @view_config(request_method="POST", permission=ADD, require_reauth=True)
    def create(self) -> Any:
        form = CreateProjectForm(self.request.POST, html_id_prefix="create-project")
        if not form.validate():
            return self.page(400, create_form=form)
        try:
            project = self.projects.create_project(
                self.organization, form.name.data, self.request.user
            )
        except ProjectNameUnavailable:
            form.name.errors = [NAME_TAKEN]
            return self.page(400, create_form=form)
        except OrganizationProjectRefused as refusal:
            form.name.errors = [str(refusal)]
            return self.page(400, create_form=form)
        email_project_moved(
            self.request,
            project,
            ProjectMovePreview(project.name, [], target=self.organization.name),
        )
        return self.done(
            f"The project {project.name} is created in {self.organization.name}.", PROJECTS
        )
