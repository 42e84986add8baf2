"""/admin/organizations/...: find an organization, read everything about it, and fix it.

Reading needs AdminOrganizationsRead (moderators, support, admins). Editing details needs
AdminOrganizationsWrite, renaming AdminOrganizationsNameWrite, and the role forms
AdminRoleAdd/Update/Delete (support and admins). A Company organization's billing is shown
here too; its forms are handled in organization_billing.py. Role changes go through the organization
service with the admin:organization:role:* tags, so they keep the last-owner rule under its
row lock and are recorded in the organization's history.
"""

import datetime
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults
from sqlalchemy import Select, func, select

from warehouse_orgs.accounts.interfaces import IUserService
from warehouse_orgs.admin.organization_billing import (
    BILLING_FORM_KEYS,
    read_organization_billing,
)
from warehouse_orgs.admin.organization_forms import (
    AddRoleForm,
    AdminOrganizationDetailsForm,
    DeleteRoleForm,
    RenameOrganizationForm,
    UpdateRoleForm,
    role_choices_for,
)
from warehouse_orgs.admin.organization_search import SEARCH_MAX_LENGTH, SearchError, parse
from warehouse_orgs.admin.organization_succession import read_organization_succession
from warehouse_orgs.admin.sections import sections_for
from warehouse_orgs.authnz import Permissions
from warehouse_orgs.events.history import actor_name
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.emails import email_owners, email_user
from warehouse_orgs.organizations.forms import COMPANY_CONSEQUENCES
from warehouse_orgs.organizations.interfaces import (
    MEMBERSHIP_REFUSALS,
    Authority,
    IOrganizationMembershipService,
    IOrganizationService,
    NameUnavailable,
    OrganizationError,
    OrganizationRecord,
)
from warehouse_orgs.organizations.models import Organization, OrganizationRole
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.pagination import page_number, paginate

P = Permissions
READ = P.AdminOrganizationsRead
# The lists with a page parameter of their own, "<name>_page"; the history keeps "page".
PAGED_LISTS = ("members", "invitations", "projects", "applications")
NO_SUCH_ORGANIZATION = "There is no organization with this id."


def organization_search(conditions: list[Any]) -> Select[Any]:
    """Organizations matching every condition, each with its member count.

    The counts come from one grouped subquery joined in, so a page costs the same whatever
    its size.
    """
    members = (
        select(OrganizationRole.organization_id, func.count().label("member_count"))
        .group_by(OrganizationRole.organization_id)
        .subquery()
    )
    return (
        select(Organization, func.coalesce(members.c.member_count, 0).label("member_count"))
        .outerjoin(members, members.c.organization_id == Organization.id)
        .where(*conditions)
        .order_by(Organization.created.desc(), Organization.normalized_name, Organization.id)
    )


@view_config(
    route_name="admin.organization.list",
    renderer="admin/organizations/list.html",
    request_method="GET",
    permission=READ,
)
def organization_list(request: Request) -> dict[str, Any]:
    q = request.GET.get("q", "").strip()
    error = None
    organizations = None
    try:
        conditions = parse(q)
    except SearchError as refusal:
        error = str(refusal)
        request.response.status = 400
    else:
        organizations = paginate(
            request.db, organization_search(conditions), page_number(request), scalars=False
        )
    return {
        "q": q,
        "search_error": error,
        "search_max_length": SEARCH_MAX_LENGTH,
        "organizations": organizations,
        "admin_sections": sections_for(request),
    }


def offer_roles_for(form: Any, organization: Organization, *, placeholder: bool = False) -> Any:
    """Show only the roles this organization can have; a forced other value is still refused
    by the service, with its reason."""
    form.role_name.choices = role_choices_for(organization.orgtype, placeholder=placeholder)
    return form


def update_role_ids(username: str) -> str:
    """Each member's row has its own forms: their ids carry the username."""
    return f"update-role-{username}"


def delete_role_ids(username: str) -> str:
    return f"delete-role-{username}"


