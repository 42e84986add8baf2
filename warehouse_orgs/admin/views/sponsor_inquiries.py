"""/admin/sponsors/inquiries/...: placeholder until the staff pages land."""

from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config

from warehouse_orgs.authnz import Permissions

READ = Permissions.AdminSponsorsRead


@view_config(route_name="admin.sponsor_inquiry.list", request_method="GET", permission=READ)
@view_config(route_name="admin.sponsor_inquiry.detail", request_method="GET", permission=READ)
def placeholder(request: Request) -> None:
    raise HTTPNotFound()
