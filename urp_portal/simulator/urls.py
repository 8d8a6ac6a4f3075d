from django.urls import path, re_path

from . import views

app_name = "simulator"

# The Graph API's version is part of the base URL (SIMULATOR_GRAPH_URL); any "vNN.N" is answered.
GRAPH = r"^graph/(?P<version>v\d+\.\d+)/"

urlpatterns = [
    path("", views.phone, name="phone"),
    path("phone/send/", views.phone_send, name="phone_send"),
    path("phone/conversation/", views.phone_conversation, name="phone_conversation"),
    path("phone/media/<str:media_id>/", views.phone_media, name="phone_media"),
    # Meta serves media from another host, with a short-lived signed URL.
    path("lookaside/<str:token>/", views.media_download, name="media_download"),
    re_path(GRAPH + r"(?P<phone_number_id>[^/]+)/messages$", views.graph_messages, name="messages"),
    # Marketing templates go through the Marketing Messages API: same body, same answer.
    re_path(
        GRAPH + r"(?P<phone_number_id>[^/]+)/marketing_messages$",
        views.graph_messages,
        name="marketing_messages",
    ),
    re_path(
        GRAPH + r"(?P<waba_id>[^/]+)/message_templates$",
        views.graph_message_templates,
        name="message_templates",
    ),
    re_path(GRAPH + r"(?P<phone_number_id>[^/]+)/media$", views.graph_media_upload, name="upload"),
    # Resumable Upload API (a template's header image): a session, then the file.
    re_path(GRAPH + r"(?P<app_id>[^/]+)/uploads$", views.graph_upload_session, name="uploads"),
    re_path(GRAPH + r"(?P<session>upload:[^/]+)$", views.graph_upload_file, name="upload_file"),
    # GET: a media file's lookup; POST: an edit of a template (Meta's POST /{template-id}).
    re_path(GRAPH + r"(?P<media_id>[^/]+)$", views.graph_media, name="media"),
]
