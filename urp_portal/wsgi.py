import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urp_portal.settings")

# The webhooks through their own, shorter middleware (webhook_wsgi.py says why).
from urp_portal.webhook_wsgi import with_webhook_handler

application = with_webhook_handler(get_wsgi_application())
