"""Applying for an organization, and the staff review that decides.

Every change takes the application's lock and then judges by the application as committed, so
an approval racing a withdrawal or an edit finds the other's result: an application is never
both withdrawn and approved, and never renamed after approval.
"""

from typing import Any

from sqlalchemy import exists, func, literal, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from zope.interface import implementer

from warehouse_orgs.accounts.models import User
from warehouse_orgs.db import RequestDatabaseService
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.interfaces import (
    ApplicationRefused,
    ApplicationReview,
    IOrganizationApplicationService,
    IOrganizationService,
    NameUnavailable,
    TooManyApplications,
)
from warehouse_orgs.organizations.locks import lock_application, lock_applications
from warehouse_orgs.organizations.models import (
    UNDECIDED_STATUSES,
    ApplicationMessageKind,
    Organization,
    OrganizationApplication,
    OrganizationApplicationMessage,
    OrganizationApplicationStatus,
    OrganizationNameCatalog,
    OrganizationRole,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.review_facts import review_facts
from warehouse_orgs.organizations.services.organizations import as_uuid
from warehouse_orgs.ownership import lock_rows, reload_for_update
from warehouse_orgs.pagination import page_of

MAX_UNDECIDED_APPLICATIONS = 3
# What staff are shown as a similar name: pg_trgm's similarity above this, the closest ten.
SIMILARITY_THRESHOLD = 0.4
SIMILAR_LIMIT = 10
STATUS_WORDS = {
    OrganizationApplicationStatus.Submitted: "waiting for review",
    OrganizationApplicationStatus.MoreInformationNeeded: "waiting for your answer",
    OrganizationApplicationStatus.Deferred: "deferred",
    OrganizationApplicationStatus.Approved: "approved",
    OrganizationApplicationStatus.Declined: "declined",
    OrganizationApplicationStatus.Withdrawn: "withdrawn",
}
MESSAGE_TAGS = {
    ApplicationMessageKind.Question: EventTag.OrganizationApplicationRequestInformation,
    ApplicationMessageKind.Answer: EventTag.OrganizationApplicationAnswer,
    ApplicationMessageKind.Note: EventTag.OrganizationApplicationNote,
}


@implementer(IOrganizationApplicationService)
class DatabaseOrganizationApplicationService(RequestDatabaseService):
    @property
    def names(self) -> Any:
        return self.request.find_service(IOrganizationService)

    def get_application(self, application_id: Any) -> OrganizationApplication | None:
        key = as_uuid(application_id)
        return self.db.get(OrganizationApplication, key) if key is not None else None

    def get_application_with_applicant(self, application_id: Any) -> OrganizationApplication | None:
        key = as_uuid(application_id)
        if key is None:
            return None
        return (
            self.db.scalars(
                select(OrganizationApplication)
                .where(OrganizationApplication.id == key)
                .options(joinedload(OrganizationApplication.submitted_by).joinedload(User.emails))
            )
            .unique()
            .one_or_none()
        )

    def undecided_application_count(self, user: User) -> int:
        return self.db.scalar(
            select(func.count())
            .select_from(OrganizationApplication)
            .where(
                OrganizationApplication.submitted_by_id == user.id,
                OrganizationApplication.status.in_(UNDECIDED_STATUSES),
            )
        )

    def queue_position(self, application: OrganizationApplication) -> int | None:
        if not application.is_undecided:
            return None
        return self.db.scalar(
            select(func.count())
            .select_from(OrganizationApplication)
            .where(
                OrganizationApplication.status.in_(UNDECIDED_STATUSES),
                OrganizationApplication.submitted < application.submitted,
            )
        )

    # The applicant
    def submit_application(self, submitter: User, **details: Any) -> OrganizationApplication:
        # The applicant's row is the lock for "at most three undecided": two quick submissions
        # cannot both slip under the limit.
        lock_rows(self.db, User, [submitter.id])
        if self.undecided_application_count(submitter) >= MAX_UNDECIDED_APPLICATIONS:
            raise TooManyApplications(
                f"You have {MAX_UNDECIDED_APPLICATIONS} applications waiting for a decision; "
                "wait for one to be decided or withdraw one first."
            )
        reason = self.names.name_unavailable_reason(details["name"])
        if reason:
            raise NameUnavailable(reason)
        application = OrganizationApplication(submitted_by=submitter, **details)
        self.db.add(application)
        self.db.flush()
        self._record(
            application, EventTag.OrganizationApplicationSubmit, orgtype=application.orgtype
        )
        return application

    def edit_application(self, application: OrganizationApplication, **details: Any) -> None:
        application = lock_application(self.db, application)
        if application.status != OrganizationApplicationStatus.Submitted:
            raise ApplicationRefused(
                "Only an application still waiting for review can be edited; this one is "
                f"{STATUS_WORDS[application.status]}."
            )
        if "name" in details and self.names.normalize(details["name"]) != (
            application.normalized_name
        ):
            reason = self.names.name_unavailable_reason(
                details["name"], ignore_application=application
            )
            if reason:
                raise NameUnavailable(reason)
        for key, value in details.items():
            setattr(application, key, value)
        self.db.flush()
        self._record(application, EventTag.OrganizationApplicationEdit)

    def withdraw_application(self, application: OrganizationApplication) -> None:
        application = lock_application(self.db, application)
        self._require_undecided(application)
        self._set_status(
            application,
            OrganizationApplicationStatus.Withdrawn,
            EventTag.OrganizationApplicationWithdraw,
        )

    # The conversation
    def add_message(
        self, application: OrganizationApplication, kind: ApplicationMessageKind, body: str
    ) -> OrganizationApplicationMessage:
        kind = ApplicationMessageKind(kind)
        application = lock_application(self.db, application)
        if kind == ApplicationMessageKind.Question:
            self._require_undecided(application)
            application.status = OrganizationApplicationStatus.MoreInformationNeeded
        elif kind == ApplicationMessageKind.Answer:
            if application.status != OrganizationApplicationStatus.MoreInformationNeeded:
                raise ApplicationRefused("There is no question waiting for an answer.")
            application.status = OrganizationApplicationStatus.Submitted
        message = OrganizationApplicationMessage(
            application_id=application.id, kind=kind, body=body, author_id=self.request.user.id
        )
        self.db.add(message)
        self.db.flush()
        self._record(application, MESSAGE_TAGS[kind])
        return message

    def messages(
        self, application: OrganizationApplication, *, include_notes: bool
    ) -> list[OrganizationApplicationMessage]:
        query = (
            select(OrganizationApplicationMessage)
            .where(OrganizationApplicationMessage.application_id == application.id)
            # Joined, not selectin-loaded: a selectin load is a statement per 500 authors.
            .options(joinedload(OrganizationApplicationMessage.author))
            .order_by(OrganizationApplicationMessage.created)
        )
        if not include_notes:
            query = query.where(OrganizationApplicationMessage.kind != ApplicationMessageKind.Note)
        return list(self.db.scalars(query))

    # The review

    def name_taken(self, application: OrganizationApplication) -> bool:
        return bool(self.db.scalar(select(_name_taken(application))))

    def review(self, application: OrganizationApplication, events_page: int) -> ApplicationReview:
        undecided = application.is_undecided
        event = OrganizationApplication.Event
        extra = {
            name: column
            for name, fact in review_facts(self.request.registry).items()
            if (column := fact(application)) is not None
        }
        # pg_trgm's ``%`` operator, which the trigram indexes answer, compares with the
        # pg_trgm.similarity_threshold setting: set here for the rest of this transaction, in
        # the statement that reads the review's other one-row facts.
        facts = self.db.execute(
            select(
                func.set_config(
                    "pg_trgm.similarity_threshold", str(SIMILARITY_THRESHOLD), True
                ).label("threshold"),
                (_name_taken(application) if undecided else literal(False)).label("name_taken"),
                select(func.count())
                .where(event.source_id == application.id)
                .scalar_subquery()
                .label("events"),
                *(column.label(f"fact_{name}") for name, column in extra.items()),
            )
        ).one()
        events = page_of(
            self.db,
            select(event)
            .where(event.source_id == application.id)
            .order_by(event.time.desc(), event.id),
            events_page,
            facts.events,
        )
        related = self._related_applications(application, competing=undecided)
        return ApplicationReview(
            name_taken=facts.name_taken,
            competing=sorted(
                (other for other, kind, _ in related if kind == "competing"),
                key=lambda other: (other.submitted, other.id),
            ),
            other_applications=sorted(
                (other for other, kind, _ in related if kind == "applicant"),
                key=lambda other: other.submitted,
                reverse=True,
            ),
            similar_applications=sorted(
                ((other, score) for other, kind, score in related if kind == "similar"),
                key=lambda pair: (-pair[1], pair[0].submitted),
            ),
            similar_organizations=self._similar_organizations(application),
            events=events,
            extra_facts={name: facts._mapping[f"fact_{name}"] for name in extra},
        )

    def _related_applications(
        self, application: OrganizationApplication, *, competing: bool
    ) -> list[tuple[OrganizationApplication, str, float]]:
        """Every other application the review lists, each with why ("applicant": the same
        applicant's; "competing": undecided, for the same name; "similar": among the ten
        closest names) and its name's similarity, in one statement: each reason is a search
        its own index answers, and an application found for two reasons comes twice."""
        Application = OrganizationApplication
        name = application.normalized_name
        score = func.similarity(Application.normalized_name, name)
        others = Application.id != application.id
        reasons = [
            select(Application.id, literal("applicant").label("kind")).where(
                others, Application.submitted_by_id == application.submitted_by_id
            ),
            select(Application.id, literal("similar").label("kind"))
            .where(others, _similar_to(Application.normalized_name, name))
            .where(score > SIMILARITY_THRESHOLD)
            .order_by(score.desc(), Application.submitted)
            .limit(SIMILAR_LIMIT),
        ]
        if competing:
            reasons.append(
                select(Application.id, literal("competing").label("kind")).where(
                    others,
                    Application.normalized_name == name,
                    Application.status.in_(UNDECIDED_STATUSES),
                )
            )
        found = union_all(*reasons).subquery()
        rows = self.db.execute(
            select(Application, found.c.kind, score)
            .join(found, found.c.id == Application.id)
            .join(User, User.id == Application.submitted_by_id)
            .options(contains_eager(Application.submitted_by))
        )
        return [(other, kind, similarity) for other, kind, similarity in rows]

    def _similar_organizations(
        self, application: OrganizationApplication
    ) -> list[tuple[Organization, float]]:
        """Organizations whose names look like this one's, closest first; not the organization
        this application itself became. ``%`` keeps a score equal to the threshold, so
        ``similarity() >`` on the rows it finds keeps the rule strict."""
        name = application.normalized_name
        score = func.similarity(Organization.normalized_name, name)
        query = (
            select(Organization, score)
            .where(_similar_to(Organization.normalized_name, name), score > SIMILARITY_THRESHOLD)
            .order_by(score.desc(), Organization.normalized_name)
            .limit(SIMILAR_LIMIT)
        )
        if application.organization_id is not None:
            query = query.where(Organization.id != application.organization_id)
        if application.status == OrganizationApplicationStatus.Approved:
            # A name is never given out twice, so an organization holding this name is the one
            # approval created, even if its link to the application was lost.
            query = query.where(Organization.normalized_name != name)
        return [(organization, similarity) for organization, similarity in self.db.execute(query)]

    def defer_application(self, application: OrganizationApplication) -> None:
        application = lock_application(self.db, application)
        self._require_undecided(application)
        self._set_status(
            application,
            OrganizationApplicationStatus.Deferred,
            EventTag.OrganizationApplicationDefer,
        )

    def decline_application(self, application: OrganizationApplication) -> None:
        application = lock_application(self.db, application)
        self._require_undecided(application)
        self._set_status(
            application,
            OrganizationApplicationStatus.Declined,
            EventTag.OrganizationApplicationDecline,
        )

    def approve_application(
        self, application: OrganizationApplication
    ) -> tuple[Organization, list[OrganizationApplication]]:
        competing_ids = self.db.scalars(
            select(OrganizationApplication.id).where(
                OrganizationApplication.normalized_name == application.normalized_name,
                OrganizationApplication.id != application.id,
            )
        ).all()
        # One ordered lock over the application and its competitors: two approvals for the
        # same name cannot deadlock, and an applicant cannot withdraw or edit halfway through.
        lock_applications(self.db, [application.id, *competing_ids])
        application = reload_for_update(self.db, OrganizationApplication, application.id)
        self._require_undecided(application)
        organization = self._create_organization(application)
        self.db.add(
            OrganizationRole(
                organization=organization,
                user_id=application.submitted_by_id,
                role_name=OrganizationRoleType.Owner,
            )
        )
        application.organization_id = organization.id
        self._set_status(
            application,
            OrganizationApplicationStatus.Approved,
            EventTag.OrganizationApplicationApprove,
        )
        submitter = application.submitted_by
        organization.record_event(
            EventTag.OrganizationCreate, self.request, {"submitted_by": submitter.username}
        )
        organization.record_event(
            EventTag.OrganizationRoleAdd,
            self.request,
            {"username": submitter.username, "role": str(OrganizationRoleType.Owner)},
        )
        competing = list(
            self.db.scalars(
                select(OrganizationApplication)
                .where(
                    OrganizationApplication.id.in_(competing_ids),
                    OrganizationApplication.status.in_(UNDECIDED_STATUSES),
                )
                .options(selectinload(OrganizationApplication.submitted_by))
                .execution_options(populate_existing=True)
            )
        )
        for other in competing:
            self._set_status(
                other,
                OrganizationApplicationStatus.Declined,
                EventTag.OrganizationApplicationDecline,
                reason="another application for this name was approved",
            )
        return organization, competing

    def _create_organization(self, application: OrganizationApplication) -> Organization:
        organization = Organization(
            name=application.name,
            display_name=application.display_name,
            orgtype=application.orgtype,
            link_url=application.link_url,
            description=application.description,
        )
        try:
            with self.db.begin_nested():
                self.db.add(organization)
                self.db.flush()
                self.db.add(
                    OrganizationNameCatalog(
                        normalized_name=organization.normalized_name,
                        organization_id=organization.id,
                    )
                )
                self.db.flush()
        except IntegrityError as error:
            raise NameUnavailable(
                "An organization already has this name; decline this application instead."
            ) from error
        return organization

    def _require_undecided(self, application: OrganizationApplication) -> None:
        if not application.is_undecided:
            raise ApplicationRefused(
                f"This application is already {STATUS_WORDS[application.status]}."
            )

    def _set_status(
        self,
        application: OrganizationApplication,
        status: OrganizationApplicationStatus,
        tag: EventTag,
        **details: Any,
    ) -> None:
        application.status = status
        self.db.flush()
        self._record(application, tag, **details)

    def _record(self, application: OrganizationApplication, tag: EventTag, **details: Any) -> None:
        application.record_event(tag, self.request, {"organization": application.name, **details})


def _name_taken(application: OrganizationApplication) -> Any:
    """Whether the name catalog holds the application's name: approving it would be refused."""
    return exists().where(OrganizationNameCatalog.normalized_name == application.normalized_name)


def _similar_to(column: Any, name: str) -> Any:
    """pg_trgm's ``%``: similar above the transaction's pg_trgm.similarity_threshold."""
    return column.op("%", is_comparison=True)(name)
