"""/manage/project/<name>/transfer_organization_project/ and .../remove_organization_project/:
moving a project into another organization, or out of its organization.

Each is a form on the project's settings page, sent twice: first without ``confirm``, which
answers with the settings page and a preview of who keeps, gains and loses access and through
what (Warehouse issue 18102: people could not tell), then with it, which makes the change. Who
may move what is the organization project service's rule (an Owner of the organization it
leaves; an Owner or Manager of the one it joins). The views ask the permissions first:
ProjectsWrite on the project, and OrganizationProjectsRemove (Owners only) on the organization
it is in, so anyone else is refused with 403 before any form is read.
"""

from typing import Any

from pyramid.httpexceptions import HTTPForbidden, HTTPSeeOther
from pyramid.view import view_config

from warehouse_orgs.authnz import Permissions
from warehouse_orgs.manage.project_organization_forms import (
    RemoveProjectForm,
    TransferProjectForm,
)
from warehouse_orgs.manage.views.projects import WRITE, ProjectSettingsPage
from warehouse_orgs.organizations.emails import email_project_moved
from warehouse_orgs.organizations.project_interfaces import (
    IOrganizationProjectService,
    OrganizationProjectRefused,
    ProjectMovePreview,
)
from warehouse_orgs.packaging.models import Project

SETTINGS = "manage.project.settings"


class ProjectOrganizationActions(ProjectSettingsPage):
    @property
    def projects(self) -> IOrganizationProjectService:
        return self.request.find_service(IOrganizationProjectService)

    def refuse_unless_organization_owner(self) -> None:
        """Only an Owner of the organization the project is in may move it out."""
        organization = self.projects.current_organization(self.project)
        if organization is not None and not self.request.has_permission(
            Permissions.OrganizationProjectsRemove, organization
        ):
            raise HTTPForbidden()

    def finished(self, preview: ProjectMovePreview, message: str) -> HTTPSeeOther:
        email_project_moved(self.request, self.project, preview)
        if self.request.user.username in preview.losing:
            # Their access went with the move: the project's pages would now answer 403.
            self.request.session.flash(
                f"{message} You no longer have access to it.", queue="success"
            )
            return HTTPSeeOther(self.request.route_path("manage.projects"))
        return self.done(message, SETTINGS)

    @view_config(
        route_name="manage.project.transfer_organization_project",
        context=Project,
        renderer="manage/projects/settings.html",
        request_method="POST",
        permission=WRITE,
        require_reauth=True,
    )
    def transfer(self) -> Any:
        self.refuse_unless_organization_owner()
        options = self.projects.move_options(self.project, self.request.user)
        form = TransferProjectForm(
            self.request.POST, targets=options.targets, html_id_prefix="transfer"
        )
        if not form.validate():
            return self.page(400, transfer_form=form)
        try:
            if not form.confirm.data:
                preview = self.projects.preview_transfer(
                    self.project, form.organization.data, self.request.user
                )
                return self.page(transfer_form=form, preview=preview)
            preview = self.projects.transfer_project(
                self.project, form.organization.data, self.request.user
            )
        except OrganizationProjectRefused as refusal:
            form.organization.errors = [str(refusal)]
            return self.page(400, transfer_form=form)
        return self.finished(
            preview, f"The project {self.project.name} is now part of {preview.target}."
        )

    @view_config(
        route_name="manage.project.remove_organization_project",
        context=Project,
        renderer="manage/projects/settings.html",
        request_method="POST",
        permission=WRITE,
        require_reauth=True,
    )
    def remove(self) -> Any:
        self.refuse_unless_organization_owner()
        options = self.projects.move_options(self.project, self.request.user)
        form = RemoveProjectForm(
            self.request.POST, choices=options.owner_choices, html_id_prefix="remove"
        )
        if not form.validate():
            return self.page(400, remove_form=form)
        try:
            if not form.confirm.data:
                preview = self.projects.preview_remove(
                    self.project, self.request.user, form.owner.data
                )
                return self.page(remove_form=form, preview=preview)
            preview = self.projects.remove_project(self.project, self.request.user, form.owner.data)
        except OrganizationProjectRefused as refusal:
            form.owner.errors = [str(refusal)]
            return self.page(400, remove_form=form)
        return self.finished(
            preview,
            f"The project {self.project.name} is no longer part of {preview.source}; "
            f"{preview.new_owner} is its Owner.",
        )
