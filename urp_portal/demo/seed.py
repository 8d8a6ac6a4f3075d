"""A realistic Italian data set for the demo. Idempotent: running it twice adds nothing."""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from subscribers.models import Subscriber
from subscribers.states import SubscriberStatus
from tickets.models import CannedAnswer, MunicipalService, Ticket
from tickets.services.conversation import ticket_reply_canned, ticket_resolve
from tickets.services.forwarding import forward_answer, ticket_forward
from tickets.states import MessageOrigin
from urp_portal.accounts.roles import GROUP_NAMES, Role
from urp_portal.accounts.second_factor import ROLES_THAT_MUST_ENROL
from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.pipeline import inbound_message_run_pipeline
from urp_portal.gateway.states import MessageKind
from urp_portal.municipality.selectors import municipality_calendar, municipality_get_active

DEMO_PASSWORD = "urp-demo-2026"  # noqa: S105 - printed on purpose: demo accounts only
# The demo's administrator and moderator must pass the second factor like real ones: their
# authenticator devices share this published key, so `manage.py demo_totp` can print the current
# code (or a phone can scan it). Demo accounts only, like the password.
DEMO_TOTP_KEY = "7572702d64656d6f2d746f74702d6b65792d3236"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: Role
    superuser: bool = False


DEMO_USERS = [
    DemoUser("admin", "Paola", "Serra", Role.ADMINISTRATOR, superuser=True),
    DemoUser("operatore", "Marco", "Pinna", Role.OPERATOR),
    DemoUser("comunicazione", "Giulia", "Melis", Role.COMMUNICATIONS),
    DemoUser("moderatore", "Andrea", "Loi", Role.MODERATOR),
    DemoUser("anagrafe", "Franca", "Usai", Role.SERVICE),
]

DEMO_CITIZENS = [
    ("+393401234501", "Maria Rossi", SubscriberStatus.SUBSCRIBED),
    ("+393471234502", "Giuseppe Sanna", SubscriberStatus.SUBSCRIBED),
    ("+393291234503", "Antonella Piras", SubscriberStatus.CONTACT),
    ("+393351234504", "Luca Murgia", SubscriberStatus.SUBSCRIBED),
    ("+393921234505", "Francesca Deiana", SubscriberStatus.CONTACT),
    ("+393661234506", "Salvatore Cocco", SubscriberStatus.UNSUBSCRIBED),
]


def seed_users() -> list[DemoUser]:
    User = get_user_model()
    for demo in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@comune.example.it",
                "is_staff": True,
                "is_superuser": demo.superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=GROUP_NAMES[demo.role]))
        if demo.role in ROLES_THAT_MUST_ENROL:
            TOTPDevice.objects.get_or_create(
                user=user, name="Demo", defaults={"key": DEMO_TOTP_KEY, "confirmed": True}
            )
    return DEMO_USERS


def seed_citizens() -> None:
    now = timezone.now()
    for number, name, status in DEMO_CITIZENS:
        Subscriber.objects.get_or_create(
            number=number,
            defaults={
                "profile_name": name,
                "status": status,
                "first_contact_at": now - timedelta(days=30),
                "last_inbound_at": now - timedelta(days=2),
                "subscribed_at": (
                    now - timedelta(days=20) if status == SubscriberStatus.SUBSCRIBED else None
                ),
            },
        )


CANNED_ANSWERS = [
    (
        "Presa in carico",
        "Gentile {nome}, abbiamo ricevuto la sua richiesta e la stiamo verificando con l'ufficio "
        "competente. Le risponderemo al più presto.",
    ),
    (
        "Carta d'identità elettronica",
        "Gentile {nome}, la carta d'identità elettronica si richiede su appuntamento presso "
        "l'Anagrafe: prenoti sull'Agenda del Ministero dell'Interno e porti una fototessera e la "
        "vecchia carta. Il costo è di 22,21 euro.",
    ),
    (
        "Orari dell'URP",
        "Gentile {nome}, l'URP su WhatsApp risponde {orari}. Grazie per averci scritto.",
    ),
]

SAMPLES = Path(__file__).resolve().parent.parent / "simulator" / "samples"


@dataclass(frozen=True)
class DemoConversation:
    number: str
    text: str
    days_ago: int
    kind: str = MessageKind.TEXT
    sample: str = ""
    reply: str = ""
    forward_to: str = ""
    service_answer: str = ""


DEMO_CONVERSATIONS = [
    DemoConversation(
        "+393401234501",
        "Buongiorno, vorrei rinnovare la carta d'identità che scade a dicembre: come devo fare?",
        # Today: a free-text answer needs the 24-hour window open.
        days_ago=0,
        reply="Carta d'identità elettronica",
    ),
    DemoConversation(
        "+393471234502",
        "In via Dante all'incrocio con via Sonnino c'è una buca enorme, pericolosa per i motorini",
        days_ago=1,
        kind=MessageKind.IMAGE,
        sample="buca.jpg",
        forward_to="lavori-pubblici",
    ),
    DemoConversation(
        "+393291234503",
        "Ho ricevuto l'avviso TARI 2026 ma l'importo è il doppio dell'anno scorso, a chi mi "
        "devo rivolgere?",
        days_ago=2,
        forward_to="tributi",
        service_answer=(
            "L'avviso comprende anche il conguaglio del 2025: l'importo è corretto. Può chiedere "
            "la rateizzazione all'Ufficio Tributi entro la scadenza della prima rata."
        ),
    ),
    DemoConversation("+393351234504", "", days_ago=4, kind=MessageKind.VOICE, sample="vocale.ogg"),
    DemoConversation(
        "+393921234505",
        "Buongiorno, quando riapre la mensa scolastica della scuola di via Is Mirrionis?",
        days_ago=0,
    ),
]


