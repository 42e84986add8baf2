"""/admin/sponsors/...: the sponsor list with the PSF feed's latest syncs, adding a sponsor with
its logos, one sponsor's page (edit, history, delete).

Reading needs AdminSponsorsRead, every change AdminSponsorsWrite (PSF staff and admins), with a
recent password. The sponsor service takes the sponsor list's lock and records the events; the
``admin.*`` routes make them staff actions.

Logos arrive as files in the sponsor forms (the only forms request_validation lets carry files,
in their two logo fields). The form checks them from their bytes with every other field; they
are stored only once the whole form is valid, so a refused form leaves no row and no file.
"""

import uuid
from typing import Any

from pyramid.httpexceptions import HTTPConflict, HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults
from sqlalchemy import select

from warehouse_orgs.admin.sections import sections_for
from warehouse_orgs.admin.sponsor_forms import (
    ACTIVE_FILTERS,
    KIND_FILTERS,
    LEVEL_ORDER_LIMIT,
    SEARCH_MAX_LENGTH,
    DeleteSponsorForm,
    SponsorFilterForm,
    SponsorForm,
)
from warehouse_orgs.authnz import Permissions
from warehouse_orgs.confirmation import confirmed
from warehouse_orgs.pagination import Page, page_number, paginate
from warehouse_orgs.sponsors.feed import update_sponsors_from_feed
from warehouse_orgs.sponsors.interfaces import (
    ISponsorLogoStorage,
    ISponsorService,
    SponsorError,
    SponsorValues,
)
from warehouse_orgs.sponsors.logos import MAX_LOGO_BYTES, CheckedLogo
from warehouse_orgs.sponsors.markdown import render_activity
from warehouse_orgs.sponsors.models import (
    ACTIVITY_MAX_LENGTH,
    NAME_MAX_LENGTH,
    SERVICE_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    URL_MAX_LENGTH,
    Sponsor,
    SponsorOrigin,
)
from warehouse_orgs.sponsors.services import SLUG_TAKEN
from warehouse_orgs.sponsors.storage import StorageError

READ = Permissions.AdminSponsorsRead
WRITE = Permissions.AdminSponsorsWrite
RECENT_SYNCS = 5
DELETE_SPONSOR_IDS = "delete-sponsor"
NO_FEED = (
    "No PSF sponsor feed is configured on this site (SPONSOR_FEED_URL and SPONSOR_FEED_TOKEN), "
    "so there is nothing to sync from. Nothing was queued."
)
SYNC_QUEUED = "The sync was queued; its result appears below."
NO_SUCH_SPONSOR = "There is no sponsor with this id."
# What the templates put in maxlength and min/max: the bounds the forms check.
LIMITS = {
    "search": SEARCH_MAX_LENGTH,
    "name": NAME_MAX_LENGTH,
    "slug": SLUG_MAX_LENGTH,
    "url": URL_MAX_LENGTH,
    "service": SERVICE_MAX_LENGTH,
    "activity": ACTIVITY_MAX_LENGTH,
    "level_order": LEVEL_ORDER_LIMIT,
    "logo_kib": MAX_LOGO_BYTES // 1024,
}
# What a saved edit says changed, for the columns whose form field is named otherwise.
CHANGED_WORDS = {
    "color_logo_url": "the colour logo",
    "white_logo_url": "the white logo",
    "origin": "its origin (now kept by staff, no longer by the feed)",
}


def feed_is_configured(request: Request) -> bool:
    settings = request.registry.settings
    return bool(settings.get("sponsors.feed_url") and settings.get("sponsors.feed_token"))


def slug_is_taken(request: Request, slug: str, other_than: uuid.UUID | None = None) -> bool:
    """Asked before any logo is stored, so that the usual refusal stores nothing; the service
    asks again under the list's lock."""
    query = select(Sponsor.id).where(Sponsor.slug == slug)
    if other_than is not None:
        query = query.where(Sponsor.id != other_than)
    return bool(request.db.scalar(query.exists().select()))


