"""Where sponsor logos live: ``ISponsorLogoStorage`` implementations.

``SPONSOR_LOGO_STORAGE`` names the class and its options, as ``MAIL_BACKEND`` does:

- ``warehouse_orgs.sponsors.storage.LocalSponsorLogoStorage path=.state/sponsorlogos``: files
  in a directory the app serves under ``/static/sponsorlogos/`` (development, tests, a single
  host). The default, in ``state_dir()/sponsorlogos``.
- ``warehouse_orgs.sponsors.storage.S3SponsorLogoStorage bucket=... public_url=https://...``
  (and optionally ``endpoint_url=``, ``region=``, ``prefix=``): any S3-compatible object
  storage; credentials come from the usual AWS environment variables or instance role. Logos
  are served from ``public_url`` (a CDN in front of the bucket), which the pages'
  Content-Security-Policy then allows for images.
"""

import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

from pyramid.request import Request
from zope.interface import implementer

from warehouse_orgs.paths import state_dir
from warehouse_orgs.sponsors.interfaces import ISponsorLogoStorage

LOCAL_STORAGE = "warehouse_orgs.sponsors.storage.LocalSponsorLogoStorage"
STATIC_PREFIX = "sponsorlogos"
# The names logos.CheckedLogo.file_name makes: nothing that could climb out of a directory.
_SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*\.(png|jpg|webp|svg)")


class StorageError(Exception):
    """The storage did not take the file; nothing refers to it."""


def _checked_name(name: str) -> str:
    if not _SAFE_NAME.fullmatch(name):
        raise ValueError(f"Not a logo file name: {name!r}")
    return name


def local_logo_directory(settings: Mapping[str, Any]) -> Path:
    # Absolute: Pyramid reads a relative static path as a path inside a Python package.
    return Path(
        settings.get("sponsors.logo_storage.path") or state_dir() / "sponsorlogos"
    ).resolve()


@implementer(ISponsorLogoStorage)
class LocalSponsorLogoStorage:
    def __init__(self, directory: Path, request: Request) -> None:
        self.directory = directory
        self.request = request

    @classmethod
    def create_service(cls, context: Any, request: Request) -> Self:
        return cls(local_logo_directory(request.registry.settings), request)

    def store(self, name: str, content: bytes, content_type: str) -> str:
        path = self.directory / _checked_name(name)
        partial = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Written beside, then renamed: a reader never sees half a file.
            handle, partial = tempfile.mkstemp(dir=self.directory, prefix=".partial-")
            with os.fdopen(handle, "wb") as file:
                file.write(content)
            os.chmod(partial, 0o644)
            os.replace(partial, path)
        except OSError as error:
            if partial is not None:
                Path(partial).unlink(missing_ok=True)
            raise StorageError(f"The logo could not be saved: {error.strerror}") from None
        return self.request.static_path(f"{path}")


@implementer(ISponsorLogoStorage)
class S3SponsorLogoStorage:
    def __init__(self, client: Any, bucket: str, public_url: str, prefix: str) -> None:
        self.client = client
        self.bucket = bucket
        self.public_url = public_url.rstrip("/")
        self.prefix = prefix.strip("/")

    @classmethod
    def create_service(cls, context: Any, request: Request) -> Self:
        import boto3

        settings = request.registry.settings
        client = boto3.client(
            "s3",
            endpoint_url=settings.get("sponsors.logo_storage.endpoint_url") or None,
            region_name=settings.get("sponsors.logo_storage.region") or None,
        )
        return cls(
            client,
            bucket=settings["sponsors.logo_storage.bucket"],
            public_url=settings["sponsors.logo_storage.public_url"],
            prefix=settings.get("sponsors.logo_storage.prefix", STATIC_PREFIX),
        )

    def store(self, name: str, content: bytes, content_type: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        key = f"{self.prefix}/{_checked_name(name)}" if self.prefix else _checked_name(name)
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=content,
                ContentType=content_type,
                # The name changes with the content, so a copy may be kept for ever.
                CacheControl="public, max-age=31536000, immutable",
            )
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"The object storage did not take the logo: {error}") from None
        return f"{self.public_url}/{key}"


def logo_image_origins(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """Where logos load from, besides this site: object storage's public address."""
    public_url = settings.get("sponsors.logo_storage.public_url")
    if not public_url:
        return ()
    parts = urlsplit(public_url)
    return (f"{parts.scheme}://{parts.netloc}",)
