"""``require_reauth=True`` on a view: if the password was last given more than 30 minutes ago,
ask for it again before going on. The permission check comes first, so an anonymous visitor is
sent to log in instead."""

import datetime
from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request

from warehouse_orgs.security_policy import seconds_since_authentication

REAUTHENTICATE_AFTER = datetime.timedelta(minutes=30)


def reauth_view(view: Any, info: Any) -> Any:
    if not info.options.get("require_reauth"):
        return view

    def wrapped(context: Any, request: Request) -> Any:
        stale = seconds_since_authentication(request) > REAUTHENTICATE_AFTER.total_seconds()
        if request.user is not None and stale:
            # A POST's data cannot survive the detour; the form is shown again afterwards.
            next_url = request.path_qs if request.method == "GET" else request.path
            return HTTPSeeOther(
                request.route_path("accounts.reauthenticate", _query={"next": next_url})
            )
        return view(context, request)

    return wrapped


reauth_view.options = ("require_reauth",)  # type: ignore[attr-defined]
