"""/sponsors/ (who sponsors the index) and /sponsor/ (the prospectus and its inquiry form).

Both are public. The inquiry form takes posts from anyone: the session's CSRF token, a limit
per address (``ratelimit.sponsor_inquiry.ip``) and a honeypot field stand in for a login.
"""

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults

from warehouse_orgs.accounts.views import rate_limited_message
from warehouse_orgs.rate_limiting.interfaces import IRateLimiter
from warehouse_orgs.sessions import SESSION_COOKIE_NAME
from warehouse_orgs.sponsors.cache_keys import SPONSORS_PAGE_KEY
from warehouse_orgs.sponsors.emails import email_inquiry, psf_staff_addresses
from warehouse_orgs.sponsors.forms import InquiryForm, is_robot
from warehouse_orgs.sponsors.interfaces import InquiryValues, ISponsorService, SponsorError
from warehouse_orgs.sponsors.markdown import render_activity
from warehouse_orgs.sponsors.models import (
    EMAIL_MAX_LENGTH,
    INQUIRY_MESSAGE_MAX_LENGTH,
    INQUIRY_TEXT_MAX_LENGTH,
)

PUBLIC_MAX_AGE = 60
INQUIRY_LIMIT = "sponsor_inquiry.ip"
PSF_MEMBERSHIP_URL = "https://www.python.org/psf/membership/"
PSF_DONATE_URL = "https://psfmember.org/civicrm/contribute/transact/?reset=1&id=2"
PSF_DONATIONS_URL = "https://www.python.org/psf/donations/"


@view_config(route_name="sponsors", renderer="sponsors/sponsors.html", request_method="GET")
def sponsors_page(request: Request) -> dict[str, Any]:
    if SESSION_COOKIE_NAME in request.cookies:
        # This copy carries the visitor's own header: no shared cache may keep it.
        request.response.cache_control = "private, no-cache"
    else:
        request.response.cache_control = f"public, max-age={PUBLIC_MAX_AGE}"
    request.response.vary = ("Cookie",)
    request.response.headers["Surrogate-Key"] = SPONSORS_PAGE_KEY
    return {
        "sponsors": request.find_service(ISponsorService).public_sponsors(),
        "render_activity": render_activity,
        "membership_url": PSF_MEMBERSHIP_URL,
        "donate_url": PSF_DONATE_URL,
        "donations_url": PSF_DONATIONS_URL,
    }


@view_defaults(route_name="sponsor", renderer="sponsors/prospectus.html")
class ProspectusViews:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.sponsors = request.find_service(ISponsorService)

    def page(self, form: InquiryForm, levels: list[Any], status: int = 200) -> dict[str, Any]:
        self.request.response.status = status
        # The form carries this visitor's CSRF token: no shared cache may hand it to another.
        self.request.response.cache_control = "private, no-cache"
        return {
            "form": form,
            "levels": levels,
            "sent": self.request.GET.get("sent") == "1",
            "membership_url": PSF_MEMBERSHIP_URL,
            "donate_url": PSF_DONATE_URL,
            "text_max": INQUIRY_TEXT_MAX_LENGTH,
            "email_max": EMAIL_MAX_LENGTH,
            "message_max": INQUIRY_MESSAGE_MAX_LENGTH,
        }

    def thanked(self) -> HTTPSeeOther:
        return HTTPSeeOther(
            self.request.route_path("sponsor", _query={"sent": "1"}, _anchor="inquiry")
        )

    @view_config(request_method="GET")
    def show(self) -> dict[str, Any]:
        levels = self.sponsors.open_levels()
        return self.page(InquiryForm(levels=levels), levels)

    @view_config(request_method="POST")
    def inquire(self) -> Any:
        request = self.request
        if is_robot(request.POST):
            # Looks like success to whatever filled it in, so it learns nothing to adapt to.
            return self.thanked()
        levels = self.sponsors.open_levels()
        form = InquiryForm(request.POST, levels=levels)
        if not form.validate():
            return self.page(form, levels, 400)
        limiter = request.find_service(IRateLimiter, name=INQUIRY_LIMIT)
        address = request.remote_addr or "unknown"
        wait = rate_limited_message(
            request, (limiter, address), too_many="Too many inquiries from your network."
        )
        if wait:
            form.form_errors.append(wait)
            return self.page(form, levels, 429)
        limiter.hit(address)
        staff = psf_staff_addresses(request)
        try:
            inquiry = self.sponsors.submit_inquiry(
                InquiryValues(
                    company=form.company.data,
                    contact_name=form.contact_name.data,
                    contact_email=form.contact_email.data,
                    message=form.message.data,
                    level_id=form.level_id,
                )
            )
        except SponsorError as refusal:
            form.level.errors = [str(refusal)]
            return self.page(form, levels, 400)
        email_inquiry(request, inquiry, staff)
        return self.thanked()
