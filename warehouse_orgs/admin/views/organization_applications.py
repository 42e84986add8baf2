"""/admin/organization_applications/...: the review queue, one application in depth, and the
decisions staff take on it.

Reading needs AdminOrganizationsRead (moderators too); every action needs
AdminOrganizationsWrite (support and admins).
"""

import datetime
import urllib.parse
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import contains_eager

from warehouse_orgs.accounts.models import User
from warehouse_orgs.admin.sections import sections_for
from warehouse_orgs.authnz import Permissions
from warehouse_orgs.organizations.emails import email_applicant
from warehouse_orgs.organizations.forms import ApplicationSearchForm, DecisionForm, MessageForm
from warehouse_orgs.organizations.interfaces import (
    IOrganizationApplicationService,
    OrganizationError,
)
from warehouse_orgs.organizations.models import (
    UNDECIDED_STATUSES,
    ApplicationMessageKind,
    Organization,
    OrganizationApplication,
    OrganizationApplicationStatus,
)
from warehouse_orgs.pagination import page_number, paginate

READ = Permissions.AdminOrganizationsRead
WRITE = Permissions.AdminOrganizationsWrite
SIMILARITY_THRESHOLD = 0.4
SIMILAR_LIMIT = 10
COMPETITOR_DECLINE_MESSAGE = "Another application for this name was approved."

Application = OrganizationApplication


def application_search(form: ApplicationSearchForm) -> Select[Any]:
    """Applications matching the list's filters, oldest first, applicants loaded in the same
    query."""
    query = (
        select(Application)
        .join(User, User.id == Application.submitted_by_id)
        .options(contains_eager(Application.submitted_by))
        .order_by(Application.submitted, Application.id)
    )
    status = form.status.data or "undecided"
    if status == "undecided":
        query = query.where(Application.status.in_(UNDECIDED_STATUSES))
    elif status != "all":
        query = query.where(Application.status == status)
    if form.type.data:
        query = query.where(Application.orgtype == form.type.data)
    if form.age.data is not None:
        cutoff = func.now() - datetime.timedelta(days=form.age.data)
        query = query.where(Application.submitted < cutoff)
    if form.q.data:
        q = form.q.data
        query = query.where(
            or_(
                Application.name.icontains(q, autoescape=True),
                Application.display_name.icontains(q, autoescape=True),
                User.username.icontains(q, autoescape=True),
            )
        )
    return query


def link_matches_email_domain(link_url: str, user: User) -> str | None:
    """The applicant's verified email domain that link_url's host is, or is under; or None."""
    host = (urllib.parse.urlsplit(link_url).hostname or "").lower().rstrip(".")
    for email in user.emails:
        if not email.verified:
            continue
        domain = email.email.rpartition("@")[2].lower()
        if domain and (host == domain or host.endswith("." + domain)):
            return domain
    return None


