"""/manage/organization/<name>/settings/: the details everyone sees, the verified domains (their
forms post to settings/domains/..., organization_domains.py), and deletion."""

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults
from sqlalchemy import func, select

from warehouse_orgs.authnz import Permissions
from warehouse_orgs.domains.forms import AddDomainForm, DomainForm, RemoveDomainForm
from warehouse_orgs.domains.interfaces import IDomainVerificationService
from warehouse_orgs.domains.models import (
    MAX_DOMAINS_PER_ORGANIZATION,
    RECORD_LABEL,
    DomainCheck,
    OrganizationDomain,
)
from warehouse_orgs.manage.organization_forms import (
    DeleteOrganizationForm,
    OrganizationDetailsForm,
    OwnerApprovalForm,
)
from warehouse_orgs.manage.views.organization_page import OrganizationPage
from warehouse_orgs.organizations.emails import email_owners, owners_of
from warehouse_orgs.organizations.forms import COMPANY_CONSEQUENCES
from warehouse_orgs.organizations.interfaces import OrganizationError, SecondOwnerNeeded
from warehouse_orgs.organizations.models import Organization, OrganizationProject
from warehouse_orgs.organizations.owner_approval_emails import OWNER_CHANGES_PAGE
from warehouse_orgs.organizations.owner_approval_interfaces import (
    IOwnerApprovalService,
    OwnerChangeProposal,
    OwnerChangeRefused,
)
from warehouse_orgs.organizations.owner_approval_models import OwnerChangeKind

DETAIL_FIELDS = ("display_name", "link_url", "description", "orgtype")
SETTINGS = "manage.organization.settings"

# Beside each domain: what its last look-up found ({record_name} is the record's full name).
CHECK_MESSAGES = {
    DomainCheck.verified: "The record was found.",
    DomainCheck.missing: (
        "No TXT record was found at {record_name}. Publish the record below; a new record can "
        "take a while to be seen everywhere, so try again in a few minutes."
    ),
    DomainCheck.wrong: (
        "A TXT record is at {record_name}, but none holds the value below. Check that the "
        "whole value was copied, without quotes or spaces."
    ),
    DomainCheck.unavailable: (
        "The DNS look-up got no answer (it timed out or the server failed), so nothing is "
        "known about the record. Nothing changed; try again later."
    ),
}


