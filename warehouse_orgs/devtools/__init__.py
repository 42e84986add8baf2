"""Pages that exist only in development (WAREHOUSE_ORGS_ENV=development).

Registered explicitly rather than scanned, so a production app has neither the routes nor the
views.
"""

from pyramid.config import Configurator

from warehouse_orgs.environment import is_development


def includeme(config: Configurator) -> None:
    if not is_development(config.registry):
        return
    from warehouse_orgs.devtools import mail

    config.add_route("devtools.mail.list", "/_dev/mail/")
    config.add_route("devtools.mail.detail", "/_dev/mail/{message_id}/")
    config.add_route("devtools.mail.html", "/_dev/mail/{message_id}/html")
    config.add_view(
        mail.message_list,
        route_name="devtools.mail.list",
        renderer="devtools/mail_list.html",
        request_method="GET",
    )
    config.add_view(
        mail.message_detail,
        route_name="devtools.mail.detail",
        renderer="devtools/mail_detail.html",
        request_method="GET",
    )
    config.add_view(mail.message_html, route_name="devtools.mail.html", request_method="GET")
