"""/manage/organization/<name>/handover/: the pending handover staff started, and an Owner's
objection to it (issue 13). Only Owners see the page and may object; an objection stops the
handover for good, and every member and the staff member who started it are emailed.

With nothing pending (an emailed link followed late, another Owner objected first, staff
cancelled) the page says what became of the latest handover; an objection sent then is refused
as a whole (409), since no field of the form is at fault and the form is no longer shown."""

from typing import Any

from pyramid.view import view_config, view_defaults

from warehouse_orgs.accounts.interfaces import IUserService
from warehouse_orgs.authnz import Permissions
from warehouse_orgs.manage.views.organization_page import OrganizationPage
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.organizations.succession_emails import email_members_about_handover
from warehouse_orgs.organizations.succession_forms import ObjectToHandoverForm
from warehouse_orgs.organizations.succession_interfaces import HandoverRefused, ISuccessionService


@view_defaults(
    route_name="manage.organization.handover",
    context=Organization,
    renderer="manage/organization/handover.html",
)
class OrganizationHandoverPage(OrganizationPage):
    def page(self, status: int = 200, form: ObjectToHandoverForm | None = None) -> dict[str, Any]:
        # A pending handover is always the latest: staff cannot start one while one is pending.
        latest = self.request.find_service(ISuccessionService).latest_handover(self.organization)
        pending = latest if latest is not None and latest.is_pending else None
        return self.context(
            status,
            handover=pending,
            decided=None if pending else latest,
            form=form or ObjectToHandoverForm(),
        )

    @view_config(request_method="GET", permission=Permissions.OrganizationsManage)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(
        request_method="POST", permission=Permissions.OrganizationsManage, require_reauth=True
    )
    def object(self) -> Any:
        form = ObjectToHandoverForm(self.request.POST)
        if not form.validate():
            return self.page(400, form)
        try:
            handover = self.request.find_service(ISuccessionService).object_to_handover(
                self.organization, self.request.user, form.objection.data
            )
        except HandoverRefused as refusal:
            self.request.tm.doom()
            form.form_errors.append(str(refusal))
            return self.page(409, form)
        # Staff hear of it through the one of them who started it, while that account exists.
        starter = (
            self.request.find_service(IUserService).get_user(handover.started_by_id)
            if handover.started_by_id is not None
            else None
        )
        email_members_about_handover(
            self.request,
            "organization-handover-objected",
            self.organization,
            handover,
            also=starter,
            objector=self.request.user.username,
            objection=form.objection.data,
        )
        return self.done(
            f"You objected: {handover.candidate_username} will not be made an Owner.",
            "manage.organization.roles",
        )
