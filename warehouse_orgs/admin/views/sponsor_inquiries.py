"""/admin/sponsors/inquiries/...: the messages companies send from the prospectus, newest
first, and how PSF staff follow each one up (its status and their notes).

Reading needs AdminSponsorsRead, following up AdminSponsorsWrite (PSF staff and admins), with a
recent password. The sponsor service takes the sponsor list's lock, reads the inquiry again as
committed, and records what changed, so two staff members saving at once are both recorded in
order.
"""

import urllib.parse
import uuid
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults
from sqlalchemy import select

from warehouse_orgs.admin.sections import sections_for
from warehouse_orgs.admin.sponsor_level_forms import InquiryFilterForm, InquiryFollowUpForm
from warehouse_orgs.authnz import Permissions
from warehouse_orgs.labels import label
from warehouse_orgs.pagination import page_number, paginate
from warehouse_orgs.sponsors.interfaces import ISponsorService
from warehouse_orgs.sponsors.models import INQUIRY_NOTES_MAX_LENGTH, SponsorInquiry

READ = Permissions.AdminSponsorsRead
WRITE = Permissions.AdminSponsorsWrite
REPLY_SUBJECT = "Sponsoring the Python Package Index"


@view_config(
    route_name="admin.sponsor_inquiry.list",
    renderer="admin/sponsors/inquiries.html",
    request_method="GET",
    permission=READ,
)
def inquiry_list(request: Request) -> dict[str, Any]:
    form = InquiryFilterForm(request.GET)
    inquiries = None
    if form.validate():
        service = request.find_service(ISponsorService)
        inquiries = paginate(
            request.db, service.inquiry_query(form.status.data or None), page_number(request)
        )
    else:
        request.response.status = 400
    return {"form": form, "inquiries": inquiries, "admin_sections": sections_for(request)}


def reply_address(inquiry: SponsorInquiry) -> str:
    """A mailto: link to the contact, with a subject; the address is the visitor's own text,
    so everything but its @ is percent-encoded and cannot add headers of its own."""
    address = urllib.parse.quote(inquiry.contact_email, safe="@")
    return f"mailto:{address}?subject={urllib.parse.quote(REPLY_SUBJECT)}"


@view_defaults(
    route_name="admin.sponsor_inquiry.detail", renderer="admin/sponsors/inquiry_detail.html"
)
class InquiryDetailPage:
    """/admin/sponsors/inquiries/<id>/: everything the company sent, the follow-up form (it
    posts to the same address), and the inquiry's history."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(ISponsorService)
        self.inquiry = self._target()

    def _target(self) -> SponsorInquiry:
        try:
            inquiry_id = uuid.UUID(self.request.matchdict["inquiry_id"])
        except ValueError:
            raise HTTPNotFound("There is no inquiry with this id.") from None
        inquiry = self.service.get_inquiry(inquiry_id)
        if inquiry is None:
            raise HTTPNotFound("There is no inquiry with this id.")
        return inquiry

    def page(self, status: int = 200, form: InquiryFollowUpForm | None = None) -> dict[str, Any]:
        self.request.response.status = status
        event = SponsorInquiry.Event
        events = paginate(
            self.request.db,
            select(event)
            .where(event.source_id == self.inquiry.id)
            .order_by(event.time.desc(), event.id),
            page_number(self.request),
        )
        may_write = bool(self.request.has_permission(WRITE))
        if may_write and form is None:
            form = InquiryFollowUpForm(obj=self.inquiry)
        return {
            "inquiry": self.inquiry,
            "reply_address": reply_address(self.inquiry),
            "events": events,
            "follow_up_form": form if may_write else None,
            "notes_max_length": INQUIRY_NOTES_MAX_LENGTH,
            "admin_sections": sections_for(self.request),
        }

    @view_config(request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(request_method="POST", permission=WRITE, require_reauth=True)
    def follow_up(self) -> Any:
        form = InquiryFollowUpForm(self.request.POST)
        if not form.validate():
            return self.page(400, form)
        changed = self.service.update_inquiry(self.inquiry, form.status.data, form.notes.data or "")
        company = self.inquiry.company
        if not changed:
            message = f"Nothing changed for the inquiry from {company}."
        elif "status" in changed:
            message = f"The inquiry from {company} is now {label(self.inquiry.status)}."
            if "notes" in changed:
                message = message[:-1] + ", and its notes are saved."
        else:
            message = f"The notes on the inquiry from {company} are saved."
        self.request.session.flash(message, queue="success")
        return HTTPSeeOther(
            self.request.route_path("admin.sponsor_inquiry.detail", inquiry_id=self.inquiry.id)
        )
