"""Traversal: names and ids in URLs resolve to rows, which carry their ACLs."""

import uuid
from typing import Any

from pyramid.httpexceptions import HTTPPermanentRedirect
from pyramid.request import Request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from warehouse_orgs.organizations.models import (
    NAME_MAX_LENGTH,
    Organization,
    OrganizationApplication,
    select_organization_by_name,
)


class OrganizationFactory:
    """``/{organization_name}``: the current name resolves to the organization; another case,
    spelling or a former name answers 308 to the current URL."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def __getitem__(self, name: str) -> Organization:
        if len(name) > NAME_MAX_LENGTH:
            raise KeyError(name)
        organization = self.request.db.scalars(
            select_organization_by_name(name).options(selectinload(Organization.roles))
        ).one_or_none()
        if organization is None:
            raise KeyError(name)
        if name != organization.name:
            matchdict = {**self.request.matchdict, "organization_name": organization.name}
            raise HTTPPermanentRedirect(
                self.request.route_path(
                    self.request.matched_route.name, _query=self.request.GET, **matchdict
                )
            )
        return organization


class ApplicationFactory:
    def __init__(self, request: Request) -> None:
        self.request = request

    def __getitem__(self, application_id: str) -> Any:
        try:
            key = uuid.UUID(application_id)
        except ValueError:
            raise KeyError(application_id) from None
        application = self.request.db.scalars(
            select(OrganizationApplication).where(OrganizationApplication.id == key)
        ).one_or_none()
        if application is None:
            raise KeyError(application_id)
        return application
