"""TwsSettings validates input, reads RESYNC_TWS_* only when asked and never shows secrets."""

import pytest

from resync_assets.lib.tws import TwsSettings


def test_from_env_reads_every_variable(tmp_path):
    ca = tmp_path / "internal.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    env = {
        "RESYNC_TWS_BASE_URL": "https://tws.example:31116/",
        "RESYNC_TWS_USER": "wauser",
        "RESYNC_TWS_PASSWORD": "s3cret pw",
        "RESYNC_TWS_TOKEN": "",
        "RESYNC_TWS_CA_BUNDLE": str(ca),
        "RESYNC_TWS_VERIFY_TLS": "true",
        "RESYNC_TWS_TIMEOUT_SECONDS": "12.5",
    }
    s = TwsSettings.from_env(env)
    assert s.base_url == "https://tws.example:31116"
    assert (s.user, s.password, s.token) == ("wauser", "s3cret pw", None)
    assert s.auth_kind == "basic"
    assert s.verify == str(ca)
    assert s.timeout_seconds == 12.5


def test_token_wins_and_tls_can_be_disabled():
    s = TwsSettings.from_env(
        {
            "RESYNC_TWS_BASE_URL": "https://h",
            "RESYNC_TWS_TOKEN": "tok",
            "RESYNC_TWS_USER": "u",
            "RESYNC_TWS_PASSWORD": "p",
            "RESYNC_TWS_VERIFY_TLS": "false",
        }
    )
    assert s.auth_kind == "bearer" and s.verify is False


def test_tls_verification_is_on_by_default():
    assert TwsSettings("https://h").verify is True


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "RESYNC_TWS_BASE_URL is not set"),
        ({"RESYNC_TWS_BASE_URL": "ftp://h"}, "http"),
        ({"RESYNC_TWS_BASE_URL": "https://h", "RESYNC_TWS_VERIFY_TLS": "maybe"}, "VERIFY_TLS"),
        ({"RESYNC_TWS_BASE_URL": "https://h", "RESYNC_TWS_TIMEOUT_SECONDS": "soon"}, "TIMEOUT_SECONDS"),
        ({"RESYNC_TWS_BASE_URL": "https://h", "RESYNC_TWS_USER": "u"}, "password is required"),
    ],
)
def test_bad_environment_is_a_clear_error(env, message):
    with pytest.raises(ValueError, match=message):
        TwsSettings.from_env(env)


def test_secrets_are_not_in_repr():
    s = TwsSettings("https://h", user="u", password="pw-XYZZY", token="tok-PLUGH")
    assert "XYZZY" not in repr(s) and "PLUGH" not in repr(s)


def test_credentials_in_url_are_moved_out_of_it():
    s = TwsSettings("https://u:pw-XYZZY@tws.example:31116/base")
    assert s.base_url == "https://tws.example:31116/base"
    assert (s.user, s.password) == ("u", "pw-XYZZY")
    assert "XYZZY" not in repr(s)


@pytest.mark.parametrize(
    "kwargs", [{"page_size": 0}, {"max_retries": -1}, {"timeout_seconds": 0}, {"joblog_max_bytes": 0}]
)
def test_bad_numbers_are_rejected(kwargs):
    with pytest.raises(ValueError):
        TwsSettings("https://h", **kwargs)
