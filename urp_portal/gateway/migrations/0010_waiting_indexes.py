
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('gateway', '0009_outbound_pricing'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='inboundmessage',
            index=models.Index(condition=models.Q(('state', 'received')), fields=['received_at'], name='inbound_waiting'),
        ),
        migrations.AddIndex(
            model_name='webhookevent',
            index=models.Index(condition=models.Q(('state', 'received')), fields=['received_at'], name='webhook_event_waiting'),
        ),
    ]