@view_defaults(
    route_name="admin.organization_application.list",
    renderer="admin/organization_applications/list.html",
)
class ApplicationListPage:
    def __init__(self, request: Request) -> None:
        self.request = request

    @view_config(request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        form = ApplicationSearchForm(self.request.GET)
        if form.validate():
            applications = paginate(
                self.request.db, application_search(form), page_number(self.request)
            )
        else:
            self.request.response.status = 400
            applications = None
        return {
            "form": form,
            "applications": applications,
            "admin_sections": sections_for(self.request),
        }


@view_defaults(renderer="admin/organization_applications/detail.html")
class ApplicationDetailPage:
    """/admin/organization_applications/<id>/ and the action forms on it, each posting to its
    own URL. With ``next=1`` an action goes on to the next oldest application waiting for
    review; otherwise back to this page."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(IOrganizationApplicationService)
        self.db = request.db

    def target(self) -> OrganizationApplication:
        application = self.service.get_application(self.request.matchdict["application_id"])
        if application is None:
            raise HTTPNotFound("There is no application with this id.")
        return application

    def similar(self, application: OrganizationApplication) -> dict[str, list[Any]]:
        """Organizations and other applications whose names look like this one's, closest
        first; not the organization this application itself became.

        pg_trgm's ``%`` operator is what the trigram indexes answer. It compares with the
        pg_trgm.similarity_threshold setting, set here for this transaction only; ``%`` keeps
        a score equal to the threshold, so ``similarity() >`` on the rows it finds keeps the
        rule strict, as staff have always seen it.
        """
        name = application.normalized_name
        self.db.execute(
            select(func.set_config("pg_trgm.similarity_threshold", str(SIMILARITY_THRESHOLD), True))
        )
        org_score = func.similarity(Organization.normalized_name, name)
        app_score = func.similarity(Application.normalized_name, name)

        def similar_to(column: Any) -> Any:
            return column.op("%", is_comparison=True)(name)

        organizations = (
            select(Organization, org_score)
            .where(similar_to(Organization.normalized_name), org_score > SIMILARITY_THRESHOLD)
            .order_by(org_score.desc(), Organization.normalized_name)
            .limit(SIMILAR_LIMIT)
        )
        if application.organization_id is not None:
            organizations = organizations.where(Organization.id != application.organization_id)
        return {
            "organizations": self.db.execute(organizations).all(),
            "applications": self.db.execute(
                select(Application, app_score)
                .join(User, User.id == Application.submitted_by_id)
                .options(contains_eager(Application.submitted_by))
                .where(
                    Application.id != application.id,
                    similar_to(Application.normalized_name),
                    app_score > SIMILARITY_THRESHOLD,
                )
                .order_by(app_score.desc(), Application.submitted)
                .limit(SIMILAR_LIMIT)
            ).all(),
        }

    def page(self, application: OrganizationApplication, status: int = 200, **forms: Any) -> Any:
        self.request.response.status = status
        applicant = application.submitted_by
        events = paginate(
            self.db,
            select(Application.Event)
            .where(Application.Event.source_id == application.id)
            .order_by(Application.Event.time.desc(), Application.Event.id),
            page_number(self.request),
        )
        may_act = bool(self.request.has_permission(WRITE))
        return {
            "application": application,
            "applicant": applicant,
            "account_age_days": (datetime.datetime.now(datetime.UTC) - applicant.date_joined).days,
            "other_applications": self.db.scalars(
                select(Application)
                .where(
                    Application.submitted_by_id == applicant.id, Application.id != application.id
                )
                .order_by(Application.submitted.desc())
            ).all(),
            "similar": self.similar(application),
            "matching_domain": link_matches_email_domain(application.link_url, applicant),
            "conversation": self.service.messages(application, include_notes=True),
            "events": events,
            "may_act": may_act,
            "may_decide": may_act and application.is_undecided,
            "approve_form": forms.get("approve_form") or DecisionForm(),
            "decline_form": forms.get("decline_form") or DecisionForm(),
            "question_form": forms.get("question_form") or MessageForm(),
            "note_form": forms.get("note_form") or MessageForm(),
            "error": forms.get("error"),
            "admin_sections": sections_for(self.request),
        }

    def done(self, application: OrganizationApplication, message: str) -> HTTPSeeOther:
        self.request.session.flash(message, queue="success")
        if self.request.POST.get("next") == "1":
            following = self.db.scalars(
                select(Application.id)
                .where(
                    Application.status == OrganizationApplicationStatus.Submitted,
                    Application.id != application.id,
                )
                .order_by(Application.submitted, Application.id)
                .limit(1)
            ).first()
            if following is None:
                self.request.session.flash("No more applications are waiting for review.")
                return HTTPSeeOther(self.request.route_path("admin.organization_application.list"))
            application_id = following
        else:
            application_id = application.id
        return HTTPSeeOther(
            self.request.route_path(
                "admin.organization_application.detail", application_id=application_id
            )
        )

    def refused(self, application: OrganizationApplication, error: OrganizationError) -> Any:
        self.request.tm.doom()
        return self.page(application, 409, error=str(error))

    @view_config(route_name="admin.organization_application.detail", request_method="GET",
                 permission=READ)  # fmt: skip
    def show(self) -> dict[str, Any]:
        return self.page(self.target())

    @view_config(route_name="admin.organization_application.approve", request_method="POST",
                 permission=WRITE, require_reauth=True)  # fmt: skip
    def approve(self) -> Any:
        application = self.target()
        form = DecisionForm(self.request.POST)
        if not form.validate():
            return self.page(application, 400, approve_form=form)
        try:
            organization, competing = self.service.approve_application(application)
        except OrganizationError as error:
            return self.refused(application, error)
        email_applicant(
            self.request,
            application,
            "organization-application-approved",
            message=form.message.data or "",
            organizations_url=self.request.route_url("manage.organizations"),
        )
        for other in competing:
            email_applicant(
                self.request,
                other,
                "organization-application-declined",
                message=COMPETITOR_DECLINE_MESSAGE,
            )
        declined = f" {len(competing)} competing application(s) declined." if competing else ""
        return self.done(application, f"{organization.name} is approved.{declined}")

    @view_config(route_name="admin.organization_application.decline", request_method="POST",
                 permission=WRITE, require_reauth=True)  # fmt: skip
    def decline(self) -> Any:
        application = self.target()
        form = DecisionForm(self.request.POST)
        if not form.validate():
            return self.page(application, 400, decline_form=form)
        try:
            self.service.decline_application(application)
        except OrganizationError as error:
            return self.refused(application, error)
        email_applicant(
            self.request,
            application,
            "organization-application-declined",
            message=form.message.data or "",
        )
        return self.done(application, f"The application for {application.name} is declined.")

    @view_config(route_name="admin.organization_application.defer", request_method="POST",
                 permission=WRITE, require_reauth=True)  # fmt: skip
    def defer(self) -> Any:
        application = self.target()
        try:
            self.service.defer_application(application)
        except OrganizationError as error:
            return self.refused(application, error)
        return self.done(application, f"The application for {application.name} is deferred.")

    @view_config(route_name="admin.organization_application.requestmoreinfo",
                 request_method="POST", permission=WRITE, require_reauth=True)  # fmt: skip
    def request_more_information(self) -> Any:
        application = self.target()
        form = MessageForm(self.request.POST)
        if not application.is_undecided:
            return self.refused(
                application, OrganizationError(f"This application is already {application.status}.")
            )
        if not form.validate():
            return self.page(application, 400, question_form=form)
        self.service.add_message(application, ApplicationMessageKind.Question, form.message.data)
        email_applicant(
            self.request,
            application,
            "organization-application-more-information",
            message=form.message.data,
        )
        return self.done(application, "Your question is sent to the applicant.")

    @view_config(route_name="admin.organization_application.addnote", request_method="POST",
                 permission=WRITE, require_reauth=True)  # fmt: skip
    def add_note(self) -> Any:
        application = self.target()
        form = MessageForm(self.request.POST)
        if not form.validate():
            return self.page(application, 400, note_form=form)
        self.service.add_message(application, ApplicationMessageKind.Note, form.message.data)
        return self.done(application, "Your note is added.")
