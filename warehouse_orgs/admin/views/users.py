"""/admin/users/...: find an account, read everything about it, and change its staff roles.

Reading needs AdminUsersRead (every staff group but PSF staff); changing staff roles needs
AdminUsersStaffFlagsWrite, which only admins hold.
"""

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from warehouse_orgs.accounts.interfaces import IUserService
from warehouse_orgs.accounts.models import STAFF_FLAGS, Email, User
from warehouse_orgs.accounts.services import LastAdminRefused
from warehouse_orgs.admin.forms import StaffFlagsForm, UserSearchForm
from warehouse_orgs.admin.sections import sections_for
from warehouse_orgs.authnz import Permissions
from warehouse_orgs.pagination import Page, page_number, paginate

READ = Permissions.AdminUsersRead
WRITE_STAFF_FLAGS = Permissions.AdminUsersStaffFlagsWrite
OWN_ADMIN_ROLE_REFUSAL = (
    "You cannot remove your own Admin role. Ask another admin to do it, so that the site "
    "always keeps someone who can grant staff roles."
)


LAST_ADMIN_REFUSAL = "This is the last admin; grant Admin to someone else first."


def user_search(q: str) -> Select[Any]:
    """Accounts whose username or any email address contains ``q``, ignoring case.

    Emails are loaded with the users in one more query, however many there are per user.
    """
    query = select(User).options(selectinload(User.emails)).order_by(User.username)
    if q:
        # autoescape: a % or _ typed by staff is matched literally, not as a wildcard.
        query = query.where(
            or_(
                User.username.icontains(q, autoescape=True),
                User.emails.any(Email.email.icontains(q, autoescape=True)),
            )
        )
    return query


@view_defaults(route_name="admin.user.list", renderer="admin/users/list.html")
class UserListPage:
    def __init__(self, request: Request) -> None:
        self.request = request

    @view_config(request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        form = UserSearchForm(self.request.GET)
        if form.validate():
            users = paginate(
                self.request.db, user_search(form.q.data or ""), page_number(self.request)
            )
        else:
            self.request.response.status = 400
            users = None
        return {"form": form, "users": users, "admin_sections": sections_for(self.request)}


@view_defaults(renderer="admin/users/detail.html")
class UserDetailPage:
    """/admin/users/<id>/ and the staff-roles form on it, which posts to its own URL."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.user_service = request.find_service(IUserService)

    def target(self) -> User:
        # get_user answers None for an id that is not a UUID, so junk in the URL is a 404 too.
        user = self.user_service.get_user(self.request.matchdict["user_id"])
        if user is None:
            raise HTTPNotFound("There is no account with this id.")
        return user

    def events(self, user: User) -> Page[Any]:
        query = (
            select(User.Event)
            .where(User.Event.source_id == user.id)
            .order_by(User.Event.time.desc(), User.Event.id)
        )
        return paginate(self.request.db, query, page_number(self.request))

    def page(
        self, user: User, status: int = 200, form: StaffFlagsForm | None = None
    ) -> dict[str, Any]:
        self.request.response.status = status
        may_change_roles = bool(self.request.has_permission(WRITE_STAFF_FLAGS))
        events = self.events(user)
        return {
            "user": user,
            "events": events,
            "staff_flags_form": (form or StaffFlagsForm(obj=user)) if may_change_roles else None,
            "admin_sections": sections_for(self.request),
        }

    @view_config(route_name="admin.user.detail", request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        return self.page(self.target())

    @view_config(
        route_name="admin.user.staff_flags",
        request_method="POST",
        permission=WRITE_STAFF_FLAGS,
        require_reauth=True,
    )
    def change_staff_flags(self) -> Any:
        user = self.target()
        # Checkboxes cannot be invalid: any value sent means on, absence means off.
        form = StaffFlagsForm(self.request.POST)
        wanted = {flag: bool(getattr(form, flag).data) for flag in STAFF_FLAGS}
        if user.id == self.request.user.id and user.is_superuser and not wanted["is_superuser"]:
            form.form_errors.append(OWN_ADMIN_ROLE_REFUSAL)
            return self.page(user, 409, form)
        changes = []
        for flag, value in wanted.items():
            if getattr(user, flag) != value:
                try:
                    self.user_service.set_staff_flag(user, flag, value)
                except LastAdminRefused:
                    # Nothing from this form is kept, not even a flag changed before this one.
                    self.request.tm.doom()
                    form.form_errors.append(LAST_ADMIN_REFUSAL)
                    return self.page(user, 409, form)
                changes.append(f"{STAFF_FLAGS[flag][1]} {'granted' if value else 'removed'}")
        if changes:
            self.request.session.flash(f"{user.username}: {', '.join(changes)}.", queue="success")
        else:
            self.request.session.flash(f"Nothing changed for {user.username}.")
        return HTTPSeeOther(self.request.route_path("admin.user.detail", user_id=user.id))
