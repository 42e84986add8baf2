"""/manage/organization/<name>/history/: the organization's events, for its owners, as a page
or exported as CSV or JSON (the same events, the same sentences)."""

import csv
import io
import json
from typing import Any

from pyramid.httpexceptions import HTTPBadRequest
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from warehouse_orgs.authnz import Permissions
from warehouse_orgs.manage.views.organization_page import OrganizationPage
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.pagination import page_number, paginate

# An export holds at most this many events, newest first.
EXPORT_LIMIT = 10_000
EXPORT_FIELDS = ("time", "sentence", "actor", "ip", "tag")


class OrganizationHistoryPage(OrganizationPage):
    @view_config(
        route_name="manage.organization.history",
        context=Organization,
        renderer="manage/organization/history.html",
        request_method="GET",
        permission=Permissions.OrganizationsManage,
    )
    def show(self) -> Any:
        event = Organization.Event
        query = (
            select(event)
            .where(event.source_id == self.organization.id)
            .order_by(event.time.desc(), event.id)
        )
        export = self.request.params.get("format")
        if export is None:
            page = paginate(self.request.db, query, page_number(self.request))
            return self.context(events=page)
        if export not in ("csv", "json"):
            raise HTTPBadRequest("Export as format=csv or format=json.")
        events = self.request.db.scalars(query.limit(EXPORT_LIMIT))
        # The owners' view: staff actions without the staff member's name or address.
        rows = [event.seen_by(staff=False).as_dict() for event in events]
        filename = f"{self.organization.normalized_name}-history.{export}"
        if export == "json":
            body = json.dumps(rows, ensure_ascii=False, indent=1)
            content_type = "application/json"
        else:
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
            writer.writeheader()
            writer.writerows(rows)
            body, content_type = buffer.getvalue(), "text/csv"
        response = Response(body, content_type=content_type, charset="utf-8")
        response.content_disposition = f'attachment; filename="{filename}"'
        response.cache_control = "private, no-store"
        return response
