"""Each comune's moderation (issue #24): its own published policy, lexicon, allowed domains and
settings, given from its preset; a word flagged in one comune is not flagged in another that
does not list it; a change to one comune's lists rebuilds that comune's screener only; another
comune's rule or list row is not there for an action or an admin page."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from moderation import services
from moderation.errors import NoCategory
from moderation.models import (
    AllowedDomain,
    LexiconEntry,
    ModerationSettings,
    PolicyCategory,
    ScreeningFlag,
)
from moderation.presets import ASSEMINI_RULES, CAGLIARI_RULES
from moderation.screening.config import SEED_INSULTS, SEED_SLURS, read_list
from moderation.selectors import screener_for, screener_forget, screening_version
from moderation.tests.factories import moderator
from subscribers.models import Subscriber
from tests.fixtures.browser import no_queued_tasks  # noqa: F401
from tests.fixtures.comuni import ASSEMINI_NUMBER, CAGLIARI_NUMBER, PHONE, text_to
from tests.fixtures.webhooks import post_signed_webhook
from tests.test_provider_admin import _create_sestu, provider, provider_client  # noqa: F401
from urp_portal.accounts.models import StaffMembership
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory, pass_second_factor
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import comune_scope

# In no seed list: only the comune that adds it flags it.
LOCAL_WORD = "zuccone"


@pytest.fixture(autouse=True)
def fresh_screeners():
    screener_forget()
    yield
    screener_forget()


def _codes(comune) -> list[str]:
    return list(
        PolicyCategory.all_comuni.filter(comune=comune)
        .order_by("position")
        .values_list("code", flat=True)
    )


def _flags_of(comune) -> list[list[str]]:
    """The excerpts each flag of the comune's citizens quotes, message by message."""
    return [
        sorted(item["reason"] for item in reasons)
        for reasons in ScreeningFlag.all_comuni.filter(case__subscriber__comune=comune)
        .order_by("inbound__pk")
        .values_list("reasons", flat=True)
    ]


def test_load_preset_gives_each_comune_the_policy_its_own_notice_publishes(two_comuni):
    cagliari, assemini = two_comuni

    assert _codes(cagliari) == [rule.code for rule in CAGLIARI_RULES]
    # Assemini's notice lists five rules, each of which may be reported to the authorities.
    assert _codes(assemini) == [rule.code for rule in ASSEMINI_RULES]
    assert set(
        PolicyCategory.all_comuni.filter(comune=assemini).values_list("may_be_reported", flat=True)
    ) == {True}
    attacks = PolicyCategory.all_comuni.get(comune=assemini, code="discrimination")
    assert "un qualunque soggetto" in attacks.policy_text
    seed_words = len(set(read_list(SEED_INSULTS))) + len(set(read_list(SEED_SLURS)))
    for comune, site in ((cagliari, "comune.cagliari.it"), (assemini, "comune.assemini.ca.it")):
        assert LexiconEntry.all_comuni.filter(comune=comune).count() == seed_words
        assert AllowedDomain.all_comuni.filter(comune=comune, domain=site).exists()
        assert ModerationSettings.all_comuni.filter(comune=comune).count() == 1
    # Neither takes the other's site, and the active comune's rows (none) are untouched.
    assert not AllowedDomain.all_comuni.filter(comune=assemini, domain="comune.cagliari.it")
    assert PolicyCategory.all_comuni.filter(comune__isnull=True).count() == len(CAGLIARI_RULES)


def test_loading_the_preset_again_keeps_the_comunes_own_edits(two_comuni):
    _cagliari, assemini = two_comuni
    with comune_scope(assemini):
        services.lexicon_entries_delete(entries=LexiconEntry.objects.filter(word="cretino"))
        rule = PolicyCategory.objects.get(code="offensive")
        rule.label = "Parolacce"
        services.policy_category_save(category=rule)
    rows = LexiconEntry.all_comuni.filter(comune=assemini).count()

    made = services.moderation_policy_give(comune=assemini, preset="assemini")

    # A deleted word comes back (it is the preset's), a renamed rule keeps its new name.
    assert made == 1
    assert LexiconEntry.all_comuni.filter(comune=assemini).count() == rows + 1
    assert PolicyCategory.all_comuni.get(comune=assemini, code="offensive").label == "Parolacce"
    assert services.moderation_policy_give(comune=assemini, preset="assemini") == 0


