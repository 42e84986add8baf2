"""The verified-domain forms of /manage/organization/<name>/settings/: add a domain, look its
record up, remove it. Each posts to its own action URL under settings/domains/ and answers
with the settings page: 303 back to it when done, or the page itself (400, the message beside
the field) when refused."""

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from warehouse_orgs.authnz import Permissions
from warehouse_orgs.confirmation import confirmed
from warehouse_orgs.domains.forms import AddDomainForm, DomainForm, RemoveDomainForm
from warehouse_orgs.domains.interfaces import DomainRefused
from warehouse_orgs.domains.models import DomainCheck, OrganizationDomain
from warehouse_orgs.manage.views.organization_settings import (
    CHECK_MESSAGES,
    OrganizationSettingsPage,
)
from warehouse_orgs.organizations.models import Organization

ADD = "manage.organization.domains.add"
VERIFY = "manage.organization.domains.verify"
REMOVE = "manage.organization.domains.remove"


class OrganizationDomainActions(OrganizationSettingsPage):
    def back(self, domain: OrganizationDomain | None = None) -> HTTPSeeOther:
        url = self.request.route_path(
            "manage.organization.settings", organization_name=self.organization.name
        )
        return HTTPSeeOther(f"{url}#{f'domain-{domain.id}' if domain else 'domains-heading'}")

    def target(self, form: DomainForm) -> OrganizationDomain | None:
        """The organization's domain the form names; if none, say so beside the field."""
        domain = self.domains.get_domain(self.organization, form.domain_id.data or "")
        if domain is None:
            form.domain_id.errors = ["That domain is not on this organization's list any more."]
        return domain

    @view_config(
        route_name=ADD,
        context=Organization,
        renderer="manage/organization/settings.html",
        request_method="POST",
        permission=Permissions.OrganizationsManage,
        require_reauth=True,
    )
    def add(self) -> Any:
        form = AddDomainForm(self.request.POST, html_id_prefix="add-domain")
        if not form.validate():
            return self.page(400, add_domain_form=form)
        try:
            domain = self.domains.add_domain(self.organization, form.domain.data)
        except DomainRefused as refusal:
            form.domain.errors = [str(refusal)]
            return self.page(400, add_domain_form=form)
        self.request.session.flash(
            f"{domain.domain} is added. Publish its TXT record, then press Verify.",
            queue="success",
        )
        return self.back(domain)

    @view_config(
        route_name=VERIFY,
        context=Organization,
        renderer="manage/organization/settings.html",
        request_method="POST",
        permission=Permissions.OrganizationsManage,
        require_reauth=True,
    )
    def verify(self) -> Any:
        form = DomainForm(self.request.POST, html_id_prefix="verify-domain")
        domain = self.target(form) if form.validate() else None
        if domain is None:
            return self.page(400, domain_form=form)
        try:
            found = self.domains.verify_domain(domain)
        except DomainRefused as refusal:
            form.domain_id.errors = [str(refusal)]
            return self.page(409, domain_form=form)
        # What was found is recorded (and shown beside the domain on the page), so the
        # answer is the page again whatever the look-up said.
        if found == DomainCheck.verified:
            self.request.session.flash(f"{domain.domain} is verified.", queue="success")
        else:
            message = CHECK_MESSAGES[found].format(record_name=domain.record_name)
            self.request.session.flash(f"{domain.domain} is not verified: {message}", queue="error")
        return self.back(domain)

    @view_config(
        route_name=REMOVE,
        context=Organization,
        renderer="manage/organization/settings.html",
        request_method="POST",
        permission=Permissions.OrganizationsManage,
        require_reauth=True,
    )
    def remove(self) -> Any:
        form = RemoveDomainForm(self.request.POST)
        domain = self.target(form) if form.validate() else None
        if domain is None:
            return self.page(400, domain_form=form)
        form = RemoveDomainForm(self.request.POST, html_id_prefix=f"remove-domain-{domain.id}")
        form.validate()
        if not confirmed(form.confirm_domain, domain.domain, typed=False):
            return self.page(400, remove_forms={domain.id: form})
        name = domain.domain
        try:
            self.domains.remove_domain(domain)
        except DomainRefused as refusal:
            form.confirm_domain.errors = [str(refusal)]
            return self.page(409, remove_forms={domain.id: form})
        self.request.session.flash(f"{name} is removed.", queue="success")
        return self.back()
