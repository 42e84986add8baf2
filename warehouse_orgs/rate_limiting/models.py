import datetime

from sqlalchemy import BigInteger, DateTime, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from warehouse_orgs.db import ModelBase


class RateLimitHit(ModelBase):
    """One counted attempt (a failed login, a wrong code) in a sliding window."""

    __tablename__ = "rate_limit_hits"
    __table_args__ = (
        Index("ix_rate_limit_hits_scope_identifier_time", "scope", "identifier", "time"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(50))
    identifier: Mapped[str] = mapped_column(String(200))
    time: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
