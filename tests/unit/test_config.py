import pytest
from pyramid.exceptions import ConfigurationError

from warehouse_orgs.config import Environment, maybe_set_compound, read_settings
from warehouse_orgs.db import normalize_database_url

GOOD_SECRET = "s" * 40
PRODUCTION_ENV = {
    "WAREHOUSE_ORGS_ENV": "production",
    "DATABASE_URL": "postgresql://db/warehouse_orgs",
    "SESSION_SECRET": GOOD_SECRET,
    "TOKEN_SECRET": GOOD_SECRET,
    "MAIL_BACKEND": "warehouse_orgs.email.services.SMTPEmailSender host=smtp.example.com",
    "BILLING_BACKEND": (
        "warehouse_orgs.subscriptions.billing.StripeBillingService "
        "secret_key=sk_live_example webhook_secret=whsec_example domain=pypi.example"
    ),
}


def test_backend_setting_splits_class_and_options():
    settings: dict = {}
    maybe_set_compound(
        settings,
        "mail",
        "backend",
        "MAIL_BACKEND",
        environ={"MAIL_BACKEND": "pkg.Sender host=smtp.example.com port=587 'name=two words'"},
    )
    assert settings == {
        "mail.backend": "pkg.Sender",
        "mail.host": "smtp.example.com",
        "mail.port": "587",
        "mail.name": "two words",
    }


def test_backend_option_without_equals_is_refused():
    with pytest.raises(ConfigurationError, match="'port' is not key=value"):
        maybe_set_compound(
            {}, "mail", "backend", "MAIL_BACKEND", environ={"MAIL_BACKEND": "pkg.Sender port"}
        )


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_backend_setting_is_the_same_as_none(value):
    settings: dict = {}
    maybe_set_compound(
        settings, "billing", "backend", "BILLING_BACKEND", environ={"BILLING_BACKEND": value}
    )
    assert settings == {}


def test_sponsor_logo_storage_options_land_under_its_own_name():
    settings = read_settings(
        environ={
            **PRODUCTION_ENV,
            "SPONSOR_LOGO_STORAGE": (
                "warehouse_orgs.sponsors.storage.S3SponsorLogoStorage bucket=pypi-logos "
                "public_url=https://logos.pypi.example endpoint_url=https://s3.example region=eu-1"
            ),
        }
    )
    sponsors = {key: value for key, value in settings.items() if key.startswith("sponsors.")}
    assert sponsors == {
        "sponsors.logo_storage": "warehouse_orgs.sponsors.storage.S3SponsorLogoStorage",
        "sponsors.logo_storage.bucket": "pypi-logos",
        "sponsors.logo_storage.public_url": "https://logos.pypi.example",
        "sponsors.logo_storage.endpoint_url": "https://s3.example",
        "sponsors.logo_storage.region": "eu-1",
    }


def test_the_sponsor_feed_is_read_from_the_environment():
    settings = read_settings(
        environ={
            **PRODUCTION_ENV,
            "SPONSOR_FEED_URL": "https://psf.example/api/sponsors/",
            "SPONSOR_FEED_TOKEN": "feed-token",
        }
    )
    assert settings["sponsors.feed_url"] == "https://psf.example/api/sponsors/"
    assert settings["sponsors.feed_token"] == "feed-token"
    assert "sponsors.feed_url" not in read_settings(environ=PRODUCTION_ENV)


def test_explicit_settings_win_over_the_environment():
    settings = read_settings({"site.url": "https://pypi.example"}, environ=PRODUCTION_ENV)
    assert settings["site.url"] == "https://pypi.example"
    assert settings["warehouse_orgs.env"] is Environment.production
    assert settings["mail.host"] == "smtp.example.com"


