"""The data of benchmarks/inbox.py: 100,000 tickets and 1,000,000 messages written with
INSERT ... SELECT generate_series, their texts made of the words below."""

from __future__ import annotations

import time

TICKETS = 100_000
MESSAGES = 1_000_000
SHORT_CHAT, LONG_CHAT = 30, 300

# Words the citizens' messages are made of; "carrabile" is rare (about 1 message in 500), "buca"
# common (about 1 in 12): the text search is measured with both.
OPENINGS = [
    "Buongiorno",
    "Salve",
    "Buonasera",
    "Gentile URP",
    "Ciao",
    "Scusate il disturbo",
    "Vi scrivo perché",
    "Avrei bisogno di sapere",
    "Grazie mille",
    "Per cortesia",
    "Volevo segnalare che",
    "Posso chiedere se",
]
SUBJECTS = [
    "il certificato di residenza",
    "la carta d'identità elettronica",
    "la TARI di quest'anno",
    "l'IMU della seconda casa",
    "una buca in via Roma",
    "il lampione spento in piazza Garibaldi",
    "la mensa scolastica",
    "il contributo per l'affitto",
    "una multa per divieto di sosta",
    "gli orari dell'anagrafe",
    "il ritiro dei rifiuti ingombranti",
    "l'iscrizione all'asilo nido",
]
ENDINGS = [
    "è urgente.",
    "quando posso passare?",
    "non ho ricevuto risposta.",
    "potete richiamarmi?",
    "grazie per l'attenzione.",
    "serve un appuntamento?",
    "dove trovo il modulo?",
    "è ancora valido?",
    "c'è una scadenza?",
    "vi allego la foto.",
    "saluti.",
]


def _defaults_for_other_columns(model, given: set[str]) -> tuple[list[str], list]:
    """Columns the INSERT does not name, with their model defaults: a field added later (with a
    default) does not break the benchmark."""
    from django.db import connection

    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.column in given or field.primary_key:
            continue
        if field.null and not field.has_default():
            continue
        columns.append(field.column)
        values.append(field.get_db_prep_save(field.get_default(), connection))
    return columns, values


def _insert_select(cursor, model, expressions: dict[str, str], source: str, params=()) -> None:
    other_columns, other_values = _defaults_for_other_columns(model, set(expressions))
    columns = [*expressions, *other_columns]
    # The expressions hold no placeholder: their modulo signs are doubled for the driver.
    select = [
        *(e.replace("%", "%%") for e in expressions.values()),
        *(["%s"] * len(other_values)),
    ]
    cursor.execute(
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(select)} FROM {source.replace('%', '%%')}",
        [*other_values, *params],
    )


def _sql_array(words: list[str]) -> str:
    quoted = ", ".join("'" + w.replace("'", "''") + "'" for w in words)
    return f"(ARRAY[{quoted}])"


