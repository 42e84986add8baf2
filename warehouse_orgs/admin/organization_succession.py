"""The handover section of an organization's staff page (issue 13): its latest handover, and
the form to start one or cancel the pending one for those who may (AdminOrganizationsWrite)."""

from typing import Any

from pyramid.request import Request

from warehouse_orgs.authnz import Permissions
from warehouse_orgs.organizations.succession_forms import CancelHandoverForm, StartHandoverForm
from warehouse_orgs.organizations.succession_models import OrganizationHandover


def read_organization_succession(
    request: Request, handover: OrganizationHandover | None, forms: dict[str, Any]
) -> dict[str, Any]:
    """The section's values; the latest handover came with the page's record."""
    pending = handover is not None and handover.is_pending
    may_write = bool(request.has_permission(Permissions.AdminOrganizationsWrite))
    start = forms.get("handover_form")
    cancel = forms.get("cancel_handover_form")
    if may_write and not pending and start is None:
        start = StartHandoverForm(html_id_prefix="handover")
    if may_write and pending and cancel is None:
        cancel = CancelHandoverForm(html_id_prefix="cancel-handover")
    return {"handover": handover, "handover_form": start, "cancel_handover_form": cancel}
