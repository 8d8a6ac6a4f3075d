"""The adapters' HTTP session reads the environment's proxy settings once, and never ~/.netrc."""

import requests

from urp_portal.gateway.adapters.base import pooled_session


def test_the_proxy_of_the_environment_is_used_unless_no_proxy_names_the_provider(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.comune.example:3128")
    monkeypatch.setenv("NO_PROXY", "api.twilio.com")

    graph = pooled_session(base_url="https://graph.facebook.com/v23.0", pool_connections=1)
    twilio = pooled_session(base_url="https://api.twilio.com", pool_connections=1)

    assert graph.proxies.get("https") == "http://proxy.comune.example:3128"
    assert "https" not in twilio.proxies


def test_a_netrc_entry_does_not_replace_the_providers_authorisation(monkeypatch, tmp_path):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine graph.facebook.com login someone password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    session = pooled_session(base_url="https://graph.facebook.com/v23.0", pool_connections=1)

    request = session.prepare_request(
        requests.Request(
            "POST",
            "https://graph.facebook.com/v23.0/1/messages",
            headers={"Authorization": "Bearer token"},
        )
    )

    assert request.headers["Authorization"] == "Bearer token"