@view_defaults(
    route_name="manage.organization.settings",
    context=Organization,
    renderer="manage/organization/settings.html",
)
class OrganizationSettingsPage(OrganizationPage):
    def __init__(self, organization: Organization, request: Request) -> None:
        super().__init__(organization, request)
        self.domains = request.find_service(IDomainVerificationService)

    def domain_rows(
        self, remove_forms: dict[Any, RemoveDomainForm] | None
    ) -> list[tuple[OrganizationDomain, str | None, RemoveDomainForm]]:
        """Each domain, the message its last look-up left, and its removal form (the refused
        one, if the page answers a refused removal)."""
        rows = []
        for domain in self.domains.domains(self.organization):
            result = domain.last_check_result
            message = (
                CHECK_MESSAGES[DomainCheck(result)].format(record_name=domain.record_name)
                if result
                else None
            )
            form = (remove_forms or {}).get(domain.id) or RemoveDomainForm(
                html_id_prefix=f"remove-domain-{domain.id}"
            )
            rows.append((domain, message, form))
        return rows

    def project_count(self) -> int:
        return self.request.db.scalar(
            select(func.count())
            .select_from(OrganizationProject)
            .where(OrganizationProject.organization_id == self.organization.id)
        )

    def details_form(self, formdata: Any = None) -> OrganizationDetailsForm:
        return OrganizationDetailsForm(
            formdata,
            current_orgtype=self.organization.orgtype,
            data={key: getattr(self.organization, key) for key in DETAIL_FIELDS},
        )

    def page(
        self,
        status: int = 200,
        details_form: OrganizationDetailsForm | None = None,
        delete_form: DeleteOrganizationForm | None = None,
        add_domain_form: AddDomainForm | None = None,
        domain_form: DomainForm | None = None,
        remove_forms: dict[Any, RemoveDomainForm] | None = None,
        owner_approval_form: OwnerApprovalForm | None = None,
    ) -> dict[str, Any]:
        return self.context(
            status,
            details_form=details_form or self.details_form(),
            delete_form=delete_form or DeleteOrganizationForm(),
            domain_rows=self.domain_rows(remove_forms),
            add_domain_form=add_domain_form or AddDomainForm(html_id_prefix="add-domain"),
            # A verify or remove form naming no domain of the list: its error, at the list.
            domain_form=domain_form,
            max_domains=MAX_DOMAINS_PER_ORGANIZATION,
            record_label=RECORD_LABEL,
            project_count=self.project_count(),
            company_consequences=COMPANY_CONSEQUENCES,
            owner_approval_form=owner_approval_form
            or OwnerApprovalForm(html_id_prefix="owner-approval"),
        )

    @view_config(request_method="GET", permission=Permissions.OrganizationsRead)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(
        request_method="POST", permission=Permissions.OrganizationsManage, require_reauth=True
    )
    def save(self) -> Any:
        form = self.details_form(self.request.POST)
        if not form.validate():
            return self.page(400, details_form=form)
        previous = {key: getattr(self.organization, key) for key in DETAIL_FIELDS}
        try:
            changed = self.service.update_details(self.organization, **form.details())
        except OrganizationError as refusal:
            form.orgtype.errors = [str(refusal)]
            return self.page(400, details_form=form)
        if changed:
            email_owners(
                self.request,
                "organization-updated",
                self.organization,
                changes=[(key, previous[key], getattr(self.organization, key)) for key in changed],
            )
        message = "The details are saved." if changed else "Nothing changed."
        return self.done(message, "manage.organization.settings")

    @view_config(
        request_method="POST",
        request_param="confirm_organization_name",
        permission=Permissions.OrganizationsManage,
        require_reauth=True,
    )
    def delete(self) -> Any:
        form = DeleteOrganizationForm(self.request.POST)
        valid = form.validate()
        if valid and form.confirm_organization_name.data != self.organization.name:
            form.confirm_organization_name.errors = [
                f"Type {self.organization.name} exactly to confirm."
            ]
            valid = False
        if not valid:
            return self.page(400, delete_form=form)
        name = self.organization.name
        owners = owners_of(self.request, self.organization)
        try:
            self.service.delete(self.organization)
        except SecondOwnerNeeded:
            try:
                return self.propose(OwnerChangeProposal(OwnerChangeKind.DeleteOrganization))
            except OwnerChangeRefused as refusal:
                form.confirm_organization_name.errors = [str(refusal)]
                return self.page(409, delete_form=form)
        except OrganizationError as refusal:
            # Projects still in it, or a subscription the provider could not cancel.
            form.confirm_organization_name.errors = [str(refusal)]
            return self.page(409, delete_form=form)
        email_owners(self.request, "organization-deleted", self.organization, owners=owners)
        self.request.session.flash(f"The organization {name} is deleted.", queue="success")
        return HTTPSeeOther(self.request.route_path("manage.organizations"))

    @view_config(
        route_name="manage.organization.owner_approval",
        request_method="POST",
        permission=Permissions.OrganizationsManage,
        require_reauth=True,
    )
    def owner_approval(self) -> Any:
        """Turning the second Owner's approval on takes effect at once; turning it off is
        itself an owner change, proposed for another Owner to approve."""
        form = OwnerApprovalForm(self.request.POST, html_id_prefix="owner-approval")
        if not form.validate():
            return self.page(400, owner_approval_form=form)
        if form.requirement.data == "off":
            if not self.organization.owner_changes_need_approval:
                return self.done("Nothing changed: it was not required.", SETTINGS)
            try:
                return self.propose(OwnerChangeProposal(OwnerChangeKind.StopRequiringApproval))
            except OwnerChangeRefused as refusal:
                form.requirement.errors = [str(refusal)]
                return self.page(409, owner_approval_form=form)
        try:
            turned_on = self.request.find_service(IOwnerApprovalService).require_second_owner(
                self.organization
            )
        except OwnerChangeRefused as refusal:
            form.requirement.errors = [str(refusal)]
            return self.page(409, owner_approval_form=form)
        if not turned_on:
            return self.done("Nothing changed: it was already required.", SETTINGS)
        email_owners(
            self.request,
            "organization-owner-approval-required",
            self.organization,
            owner_changes_url=self.request.route_url(
                OWNER_CHANGES_PAGE, organization_name=self.organization.name
            ),
        )
        return self.done("Owner changes now need a second Owner's approval.", SETTINGS)