class SponsorFormHandling:
    """What creating and editing share: storing the checked logos, then the service's call."""

    request: Request
    service: Any

    def _store(self, logo: CheckedLogo | None, slug: str, variant: str) -> str | None:
        if logo is None:
            return None
        storage = self.request.find_service(ISponsorLogoStorage)
        return storage.store(logo.file_name(slug, variant), logo.content, logo.content_type)

    def _stored_logos(self, form: SponsorForm) -> tuple[str | None, str | None] | None:
        """(colour, white) addresses of the logos the form brought; None when storage refused,
        with the reason beside the logo's field."""
        slug = form.slug.data
        stored = []
        for field, logo, variant in (
            (form.color_logo, form.color_logo_checked, "color"),
            (form.white_logo, form.white_logo_checked, "white"),
        ):
            try:
                stored.append(self._store(logo, slug, variant))
            except StorageError as error:
                field.errors = [f"{error} Nothing was changed; try again."]
                return None
        return stored[0], stored[1]


@view_defaults(route_name="admin.sponsor.list", renderer="admin/sponsors/list.html")
class SponsorListPage:
    """Every sponsor, filtered and paginated, and the PSF feed's latest syncs."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(ISponsorService)

    @view_config(request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        form = SponsorFilterForm(self.request.GET)
        sponsors: Page[Sponsor] | None = None
        if form.validate():
            sponsors = paginate(
                self.request.db,
                self.service.sponsor_query(*form.service_filters()),
                page_number(self.request),
            )
        else:
            self.request.response.status = 400
        return {
            "form": form,
            "sponsors": sponsors,
            "filtered": bool(form.q.data or form.kind.data or form.active.data),
            "kind_labels": KIND_FILTERS,
            "active_labels": ACTIVE_FILTERS,
            "syncs": self.service.recent_syncs(RECENT_SYNCS),
            "feed_configured": feed_is_configured(self.request),
            "may_write": bool(self.request.has_permission(WRITE)),
            "limits": LIMITS,
            "admin_sections": sections_for(self.request),
        }


@view_config(
    route_name="admin.sponsor.sync",
    request_method="POST",
    permission=WRITE,
    require_reauth=True,
)
def sync_now(request: Request) -> HTTPSeeOther:
    """Queue the hourly sync now; it runs after this request commits and records its result."""
    if not feed_is_configured(request):
        raise HTTPConflict(NO_FEED)
    request.enqueue_task(update_sponsors_from_feed)
    request.session.flash(SYNC_QUEUED, queue="success")
    return HTTPSeeOther(request.route_path("admin.sponsor.list"))


@view_defaults(route_name="admin.sponsor.create", renderer="admin/sponsors/create.html")
class SponsorCreatePage(SponsorFormHandling):
    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(ISponsorService)

    def page(self, status: int = 200, form: SponsorForm | None = None) -> dict[str, Any]:
        self.request.response.status = status
        may_write = bool(self.request.has_permission(WRITE))
        return {
            "form": (form or SponsorForm()) if may_write else None,
            "limits": LIMITS,
            "admin_sections": sections_for(self.request),
        }

    @view_config(request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(request_method="POST", permission=WRITE, require_reauth=True)
    def create(self) -> Any:
        form = SponsorForm(self.request.POST)
        if not form.validate():
            return self.page(400, form)
        if slug_is_taken(self.request, form.slug.data):
            form.slug.errors = [SLUG_TAKEN]
            return self.page(409, form)
        stored = self._stored_logos(form)
        if stored is None:
            self.request.tm.doom()
            return self.page(503, form)
        color_logo_url, white_logo_url = stored
        assert color_logo_url is not None  # the form requires it on creation
        values = SponsorValues(
            **form.text_values(), color_logo_url=color_logo_url, white_logo_url=white_logo_url
        )
        try:
            sponsor = self.service.create_sponsor(values)
        except SponsorError as refusal:
            self.request.tm.doom()
            form.refuse(str(refusal), refusal.field)
            return self.page(409, form)
        self.request.session.flash(f"The sponsor {sponsor.name} is added.", queue="success")
        return HTTPSeeOther(self.request.route_path("admin.sponsor.detail", sponsor_id=sponsor.id))


@view_defaults(route_name="admin.sponsor.detail", renderer="admin/sponsors/detail.html")
class SponsorDetailPage(SponsorFormHandling):
    """/admin/sponsors/<id>/: the sponsor's form, its history, and deleting it."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(ISponsorService)
        self.sponsor = self._target()

    def _target(self) -> Sponsor:
        try:
            sponsor_id = uuid.UUID(self.request.matchdict["sponsor_id"])
        except ValueError:
            raise HTTPNotFound(NO_SUCH_SPONSOR) from None
        sponsor = self.service.get_sponsor(sponsor_id)
        if sponsor is None:
            raise HTTPNotFound(NO_SUCH_SPONSOR)
        return sponsor

    def _events(self) -> Page[Any]:
        event = Sponsor.Event
        query = (
            select(event)
            .where(event.source_id == self.sponsor.id)
            .order_by(event.time.desc(), event.id)
        )
        return paginate(self.request.db, query, page_number(self.request))

    def page(self, status: int = 200, **forms: Any) -> dict[str, Any]:
        """The whole page; ``forms`` replaces a blank form with one carrying errors."""
        self.request.response.status = status
        sponsor = self.sponsor
        if self.request.has_permission(WRITE):
            forms.setdefault("edit_form", SponsorForm(current=sponsor))
            forms.setdefault("delete_form", DeleteSponsorForm(html_id_prefix=DELETE_SPONSOR_IDS))
        # Page numbers are read before anything else: a bad one is a 400 with nothing read.
        events = self._events()
        return {
            "sponsor": sponsor,
            "is_feed_row": sponsor.origin == SponsorOrigin.Feed.value,
            "activity_preview": render_activity(sponsor.activity_markdown),
            "events": events,
            "edit_form": forms.get("edit_form"),
            "delete_form": forms.get("delete_form"),
            "limits": LIMITS,
            "admin_sections": sections_for(self.request),
        }

    def _saved_words(self, form: SponsorForm, changed: list[str]) -> str:
        return ", ".join(
            CHANGED_WORDS.get(name) or f"“{form[name].label.text}”" for name in changed
        )

    @view_config(request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(request_method="POST", permission=WRITE, require_reauth=True)
    def edit(self) -> Any:
        sponsor = self.sponsor
        form = SponsorForm(self.request.POST, current=sponsor)
        if not form.validate():
            return self.page(400, edit_form=form)
        if form.slug.data != sponsor.slug and slug_is_taken(
            self.request, form.slug.data, other_than=sponsor.id
        ):
            form.slug.errors = [SLUG_TAKEN]
            return self.page(409, edit_form=form)
        stored = self._stored_logos(form)
        if stored is None:
            self.request.tm.doom()
            return self.page(503, edit_form=form)
        new_color, new_white = stored
        white_logo_url = new_white or (sponsor.white_logo_url if form.keeps_white_logo else None)
        values = SponsorValues(
            **form.text_values(),
            color_logo_url=new_color or sponsor.color_logo_url,
            white_logo_url=white_logo_url,
        )
        try:
            changed = self.service.update_sponsor(sponsor, values)
        except SponsorError as refusal:
            self.request.tm.doom()
            form.refuse(str(refusal), refusal.field)
            return self.page(409, edit_form=form)
        if changed:
            message = f"{sponsor.name}: {self._saved_words(form, changed)} saved."
        else:
            message = f"Nothing changed for {sponsor.name}."
        self.request.session.flash(message, queue="success")
        return HTTPSeeOther(self.request.route_path("admin.sponsor.detail", sponsor_id=sponsor.id))

    @view_config(
        route_name="admin.sponsor.delete",
        request_method="POST",
        permission=WRITE,
        require_reauth=True,
    )
    def delete(self) -> Any:
        sponsor = self.sponsor
        form = DeleteSponsorForm(self.request.POST, html_id_prefix=DELETE_SPONSOR_IDS)
        if not form.validate() or not confirmed(form.confirm, sponsor.name):
            return self.page(400, delete_form=form)
        name = sponsor.name
        self.service.delete_sponsor(sponsor)
        self.request.session.flash(
            f"The sponsor {name} is deleted; it no longer shows on the site.", queue="success"
        )
        return HTTPSeeOther(self.request.route_path("admin.sponsor.list"))
