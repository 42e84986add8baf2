"""What every /manage/organization/<name>/ page shares: the organization (from traversal, with
its ACL), the services, and the status a refused form answers with."""

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request

from warehouse_orgs.authnz import Permissions
from warehouse_orgs.organizations.interfaces import (
    IOrganizationMembershipService,
    IOrganizationService,
)
from warehouse_orgs.organizations.models import Organization


class OrganizationPage:
    def __init__(self, organization: Organization, request: Request) -> None:
        self.organization = organization
        self.request = request
        self.service = request.find_service(IOrganizationService)
        self.membership = request.find_service(IOrganizationMembershipService)

    def context(self, status: int = 200, **values: Any) -> dict[str, Any]:
        self.request.response.status = status
        return {
            "organization": self.organization,
            "can_manage": bool(
                self.request.has_permission(Permissions.OrganizationsManage, self.organization)
            ),
            **values,
        }

    def done(self, message: str, route_name: str) -> HTTPSeeOther:
        self.request.session.flash(message, queue="success")
        return HTTPSeeOther(
            self.request.route_path(route_name, organization_name=self.organization.name)
        )
