"""The ``graph`` source's configuration: validated before anything connects."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from connectors.graph.settings import Settings

TOKEN = {"access_token": {"env": "GRAPH_TOKEN"}}


def test_defaults_are_global_graph_v1():
    s = Settings.model_validate(TOKEN)
    assert s.base_url == "https://graph.microsoft.com/v1.0" and s.graph_root == "https://graph.microsoft.com"
    assert s.requests_per_20s <= 2000 and s.batch_size == 20 and s.read.sign_in_activity is False


@pytest.mark.parametrize(
    "url", ["http://graph.example.org/v1.0", "ftp://127.0.0.1/v1.0", "graph.microsoft.com"]
)
def test_plain_http_only_for_loopback(url):
    with pytest.raises(ValidationError):
        Settings.model_validate({**TOKEN, "base_url": url})
    assert (
        Settings.model_validate({**TOKEN, "base_url": "http://127.0.0.1:8080/v1.0/"}).base_url
        == "http://127.0.0.1:8080/v1.0"
    )


@pytest.mark.parametrize(
    "raw",
    [
        {},  # no way to authenticate
        {**TOKEN, "client_secret": {"env": "S"}, "tenant_id": "t", "client_id": "c"},  # two ways
        {"client_secret": {"env": "S"}},  # secret without tenant and client ids
        {**TOKEN, "unknown_key": 1},  # extra=forbid
        {**TOKEN, "requests_per_20s": 2001},  # over Intune's limit
        {**TOKEN, "batch_size": 21},  # over Graph's $batch limit
    ],
)
def test_rejected_settings(raw):
    with pytest.raises(ValidationError):
        Settings.model_validate(raw)


def test_national_cloud():
    s = Settings.model_validate(
        {
            "client_secret": {"env": "S"},
            "tenant_id": "t",
            "client_id": "c",
            "base_url": "https://graph.microsoft.us/v1.0",
            "authority": "login.microsoftonline.us",
        }
    )
    assert s.graph_root == "https://graph.microsoft.us" and s.version_path == "/v1.0"
