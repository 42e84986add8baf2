"""/admin/sponsors/levels/...: the levels the prospectus at /sponsor/ offers, their yearly
amounts and benefits, and each level's history.

Reading needs AdminSponsorsRead, every change AdminSponsorsWrite (PSF staff and admins), with
a recent password. The sponsor service takes the sponsor list's lock and records the events.
A refused form re-renders its page with the reason beside the field: 400 for input, 409 for a
rule of the list (a name another level has).
"""

import uuid
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults
from sqlalchemy import select

from warehouse_orgs.admin.sections import sections_for
from warehouse_orgs.admin.sponsor_level_forms import (
    POSITION_MAX,
    YEARLY_AMOUNT_MAX,
    DeleteLevelForm,
    LevelForm,
)
from warehouse_orgs.authnz import Permissions
from warehouse_orgs.confirmation import confirmed
from warehouse_orgs.pagination import Page, page_number, paginate
from warehouse_orgs.sponsors.interfaces import ISponsorService, SponsorError
from warehouse_orgs.sponsors.models import LEVEL_BENEFITS_MAX_LENGTH, NAME_MAX_LENGTH, SponsorLevel

READ = Permissions.AdminSponsorsRead
WRITE = Permissions.AdminSponsorsWrite
NEW_LEVEL_IDS = "new-level"
EDIT_LEVEL_IDS = "edit-level"
DELETE_LEVEL_IDS = "delete-level"
# What a saved edit says changed; the history's sentences use the same words.
CHANGED_WORDS = {
    "name": "the name",
    "yearly_amount": "the yearly amount",
    "benefits": "the benefits",
    "position": "the position",
    "is_open": "whether it is offered",
}
# What the templates put in maxlength and max: the bounds the forms check.
LIMITS = {
    "name": NAME_MAX_LENGTH,
    "benefits": LEVEL_BENEFITS_MAX_LENGTH,
    "yearly_amount": YEARLY_AMOUNT_MAX,
    "position": POSITION_MAX,
}


@view_defaults(route_name="admin.sponsor_level.list", renderer="admin/sponsors/levels.html")
class LevelListPage:
    """Every level in position order, and the form that adds one."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(ISponsorService)

    def page(self, status: int = 200, form: LevelForm | None = None) -> dict[str, Any]:
        self.request.response.status = status
        may_write = bool(self.request.has_permission(WRITE))
        return {
            "levels": self.service.levels(),
            "new_level_form": (form or LevelForm(html_id_prefix=NEW_LEVEL_IDS))
            if may_write
            else None,
            "limits": LIMITS,
            "admin_sections": sections_for(self.request),
        }

    @view_config(request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(request_method="POST", permission=WRITE, require_reauth=True)
    def create(self) -> Any:
        form = LevelForm(self.request.POST, html_id_prefix=NEW_LEVEL_IDS)
        if not form.validate():
            return self.page(400, form)
        try:
            level = self.service.create_level(form.values())
        except SponsorError as refusal:
            self.request.tm.doom()
            form.refuse(str(refusal), refusal.field)
            return self.page(409, form)
        self.request.session.flash(f"The level {level.name} is added.", queue="success")
        return HTTPSeeOther(self.request.route_path("admin.sponsor_level.list"))


@view_defaults(renderer="admin/sponsors/level_detail.html")
class LevelDetailPage:
    """/admin/sponsors/levels/<id>/: the level's form, its history, and deleting it."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(ISponsorService)
        self.level = self._target()

    def _target(self) -> SponsorLevel:
        try:
            level_id = uuid.UUID(self.request.matchdict["level_id"])
        except ValueError:
            raise HTTPNotFound("There is no sponsor level with this id.") from None
        level = self.service.get_level(level_id)
        if level is None:
            raise HTTPNotFound("There is no sponsor level with this id.")
        return level

    def _events(self) -> Page[Any]:
        event = SponsorLevel.Event
        return paginate(
            self.request.db,
            select(event)
            .where(event.source_id == self.level.id)
            .order_by(event.time.desc(), event.id),
            page_number(self.request),
        )

    def page(self, status: int = 200, **forms: Any) -> dict[str, Any]:
        """The whole page; ``forms`` replaces a blank form with one carrying errors."""
        self.request.response.status = status
        if self.request.has_permission(WRITE):
            forms.setdefault("edit_form", LevelForm(obj=self.level, html_id_prefix=EDIT_LEVEL_IDS))
            forms.setdefault("delete_form", DeleteLevelForm(html_id_prefix=DELETE_LEVEL_IDS))
        return {
            "level": self.level,
            "events": self._events(),
            "edit_form": forms.get("edit_form"),
            "delete_form": forms.get("delete_form"),
            "limits": LIMITS,
            "admin_sections": sections_for(self.request),
        }

    def done(self, message: str, route_name: str = "admin.sponsor_level.detail") -> HTTPSeeOther:
        self.request.session.flash(message, queue="success")
        keys = {"level_id": self.level.id} if route_name == "admin.sponsor_level.detail" else {}
        return HTTPSeeOther(self.request.route_path(route_name, **keys))

    @view_config(route_name="admin.sponsor_level.detail", request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(
        route_name="admin.sponsor_level.detail",
        request_method="POST",
        permission=WRITE,
        require_reauth=True,
    )
    def edit(self) -> Any:
        form = LevelForm(self.request.POST, html_id_prefix=EDIT_LEVEL_IDS)
        if not form.validate():
            return self.page(400, edit_form=form)
        try:
            changed = self.service.update_level(self.level, form.values())
        except SponsorError as refusal:
            self.request.tm.doom()
            form.refuse(str(refusal), refusal.field)
            return self.page(409, edit_form=form)
        if not changed:
            return self.done(f"Nothing changed for the level {self.level.name}.")
        words = ", ".join(CHANGED_WORDS.get(name, name) for name in changed)
        return self.done(f"The level {self.level.name} is saved; changed: {words}.")

    @view_config(
        route_name="admin.sponsor_level.delete",
        request_method="POST",
        permission=WRITE,
        require_reauth=True,
    )
    def delete(self) -> Any:
        form = DeleteLevelForm(self.request.POST, html_id_prefix=DELETE_LEVEL_IDS)
        if not form.validate() or not confirmed(form.confirm, self.level.name):
            return self.page(400, delete_form=form)
        name = self.level.name
        self.service.delete_level(self.level)
        return self.done(
            f"The level {name} is deleted; its inquiries keep its name.",
            route_name="admin.sponsor_level.list",
        )
