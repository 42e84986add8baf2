"""``require_reauth=True`` on a view: if the password was last given more than 30 minutes ago,
ask for it again before going on. The permission and CSRF checks come first (Pyramid's own
derivers wrap this one), so an anonymous visitor is sent to log in instead.

A page (GET) is sent to /account/reauthenticate/ and comes back to itself afterwards.

An action (POST) cannot take that detour: a redirect turns it into a GET and what the person
submitted is lost. So the password step is rendered in place, as a form that posts back to the
same URL carrying every submitted field as a hidden input, plus ``reauth_password``. When that
post arrives with the right password, the session counts as freshly authenticated, the field is
removed and the original view runs on the original fields: the action is done, not merely the
password checked. A wrong password shows the step again and changes nothing else.

The step answers 200: nothing was refused and nothing is malformed, it is the page on which the
person continues. 401 would need a WWW-Authenticate challenge, which has no meaning for a form
password, and 403 would tell clients and monitoring that the person lacks a permission they do
have. The page says in words that nothing has been done yet.
"""

import datetime
from typing import Any

from pyramid.httpexceptions import HTTPRequestEntityTooLarge, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from webob.multidict import MultiDict

from warehouse_orgs.accounts.forms import ReauthenticateForm
from warehouse_orgs.accounts.security_policy import seconds_since_authentication
from warehouse_orgs.accounts.views import confirm_password_again

REAUTHENTICATE_AFTER = datetime.timedelta(minutes=30)
STEP_TEMPLATE = "accounts/reauthenticate_action.html"
# The step's password field is ReauthenticateForm's ``password`` under this prefix, a name no
# action form uses, so it can travel alongside the action's own fields.
FORM_PREFIX = "reauth_"
PASSWORD_FIELD = FORM_PREFIX + "password"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Far more than any form of ours sends; a post beyond this is not written back into a page.
MAX_CARRIED_FIELDS = 200
MAX_CARRIED_CHARACTERS = 100_000
# Secrets are never written into a page. An action that needs one asks for it again.
SECRET_FIELD_MARKERS = ("password", "totp", "recovery_code", "secret")


def is_secret_field(name: str) -> bool:
    lowered = name.lower()
    return any(marker in lowered for marker in SECRET_FIELD_MARKERS)


def carried_fields(request: Request) -> list[tuple[str, str]]:
    """The submitted fields the password step writes back, in order, repeated keys kept."""
    # A file (on the few routes a feature allows uploads on) cannot be written into a page:
    # the step asks for it again (files_to_choose_again).
    fields = [
        (name, value)
        for name, value in request.POST.items()
        if isinstance(value, str) and not is_secret_field(name)
    ]
    size = sum(len(name) + len(value) for name, value in fields)
    if len(fields) > MAX_CARRIED_FIELDS or size > MAX_CARRIED_CHARACTERS:
        raise HTTPRequestEntityTooLarge(
            "This form is too large to keep through the password step. Confirm your password "
            "at /account/reauthenticate/ first, then send the form again."
        )
    return fields


def files_to_choose_again(request: Request) -> list[str]:
    """The names of the file fields the post carried a file in, each once."""
    return list(
        dict.fromkeys(name for name, value in request.POST.items() if not isinstance(value, str))
    )


def _take_submitted_password(request: Request) -> list[str] | None:
    """Remove the step's password from the post, so the action's view never sees it."""
    if request.method in SAFE_METHODS or PASSWORD_FIELD not in request.POST:
        return None
    values = request.POST.getall(PASSWORD_FIELD)
    del request.POST[PASSWORD_FIELD]
    return values


def _password_step(request: Request, form: ReauthenticateForm, status: int) -> Response:
    response = render_to_response(
        STEP_TEMPLATE,
        {
            "form": form,
            "carried": carried_fields(request),
            "files": files_to_choose_again(request),
        },
        request=request,
    )
    response.status_code = status
    # The page holds what the person typed and their CSRF token.
    response.cache_control.no_store = True
    return response


REAUTH_VIEWS_KEY = "accounts.views_requiring_reauth"


def reauth_view(view: Any, info: Any) -> Any:
    if not info.options.get("require_reauth"):
        return view
    # Recorded, so a structural test can check that every action that must ask does.
    info.registry.setdefault(REAUTH_VIEWS_KEY, set()).add(
        (info.original_view, info.options.get("attr"))
    )

    def wrapped(context: Any, request: Request) -> Any:
        submitted = _take_submitted_password(request)
        stale = seconds_since_authentication(request) > REAUTHENTICATE_AFTER.total_seconds()
        if request.user is None or not stale:
            # Fresh (another tab may have confirmed meanwhile): the action goes ahead as is.
            return view(context, request)
        if request.method in SAFE_METHODS:
            return HTTPSeeOther(
                request.route_path("accounts.reauthenticate", _query={"next": request.path_qs})
            )
        if submitted is None:
            return _password_step(request, ReauthenticateForm(prefix=FORM_PREFIX), 200)
        password = submitted[0] if isinstance(submitted[0], str) else ""
        form = ReauthenticateForm(MultiDict({PASSWORD_FIELD: password}), prefix=FORM_PREFIX)
        status = confirm_password_again(request, form)
        if status is not None:
            return _password_step(request, form, status)
        return view(context, request)

    return wrapped


reauth_view.options = ("require_reauth",)  # type: ignore[attr-defined]
