"""The inbox's search by name over a hundred thousand citizens: trigram indexes on PostgreSQL.

The admin's search asks `UPPER(name) LIKE UPPER('%word%')` of the first name, the last name and
the WhatsApp profile name; a GIN trigram index on each expression answers it without reading
every citizen. Other databases (SQLite, the embedded default) keep the plain scan: nothing is
created there.
"""

from django.db import migrations

COLUMNS = ["first_name", "last_name", "profile_name"]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS subscriber_{column}_trgm "
            f"ON subscribers_subscriber USING gin (UPPER({column}) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS subscriber_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("subscribers", "0003_append_only_triggers")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
