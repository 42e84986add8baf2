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
    # The route names of the section's pages start with one of these (default: the list's).
    areas: tuple[str, ...] = ()

    def holds(self, route_name: str) -> bool:
        """Whether a page of this route belongs to the section (for aria-current)."""
        areas = self.areas or (self.route_name.rpartition(".")[0] + ".",)
        return route_name.startswith(areas)


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
    Section(
        label="Applications",
        route_name="admin.organization_application.list",
        permission=Permissions.AdminOrganizationsRead,
        description=(
            "Review applications for organizations, oldest first: similar names, the "
            "applicant's history, questions, notes and decisions."
        ),
    ),
    Section(
        label="Organizations",
        route_name="admin.organization.list",
        permission=Permissions.AdminOrganizationsRead,
        description=(
            "Search organizations by name, link, description, type and status; see their "
            "members, invitations, projects and history; edit, rename and fix roles."
        ),
    ),
    Section(
        label="Sponsors",
        route_name="admin.sponsor.list",
        permission=Permissions.AdminSponsorsRead,
        areas=("admin.sponsor.", "admin.sponsor_level.", "admin.sponsor_inquiry."),
        description=(
            "Keep the sponsor list, its logos and the prospectus's levels; follow up the "
            "inquiries; see the PSF feed's syncs."
        ),
    ),
)


def sections_for(request: Request) -> list[Section]:
    """The sections the signed-in staff member may open, in menu order."""
    return [section for section in SECTIONS if request.has_permission(section.permission)]