def _citizen_writes(conversation: DemoConversation, index: int) -> InboundMessage:
    sent_at = timezone.now() - timedelta(days=conversation.days_ago, hours=1)
    message = InboundMessage.objects.create(
        provider_id=f"wamid.DEMO.{index}",
        sender=conversation.number,
        profile_name=Subscriber.objects.get(number=conversation.number).profile_name,
        sent_at=sent_at,
        kind=conversation.kind,
        text=conversation.text,
    )
    if conversation.sample:
        content = (SAMPLES / conversation.sample).read_bytes()
        mime = "image/jpeg" if conversation.sample.endswith(".jpg") else "audio/ogg"
        message.media_mime_type = mime
        message.media_file.save(conversation.sample, ContentFile(content), save=True)
    inbound_message_run_pipeline(message_id=message.pk)
    return message


def _backdate(ticket: Ticket, opened_at) -> None:
    """The pipeline runs now; move the demo ticket to the day its message was written."""
    municipality = municipality_get_active()
    due_at = municipality_calendar(municipality).add_working_days(
        opened_at, municipality.answer_deadline_working_days
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        opened_at=opened_at, last_message_at=opened_at, last_inbound_at=opened_at, due_at=due_at
    )
    ticket.messages.filter(origin=MessageOrigin.CITIZEN).update(at=opened_at)


def seed_conversations() -> None:
    if InboundMessage.objects.filter(provider_id__startswith="wamid.DEMO.").exists():
        return
    for title, text in CANNED_ANSWERS:
        CannedAnswer.objects.get_or_create(title=title, defaults={"text": text})
    User = get_user_model()
    operator = User.objects.get(username="operatore")
    service_staff = User.objects.get(username="anagrafe")
    for slug in ("anagrafe", "tributi"):
        MunicipalService.objects.get(slug=slug).staff.add(service_staff)
    municipality = municipality_get_active()
    for index, conversation in enumerate(DEMO_CONVERSATIONS, start=1):
        message = _citizen_writes(conversation, index)
        ticket = Ticket.objects.filter(messages__inbound=message).first()
        if ticket is None:
            continue
        _backdate(ticket, message.sent_at)
        if conversation.reply:
            answer = CannedAnswer.objects.get(title=conversation.reply)
            ticket_reply_canned(
                ticket=ticket, actor=operator, answer=answer, municipality=municipality
            )
            ticket_resolve(ticket=ticket, actor=operator)
        if conversation.forward_to:
            forward = ticket_forward(
                ticket=ticket,
                service=MunicipalService.objects.get(slug=conversation.forward_to),
                note="Può verificare e rispondere al cittadino? Grazie.",
                actor=operator,
                site_url=f"http://127.0.0.1:{settings.DEMO_PORT}",
            )
            if conversation.service_answer:
                forward_answer(
                    forward=forward,
                    actor=service_staff,
                    text=conversation.service_answer,
                    municipality=municipality,
                )


# Approved templates, as if Meta had reviewed them: a reply after 24 hours and the broadcasts.
DEMO_TEMPLATES = [
    (
        "aggiornamento_richiesta",
        "utility",
        "Gentile {{1}}, la sua richiesta {{2}} all'URP è stata aggiornata: {{3}}.",
        ["Maria", "n. 42", "la pratica è pronta per il ritiro"],
    ),
    (
        "avviso_servizio",
        "utility",
        "*Comune informa*\n{{1}}: {{2}}.",
        ["Raccolta rifiuti", "sospesa lunedì per la festa del patrono"],
    ),
    (
        "notizie_settimana",
        "marketing",
        "*Notizie dal Comune*\n{{1}}\nInfo: {{2}}",
        ["Sabato apre la nuova biblioteca di quartiere.", "www.comune.example.it"],
    ),
]


def seed_templates() -> None:
    from broadcasts.models import MessageTemplate
    from broadcasts.states import TemplateApproval

    now = timezone.now()
    for name, category, body, examples in DEMO_TEMPLATES:
        MessageTemplate.objects.get_or_create(
            name=name,
            language="it",
            defaults={
                "category": category,
                "body": body,
                "examples": examples,
                "approval_status": TemplateApproval.APPROVED,
                "status_changed_at": now,
            },
        )


@transaction.atomic
def seed_demo() -> list[DemoUser]:
    # The active comune's data, in its scope: once the other demo comuni are bound to their
    # numbers (demo/comuni.py), a second `make demo` must not read or write unscoped.
    from urp_portal.municipality.models import Municipality
    from urp_portal.municipality.scope import comune_scope

    with comune_scope(Municipality.objects.filter(is_active=True).first()):
        users = seed_users()
        seed_citizens()
        seed_templates()
        seed_conversations()
    return users
