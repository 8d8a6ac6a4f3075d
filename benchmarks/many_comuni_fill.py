"""The data of benchmarks/many_comuni.py: 100 comuni bound to their numbers, 1,000,000 tickets
(one big comune with 20%, 99 small ones by Zipf's law), one subscriber and one citizen's message
per ticket, written with INSERT ... SELECT generate_series (a few minutes); the tickets' search
documents come from the production triggers (tickets migration 0007)."""

from __future__ import annotations

import time

from benchmarks.inbox_data import ENDINGS, OPENINGS, SUBJECTS, _insert_select, _sql_array

COMUNI = 100
TICKETS = 1_000_000
BIG_SHARE = 0.20


def spread() -> list[int]:
    """Tickets per comune: the big one first, then Zipf (1/k) over the 99 small ones."""
    big = int(TICKETS * BIG_SHARE)
    weights = [1 / k for k in range(1, COMUNI)]
    total = sum(weights)
    small = [max(1, int((TICKETS - big) * w / total)) for w in weights]
    small[-1] += TICKETS - big - sum(small)
    return [big, *small]


def fill() -> None:
    from django.db import connection, transaction

    from subscribers.models import Subscriber
    from tickets.models import Message, Ticket
    from urp_portal.municipality.models import Municipality
    from urp_portal.municipality.services import (
        municipality_load_preset,
        municipality_load_preset_for_number,
    )

    if Ticket._base_manager.exists():
        return
    started = time.perf_counter()
    # The deployment's own comune (active, no tickets here) and the 100 bound to numbers.
    municipality_load_preset(slug="cagliari")
    comuni = [
        municipality_load_preset_for_number(
            preset="assemini" if n else "cagliari",
            comune_slug=f"comune-{n:03d}",
            phone_number_id=f"10{n:013d}",
        )
        for n in range(COMUNI)
    ]
    Municipality.objects.filter(slug="comune-000").update(name="Grande")
    print(f"comuni in {time.perf_counter() - started:.0f} s")
    state = (
        "CASE WHEN g % 100 < 5 THEN 'new' WHEN g % 100 < 15 THEN 'open' "
        "WHEN g % 100 < 18 THEN 'forwarded' WHEN g % 100 < 20 THEN 'waiting_citizen' "
        "WHEN g % 100 < 21 THEN 'answered_by_service' WHEN g % 100 < 90 THEN 'resolved' "
        "ELSE 'closed' END"
    )
    opened = (
        "CASE WHEN g % 100 < 21 THEN now() - ((g % 7200) * interval '1 minute') "
        "ELSE now() - ((g % 100000) * interval '5 minutes') END"
    )
    text = (
        f"{_sql_array(OPENINGS)}[1 + g % {len(OPENINGS)}] || ', ' || "
        f"{_sql_array(SUBJECTS)}[1 + (g / 7) % {len(SUBJECTS)}] || ': ' || "
        f"{_sql_array(ENDINGS)}[1 + (g / 3) % {len(ENDINGS)}] || "
        "CASE WHEN g % 500 = 0 THEN ' Riguarda il passo carrabile.' ELSE '' END"
    )
    names = _sql_array(["Anna", "Marco", "Giulia", "Luca", "Sara", "Paolo"])
    surnames = _sql_array(["Piras", "Melis", "Serra", "Deiana", "Loi", "Pinna"])
    with transaction.atomic(), connection.cursor() as cursor:
        first = 1
        for comune, count in zip(comuni, spread(), strict=True):
            last = first + count - 1
            source = f"generate_series({first}, {last}) AS g"
            # Half of the big comune's citizens on the broadcast list, 30% elsewhere.
            share = 50 if comune.slug == "comune-000" else 30
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {Subscriber._meta.db_table}")
            before = cursor.fetchone()[0]
            _insert_select(
                cursor,
                Subscriber,
                {
                    "comune_id": str(comune.pk),
                    "number": "'+39320' || lpad(g::text, 7, '0')",
                    "status": f"CASE WHEN g % 100 < {share} THEN 'subscribed' ELSE 'contact' END",
                    "subscribed_at": f"CASE WHEN g % 100 < {share} THEN now() END",
                    "first_name": f"{names}[1 + g % 6]",
                    "last_name": f"{surnames}[1 + (g / 6) % 6]",
                    "profile_name": "'cittadino ' || g",
                    "first_contact_at": "now() - ((g % 100000) * interval '5 minutes')",
                    "last_inbound_at": "now() - ((g % 100000) * interval '5 minutes')",
                    "created_at": "now()",
                    "updated_at": "now()",
                },
                source,
            )
            _insert_select(
                cursor,
                Ticket,
                {
                    "comune_id": str(comune.pk),
                    "subscriber_id": f"{before - first + 1} + g",
                    "state": state,
                    "category": "''",
                    "opened_at": opened,
                    "due_at": f"{opened} + interval '2 days'",
                    "last_inbound_at": opened,
                    "last_message_at": f"{opened} + interval '1 hour'",
                    "resolved_at": f"CASE WHEN g % 100 BETWEEN 21 AND 89 THEN {opened} END",
                    "closed_at": f"CASE WHEN g % 100 >= 90 THEN {opened} END",
                    "closing_reason": "CASE WHEN g % 100 >= 90 THEN 'official_channel' ELSE '' END",
                    "unread_count": "CASE WHEN g % 100 < 3 THEN 1 ELSE 0 END",
                },
                source,
            )
            first = last + 1
        ticket_first = Ticket._base_manager.order_by("pk").values_list("pk", flat=True)[0]
        print(f"subscribers and tickets in {time.perf_counter() - started:.0f} s")
        _insert_select(
            cursor,
            Message,
            {
                "ticket_id": f"{ticket_first - 1} + g",
                "origin": "'citizen'",
                "text": text,
                "at": "now() - ((g % 100000) * interval '5 minutes')",
            },
            f"generate_series(1, {TICKETS}) AS g",
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"filled in {time.perf_counter() - started:.0f} s")
