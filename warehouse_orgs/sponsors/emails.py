"""Who hears about a sponsorship inquiry: the person who sent it, and PSF staff.

Rendered during the request and delivered only after it commits (``warehouse_orgs.email``).
"""

from pyramid.request import Request
from sqlalchemy import select

from warehouse_orgs.accounts.models import Email, User
from warehouse_orgs.email import send_email
from warehouse_orgs.sponsors.forms import NOT_SURE_LABEL
from warehouse_orgs.sponsors.models import SponsorInquiry


def psf_staff_addresses(request: Request) -> list[str]:
    """The verified primary address of every active PSF staff account, in one statement."""
    return list(
        request.db.scalars(
            select(Email.email)
            .join(User, User.id == Email.user_id)
            .where(User.is_active, User.is_psf_staff, Email.primary, Email.verified)
            .order_by(Email.email)
        ).all()
    )


def email_inquiry(request: Request, inquiry: SponsorInquiry, staff: list[str]) -> None:
    """Confirm to the sender and tell each of ``staff`` (read before the inquiry was stored,
    so nothing is read between storing it and queueing the mail)."""
    level = inquiry.level_name or NOT_SURE_LABEL
    # Anyone may type any address here, so the confirmation repeats nothing else they typed:
    # the form must not become a way to mail chosen words to a stranger.
    send_email(
        request,
        "sponsor-inquiry-received",
        inquiry.contact_email,
        level=level,
        prospectus_url=request.route_url("sponsor"),
        sponsors_url=request.route_url("sponsors"),
    )
    for address in staff:
        send_email(
            request,
            "sponsor-inquiry-notification",
            address,
            company=inquiry.company,
            contact_name=inquiry.contact_name,
            contact_email=inquiry.contact_email,
            level=level,
            message=inquiry.message,
            inquiry_url=request.route_url("admin.sponsor_inquiry.detail", inquiry_id=inquiry.id),
        )
