"""The e-mail and webhook resources: their secrets bound with dg.EnvVar when defined, optional otherwise."""

import dagster as dg

from resync_assets.defs.resources import SmtpResource, WebhookResource, resources


def _bound(monkeypatch, **env):
    for name in ("RESYNC_SMTP_PASSWORD", "RESYNC_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return resources().resources


def test_secrets_are_env_vars_when_defined_and_absent_otherwise(monkeypatch):
    bound = _bound(monkeypatch, RESYNC_SMTP_PASSWORD="", RESYNC_WEBHOOK_URL="https://hooks.example/T/B/x")
    assert isinstance(bound["smtp"], SmtpResource) and isinstance(bound["webhook"], WebhookResource)
    # dg.EnvVar keeps the value out of the definitions (and so out of the UI): only the name is there
    assert bound["smtp"]._get_non_default_public_field_values()["password"] == dg.EnvVar(
        "RESYNC_SMTP_PASSWORD"
    )
    assert bound["webhook"]._get_non_default_public_field_values()["url"] == dg.EnvVar("RESYNC_WEBHOOK_URL")
    bare = _bound(monkeypatch)
    assert bare["smtp"].password is None and bare["webhook"].url is None
    assert bare["webhook"].settings() is None


def test_smtp_resource_fields_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("RESYNC_SMTP_HOST", "env-host.example")
    monkeypatch.setenv("RESYNC_SMTP_SENDER", "env@example.net")
    monkeypatch.setenv("RESYNC_SMTP_RECIPIENTS", "all@example.net")
    monkeypatch.setenv("RESYNC_INCIDENT_RECIPIENTS", "oncall@example.net")
    s = SmtpResource(host="config-host.example", port=2525, security="none").settings(
        "RESYNC_INCIDENT_RECIPIENTS"
    )
    assert (s.host, s.port, s.security, s.sender, s.recipients) == (
        "config-host.example", 2525, "none", "env@example.net", ("oncall@example.net",),
    )  # fmt: skip
    monkeypatch.delenv("RESYNC_SMTP_HOST")
    assert SmtpResource().settings() is None
