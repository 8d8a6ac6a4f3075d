"""The inbox's search per ticket, not per message: PostgreSQL full-text search.

Each ticket has one `tsvector` (TicketSearch.document) under a GIN index: its citizen's names
and the words of its visible messages. A word costs one index look-up whatever the number of
messages that contain it, and a search of several words is one look-up of all of them. The
words are neither stemmed nor stripped of stop words ("simple"), only lower-cased and freed of
their accents (unaccent): an operator finds "perché" typing "perche", and what they type is what
is looked for (tickets/selectors.py says why not the Italian stemmer).

The documents are kept by triggers, not by the services, so that every way of writing is
covered: the inbound pipeline, a reply or a note, a moderator's removal and restore (a bulk
`update`), an erasure (bulk updates of the texts and the names), a data fix in SQL. They work
per statement on its transition tables: a bulk write rebuilds each touched ticket once.

- a new ticket gets its document with its citizen's names;
- a new message appends its words to its ticket's document: neither the message nor the rest of
  the chat is read back;
- a message whose text, removal or ticket changes, or that is deleted, and a citizen whose names
  change, rebuild the document from the names and the visible messages, after locking it, so
  that the rebuild's snapshot sees every message a concurrent transaction appended;
- a document holds the first SEARCHED_CHARACTERS of the text only: a tsvector cannot pass 1 MB,
  and a message must never be refused because its chat is too long to index.

Other databases (SQLite, the embedded default) get the empty table: they search the messages.
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

LIMIT = 100_000  # tickets.models.SEARCHED_CHARACTERS when this was written

SETUP = f"""
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION tickets_search (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION tickets_search
    ALTER MAPPING FOR word, numword, hword, numhword, hword_part, hword_numpart
    WITH unaccent, simple;

CREATE INDEX ticket_search_document ON tickets_ticketsearch USING gin (document);

CREATE FUNCTION tickets_search_rebuild(ticket_ids bigint[], create_missing boolean)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- Locked first: the next statement's snapshot, taken once the locks are held, sees every
    -- message of a transaction that appended to these documents before us.
    PERFORM 1 FROM tickets_ticketsearch WHERE ticket_id = ANY (ticket_ids)
        ORDER BY ticket_id FOR UPDATE;
    WITH chats AS (
        SELECT t.id AS ticket_id, concat_ws(' ', c.first_name, c.last_name, c.profile_name, (
            SELECT string_agg(m.text, ' ' ORDER BY m.at, m.id) FROM tickets_message m
            WHERE m.ticket_id = t.id AND m.removed_at IS NULL AND m.text <> ''
        )) AS words
        FROM tickets_ticket t JOIN subscribers_subscriber c ON c.id = t.subscriber_id
        WHERE t.id = ANY (ticket_ids)
    )
    INSERT INTO tickets_ticketsearch AS s (ticket_id, document, characters)
    SELECT ticket_id, to_tsvector('tickets_search', left(words, {LIMIT})),
           least(char_length(words), {LIMIT})
    FROM chats
    WHERE create_missing
        OR EXISTS (SELECT 1 FROM tickets_ticketsearch e WHERE e.ticket_id = chats.ticket_id)
    ON CONFLICT (ticket_id) DO UPDATE
        SET document = EXCLUDED.document, characters = EXCLUDED.characters;
END $$;

CREATE FUNCTION tickets_search_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tickets_ticketsearch AS s (ticket_id, document, characters)
    SELECT ticket_id, to_tsvector('tickets_search', left(words, {LIMIT})),
           least(char_length(words), {LIMIT})
    FROM (
        SELECT ticket_id, string_agg(text, ' ' ORDER BY at, id) AS words FROM added
        WHERE removed_at IS NULL AND text <> '' GROUP BY ticket_id
    ) AS chats
    ON CONFLICT (ticket_id) DO UPDATE
        SET document = CASE WHEN s.characters + EXCLUDED.characters <= {LIMIT}
                            THEN s.document || EXCLUDED.document ELSE s.document END,
            characters = CASE WHEN s.characters + EXCLUDED.characters <= {LIMIT}
                              THEN s.characters + EXCLUDED.characters ELSE s.characters END;
    RETURN NULL;
END $$;

CREATE FUNCTION tickets_search_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched bigint[];
BEGIN
    SELECT array_agg(DISTINCT id) INTO touched FROM (
        SELECT unnest(ARRAY[o.ticket_id, n.ticket_id]) AS id
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE o.text IS DISTINCT FROM n.text
            OR (o.removed_at IS NULL) <> (n.removed_at IS NULL)
            OR o.ticket_id <> n.ticket_id
    ) AS changed;
    IF touched IS NOT NULL THEN
        PERFORM tickets_search_rebuild(touched, true);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION tickets_search_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched bigint[];
BEGIN
    SELECT array_agg(DISTINCT ticket_id) INTO touched FROM old_rows
    WHERE removed_at IS NULL AND text <> '';
    -- Rebuilt, never created: the ticket itself may be on its way out (its document first).
    IF touched IS NOT NULL THEN
        PERFORM tickets_search_rebuild(touched, false);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION tickets_search_on_ticket_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tickets_search_rebuild(ARRAY(SELECT id FROM added), true);
    RETURN NULL;
END $$;

CREATE FUNCTION tickets_search_on_names_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tickets_search_rebuild(
        ARRAY(SELECT id FROM tickets_ticket WHERE subscriber_id = NEW.id), false
    );
    RETURN NULL;
END $$;

CREATE TRIGGER tickets_ticket_search_insert AFTER INSERT ON tickets_ticket
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_on_ticket_insert();
-- Per row with a condition: a citizen's row changes at every message (the time of their last
-- one), their names almost never.
CREATE TRIGGER tickets_subscriber_search_names AFTER UPDATE ON subscribers_subscriber
    FOR EACH ROW WHEN (
        (OLD.first_name, OLD.last_name, OLD.profile_name)
        IS DISTINCT FROM (NEW.first_name, NEW.last_name, NEW.profile_name)
    ) EXECUTE FUNCTION tickets_search_on_names_update();
