"""Signing in and out: register, log in (with two-factor), verify an email, confirm a password."""

import datetime
import math
from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.security import forget, remember
from pyramid.view import view_config, view_defaults

from warehouse_orgs.accounts.forms import (
    LoginForm,
    ReauthenticateForm,
    RecoveryCodeForm,
    RegistrationForm,
    TwoFactorForm,
)
from warehouse_orgs.accounts.interfaces import ITokenService, IUserService, NameOrAddressTaken
from warehouse_orgs.accounts.models import Email, User
from warehouse_orgs.accounts.security_policy import refresh_authentication
from warehouse_orgs.accounts.services import (
    LoginLanding,
    TokenError,
    TokenExpired,
    spend_password_check,
)
from warehouse_orgs.authnz import Permissions
from warehouse_orgs.email import send_email
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.rate_limiting.interfaces import IRateLimiter
from warehouse_orgs.redirects import is_same_site_path, safe_next_url

# Between the password and the second factor, the session remembers who is half logged in.
TWO_FACTOR_PENDING_KEY = "auth.two_factor_pending"
TWO_FACTOR_WINDOW = datetime.timedelta(minutes=5)
EMAIL_VERIFY_ACTION = "email-verify"


def rate_limited_message(
    request: Request,
    *limiters: tuple[IRateLimiter, str],
    too_many: str = "Too many failed attempts.",
) -> str | None:
    """A message saying when to retry if any limiter refuses, else None. It also sets the
    response's Retry-After header, for clients that read it."""
    waits = [limiter.resets_in(key) for limiter, key in limiters]
    waits = [wait for wait in waits if wait is not None]
    if not waits:
        return None
    seconds = max(1, math.ceil(max(waits).total_seconds()))
    request.response.headers["Retry-After"] = str(seconds)
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"{too_many} Try again in {minutes} {unit}."


def requested_next(request: Request) -> str | None:
    """The ``next`` the request asked for, when it is safe to go there; else None."""
    if is_same_site_path(request.params.get("next")):
        return safe_next_url(request)
    return None


def landing_path(request: Request, user: User) -> str:
    """Where a login without ``next`` ends: the first page a feature offers (organizations
    send their members to the list of their organizations), else the account page.

    pypi.org lands people on their projects. Here the site is about organizations, so a member
    lands where they came to work; anyone else on their account page, where setting up the
    account goes on (verifying the address, two-factor authentication) and which links to
    applying for an organization. Feature pages need a secure account, so until it is secure
    the account page, which says what is missing, is where everyone lands.
    """
    if user.has_verified_primary_email and user.has_two_factor:
        landings: list[LoginLanding] = request.registry.get("accounts.login_landings", [])
        for landing in landings:
            path = landing(request, user)
            if path is not None:
                return path
    return request.route_path("manage.account")


def _query_with_next(next_url: str | None) -> dict[str, str]:
    return {"next": next_url} if next_url else {}


def _login(request: Request, user: User, two_factor_method: str | None) -> None:
    remember(request, str(user.id))
    request.find_service(IUserService).record_login(user)
    user.record_event(
        EventTag.AccountLoginSuccess, request, {"two_factor_method": two_factor_method}
    )


def send_verification_email(request: Request, email: Email) -> None:
    token = request.find_service(ITokenService, name="email").dumps(
        {"action": EMAIL_VERIFY_ACTION, "email.id": str(email.id), "email": email.email}
    )
    send_email(
        request,
        "verify-email",
        email.email,
        username=email.user.username,
        verify_url=request.route_url("accounts.verify_email", _query={"token": token}),
    )


def _form_error(request: Request, status: int = 400, **context: Any) -> dict[str, Any]:
    request.response.status = status
    return context


@view_defaults(route_name="accounts.register", renderer="accounts/register.html")
class RegisterViews:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.user_service = request.find_service(IUserService)

    @view_config(request_method="GET")
    def show(self) -> Any:
        if self.request.user is not None:
            return HTTPSeeOther(self.request.route_path("manage.account"))
        return {"form": RegistrationForm(user_service=self.user_service)}

    @view_config(request_method="POST")
    def register(self) -> Any:
        if self.request.user is not None:
            return HTTPSeeOther(self.request.route_path("manage.account"))
        form = RegistrationForm(self.request.POST, user_service=self.user_service)
        if not form.validate():
            return _form_error(self.request, form=form)
        try:
            user = self.user_service.create_user(
                form.username.data,
                form.full_name.data or "",
                form.new_password.data,
                form.email.data,
            )
        except NameOrAddressTaken as taken:
            form[taken.field].errors = [str(taken)]
            return _form_error(self.request, 409, form=form)
        send_verification_email(self.request, user.primary_email)
        _login(self.request, user, two_factor_method=None)
        self.request.session.flash(
            f"Welcome, {user.username}. We sent a link to {form.email.data}: open it to verify "
            "your address, then set up two-factor authentication.",
            queue="success",
        )
        return HTTPSeeOther(self.request.route_path("manage.account"))


