"""/sponsors/ and /sponsor/: placeholder until the public pages land."""

from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config


@view_config(route_name="sponsors", request_method="GET")
@view_config(route_name="sponsor", request_method="GET")
def placeholder(request: Request) -> None:
    raise HTTPNotFound()
