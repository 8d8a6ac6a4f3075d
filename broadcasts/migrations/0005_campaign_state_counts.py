import django.db.models.deletion
from django.db import migrations, models

# The campaigns' counters (CampaignStateCount), kept by PostgreSQL itself: statement-level
# triggers with transition tables, so one statement that moves 500 messages writes one row per
# campaign and state, and every writer (the send's raw UPDATEs, the status groups, cancelling)
# is counted without knowing of it. "sending" counts as "queued".
_BUCKET = "CASE WHEN {s} IN ('queued', 'sending') THEN 'queued' ELSE {s} END"

TRIGGERS = f"""
CREATE FUNCTION broadcasts_count_outbox_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO broadcasts_campaignstatecount (campaign_id, state, n)
  SELECT campaign_id, state, SUM(n) FROM (
    SELECT d.campaign_id, {_BUCKET.format(s="o.state")} AS state, -1 AS n
      FROM old_rows o JOIN new_rows w ON w.id = o.id
      JOIN broadcasts_delivery d ON d.message_id = o.id
     WHERE w.purpose = 'broadcast' AND o.state IS DISTINCT FROM w.state
    UNION ALL
    SELECT d.campaign_id, {_BUCKET.format(s="w.state")}, 1
      FROM old_rows o JOIN new_rows w ON w.id = o.id
      JOIN broadcasts_delivery d ON d.message_id = w.id
     WHERE w.purpose = 'broadcast' AND o.state IS DISTINCT FROM w.state
  ) moved GROUP BY campaign_id, state HAVING SUM(n) <> 0;
  RETURN NULL;
END $$;
CREATE TRIGGER broadcasts_count_outbox_update AFTER UPDATE ON gateway_outboundmessage
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION broadcasts_count_outbox_update();

CREATE FUNCTION broadcasts_count_delivery_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO broadcasts_campaignstatecount (campaign_id, state, n)
  SELECT r.campaign_id, {_BUCKET.format(s="m.state")}, COUNT(*)
    FROM new_rows r JOIN gateway_outboundmessage m ON m.id = r.message_id
   GROUP BY r.campaign_id, {_BUCKET.format(s="m.state")};
  RETURN NULL;
END $$;
CREATE TRIGGER broadcasts_count_delivery_insert AFTER INSERT ON broadcasts_delivery
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION broadcasts_count_delivery_insert();

INSERT INTO broadcasts_campaignstatecount (campaign_id, state, n)
SELECT d.campaign_id, {_BUCKET.format(s="m.state")}, COUNT(*)
  FROM broadcasts_delivery d JOIN gateway_outboundmessage m ON m.id = d.message_id
 GROUP BY 1, 2;
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS broadcasts_count_outbox_update ON gateway_outboundmessage;
DROP FUNCTION IF EXISTS broadcasts_count_outbox_update();
DROP TRIGGER IF EXISTS broadcasts_count_delivery_insert ON broadcasts_delivery;
DROP FUNCTION IF EXISTS broadcasts_count_delivery_insert();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGERS)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS)


class Migration(migrations.Migration):

    dependencies = [
        ('broadcasts', '0004_template_review_and_rate_card'),
        ('gateway', '0010_waiting_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='CampaignStateCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('state', models.CharField(max_length=12)),
                ('n', models.IntegerField()),
                ('campaign', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='broadcasts.campaign')),
            ],
            options={
                'verbose_name': 'conteggio della campagna',
                'verbose_name_plural': 'conteggi della campagna',
                'indexes': [models.Index(fields=['campaign', 'state'], name='campaign_state_count')],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
