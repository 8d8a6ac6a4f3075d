"""How a webhook body is stored: one hand-written INSERT … ON CONFLICT DO NOTHING RETURNING
(the fast path, bound server-side on PostgreSQL), or Django's ORM when
`URP_DATABASE_FAST_PATHS` is off (the plain path, for a database or a driver the statement does
not suit, and to tell whether a fault is the fast path's). Both store a body once."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field

from ..models import WebhookEvent


def _insert_plain(event: WebhookEvent) -> int | None:
    """The event's new id, or None for a body stored before: the ORM's insert in a savepoint,
    the unique constraint deciding between two deliveries of the same body."""
    try:
        with transaction.atomic():
            event.save(force_insert=True)
    except IntegrityError:
        if WebhookEvent.objects.filter(
            gateway=event.gateway, body_sha256=event.body_sha256
        ).exists():
            event.pk = None
            return None
        raise
    return event.pk


@cache
def _insert_statement(vendor: str, rows: int) -> tuple[str, list[Field]]:
    """INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING RETURNING id, gateway, body_sha256,
    written once per number of rows from the model: a new field needs no change here. Only
    identifiers from the model and placeholders are formatted in; values are parameters."""
    meta = WebhookEvent._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([row] * rows)} "  # noqa: S608
        f"ON CONFLICT ({quote('gateway')}, {quote('body_sha256')}) DO NOTHING "
        f"RETURNING {quote(meta.pk.column)}, {quote('gateway')}, {quote('body_sha256')}"
    )
    return sql, fields


def _insert_once(events: Sequence[WebhookEvent]) -> list[int | None]:
    """Each event's new id, or None for a body stored before (or earlier in `events`). One
    statement, so outside a transaction it is one round trip that commits by itself (the ORM's
    create would add BEGIN and COMMIT, and its IntegrityError path a savepoint)."""
    # Looked up once: every attribute read through the `connection` proxy is a thread-local
    # lookup, and the values below read it about ten times per row.
    conn = connections[DEFAULT_DB_ALIAS]
    sql, fields = _insert_statement(conn.vendor, len(events))
    values = [
        f.get_db_prep_save(f.pre_save(event, add=True), conn) for event in events for f in fields
    ]
    retry_on_dead_connection = not conn.in_atomic_block
    if retry_on_dead_connection:
        # CONN_HEALTH_CHECKS would first send "SELECT 1" on the reused connection: a round trip
        # as long as the INSERT itself. Here the INSERT is the check: on a dead connection it
        # fails without writing, and it is sent once more on a new one. (A connection that died
        # after the commit leaves stored events that the retry finds as duplicates and does
        # not enqueue: inbound_sweep does.)
        # (An attribute of Django's connection that django-stubs does not declare.)
        conn.health_check_done = True  # type: ignore[attr-defined]
    for attempt in (1, 2):
        try:
            rows = _execute_returning(conn, sql, values)
            break
        except (OperationalError, InterfaceError):
            if not retry_on_dead_connection or attempt == 2:
                raise
            conn.close()
    new_ids = {(gateway, sha): pk for pk, gateway, sha in rows}
    # A body repeated within `events` is stored once: its first occurrence gets the new id.
    return [new_ids.pop((event.gateway, event.body_sha256), None) for event in events]


def _execute_returning(conn: BaseDatabaseWrapper, sql: str, values: list) -> list[tuple]:
    if conn.vendor != "postgresql":
        with conn.cursor() as cursor:
            cursor.execute(sql, values)
            return cursor.fetchall()
    from psycopg import Cursor as ServerBindingCursor

    # Server-side binding: the values travel beside the statement (the body as binary bytea)
    # instead of being quoted into its text in Python, which Django's default client-side
    # cursor does for each of the 9 values of each row. With Django's cursor wrapper left out
    # too, the INSERT costs the web process about a third less CPU (one row 210 -> 135 us,
    # three rows 290 -> 185 us, measured in process). Its errors are still Django's
    # (wrap_database_errors); DEBUG's query log does not list it.
    conn.ensure_connection()
    with conn.wrap_database_errors, ServerBindingCursor(conn.connection) as cursor:
        cursor.execute(sql, values)
        return cursor.fetchall()
