"""/manage/account/: a user's own name, emails, password, two-factor auth and deletion."""

import base64
from typing import Any

import segno
from markupsafe import Markup
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.security import forget
from pyramid.view import view_config, view_defaults
from sqlalchemy import select

from warehouse_orgs.accounts.forms import (
    AddEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
    EmailChoiceForm,
    PasswordConfirmationForm,
    PublicTeamProjectsForm,
    SaveAccountForm,
    TwoFactorForm,
)
from warehouse_orgs.accounts.interfaces import IUserService, NameOrAddressTaken
from warehouse_orgs.accounts.models import EMAIL_MAX_LENGTH, Email, User
from warehouse_orgs.accounts.security_policy import refresh_authentication
from warehouse_orgs.accounts.services import (
    AccountDeletionRefused,
    new_totp_secret,
    totp_provisioning_uri,
)
from warehouse_orgs.accounts.views import send_verification_email
from warehouse_orgs.authnz import Permissions
from warehouse_orgs.confirmation import confirmation_field, confirmed
from warehouse_orgs.email import send_email
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.rate_limiting.interfaces import IRateLimiter

RECENT_EVENTS = 10
TOTP_PROVISION_KEY = "totp.provision_secret"
TOTP_ISSUER = "PyPI Organizations"
MANAGE = Permissions.AccountManage


# The account page asks for the password in four forms: each box has an id of its own.
CHANGE_PASSWORD_IDS = {"password": "change-current-password"}
DELETE_ACCOUNT_IDS = {"password": "delete-password"}
TOTP_REMOVE_IDS = {"password": "totp-remove-password"}
RECOVERY_CODES_IDS = {"password": "recovery-codes-password"}


class RemoveEmailForm(EmailChoiceForm):
    """The second button of an address's removal sends the address back: a POST without it
    (one click on an old page, or a forged form) removes nothing."""

    confirm_email = confirmation_field("Confirm removal", EMAIL_MAX_LENGTH)


def remove_email_form_id(email: Email) -> str:
    return f"remove-email-{email.id}"


def recent_events(request: Request, user: User, limit: int = RECENT_EVENTS) -> list[Any]:
    return list(
        request.db.scalars(
            select(User.Event)
            .where(User.Event.source_id == user.id)
            .order_by(User.Event.time.desc())
            .limit(limit)
        )
    )


