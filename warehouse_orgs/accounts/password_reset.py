"""Forgot your password? Ask for a link by username or address, then choose a new password.

The request page answers the same words, with the same status, whether or not an account
matches, so it cannot be used to learn who has an account here. The link is signed, expires
after six hours and works once (services.password_state). Using it ends every session of the
account and mails its owner.
"""

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.security import forget
from pyramid.view import view_config, view_defaults

from warehouse_orgs.accounts import PASSWORD_RESET_TOKEN_MAX_AGE
from warehouse_orgs.accounts.forms import RequestPasswordResetForm, ResetPasswordForm
from warehouse_orgs.accounts.interfaces import IUserService
from warehouse_orgs.accounts.models import Email, User
from warehouse_orgs.accounts.services import TokenError, TokenExpired, TokenUsed
from warehouse_orgs.accounts.views import rate_limited_message
from warehouse_orgs.email import render_email, send_email
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.rate_limiting.interfaces import IRateLimiter

LINK_HOURS = PASSWORD_RESET_TOKEN_MAX_AGE // 3600
# Far longer than any token we sign; anything longer is not one of ours.
TOKEN_MAX_LENGTH = 1000


def find_account(user_service: IUserService, typed: str) -> tuple[User | None, Email | None]:
    """The active account a username or address names, and the address to send its link to.

    The link goes to the address typed when it is a verified address of the account; otherwise
    to the primary address, which is where the account's own mail goes. An unverified address
    that is not primary never gets one: a typo when adding it must not hand over the account.
    """
    if "@" in typed:
        user = user_service.get_user_by_email(typed)
    else:
        user = user_service.get_user_by_username(typed)
    if user is None or not user.is_active:
        return None, None
    typed_address = next(
        (e for e in user.emails if e.verified and e.email.lower() == typed.lower()), None
    )
    return user, typed_address or user.primary_email


@view_defaults(
    route_name="accounts.request_password_reset",
    renderer="accounts/request_password_reset.html",
)
class RequestPasswordResetViews:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.user_service = request.find_service(IUserService)
        self.account_limiter = request.find_service(IRateLimiter, name="password_reset.user")
        self.ip_limiter = request.find_service(IRateLimiter, name="password_reset.ip")

    def page(self, form: RequestPasswordResetForm, status: int = 200, sent: bool = False) -> Any:
        self.request.response.status = status
        return {"form": form, "sent": sent, "hours": LINK_HOURS}

    @view_config(request_method="GET")
    def show(self) -> Any:
        return self.page(RequestPasswordResetForm())

    @view_config(request_method="POST")
    def send_link(self) -> Any:
        request = self.request
        form = RequestPasswordResetForm(request.POST)
        if not form.validate():
            return self.page(form, 400)
        typed = form.username_or_email.data
        user, address = find_account(self.user_service, typed)
        # Per account when there is one, else per what was typed: either way a stranger sees
        # the same limits for a name that exists and one that does not.
        account_key = str(user.id) if user is not None else typed.lower()
        ip_key = request.remote_addr or "unknown"
        wait = rate_limited_message(
            request,
            (self.account_limiter, account_key),
            (self.ip_limiter, ip_key),
            too_many="Too many password reset requests.",
        )
        if wait:
            form.form_errors.append(wait)
            return self.page(form, 429)
        self.account_limiter.hit(account_key)
        self.ip_limiter.hit(ip_key)

        context = {"username": "", "reset_url": "", "hours": LINK_HOURS}
        if user is not None and address is not None:
            token = self.user_service.password_reset_token(user)
            context.update(
                username=user.username,
                reset_url=request.route_url("accounts.reset_password", _query={"token": token}),
            )
            send_email(request, "password-reset", address.email, **context)
            user.record_event(
                EventTag.AccountPasswordResetRequest, request, {"email": address.email}
            )
        else:
            # Render the message all the same, so the answer takes about as long either way.
            render_email(request, "password-reset", context)
        return self.page(RequestPasswordResetForm(), sent=True)


@view_defaults(route_name="accounts.reset_password", renderer="accounts/reset_password.html")
class ResetPasswordViews:
    """GET only shows the form (a mail scanner opening the link changes nothing); POST sets the
    password. The token itself is the proof, so no login is needed, and guessing one is
    hopeless (it is signed), so the form has no rate limit of its own."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.user_service = request.find_service(IUserService)
        # The address holds the token: no cache keeps the page, and no request from it (a
        # stylesheet, a link followed) carries the address along as its Referer.
        request.response.cache_control.no_store = True
        request.response.headers["Referrer-Policy"] = "no-referrer"

    def token(self) -> str:
        return self.request.params.get("token", "")

    def account(self, *, lock: bool = False) -> tuple[User | None, str | None]:
        token = self.token()
        if not token or len(token) > TOKEN_MAX_LENGTH:
            return None, "This link is not valid. Check that you copied all of it from the email."
        try:
            return self.user_service.user_for_password_reset(token, lock=lock), None
        except TokenExpired:
            return None, f"This link has expired: reset links work for {LINK_HOURS} hours."
        except TokenUsed:
            return None, (
                "This link has already been used: the password was changed, or someone logged "
                "in to the account, after it was sent."
            )
        except TokenError:
            return None, "This link is not valid. Check that you copied all of it from the email."

    def page(self, form: ResetPasswordForm | None, user: User | None, **context: Any) -> Any:
        return {"form": form, "account": user, "token": self.token(), "error": None, **context}

    def refused(self, error: str) -> Any:
        self.request.response.status = 400
        return self.page(None, None, error=error)

    @view_config(request_method="GET")
    def show(self) -> Any:
        user, error = self.account()
        if error:
            return self.refused(error)
        return self.page(ResetPasswordForm(), user)

    @view_config(request_method="POST")
    def reset(self) -> Any:
        request = self.request
        user, error = self.account(lock=True)
        if error:
            return self.refused(error)
        form = ResetPasswordForm(request.POST)
        if not form.validate():
            request.response.status = 400
            return self.page(form, user)
        self.user_service.reset_password(user, form.new_password.data)
        if user.primary_email is not None:
            send_email(request, "password-change", user.primary_email.email, username=user.username)
        # This browser may be logged in, as this account or another; it starts afresh too.
        forget(request)
        request.session.flash(
            "Your password is changed, and every session of your account has been logged out. "
            "Log in with your new password.",
            queue="success",
        )
        return HTTPSeeOther(request.route_path("accounts.login"))