def _fill(operator) -> dict[str, int]:
    """100,000 tickets (most of them finished, as in a real year) and 1,000,000 messages."""
    from django.db import connection, transaction

    from subscribers.models import Subscriber
    from tickets.models import Message, MunicipalService, Ticket

    if Ticket.objects.count() >= TICKETS:
        short_id, long_id = Ticket.objects.order_by("pk").values_list("pk", flat=True)[
            :2
        ]  # the two chats
        return {"short": short_id, "long": long_id}
    service_ids = list(MunicipalService.objects.values_list("pk", flat=True))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        base = Subscriber.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        _insert_select(
            cursor,
            Subscriber,
            {
                "number": "'+39320' || lpad(g::text, 7, '0')",
                "first_name": f"{_sql_array(['Anna', 'Marco', 'Giulia', 'Luca', 'Sara', 'Paolo'])}"
                "[1 + g % 6]",
                "last_name": f"{_sql_array(['Piras', 'Melis', 'Serra', 'Deiana', 'Loi', 'Pinna'])}"
                "[1 + (g / 6) % 6]",
                "profile_name": "'cittadino ' || g",
                "first_contact_at": "now() - (g * interval '5 minutes')",
                "last_inbound_at": "now() - (g * interval '5 minutes')",
                "created_at": "now()",
                "updated_at": "now()",
            },
            f"generate_series(1, {TICKETS}) AS g",
        )
        # States as a year of work leaves them: 5% new, 10% open, 3% forwarded, 2% waiting,
        # 1% answered by the service, the rest resolved or closed. Pending tickets are recent.
        state = (
            "CASE WHEN g % 100 < 5 THEN 'new' WHEN g % 100 < 15 THEN 'open' "
            "WHEN g % 100 < 18 THEN 'forwarded' WHEN g % 100 < 20 THEN 'waiting_citizen' "
            "WHEN g % 100 < 21 THEN 'answered_by_service' WHEN g % 100 < 90 THEN 'resolved' "
            "ELSE 'closed' END"
        )
        opened = (
            "CASE WHEN g % 100 < 21 THEN now() - ((g % 7200) * interval '1 minute') "
            "ELSE now() - (g * interval '5 minutes') END"
        )
        services = _sql_array([str(pk) for pk in service_ids]) if service_ids else "NULL"
        _insert_select(
            cursor,
            Ticket,
            {
                "subscriber_id": f"{base} + g",
                "state": state,
                "category": "''",
                "service_id": f"CASE WHEN g % 3 = 0 THEN {services}[1 + g % {len(service_ids)}]"
                "::bigint END"
                if service_ids
                else "NULL",
                "assignee_id": f"CASE WHEN g % 2 = 0 THEN {operator.pk} END",
                "opened_at": opened,
                "due_at": f"{opened} + interval '2 days'",
                "last_inbound_at": opened,
                "last_message_at": f"{opened} + interval '1 hour'",
                "resolved_at": f"CASE WHEN g % 100 BETWEEN 21 AND 89 THEN {opened} END",
                "closed_at": f"CASE WHEN g % 100 >= 90 THEN {opened} END",
                "closing_reason": "CASE WHEN g % 100 >= 90 THEN 'official_channel' ELSE '' END",
            },
            f"generate_series(1, {TICKETS}) AS g",
        )
        first = Ticket.objects.order_by("pk").values_list("pk", flat=True).first()
        assert first is not None
        short_id, long_id = first, first + 1
        text = (
            f"{_sql_array(OPENINGS)}[1 + g % {len(OPENINGS)}] || ', ' || "
            f"{_sql_array(SUBJECTS)}[1 + (g / 7) % {len(SUBJECTS)}] || ': ' || "
            f"{_sql_array(ENDINGS)}[1 + (g / 3) % {len(ENDINGS)}] || "
            "CASE WHEN g % 500 = 0 THEN ' Riguarda il passo carrabile.' ELSE '' END"
        )
        # The two measured chats first, then the rest spread over every other ticket.
        rest = MESSAGES - SHORT_CHAT - LONG_CHAT
        for ticket_id, count in ((short_id, SHORT_CHAT), (long_id, LONG_CHAT)):
            _insert_select(
                cursor,
                Message,
                {
                    "ticket_id": str(ticket_id),
                    "origin": "CASE WHEN g % 3 = 0 THEN 'operator' ELSE 'citizen' END",
                    "text": text,
                    "at": "now() - ((1000 - g) * interval '1 minute')",
                },
                f"generate_series(1, {count}) AS g",
            )
        others = TICKETS - 2
        _insert_select(
            cursor,
            Message,
            {
                "ticket_id": f"{first + 2} + g % {others}",
                "origin": "CASE WHEN g % 3 = 0 THEN 'operator' ELSE 'citizen' END",
                "text": text,
                "at": f"now() - ((g % {others}) * interval '5 minutes') + (g / {others}) "
                "* interval '1 minute'",
            },
            f"generate_series(1, {rest}) AS g",
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"filled in {time.perf_counter() - started:.0f} s")
    return {"short": short_id, "long": long_id}
