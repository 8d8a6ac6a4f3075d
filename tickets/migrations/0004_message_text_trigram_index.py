"""The inbox's text search over a million messages: a trigram index on PostgreSQL.

The admin's search asks `UPPER(text) LIKE UPPER('%word%')`; a GIN trigram index on the same
expression answers it without reading every message. Other databases (SQLite, the embedded
default) keep the plain scan: nothing is created there.
"""

from django.db import migrations

INDEX = "ticket_message_text_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON tickets_message USING gin (UPPER(text) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_message_moderation_note_removed_at")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