@view_defaults(route_name="accounts.login", renderer="accounts/login.html")
class LoginViews:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.user_service = request.find_service(IUserService)
        self.user_limiter = request.find_service(IRateLimiter, name="login.user")
        self.ip_limiter = request.find_service(IRateLimiter, name="login.ip")

    @view_config(request_method="GET")
    def show(self) -> Any:
        user = self.request.user
        if user is not None:
            return HTTPSeeOther(requested_next(self.request) or landing_path(self.request, user))
        return {"form": LoginForm(), "next": requested_next(self.request)}

    @view_config(request_method="POST")
    def login(self) -> Any:
        request = self.request
        form = LoginForm(request.POST)
        next_url = requested_next(request)
        if not form.validate():
            return _form_error(request, form=form, next=next_url)

        user_key = form.username.data.lower()
        ip_key = request.remote_addr or "unknown"
        wait = rate_limited_message(
            request, (self.user_limiter, user_key), (self.ip_limiter, ip_key)
        )
        if wait:
            form.form_errors.append(wait)
            return _form_error(request, 429, form=form, next=next_url)

        user = self.user_service.get_user_by_username(form.username.data)
        if user is None:
            spend_password_check(form.password.data)
        if user is None or not self.user_service.check_password(user, form.password.data):
            self.user_limiter.hit(user_key)
            self.ip_limiter.hit(ip_key)
            if user is not None:
                user.record_event(
                    EventTag.AccountLoginFailure, request, {"reason": "wrong password"}
                )
            # The same words whether or not the account exists.
            form.password.errors = ["The username or password is incorrect."]
            return _form_error(request, form=form, next=next_url)
        if not user.is_active:
            form.username.errors = ["This account has been disabled."]
            return _form_error(request, 403, form=form, next=next_url)

        self.user_limiter.clear(user_key)
        if user.has_two_factor:
            request.session[TWO_FACTOR_PENDING_KEY] = {
                "userid": str(user.id),
                "since": datetime.datetime.now(datetime.UTC).timestamp(),
            }
            return HTTPSeeOther(
                request.route_path("accounts.two_factor", _query=_query_with_next(next_url))
            )
        _login(request, user, two_factor_method=None)
        return HTTPSeeOther(next_url or landing_path(request, user))


class SecondFactorViews:
    """The second step of a login, by authenticator code or by recovery code."""

    form_class: type = TwoFactorForm
    method = "totp"

    def __init__(self, request: Request) -> None:
        self.request = request
        self.user_service = request.find_service(IUserService)
        self.user_limiter = request.find_service(IRateLimiter, name="two_factor.user")
        self.ip_limiter = request.find_service(IRateLimiter, name="two_factor.ip")

    def pending_user(self) -> User | None:
        pending = self.request.session.get(TWO_FACTOR_PENDING_KEY)
        if not pending:
            return None
        age = datetime.datetime.now(datetime.UTC).timestamp() - pending["since"]
        if age > TWO_FACTOR_WINDOW.total_seconds():
            return None
        return self.user_service.get_user(pending["userid"])

    def start_over(self) -> HTTPSeeOther:
        self.request.session.pop(TWO_FACTOR_PENDING_KEY, None)
        self.request.session.flash("Log in again to continue.", queue="warning")
        return HTTPSeeOther(self.request.route_path("accounts.login"))

    def context(self, form: Any) -> dict[str, Any]:
        return {"form": form, "next": requested_next(self.request)}

    def show(self) -> Any:
        if self.pending_user() is None:
            return self.start_over()
        return self.context(self.form_class())

    def check(self, user: User, form: Any) -> bool:
        raise NotImplementedError

    def verify(self) -> Any:
        request = self.request
        user = self.pending_user()
        if user is None:
            return self.start_over()
        form = self.form_class(request.POST)
        if not form.validate():
            return _form_error(request, **self.context(form))

        user_key, ip_key = str(user.id), request.remote_addr or "unknown"
        wait = rate_limited_message(
            request, (self.user_limiter, user_key), (self.ip_limiter, ip_key)
        )
        if wait:
            form.form_errors.append(wait)
            return _form_error(request, 429, **self.context(form))
        if not self.check(user, form):
            self.user_limiter.hit(user_key)
            self.ip_limiter.hit(ip_key)
            user.record_event(
                EventTag.AccountLoginFailure, request, {"reason": f"wrong {self.method} value"}
            )
            return _form_error(request, **self.context(form))

        self.user_limiter.clear(user_key)
        request.session.pop(TWO_FACTOR_PENDING_KEY, None)
        _login(request, user, two_factor_method=self.method)
        self.after_login(user)
        return HTTPSeeOther(requested_next(request) or landing_path(request, user))

    def after_login(self, user: User) -> None:
        pass


@view_defaults(route_name="accounts.two_factor", renderer="accounts/two_factor.html")
class TwoFactorViews(SecondFactorViews):
    form_class = TwoFactorForm
    method = "totp"

    @view_config(request_method="GET")
    def show(self) -> Any:
        return super().show()

    @view_config(request_method="POST")
    def verify(self) -> Any:
        return super().verify()

    def check(self, user: User, form: TwoFactorForm) -> bool:
        if self.user_service.check_totp_value(user, form.totp_value.data):
            return True
        form.totp_value.errors = [
            "That code is not right or has been used. Enter the current 6-digit code from "
            "your authenticator app."
        ]
        return False


