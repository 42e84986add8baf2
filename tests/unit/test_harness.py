"""The harness later tests rely on: factories, the shared connection, the query counter.

The model here is the test's own; it lives in a separate metadata and its table exists only
inside the test's transaction, so it never reaches the migrations.
"""

import factory
from sqlalchemy import MetaData, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tests.common.db import ModelFactory
from warehouse_orgs.tasks import make_task_request


class HarnessBase(DeclarativeBase):
    metadata = MetaData()


class Widget(HarnessBase):
    __tablename__ = "harness_widgets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class WidgetFactory(ModelFactory):
    class Meta:
        model = Widget

    name = factory.Sequence(lambda n: f"widget-{n}")


def test_factory_rows_are_visible_to_the_app_and_rolled_back_after(
    db_connection, db_session, app_registry, query_recorder
):
    HarnessBase.metadata.create_all(db_connection)
    made = WidgetFactory.create_batch(3)
    assert all(widget.id is not None for widget in made)  # flushed, so the database has them

    request = make_task_request(app_registry)
    with request.tm, query_recorder:
        names = request.db.scalars(select(Widget.name).order_by(Widget.id)).all()
    assert names == [widget.name for widget in made]
    assert query_recorder.count == 1
    assert query_recorder.statements[0].startswith("SELECT harness_widgets.name")


def test_what_a_test_writes_never_commits(db_connection, db_session, app_registry, engine):
    HarnessBase.metadata.create_all(db_connection)
    WidgetFactory.create()
    request = make_task_request(app_registry)
    with request.tm:  # the app "commits": only a savepoint inside the test's transaction
        request.db.add(Widget(name="committed-by-the-app"))
    with engine.connect() as outsider:
        assert not outsider.dialect.has_table(outsider, "harness_widgets")
