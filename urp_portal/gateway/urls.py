from django.urls import path

from . import views

app_name = "gateway"

# One route for every adapter: /webhooks/whatsapp/meta/, /webhooks/whatsapp/twilio/, and a new
# adapter's module name without touching this file.
urlpatterns = [
    path("whatsapp/<slug:gateway>/", views.whatsapp_webhook, name="whatsapp_webhook"),
]