@view_defaults(route_name="accounts.recovery_code", renderer="accounts/recovery_code.html")
class RecoveryCodeViews(SecondFactorViews):
    form_class = RecoveryCodeForm
    method = "recovery_code"

    @view_config(request_method="GET")
    def show(self) -> Any:
        return super().show()

    @view_config(request_method="POST")
    def verify(self) -> Any:
        return super().verify()

    def check(self, user: User, form: RecoveryCodeForm) -> bool:
        if self.user_service.use_recovery_code(user, form.recovery_code_value.data):
            return True
        form.recovery_code_value.errors = [
            "That recovery code is not right or has been used. Each code works once: enter "
            "another of the codes you saved."
        ]
        return False

    def after_login(self, user: User) -> None:
        left = self.user_service.unused_recovery_code_count(user)
        self.request.session.flash(
            f"You logged in with a recovery code; {left} left. If you lost your authenticator, "
            "set it up again and generate new recovery codes.",
            queue="warning",
        )


@view_defaults(route_name="accounts.logout", renderer="accounts/logout.html")
class LogoutViews:
    def __init__(self, request: Request) -> None:
        self.request = request

    @view_config(request_method="GET")
    def show(self) -> Any:
        if self.request.user is None:
            return HTTPSeeOther(self.request.route_path("index"))
        return {}

    @view_config(request_method="POST")
    def logout(self) -> Any:
        user = self.request.user
        if user is not None:
            user.record_event(EventTag.AccountLogout, self.request)
        forget(self.request)
        self.request.session.flash("You are logged out.", queue="success")
        return HTTPSeeOther(self.request.route_path("index"))


@view_defaults(route_name="accounts.verify_email", renderer="accounts/verify_email.html")
class VerifyEmailViews:
    """GET shows what the link will do; POST does it, so a mail scanner that follows links
    verifies nothing."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.tokens = request.find_service(ITokenService, name="email")

    def _email(self) -> tuple[Email | None, str | None]:
        token = self.request.params.get("token", "")[:1000]
        try:
            data = self.tokens.loads(token)
        except TokenExpired:
            return None, "This link has expired. Ask for a new one from your account page."
        except TokenError:
            return None, "This link is not valid. Check that you copied all of it."
        if data.get("action") != EMAIL_VERIFY_ACTION:
            return None, "This link is not valid. Check that you copied all of it."
        email = self.request.db.get(Email, data["email.id"])
        if email is None or email.email != data["email"]:
            return None, "This address is no longer on any account."
        return email, None

    @view_config(request_method="GET")
    def show(self) -> Any:
        email, error = self._email()
        if error:
            self.request.response.status = 400
        return {"email": email, "error": error, "token": self.request.params.get("token", "")}

    @view_config(request_method="POST")
    def verify(self) -> Any:
        email, error = self._email()
        if error:
            self.request.response.status = 400
            return {"email": None, "error": error, "token": ""}
        if email.verified:
            self.request.session.flash(f"{email.email} was already verified.", queue="success")
        else:
            self.request.find_service(IUserService).verify_email(email)
            self.request.session.flash(f"{email.email} is verified. Thank you.", queue="success")
        return HTTPSeeOther(self.request.route_path("manage.account"))


def confirm_password_again(request: Request, form: ReauthenticateForm) -> int | None:
    """Check the signed-in person's password once more, under the per-account password limit.

    On success the session counts as freshly authenticated and None is returned; otherwise the
    error is on the form and the status to answer with is returned. Both the reauthentication
    page and the password step of a ``require_reauth`` action (reauthentication.py) use this.
    """
    user = request.user
    if not form.validate():
        return 400
    limiter = request.find_service(IRateLimiter, name="login.user")
    key = user.username.lower()
    wait = rate_limited_message(request, (limiter, key))
    if wait:
        form.form_errors.append(wait)
        return 429
    if not request.find_service(IUserService).check_password(user, form.password.data):
        limiter.hit(key)
        form.password.errors = ["That is not your password."]
        return 400
    refresh_authentication(request, user)
    user.record_event(EventTag.AccountReauthenticate, request)
    return None


@view_defaults(
    route_name="accounts.reauthenticate",
    renderer="accounts/reauthenticate.html",
    permission=Permissions.AccountManage,
)
class ReauthenticateViews:
    def __init__(self, request: Request) -> None:
        self.request = request

    @view_config(request_method="GET")
    def show(self) -> Any:
        return {"form": ReauthenticateForm(), "next": safe_next_url(self.request)}

    @view_config(request_method="POST")
    def confirm(self) -> Any:
        request = self.request
        form = ReauthenticateForm(request.POST)
        next_url = safe_next_url(request)
        status = confirm_password_again(request, form)
        if status is not None:
            return _form_error(request, status, form=form, next=next_url)
        return HTTPSeeOther(next_url)