def test_the_providers_new_comune_page_gives_it_its_presets_policy(
    municipality,
    provider_client,  # noqa: F811
):
    response = _create_sestu(provider_client)

    sestu = Municipality.objects.get(slug="sestu")
    assert response.status_code == 302
    assert _codes(sestu) == [rule.code for rule in ASSEMINI_RULES]
    assert LexiconEntry.all_comuni.filter(comune=sestu).exists()
    # The active comune keeps the deployment's rows, without comune, as before.
    assert not PolicyCategory.all_comuni.filter(comune=municipality).exists()


def test_a_word_only_one_comunes_lexicon_lists_is_flagged_in_that_comune_only(
    two_comuni, whatsapp, client
):
    cagliari, assemini = two_comuni
    # Assemini asks who writes before anything reaches the desk: not what is tested here.
    Municipality.objects.filter(pk=assemini.pk).update(identity_required=False)
    with comune_scope(cagliari):
        services.lexicon_entry_save(entry=LexiconEntry(word=LOCAL_WORD))

    for number in (CAGLIARI_NUMBER, ASSEMINI_NUMBER):
        for text in ("Siete dei zucconi", "Siete dei coglioni"):
            whatsapp.deliver(
                lambda n=number, t=text: post_signed_webhook(
                    client, text_to(n, sender=PHONE, text=t)
                )
            )

    assert _flags_of(cagliari) == [
        ['Linguaggio offensivo: "zucconi"'],
        ['Linguaggio offensivo: "coglioni"'],
    ]
    # Assemini screens (the seed's insult is flagged) but does not list Cagliari's word.
    assert _flags_of(assemini) == [['Linguaggio offensivo: "coglioni"']]
    assert Subscriber.all_comuni.filter(number=PHONE).count() == 2


def test_a_comune_flags_only_the_rules_its_own_policy_names(two_comuni):
    cagliari, assemini = two_comuni
    text = "Guardate qui https://offerte-incredibili.example.com/promo"

    with comune_scope(cagliari):
        in_cagliari = screener_for(municipality=cagliari)(text)
    with comune_scope(assemini):
        in_assemini = screener_for(municipality=assemini)(text)

    # Cagliari's policy forbids links to external sites; Assemini's publishes no such rule.
    assert "spam_links" in {flag.category for flag in in_cagliari}
    assert in_assemini == []


def test_a_change_to_one_comunes_lexicon_rebuilds_only_that_comunes_screener(two_comuni):
    cagliari, assemini = two_comuni
    screeners = {}
    versions = {}
    for comune in (cagliari, assemini):
        with comune_scope(comune):
            screeners[comune.slug] = screener_for(municipality=comune)
            versions[comune.slug] = screening_version(owner_id=comune.pk)

    with comune_scope(cagliari):
        services.lexicon_entry_save(entry=LexiconEntry(word=LOCAL_WORD))
        rebuilt = screener_for(municipality=cagliari)
    with comune_scope(assemini):
        kept = screener_for(municipality=assemini)

    # Other processes see Cagliari's version move and Assemini's stay.
    assert screening_version(owner_id=cagliari.pk) == versions["cagliari"] + 1
    assert screening_version(owner_id=assemini.pk) == versions["assemini"]
    # This process dropped Cagliari's screener at once, and kept Assemini's compiled one.
    assert rebuilt is not screeners["cagliari"]
    assert kept is screeners["assemini"]
    assert rebuilt("Siete dei zucconi") and not kept("Siete dei zucconi")


def test_an_action_naming_another_comunes_rule_is_refused(two_comuni):
    cagliari, assemini = two_comuni
    acting = moderator(username="mod-cagliari")
    with comune_scope(cagliari):
        citizen = Subscriber.objects.create(number=PHONE, comune=cagliari)
    asseminis_rule = PolicyCategory.all_comuni.get(comune=assemini, code="offensive")

    with comune_scope(cagliari), pytest.raises(NoCategory):
        services.subscriber_warn(actor=acting, categories=[asseminis_rule], subscriber=citizen)
    with comune_scope(cagliari):
        action = services.subscriber_warn(
            actor=acting,
            categories=[PolicyCategory.objects.get(code="offensive")],
            subscriber=citizen,
        )

    rules = action.categories.through.objects.filter(moderationaction=action)
    assert list(rules.values_list("policycategory__comune", flat=True)) == [cagliari.pk]


def _administrator_of(client, comune):
    user = UserFactory(username=f"adm-{comune.slug}", roles=[Role.ADMINISTRATOR], is_staff=True)
    StaffMembership.objects.create(user=user, comune=comune)
    client.force_login(user)
    pass_second_factor(client, user)
    return user


