"""The session factories and fixtures share: one per test, on the test's connection."""

import factory.alchemy
from sqlalchemy.orm import scoped_session, sessionmaker

# Bound per test by the ``db_session`` fixture; factories create rows through it.
Session = scoped_session(sessionmaker())


class ModelFactory(factory.alchemy.SQLAlchemyModelFactory):
    """Base for every factory: rows are flushed, so the app's session on the same connection
    sees them at once, and nothing is committed past the test's transaction."""

    class Meta:
        abstract = True
        sqlalchemy_session = Session
        sqlalchemy_session_persistence = "flush"
