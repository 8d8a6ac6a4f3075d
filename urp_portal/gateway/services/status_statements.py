"""The status groups' write of the outbox rows they move, as one UPDATE ... FROM (VALUES ...) on
PostgreSQL; Django's bulk_update beside it is the plain path (URP_DATABASE_FAST_PATHS off, or
another database).

Why: bulk_update writes `SET field = CASE WHEN id = 1 THEN ... WHEN id = 2 THEN ... END` for
every field, and builds each WHEN as an ORM expression (a Q, resolved, copied, compiled): for a
group of statuses that was four fifths of the statuses worker's CPU (about 0.8 of 1.0 ms per
status event, benchmarks/storm_unit_costs.py). Here the statement's text depends only on the
fields and the number of rows, and each value is a parameter, cast to its column's type.

Both paths write the same values to the same rows: every row gets every field of `fields`
from its object (rows read under lock by the caller), so a row whose field did not change is
written its own value, as bulk_update does. The counters' trigger sees one UPDATE either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Field

from ..models import OutboundMessage

# Rows per statement (bulk_update's batch_size on the plain path).
BATCH = 500


def outbound_rows_write(rows: Sequence[OutboundMessage], fields: Sequence[str]) -> None:
    """Write `fields` of these outbox rows (locked by the caller) from their objects."""
    if not rows or not fields:
        return
    if not (settings.URP_DATABASE_FAST_PATHS and connection.vendor == "postgresql"):
        OutboundMessage.objects.bulk_update(rows, list(fields), batch_size=BATCH)
        return
    meta = OutboundMessage._meta
    quote = connection.ops.quote_name
    model_fields = [field for field in meta.concrete_fields if field.name in set(fields)]
    if len(model_fields) != len(set(fields)):
        raise ValueError(f"not columns of the outbox: {sorted(fields)}")
    pk = meta.pk
    assert pk is not None
    columns = ", ".join(quote(f.column) for f in [pk, *model_fields])  # the VALUES' names
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in model_fields)
    every: list[Field] = [pk, *model_fields]
    casts = [f.db_type(connection) for f in every]
    row_sql = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            params: list[Any] = []
            for row in chunk:
                params.append(row.pk)
                for field in model_fields:
                    params.append(field.get_db_prep_save(getattr(row, field.attname), connection))
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES "  # noqa: S608 (names from the model)
                + ", ".join([row_sql] * len(chunk))
                + f") AS v({columns}) WHERE {table}.{quote(pk.column)} = v.{quote(pk.column)}",
                params,
            )
