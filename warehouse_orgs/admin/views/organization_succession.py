"""/admin/organizations/<id>/handover/start/ and .../handover/cancel/: staff hand an
organization whose Owners are gone to one of its members, or withdraw that (issue 13).

Both need AdminOrganizationsWrite and a recent password, like the page's other changes. A
refused form re-renders the organization's page with the reason beside the field: 400 for what
was typed (no such member), 409 for the organization's state (a handover already pending).
Every member is emailed after the commit; the history and the emails say "PyPI staff".
"""

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from warehouse_orgs.admin.views.organizations import OrganizationDetailPage
from warehouse_orgs.authnz import Permissions
from warehouse_orgs.organizations.succession_emails import email_members_about_handover
from warehouse_orgs.organizations.succession_forms import CancelHandoverForm, StartHandoverForm
from warehouse_orgs.organizations.succession_interfaces import (
    CandidateRefused,
    HandoverRefused,
    ISuccessionService,
)

DETAIL_PAGE = "admin/organizations/detail.html"


@view_config(
    route_name="admin.organization.handover.start",
    renderer=DETAIL_PAGE,
    request_method="POST",
    permission=Permissions.AdminOrganizationsWrite,
    require_reauth=True,
)
def start_handover(request: Request) -> Any:
    page = OrganizationDetailPage(request)
    organization = page.organization
    form = StartHandoverForm(request.POST, html_id_prefix="handover")
    if not form.validate():
        return page.page(400, handover_form=form)
    try:
        handover = request.find_service(ISuccessionService).start_handover(
            organization, form.candidate.data, form.reason.data
        )
    except HandoverRefused as refusal:
        request.tm.doom()
        form.candidate.errors = [str(refusal)]
        return page.page(400 if isinstance(refusal, CandidateRefused) else 409, handover_form=form)
    email_members_about_handover(request, "organization-handover-started", organization, handover)
    return page.done(
        f"Handover started: {handover.candidate_username} becomes Owner of "
        f"{organization.name} on {handover.takes_effect_at:%Y-%m-%d %H:%M} UTC unless an "
        "Owner objects. Every member was emailed."
    )


@view_config(
    route_name="admin.organization.handover.cancel",
    renderer=DETAIL_PAGE,
    request_method="POST",
    permission=Permissions.AdminOrganizationsWrite,
    require_reauth=True,
)
def cancel_handover(request: Request) -> Any:
    page = OrganizationDetailPage(request)
    organization = page.organization
    form = CancelHandoverForm(request.POST, html_id_prefix="cancel-handover")
    if not form.validate():
        return page.page(400, cancel_handover_form=form)
    try:
        handover = request.find_service(ISuccessionService).cancel_handover(
            organization, form.why.data
        )
    except HandoverRefused as refusal:
        request.tm.doom()
        form.why.errors = [str(refusal)]
        return page.page(409, cancel_handover_form=form)
    email_members_about_handover(
        request, "organization-handover-cancelled", organization, handover, why=form.why.data
    )
    return page.done(f"The handover to {handover.candidate_username} is cancelled.")
