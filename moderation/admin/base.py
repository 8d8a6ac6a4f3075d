"""What every moderation admin page shares: read-only lists whose actions go through the
confirmation pages, and the links to a citizen's history and to the actions."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html, format_html_join

from subscribers.models import Subscriber


class ModeratorOnly:
    """Read here with the roles' view permissions (moderators and administrators); act only
    through the confirmation pages, which check the role (403 for anyone else)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _history_link(subscriber: Subscriber) -> str:
    url = reverse("admin:moderation_citizen_history", args=[subscriber.pk])
    return format_html('<a href="{}">{}</a>', url, str(subscriber))


def _buttons(items: list[tuple[str, str]]) -> str:
    return format_html_join(
        " ", '<a class="button" href="{}">{}</a>', ((url, label) for url, label in items)
    )
