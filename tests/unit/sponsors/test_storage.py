"""Where sponsor logos are kept: a local directory the app serves itself, and S3-compatible
object storage (moto's real server, reached with boto3 over HTTP) whose public address the
pages' Content-Security-Policy then allows for images."""

from pathlib import Path

import pytest
import webtest

from tests.conftest import SPONSOR_LOGO_DIRECTORY
from warehouse_orgs.sponsors.interfaces import ISponsorLogoStorage
from warehouse_orgs.sponsors.logos import check_logo
from warehouse_orgs.sponsors.storage import (
    LocalSponsorLogoStorage,
    S3SponsorLogoStorage,
    StorageError,
)
from warehouse_orgs.tasks import make_task_request

LOGOS = Path(__file__).parents[2] / "fixtures" / "logos"
S3_STORAGE = "warehouse_orgs.sponsors.storage.S3SponsorLogoStorage"
UNSAFE_NAMES = [
    "../escape.png",
    "logos/acme.png",
    "/etc/acme.png",
    ".partial-acme.png",
    "Acme.png",
    "acme.html",
    "acme.svg\n",
    "acme",
    "",
]


def logo_storage(registry):
    return make_task_request(registry).find_service(ISponsorLogoStorage)


def _logo(file_name: str):
    return check_logo((LOGOS / file_name).read_bytes())


# The local directory


@pytest.mark.parametrize(
    ("file_name", "content_type"),
    [
        ("logo.png", "image/png"),
        ("logo.jpg", "image/jpeg"),
        ("logo.webp", "image/webp"),
        ("logo.svg", "image/svg+xml"),
    ],
)
def test_a_logo_stored_locally_is_served_by_the_app(
    app_registry, webtest_app, file_name, content_type
):
    logo = _logo(file_name)
    name = logo.file_name("stored-locally", "color")

    url = logo_storage(app_registry).store(name, logo.content, logo.content_type)

    assert url == f"/static/sponsorlogos/{name}"
    assert (SPONSOR_LOGO_DIRECTORY / name).read_bytes() == logo.content
    served = webtest_app.get(url)
    assert served.status_int == 200
    assert served.body == logo.content
    assert served.content_type == content_type


def test_storing_again_replaces_the_file_whole_and_leaves_nothing_beside_it(app_registry):
    storage = logo_storage(app_registry)
    name = "stored-twice-color-1.png"
    first = storage.store(name, b"first version", "image/png")
    path = SPONSOR_LOGO_DIRECTORY / name
    first_file = path.stat().st_ino

    second = storage.store(name, b"second version", "image/png")

    assert first == second
    assert path.read_bytes() == b"second version"
    # A new file renamed over the old one, never the old one rewritten in place: a reader has
    # either whole file, never half of one.
    assert path.stat().st_ino != first_file
    assert path.stat().st_mode & 0o777 == 0o644
    assert not [p.name for p in SPONSOR_LOGO_DIRECTORY.iterdir() if p.name.startswith(".")]


def test_a_directory_that_cannot_be_made_is_a_storage_error(app_registry, tmp_path):
    (tmp_path / "taken").write_text("a file where the directory should be")
    storage = LocalSponsorLogoStorage(tmp_path / "taken" / "logos", make_task_request(app_registry))

    with pytest.raises(StorageError, match="The logo could not be saved"):
        storage.store("acme-color-1.png", b"logo", "image/png")


@pytest.mark.parametrize("name", UNSAFE_NAMES)
def test_local_storage_refuses_names_that_could_leave_its_directory(app_registry, tmp_path, name):
    storage = LocalSponsorLogoStorage(tmp_path / "logos", make_task_request(app_registry))

    with pytest.raises(ValueError, match="Not a logo file name"):
        storage.store(name, b"logo", "image/png")
    assert not (tmp_path / "logos").exists()
    assert not (tmp_path / "escape.png").exists()


