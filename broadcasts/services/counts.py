"""The campaigns' counters (CampaignStateCount): folding the triggers' rows."""

from __future__ import annotations

from django.db import connection

from ..models import CampaignStateCount

# A campaign is folded once it has more rows than this: a read then sums a few hundred rows.
FOLD_ABOVE_ROWS = 200


def campaign_counts_compact(*, min_rows: int = FOLD_ABOVE_ROWS) -> int:
    """Fold each campaign's counter rows into one per state (PostgreSQL; elsewhere there are
    none). One statement per run: the rows it deletes are exactly those it sums, so a row a
    trigger writes meanwhile is left for the next run and no change is lost or counted twice
    (a second run at the same time waits for the first one's rows and finds them gone).
    Returns how many campaigns were folded."""
    if connection.vendor != "postgresql":
        return 0
    table = connection.ops.quote_name(CampaignStateCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH busy AS (
                SELECT campaign_id FROM {table} GROUP BY campaign_id HAVING COUNT(*) > %s
            ),
            gone AS (
                DELETE FROM {table} c USING busy b WHERE c.campaign_id = b.campaign_id
                RETURNING c.campaign_id, c.state, c.n
            )
            INSERT INTO {table} (campaign_id, state, n)
            SELECT campaign_id, state, SUM(n) FROM gone GROUP BY campaign_id, state
            RETURNING campaign_id
            """,  # noqa: S608 (the table's name comes from the model)
            [min_rows],
        )
        return len({row[0] for row in cursor.fetchall()})
