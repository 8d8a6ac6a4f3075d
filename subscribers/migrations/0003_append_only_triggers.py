"""On PostgreSQL the consent ledger, the privacy notice versions and the audit of data subject
requests refuse UPDATE and DELETE in the database itself, so not even raw SQL or another client
rewrites them. SQLite (the embedded default) relies on the models' own refusals.

TRUNCATE is left alone on purpose: it is how Django's test runner and `flush` empty a database,
and it is not something the application or an operator's client does by accident."""

from django.db import migrations

APPEND_ONLY_TABLES = [
    "subscribers_consentrecord",
    "subscribers_privacynotice",
    "subscribers_datasubjectrequest",
]

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION subscribers_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""

CREATE_TRIGGER = """
CREATE TRIGGER {table}_append_only
BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION subscribers_refuse_change();
"""

DROP_TRIGGER = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)
    for table in APPEND_ONLY_TABLES:
        schema_editor.execute(CREATE_TRIGGER.format(table=table))


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY_TABLES:
        schema_editor.execute(DROP_TRIGGER.format(table=table))
    schema_editor.execute("DROP FUNCTION IF EXISTS subscribers_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [
        ("subscribers", "0002_identity_consent_ledger_erasure"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
    ]
