from typing import TYPE_CHECKING

from zope.interface import Interface

if TYPE_CHECKING:
    import datetime


class IRateLimiter(Interface):
    def test(identifier: str) -> bool:
        """True while ``identifier`` is under its limit."""

    def hit(identifier: str) -> None:
        """Count one attempt for ``identifier``."""

    def resets_in(identifier: str) -> "datetime.timedelta | None":
        """How long until ``identifier`` may try again; None when it is not limited."""

    def clear(identifier: str) -> None:
        """Forget the attempts of ``identifier`` (after a success)."""
