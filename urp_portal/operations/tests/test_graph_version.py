import datetime as dt

from urp_portal.gateway.graph_versions import DEFAULT_GRAPH_URL, graph_version_of
from urp_portal.operations.checks import BLOCKING, OK, WARNING, check_graph_version


def test_the_default_graph_url_is_v25_supported_until_july_2028(settings):
    from urp_portal.settings import base

    assert base.WHATSAPP_GRAPH_URL == DEFAULT_GRAPH_URL or base.WHATSAPP_GRAPH_URL.endswith(
        "/v25.0"
    )
    settings.WHATSAPP_GRAPH_URL = DEFAULT_GRAPH_URL
    [finding] = check_graph_version(today=dt.date(2026, 12, 5))
    assert finding.level == OK
    assert "29/07/2028" in finding.message


def test_a_version_within_90_days_of_its_end_is_warned_about(settings):
    settings.WHATSAPP_GRAPH_URL = "https://graph.facebook.com/v23.0"
    [far] = check_graph_version(today=dt.date(2027, 7, 1))
    [near] = check_graph_version(today=dt.date(2027, 7, 11))
    assert far.level == OK
    assert near.level == WARNING
    assert "08/10/2027" in near.message and "89 giorni" in near.message


def test_a_version_past_its_end_blocks(settings):
    settings.WHATSAPP_GRAPH_URL = "https://graph.facebook.com/v20.0/"
    [finding] = check_graph_version(today=dt.date(2026, 12, 5))
    assert finding.level == BLOCKING


def test_a_url_without_a_version_is_warned_about(settings):
    settings.WHATSAPP_GRAPH_URL = "https://graph.facebook.com"
    assert graph_version_of("https://graph.facebook.com") == ""
    [finding] = check_graph_version(today=dt.date(2026, 12, 5))
    assert finding.level == WARNING


def test_the_meta_gateway_without_a_business_account_id_is_warned_about(settings):
    from urp_portal.operations.checks import check_gateway

    settings.WHATSAPP_GATEWAY = "meta"
    settings.WHATSAPP_GRAPH_URL = "https://graph.facebook.com/v25.0"
    for name in ("WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET"):
        setattr(settings, name, "x")
    settings.WHATSAPP_VERIFY_TOKEN = "x"
    settings.WHATSAPP_BUSINESS_ACCOUNT_ID = ""

    findings = check_gateway()

    assert any(f.level == WARNING and "WHATSAPP_BUSINESS_ACCOUNT_ID" in f.message for f in findings)


def test_the_meta_gateway_without_an_app_id_is_warned_about_for_image_templates(settings):
    from urp_portal.operations.checks import check_gateway

    settings.WHATSAPP_GATEWAY = "meta"
    settings.WHATSAPP_GRAPH_URL = "https://graph.facebook.com/v25.0"
    for name in ("WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET"):
        setattr(settings, name, "x")
    settings.WHATSAPP_VERIFY_TOKEN = "x"
    settings.WHATSAPP_BUSINESS_ACCOUNT_ID = "x"
    settings.WHATSAPP_APP_ID = ""

    warned = [f for f in check_gateway() if f.level == WARNING and "WHATSAPP_APP_ID" in f.message]
    settings.WHATSAPP_APP_ID = "5544332211009"
    quiet = [f for f in check_gateway() if "WHATSAPP_APP_ID" in f.message]

    assert len(warned) == 1 and "immagine" in warned[0].message
    assert quiet == []