def test_production_starts_with_real_secrets():
    settings = read_settings(environ=PRODUCTION_ENV)
    assert settings["sessions.secret"] == GOOD_SECRET


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (
            {"SESSION_SECRET": "insecure-development-session-secret"},
            "SESSION_SECRET is a development secret",
        ),
        ({"TOKEN_SECRET": "short"}, "TOKEN_SECRET is shorter than 32 characters"),
        ({"TOKEN_SECRET": ""}, "TOKEN_SECRET is not set"),
        ({"DATABASE_URL": ""}, "DATABASE_URL is not set"),
        (
            {"MAIL_BACKEND": "warehouse_orgs.email.services.CapturedEmailSender"},
            "MAIL_BACKEND captures mail to disk",
        ),
        (
            {
                "BILLING_BACKEND": "warehouse_orgs.subscriptions.billing.StripeBillingService "
                "secret_key=sk_test_abc webhook_secret=whsec_example"
            },
            "BILLING_BACKEND's secret_key is a test secret",
        ),
        (
            {
                "BILLING_BACKEND": "warehouse_orgs.subscriptions.billing.StripeBillingService "
                "secret_key=sk_live_example webhook_secret=insecure-whsec"
            },
            "BILLING_BACKEND's webhook_secret is a test secret",
        ),
        (
            {
                "BILLING_BACKEND": "warehouse_orgs.subscriptions.billing.StripeBillingService "
                "secret_key=sk_live_example"
            },
            "BILLING_BACKEND has no webhook_secret=",
        ),
    ],
)
def test_production_refuses_unsafe_settings_and_names_them(change, complaint):
    with pytest.raises(ConfigurationError, match=complaint):
        read_settings(environ={**PRODUCTION_ENV, **change})


def test_production_refuses_to_run_without_a_payment_provider():
    environ = {k: v for k, v in PRODUCTION_ENV.items() if k != "BILLING_BACKEND"}
    with pytest.raises(ConfigurationError, match="BILLING_BACKEND is not set"):
        read_settings(environ=environ)


def test_a_billing_backend_without_its_secrets_is_refused_in_development_too():
    with pytest.raises(ConfigurationError, match="BILLING_BACKEND has no secret_key="):
        read_settings(
            environ={
                "WAREHOUSE_ORGS_ENV": "development",
                "DATABASE_URL": "postgresql://db/x",
                "SESSION_SECRET": "insecure-dev",
                "TOKEN_SECRET": "insecure-dev",
                "BILLING_BACKEND": "warehouse_orgs.subscriptions.billing.StripeBillingService "
                "webhook_secret=whsec_x",
            }
        )


def test_production_is_the_default_environment():
    environ = {k: v for k, v in PRODUCTION_ENV.items() if k != "WAREHOUSE_ORGS_ENV"}
    assert read_settings(environ=environ)["warehouse_orgs.env"] is Environment.production


def test_development_accepts_development_secrets():
    settings = read_settings(
        environ={
            "WAREHOUSE_ORGS_ENV": "development",
            "DATABASE_URL": "postgresql://db/x",
            "SESSION_SECRET": "insecure-dev",
            "TOKEN_SECRET": "insecure-dev",
        }
    )
    assert settings["mail.backend"].endswith("CapturedEmailSender")


def test_unknown_environment_is_refused():
    with pytest.raises(ValueError, match="'staging' is not a valid Environment"):
        read_settings(environ={**PRODUCTION_ENV, "WAREHOUSE_ORGS_ENV": "staging"})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h:5/db", "postgresql+psycopg://u:p@h:5/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@/db?host=/tmp/s", "postgresql+psycopg://u@/db?host=%2Ftmp%2Fs"),
    ],
)
def test_database_urls_use_psycopg_3(given, expected):
    assert normalize_database_url(given) == expected


def test_logging_is_configured_once_with_request_ids(monkeypatch):
    import logging

    from warehouse_orgs.request_logging import LOG_FORMAT, RequestIdFilter, configure_logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", logging.WARNING)
    configure_logging()
    (handler,) = root.handlers
    assert handler.formatter._fmt == LOG_FORMAT
    assert any(isinstance(f, RequestIdFilter) for f in handler.filters)
    assert root.level == logging.INFO
    configure_logging()
    assert len(root.handlers) == 1