@view_defaults(renderer="manage/account.html")
class AccountPage:
    """Every form on /manage/account/ posts to its own URL and, on bad input, re-renders the
    whole page with status 400 and the errors beside the field that caused them."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.user: User = request.user
        self.user_service = request.find_service(IUserService)

    def page(self, status: int = 200, **forms: Any) -> dict[str, Any]:
        self.request.response.status = status
        # Also from the recovery-codes view, whose own renderer shows the new codes.
        self.request.override_renderer = "manage/account.html"
        return {
            "save_account_form": forms.get("save_account_form")
            or SaveAccountForm(name=self.user.name),
            "public_team_projects_form": forms.get("public_team_projects_form")
            or PublicTeamProjectsForm(public_team_projects=self.user.public_team_projects),
            "add_email_form": forms.get("add_email_form") or AddEmailForm(user_service=None),
            "change_password_form": forms.get("change_password_form")
            or ChangePasswordForm(html_ids=CHANGE_PASSWORD_IDS),
            "delete_account_form": forms.get("delete_account_form")
            or DeleteAccountForm(html_ids=DELETE_ACCOUNT_IDS),
            "totp_remove_form": forms.get("totp_remove_form")
            or PasswordConfirmationForm(html_ids=TOTP_REMOVE_IDS),
            "recovery_codes_form": forms.get("recovery_codes_form")
            or PasswordConfirmationForm(html_ids=RECOVERY_CODES_IDS),
            "recovery_codes_left": self.user_service.unused_recovery_code_count(self.user)
            if self.user.has_two_factor
            else 0,
            "deletion_blockers": self.user_service.deletion_blockers(self.user),
            "events": recent_events(self.request, self.user),
            # Each address's removal form; a refused one as it was sent, its disclosure open.
            "remove_email_forms": {
                email.id: forms["remove_email_form"]
                if forms.get("remove_email_id") == email.id
                else RemoveEmailForm(html_id_prefix=remove_email_form_id(email))
                for email in self.user.emails
            },
            # On its own too, so the error summary at the top of the page finds it.
            "remove_email_form": forms.get("remove_email_form"),
        }

    def done(self, message: str, queue: str = "success") -> HTTPSeeOther:
        self.request.session.flash(message, queue=queue)
        return HTTPSeeOther(self.request.route_path("manage.account"))

    def own_email(self, form: EmailChoiceForm) -> Email | None:
        if not form.validate():
            return None
        return next((e for e in self.user.emails if str(e.id) == form.email_id.data), None)

    def password_ok(self, form: PasswordConfirmationForm | Any) -> bool:
        limiter = self.request.find_service(IRateLimiter, name="login.user")
        key = self.user.username.lower()
        if not limiter.test(key):
            form.password.errors = ["Too many wrong passwords. Wait a few minutes."]
            return False
        if self.user_service.check_password(self.user, form.password.data):
            return True
        limiter.hit(key)
        form.password.errors = ["That is not your password."]
        return False

    @view_config(route_name="manage.account", request_method="GET", permission=MANAGE)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(
        route_name="manage.account", request_method="POST", permission=MANAGE, require_reauth=True
    )
    def save_account(self) -> Any:
        form = SaveAccountForm(self.request.POST)
        if not form.validate():
            return self.page(400, save_account_form=form)
        self.user_service.update_name(self.user, form.name.data.strip())
        return self.done("Your name is saved.")

    @view_config(
        route_name="manage.account.public_team_projects",
        request_method="POST",
        permission=MANAGE,
        require_reauth=True,
    )
    def save_public_team_projects(self) -> Any:
        form = PublicTeamProjectsForm(self.request.POST)
        if not form.validate():
            return self.page(400, public_team_projects_form=form)
        public = bool(form.public_team_projects.data)
        # Saving the same choice again is no change, and leaves no event.
        if public != self.user.public_team_projects:
            self.user.public_team_projects = public
            self.user.record_event(
                EventTag.AccountPublicTeamProjectsChange, self.request, {"public": public}
            )
        if public:
            return self.done(
                "The public page of each project you maintain through a team now lists you, "
                "with the team's name."
            )
        return self.done(
            "Projects you maintain only through a team no longer list you on their public pages."
        )

    @view_config(route_name="manage.account.password", request_method="POST", permission=MANAGE)
    def change_password(self) -> Any:
        form = ChangePasswordForm(self.request.POST, html_ids=CHANGE_PASSWORD_IDS)
        if not form.validate() or not self.password_ok(form):
            return self.page(400, change_password_form=form)
        self.user_service.update_password(self.user, form.new_password.data)
        refresh_authentication(self.request, self.user)
        send_email(
            self.request,
            "password-change",
            self.user.primary_email.email,
            username=self.user.username,
        )
        return self.done("Your password is changed. Every other session has been logged out.")

    @view_config(
        route_name="manage.account.email.add",
        request_method="POST",
        permission=MANAGE,
        require_reauth=True,
    )
    def add_email(self) -> Any:
        form = AddEmailForm(self.request.POST, user_service=self.user_service)
        if not form.validate():
            return self.page(400, add_email_form=form)
        try:
            email = self.user_service.add_email(self.user, form.email.data)
        except NameOrAddressTaken as taken:
            form.email.errors = [str(taken)]
            return self.page(409, add_email_form=form)
        send_verification_email(self.request, email)
        return self.done(f"We sent a verification link to {email.email}.")

    @view_config(route_name="manage.account.email.resend", request_method="POST", permission=MANAGE)
    def resend_verification(self) -> Any:
        email = self.own_email(EmailChoiceForm(self.request.POST))
        if email is None or email.verified:
            return self.done("There is no unverified address like that on your account.", "error")
        limiter = self.request.find_service(IRateLimiter, name="email.verify")
        if not limiter.test(str(self.user.id)):
            return self.done("You asked for several links already; wait an hour.", "error")
        limiter.hit(str(self.user.id))
        send_verification_email(self.request, email)
        return self.done(f"We sent a new verification link to {email.email}.")

    @view_config(
        route_name="manage.account.email.primary",
        request_method="POST",
        permission=MANAGE,
        require_reauth=True,
    )
    def set_primary(self) -> Any:
        email = self.own_email(EmailChoiceForm(self.request.POST))
        if email is None or not email.verified:
            return self.done("Only a verified address of yours can be primary.", "error")
        self.user_service.set_primary_email(self.user, email)
        return self.done(f"{email.email} is now your primary address.")

    @view_config(
        route_name="manage.account.email.delete",
        request_method="POST",
        permission=MANAGE,
        require_reauth=True,
    )
    def delete_email(self) -> Any:
        email = self.own_email(EmailChoiceForm(self.request.POST))
        if email is None or email.primary:
            return self.done(
                "Your primary address cannot be removed; make another primary first.", "error"
            )
        form = RemoveEmailForm(self.request.POST, html_id_prefix=remove_email_form_id(email))
        valid = form.validate()
        if not (confirmed(form.confirm_email, email.email, typed=False) and valid):
            return self.page(400, remove_email_form=form, remove_email_id=email.id)
        self.user_service.remove_email(self.user, email)
        return self.done(f"{email.email} is removed from your account.")

    @view_config(
        route_name="manage.account.recovery_codes",
        request_method="POST",
        permission=MANAGE,
        renderer="manage/recovery_codes.html",
    )
    def regenerate_recovery_codes(self) -> Any:
        form = PasswordConfirmationForm(self.request.POST, html_ids=RECOVERY_CODES_IDS)
        if not self.user.has_two_factor:
            return self.done("Set up two-factor authentication first.", "error")
        if not form.validate() or not self.password_ok(form):
            return self.page(400, recovery_codes_form=form)
        return {
            "codes": self.user_service.generate_recovery_codes(self.user),
            "just_enabled": False,
        }

    @view_config(route_name="manage.account.totp_remove", request_method="POST", permission=MANAGE)
    def remove_totp(self) -> Any:
        form = PasswordConfirmationForm(self.request.POST, html_ids=TOTP_REMOVE_IDS)
        if not self.user.has_two_factor:
            return self.done("Two-factor authentication is not on.", "error")
        if not form.validate() or not self.password_ok(form):
            return self.page(400, totp_remove_form=form)
        self.user_service.disable_totp(self.user)
        send_email(
            self.request,
            "two-factor-removed",
            self.user.primary_email.email,
            username=self.user.username,
        )
        return self.done(
            "Two-factor authentication is off. Until you set it up again you cannot work on "
            "projects or organizations.",
            "warning",
        )

    @view_config(route_name="manage.account.delete", request_method="POST", permission=MANAGE)
    def delete_account(self) -> Any:
        form = DeleteAccountForm(self.request.POST, html_ids=DELETE_ACCOUNT_IDS)
        valid = form.validate()
        if valid and form.confirm_username.data != self.user.username:
            form.confirm_username.errors = [f"Type {self.user.username} exactly to confirm."]
            valid = False
        if not valid or not self.password_ok(form):
            return self.page(400, delete_account_form=form)
        username = self.user.username
        try:
            self.user_service.delete_user(self.user)
        except AccountDeletionRefused as refusal:
            form.form_errors.extend(refusal.reasons)
            return self.page(409, delete_account_form=form)
        forget(self.request)
        self.request.session.flash(f"The account {username} is deleted.", queue="success")
        return HTTPSeeOther(self.request.route_path("index"))


class TOTPProvisionViews:
    """/manage/account/totp-provision/: scan a QR code, confirm a code, get recovery codes."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.user: User = request.user
        self.user_service = request.find_service(IUserService)

    def _secret(self) -> bytes:
        stored = self.request.session.get(TOTP_PROVISION_KEY)
        if stored is None:
            stored = base64.b32encode(new_totp_secret()).decode()
            self.request.session[TOTP_PROVISION_KEY] = stored
        return base64.b32decode(stored)

    def _context(self, form: TwoFactorForm) -> dict[str, Any]:
        secret = self._secret()
        uri = totp_provisioning_uri(secret, self.user.username, TOTP_ISSUER)
        qr_svg = segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your app")
        return {
            "form": form,
            "qr_svg": Markup(qr_svg),  # noqa: S704 (segno's own SVG, with no user input)
            "secret": base64.b32encode(secret).decode(),
        }

    @view_config(
        route_name="manage.account.totp_provision",
        request_method="GET",
        permission=MANAGE,
        renderer="manage/totp_provision.html",
        require_reauth=True,
    )
    def show(self) -> Any:
        if self.user.has_two_factor:
            self.request.session.flash("Two-factor authentication is already on.", queue="success")
            return HTTPSeeOther(self.request.route_path("manage.account"))
        return self._context(TwoFactorForm())

    @view_config(
        route_name="manage.account.totp_provision",
        request_method="POST",
        permission=MANAGE,
        renderer="manage/totp_provision.html",
        require_reauth=True,
    )
    def confirm(self) -> Any:
        if self.user.has_two_factor:
            return HTTPSeeOther(self.request.route_path("manage.account"))
        form = TwoFactorForm(self.request.POST)
        secret = self._secret()
        if not form.validate():
            self.request.response.status = 400
            return self._context(form)
        if not self.user_service.check_totp_value(self.user, form.totp_value.data, secret=secret):
            form.totp_value.errors = ["That code does not match. Check the time on your device."]
            self.request.response.status = 400
            return self._context(form)
        codes = self.user_service.enable_totp(self.user, secret)
        del self.request.session[TOTP_PROVISION_KEY]
        send_email(
            self.request,
            "two-factor-added",
            self.user.primary_email.email,
            username=self.user.username,
        )
        self.request.override_renderer = "manage/recovery_codes.html"
        return {"codes": codes, "just_enabled": True}