CREATE TRIGGER tickets_message_search_insert AFTER INSERT ON tickets_message
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_on_insert();
CREATE TRIGGER tickets_message_search_update AFTER UPDATE ON tickets_message
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_on_update();
CREATE TRIGGER tickets_message_search_delete AFTER DELETE ON tickets_message
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_on_delete();
"""

# Every ticket in one statement, once the triggers hold the writers still (CREATE TRIGGER locks
# them out until the migration commits): nothing written meanwhile is missed.
FILL = f"""
INSERT INTO tickets_ticketsearch (ticket_id, document, characters)
SELECT id, to_tsvector('tickets_search', left(words, {LIMIT})), least(char_length(words), {LIMIT})
FROM (
    SELECT t.id, concat_ws(' ', c.first_name, c.last_name, c.profile_name, m.words) AS words
    FROM tickets_ticket t JOIN subscribers_subscriber c ON c.id = t.subscriber_id
    LEFT JOIN (
        SELECT ticket_id, string_agg(text, ' ' ORDER BY at, id) AS words FROM tickets_message
        WHERE removed_at IS NULL AND text <> '' GROUP BY ticket_id
    ) AS m ON m.ticket_id = t.id
) AS chats
ON CONFLICT (ticket_id) DO NOTHING;
"""

TEARDOWN = """
DROP TRIGGER IF EXISTS tickets_message_search_insert ON tickets_message;
DROP TRIGGER IF EXISTS tickets_message_search_update ON tickets_message;
DROP TRIGGER IF EXISTS tickets_message_search_delete ON tickets_message;
DROP TRIGGER IF EXISTS tickets_ticket_search_insert ON tickets_ticket;
DROP TRIGGER IF EXISTS tickets_subscriber_search_names ON subscribers_subscriber;
DROP FUNCTION IF EXISTS tickets_search_on_ticket_insert();
DROP FUNCTION IF EXISTS tickets_search_on_names_update();
DROP FUNCTION IF EXISTS tickets_search_on_insert();
DROP FUNCTION IF EXISTS tickets_search_on_update();
DROP FUNCTION IF EXISTS tickets_search_on_delete();
DROP FUNCTION IF EXISTS tickets_search_rebuild(bigint[], boolean);
DROP INDEX IF EXISTS ticket_search_document;
DROP TEXT SEARCH CONFIGURATION IF EXISTS tickets_search;
"""


def search_setup(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(SETUP, params=None)
    schema_editor.execute(FILL, params=None)


def search_teardown(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(TEARDOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0006_inbox_deadline_indexes"),
        ("subscribers", "0004_name_trigram_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="TicketSearch",
            fields=[
                (
                    "ticket",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search",
                        serialize=False,
                        to="tickets.ticket",
                    ),
                ),
                ("document", django.contrib.postgres.search.SearchVectorField()),
                ("characters", models.PositiveIntegerField(default=0)),
            ],
            options={
                "verbose_name": "testo cercabile",
                "verbose_name_plural": "testi cercabili",
            },
        ),
        migrations.RunPython(search_setup, search_teardown, elidable=False),
    ]
