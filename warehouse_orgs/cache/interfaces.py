"""The contract of the shared cache in front of the app (a CDN, Varnish).

Public pages name what they show in a ``Surrogate-Key`` response header; a change to any of it
purges those keys once its transaction commits, so the cache never keeps serving a page that
is no longer true. ``ORIGIN_CACHE`` names the implementation and its options.
"""

from collections.abc import Collection

from zope.interface import Interface

__all__ = ["IOriginCache", "PurgeFailed"]


class PurgeFailed(Exception):
    """The cache did not confirm the purge (unreachable, refused, timed out); the pages stay
    cached until they expire or a later purge succeeds."""


class IOriginCache(Interface):
    def purge(keys: Collection[str]) -> None:
        """Drop every cached response tagged with any of ``keys``; raise PurgeFailed if the
        cache did not confirm it."""
