"""CSRF: every unsafe method needs the session's token, unless a view opts out.

Only views authenticated by something other than the browser session (the Stripe webhook, which
checks a signature) may say ``require_csrf=False``.
"""

from pyramid.config import Configurator
from pyramid.csrf import SessionCSRFStoragePolicy, get_csrf_token

CSRF_FIELD_NAME = "csrf_token"
CSRF_HEADER_NAME = "X-CSRF-Token"


def includeme(config: Configurator) -> None:
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
    # Templates put {{ request.csrf_token() }} in every form that posts.
    config.add_request_method(get_csrf_token, name="csrf_token")
    config.set_default_csrf_options(
        require_csrf=True, token=CSRF_FIELD_NAME, header=CSRF_HEADER_NAME
    )