def test_each_comunes_console_lists_and_edits_its_own_lexicon_only(
    two_comuni, client, django_assert_max_num_queries
):
    cagliari, assemini = two_comuni
    _administrator_of(client, cagliari)
    theirs = LexiconEntry.all_comuni.filter(comune=assemini).order_by("pk").first()
    ours = LexiconEntry.all_comuni.filter(comune=cagliari).order_by("pk").first()

    with django_assert_max_num_queries(20):
        listing = client.get("/admin/moderation/lexiconentry/?q=cretin")
    added = client.post(
        "/admin/moderation/lexiconentry/add/", {"word": LOCAL_WORD, "kind": "insult", "note": ""}
    )
    twice = client.post(
        "/admin/moderation/lexiconentry/add/", {"word": LOCAL_WORD, "kind": "insult", "note": ""}
    )
    pages = {
        "own entry": client.get(f"/admin/moderation/lexiconentry/{ours.pk}/change/").status_code,
        "other entry": client.get(
            f"/admin/moderation/lexiconentry/{theirs.pk}/change/"
        ).status_code,
        "other delete": client.post(
            f"/admin/moderation/lexiconentry/{theirs.pk}/delete/", {"post": "yes"}
        ).status_code,
    }

    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1  # "cretino" once: Cagliari's row
    assert added.status_code == 302
    assert LexiconEntry.all_comuni.get(word=LOCAL_WORD).comune == cagliari
    assert twice.status_code == 200 and "già nel lessico del comune" in twice.content.decode()
    assert pages == {"own entry": 200, "other entry": 404, "other delete": 404}
    assert LexiconEntry.all_comuni.filter(pk=theirs.pk).exists()


def test_the_warning_names_the_rules_of_the_citizens_own_comune(two_comuni):
    cagliari, assemini = two_comuni
    with comune_scope(assemini):
        settings_row = ModerationSettings.objects.get()
        settings_row.warning_text = "Avviso di Assemini: {categorie}."
        settings_row.save(update_fields=["warning_text"])
        rule = PolicyCategory.objects.get(code="discrimination")
        in_assemini = services.warning_text(categories=[rule])
    with comune_scope(cagliari):
        in_cagliari = services.warning_text(
            categories=[PolicyCategory.objects.get(code="discrimination")]
        )

    assert in_assemini == "Avviso di Assemini: attacchi a persone, gruppi o minoranze."
    assert "Comune di Cagliari" in in_cagliari
    assert "attacchi a gruppi o minoranze" in in_cagliari


def test_the_seed_import_adds_to_the_named_comunes_lists_only(two_comuni):
    cagliari, assemini = two_comuni
    with comune_scope(assemini):
        services.lexicon_entries_delete(entries=LexiconEntry.objects.filter(word="cretino"))
    out = StringIO()

    call_command("moderation_seed_import", "--comune", "assemini", stdout=out)

    assert "Aggiunte: 1 parole, 0 domini." in out.getvalue()
    assert LexiconEntry.all_comuni.get(word="cretino", comune=assemini)
    assert LexiconEntry.all_comuni.filter(word="cretino", comune=cagliari).count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("no_queued_tasks")
def test_a_comunes_policy_and_lexicon_pages_pass_axe_on_a_laptop_and_a_tablet(
    browser, live_server, two_comuni
):
    from django.test import Client

    from tests.fixtures.browser import SIZES, screenshot, session_context
    from tests.test_console_accessibility import _violations

    _cagliari, assemini = two_comuni
    client = Client()
    _administrator_of(client, assemini)
    failures = {}
    for viewport, suffix in SIZES:
        context = session_context(browser, live_server, client, viewport=viewport)
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/moderation/policycategory/")
        # Assemini's own five rules, not Cagliari's nine.
        assert page.locator("#result_list tbody tr").count() == len(ASSEMINI_RULES)
        failures[f"policy{suffix}"] = _violations(page)
        screenshot(page, f"moderation-policy-comune{suffix}.png")
        page.goto(f"{live_server.url}/admin/moderation/lexiconentry/add/")
        page.fill("#id_word", "cretino")
        with page.expect_navigation():
            page.click("input[name=_save]")
        assert "già nel lessico del comune" in page.locator(".errorlist").first.inner_text()
        failures[f"lexicon duplicate{suffix}"] = _violations(page)
        screenshot(page, f"moderation-lexicon-duplicate{suffix}.png")
        context.close()
    assert failures == {key: [] for key in failures}
