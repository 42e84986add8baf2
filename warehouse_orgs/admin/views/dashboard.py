"""/admin/: the staff landing page, with a few counts and the sections the reader may open."""

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config, view_defaults
from sqlalchemy import func, or_, select

from warehouse_orgs.accounts.models import STAFF_FLAGS, User
from warehouse_orgs.admin.sections import sections_for
from warehouse_orgs.authnz import Permissions


@view_defaults(route_name="admin.dashboard", renderer="admin/dashboard.html")
class DashboardPage:
    def __init__(self, request: Request) -> None:
        self.request = request

    def counts(self) -> dict[str, int]:
        is_staff = or_(*(getattr(User, flag) for flag in STAFF_FLAGS))
        users, staff = self.request.db.execute(
            select(func.count(), func.count().filter(is_staff)).select_from(User)
        ).one()
        return {"users": users, "staff": staff}

    @view_config(request_method="GET", permission=Permissions.AdminDashboardRead)
    def show(self) -> dict[str, Any]:
        return {"counts": self.counts(), "admin_sections": sections_for(self.request)}