@view_defaults(renderer="admin/organizations/detail.html")
class OrganizationDetailPage:
    """/admin/organizations/<id>/ and the forms on it.

    A refused form re-renders the page with the reason beside the field, and the status says
    what kind of refusal it was: 400 for input, 409 for a rule of the organization.
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(IOrganizationService)
        self.membership = request.find_service(IOrganizationMembershipService)
        # Looked up when first needed: the page reads it with everything it shows instead.
        self._organization: Organization | None = None

    @property
    def organization(self) -> Organization:
        if self._organization is None:
            # get_organization answers None for an id that is not a UUID: junk in the URL is
            # a 404.
            organization = self.service.get_organization(self.request.matchdict["organization_id"])
            if organization is None:
                raise HTTPNotFound(NO_SUCH_ORGANIZATION)
            self._organization = organization
        return self._organization

    def _role(self) -> OrganizationRole:
        role = self.membership.get_role(self.organization, self.request.matchdict["role_id"])
        if role is None:
            raise HTTPNotFound("This organization has no such member.")
        return role

    def _may(self, permission: Permissions) -> bool:
        return bool(self.request.has_permission(permission))

    def _record(self, failed_role_id: Any) -> OrganizationRecord:
        """The organization with a page of each list, each chosen by its own query parameter
        (the history keeps "page"); a refused change to a member shows the members' page on
        which that member is, with the reason beside them."""
        # Every page number is read first: a bad one is a 400 before anything is read.
        numbers = {
            f"{name}_page": page_number(self.request, f"{name}_page") for name in PAGED_LISTS
        }
        numbers["events_page"] = page_number(self.request)
        if failed_role_id is not None:
            numbers["members_page"] = self.service.staff_members_page_of(
                self.organization, failed_role_id
            )
        record = self.service.record_for_staff(self.request.matchdict["organization_id"], **numbers)
        if record is None:
            raise HTTPNotFound(NO_SUCH_ORGANIZATION)
        self._organization = record.organization
        return record

    def page(self, status: int = 200, **forms: Any) -> dict[str, Any]:
        """The whole page; ``forms`` replaces the blank forms with ones carrying errors."""
        self.request.response.status = status
        failed_role_id = forms.get("failed_role_id")
        record = self._record(failed_role_id)
        organization = record.organization
        if "add_role_form" in forms:
            # Posted against every role; shown again with only those this organization has.
            offer_roles_for(forms["add_role_form"], organization, placeholder=True)
        if self._may(P.AdminOrganizationsWrite):
            forms.setdefault(
                "details_form",
                AdminOrganizationDetailsForm(
                    obj=organization, current_orgtype=organization.orgtype
                ),
            )
        if self._may(P.AdminOrganizationsNameWrite):
            forms.setdefault("rename_form", RenameOrganizationForm(current_name=organization.name))
        if self._may(P.AdminRoleAdd):
            forms.setdefault(
                "add_role_form",
                offer_roles_for(
                    AddRoleForm(html_id_prefix="add-role"), organization, placeholder=True
                ),
            )
        roles = record.members
        role_forms = {
            role.id: (
                forms["update_role_form"]
                if role.id == failed_role_id and "update_role_form" in forms
                else offer_roles_for(
                    UpdateRoleForm(
                        data={"role_name": role.role_name},
                        html_id_prefix=update_role_ids(role.user.username),
                    ),
                    organization,
                ),
                forms["delete_role_form"]
                if role.id == failed_role_id and "delete_role_form" in forms
                else DeleteRoleForm(
                    expected_username=role.user.username,
                    html_id_prefix=delete_role_ids(role.user.username),
                ),
            )
            for role in roles.items
        }
        return {
            "organization": organization,
            "roles": roles,
            "owner_count": record.owner_count,
            "company_consequences": COMPANY_CONSEQUENCES,
            "invitations": record.invitations,
            "project_names": record.project_names,
            "applications": record.applications,
            "events": record.events,
            "may_update_roles": self._may(P.AdminRoleUpdate),
            "may_delete_roles": self._may(P.AdminRoleDelete),
            "role_forms": role_forms,
            "now": datetime.datetime.now(datetime.UTC),
            "details_form": forms.get("details_form"),
            "rename_form": forms.get("rename_form"),
            "add_role_form": forms.get("add_role_form"),
            "billing": read_organization_billing(self.request, organization, forms),
            # A refused billing form, also here where the error summary looks for it.
            "refused_billing_forms": {key: forms[key] for key in BILLING_FORM_KEYS if key in forms},
            "admin_sections": sections_for(self.request),
            **read_organization_succession(self.request, record.latest_handover, forms),
        }

    def done(self, message: str) -> HTTPSeeOther:
        self.request.session.flash(message, queue="success")
        return HTTPSeeOther(
            self.request.route_path(
                "admin.organization.detail", organization_id=self.organization.id
            )
        )

    @view_config(route_name="admin.organization.detail", request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(
        route_name="admin.organization.detail",
        request_method="POST",
        permission=P.AdminOrganizationsWrite,
        require_reauth=True,
    )
    def edit_details(self) -> Any:
        form = AdminOrganizationDetailsForm(
            self.request.POST, current_orgtype=self.organization.orgtype
        )
        if not form.validate():
            return self.page(400, details_form=form)
        try:
            changed = self.service.update_details(self.organization, **form.details())
        except OrganizationError as refusal:
            form.orgtype.errors = [str(refusal)]
            return self.page(409, details_form=form)
        if not changed:
            return self.done(f"Nothing changed for {self.organization.name}.")
        # The fields as the form names them, not the column names.
        saved = ", ".join(str(form[name].label.text) for name in changed)
        return self.done(f"{self.organization.name}: {saved} saved.")

    @view_config(
        route_name="admin.organization.rename",
        request_method="POST",
        permission=P.AdminOrganizationsNameWrite,
        require_reauth=True,
    )
    def rename(self) -> Any:
        organization = self.organization
        old_name = organization.name
        form = RenameOrganizationForm(self.request.POST, current_name=old_name)
        if not form.validate():
            return self.page(400, rename_form=form)
        new_name = form.new_organization_name.data
        if new_name == old_name:
            form.new_organization_name.errors = ["This is already the organization's name."]
            return self.page(400, rename_form=form)
        try:
            self.service.rename(organization, new_name)
        except NameUnavailable as refusal:
            self.request.tm.doom()
            form.new_organization_name.errors = [str(refusal)]
            return self.page(409, rename_form=form)
        for owner in self.membership.owners(organization):
            email_user(
                self.request,
                "organization-renamed",
                owner,
                username=owner.username,
                old_name=old_name,
                new_name=organization.name,
            )
        return self.done(f"{old_name} is now called {organization.name}.")

    @view_config(
        route_name="admin.organization.add_role",
        request_method="POST",
        permission=P.AdminRoleAdd,
        require_reauth=True,
    )
    def add_role(self) -> Any:
        form = AddRoleForm(self.request.POST, html_id_prefix="add-role")
        if not form.validate():
            return self.page(400, add_role_form=form)
        user = self.request.find_service(IUserService).get_user_by_username(form.username.data)
        if user is None:
            form.username.errors = [f"There is no account named {form.username.data}."]
            return self.page(400, add_role_form=form)
        role_name = OrganizationRoleType(form.role_name.data)
        try:
            self.membership.add_role(
                self.organization,
                user,
                role_name,
                tag=EventTag.AdminOrganizationRoleAdd,
                authority=Authority.Staff,
            )
        except MEMBERSHIP_REFUSALS as refusal:
            self.request.tm.doom()
            form.role_name.errors = [str(refusal)]
            return self.page(409, add_role_form=form)
        # Owners hear of every change to their members, from staff as from each other; the
        # emails say "PyPI staff", never who.
        email_owners(
            self.request,
            "organization-member-added",
            self.organization,
            member=user.username,
            role=str(role_name),
            added_by_staff=True,
        )
        return self.done(f"{user.username} added as {role_name}.")

    @view_config(
        route_name="admin.organization.update_role",
        request_method="POST",
        permission=P.AdminRoleUpdate,
        require_reauth=True,
    )
    def update_role(self) -> Any:
        role = self._role()
        form = UpdateRoleForm(self.request.POST, html_id_prefix=update_role_ids(role.user.username))
        failed = {"failed_role_id": role.id, "update_role_form": form}
        if not form.validate():
            return self.page(400, **failed)
        role_name = OrganizationRoleType(form.role_name.data)
        if role_name == role.role_name:
            return self.done(f"{role.user.username} is already {role_name}.")
        try:
            old_role = self.membership.change_role(
                role,
                role_name,
                tag=EventTag.AdminOrganizationRoleChange,
                authority=Authority.Staff,
            )
        except MEMBERSHIP_REFUSALS as refusal:
            # LastOwnerRefused among them: nothing this request did is kept.
            self.request.tm.doom()
            form.role_name.errors = [str(refusal)]
            return self.page(409, **failed)
        if old_role is None:
            # Another request made the same change a moment ago.
            return self.done(f"{role.user.username} is already {role_name}.")
        email_user(
            self.request,
            "organization-member-role-changed",
            role.user,
            organization_name=self.organization.name,
            initiator=actor_name(self.request),
            role=str(role_name),
            old_role=old_role,
        )
        return self.done(f"{role.user.username} is now {role_name}.")

    @view_config(
        route_name="admin.organization.delete_role",
        request_method="POST",
        permission=P.AdminRoleDelete,
        require_reauth=True,
    )
    def delete_role(self) -> Any:
        role = self._role()
        username = role.user.username
        form = DeleteRoleForm(
            self.request.POST, expected_username=username, html_id_prefix=delete_role_ids(username)
        )
        failed = {"failed_role_id": role.id, "delete_role_form": form}
        if not form.validate():
            return self.page(400, **failed)
        try:
            self.membership.remove_role(
                role, tag=EventTag.AdminOrganizationRoleRemove, authority=Authority.Staff
            )
        except MEMBERSHIP_REFUSALS as refusal:
            self.request.tm.doom()
            form.username.errors = [str(refusal)]
            return self.page(409, **failed)
        for reader in (*self.membership.owners(self.organization), role.user):
            email_user(
                self.request,
                "organization-member-removed",
                reader,
                organization_name=self.organization.name,
                initiator=actor_name(self.request),
                member=username,
            )
        return self.done(f"{username} removed from {self.organization.name}.")
