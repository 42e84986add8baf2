"""The areas of /admin/ and the permission that opens each one.

The dashboard's links and the admin sub-navigation are both drawn from this list, so a staff
member is never shown a link that would answer 403.
"""

from dataclasses import dataclass

from pyramid.request import Request

from warehouse_orgs.authnz import Permissions


@dataclass(frozen=True)
class Section:
    label: str
    route_name: str
    permission: Permissions
    description: str


SECTIONS: tuple[Section, ...] = (
    Section(
        label="Users",
        route_name="admin.user.list",
        permission=Permissions.AdminUsersRead,
        description=(
            "Find an account by username or email; see its addresses, two-factor status, "
            "staff roles and history."
        ),
    ),
)


def sections_for(request: Request) -> list[Section]:
    """The sections the signed-in staff member may open, in menu order."""
    return [section for section in SECTIONS if request.has_permission(section.permission)]