def test_a_relative_directory_is_served_from_where_it_points(
    make_app_config, tmp_path, monkeypatch
):
    """SPONSOR_LOGO_STORAGE="... path=.state/sponsorlogos", as in development."""
    monkeypatch.chdir(tmp_path)
    config = make_app_config(**{"sponsors.logo_storage.path": "relative-logos"})
    logo = _logo("logo.png")

    url = logo_storage(config.registry).store("relative-color-1.png", logo.content, "image/png")

    assert (tmp_path / "relative-logos" / "relative-color-1.png").read_bytes() == logo.content
    assert webtest.TestApp(config.make_wsgi_app()).get(url).body == logo.content


# Object storage


@pytest.fixture
def s3_app(make_app_config, s3_server):
    """An app keeping logos in a bucket of this test's own; yields (registry, bucket)."""

    def make(**options):
        bucket = s3_server.new_bucket()
        settings = {
            "sponsors.logo_storage": S3_STORAGE,
            "sponsors.logo_storage.bucket": bucket,
            "sponsors.logo_storage.public_url": "https://logos.example/",
            "sponsors.logo_storage.endpoint_url": s3_server.endpoint_url,
            **{f"sponsors.logo_storage.{key}": value for key, value in options.items()},
        }
        return make_app_config(**settings), bucket

    return make


@pytest.mark.parametrize("file_name", ["logo.png", "logo.svg"])
def test_a_logo_stored_in_object_storage_is_there_with_its_type_and_caching(
    s3_app, s3_server, file_name
):
    config, bucket = s3_app()
    logo = _logo(file_name)
    name = logo.file_name("in-a-bucket", "color")

    url = logo_storage(config.registry).store(name, logo.content, logo.content_type)

    assert url == f"https://logos.example/sponsorlogos/{name}"
    stored = s3_server.client().get_object(Bucket=bucket, Key=f"sponsorlogos/{name}")
    assert stored["Body"].read() == logo.content
    assert stored["ContentType"] == logo.content_type
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    ("prefix", "key"), [("brand/logos/", "brand/logos/a-1.png"), ("", "a-1.png")]
)
def test_the_prefix_option_places_the_object_and_its_address(s3_app, s3_server, prefix, key):
    config, bucket = s3_app(prefix=prefix)

    url = logo_storage(config.registry).store("a-1.png", b"\x89PNG\r\n\x1a\n", "image/png")

    assert url == f"https://logos.example/{key}"
    listed = s3_server.client().list_objects_v2(Bucket=bucket)["Contents"]
    assert [item["Key"] for item in listed] == [key]


def test_a_bucket_that_does_not_exist_is_a_storage_error(s3_app, s3_server):
    config, _ = s3_app(bucket="no-such-bucket-here")

    with pytest.raises(StorageError, match="The object storage did not take the logo"):
        logo_storage(config.registry).store("a-1.png", b"\x89PNG\r\n\x1a\n", "image/png")


def test_object_storage_refuses_unsafe_names_and_stores_nothing(s3_app, s3_server):
    config, bucket = s3_app()
    storage = logo_storage(config.registry)

    for name in UNSAFE_NAMES:
        with pytest.raises(ValueError, match="Not a logo file name"):
            storage.store(name, b"logo", "image/png")
    assert s3_server.client().list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_pages_allow_images_from_object_storage_public_address(s3_app, make_app_config):
    config, _ = s3_app()
    local = make_app_config()

    policy = (
        webtest.TestApp(config.make_wsgi_app()).get("/_health/").headers["Content-Security-Policy"]
    )
    local_policy = (
        webtest.TestApp(local.make_wsgi_app()).get("/_health/").headers["Content-Security-Policy"]
    )

    assert "img-src 'self' data: https://logos.example;" in policy
    assert "img-src 'self' data:;" in local_policy


def test_the_storage_class_is_the_one_configured(s3_app, app_registry):
    config, _ = s3_app()

    assert isinstance(logo_storage(config.registry), S3SponsorLogoStorage)
    assert isinstance(logo_storage(app_registry), LocalSponsorLogoStorage)
