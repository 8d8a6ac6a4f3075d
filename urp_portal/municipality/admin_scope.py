"""Another comune's object in the admin: 404 (issue #24), as at every other door.

The admin's pages read through the default manager, which holds the running comune's rows only
(scope.py), so another comune's row is simply not found; Django's change, history and delete
views then redirect to the index saying the object "may have been deleted". Where several comuni
are served that answer tells no more than a 404, but it differs from what the API, the exports
and the media URLs answer (404), and a redirect to a warning is harder to assert on a walk of
every URL: so there it is a 404. A deployment of one comune keeps the admin's usual redirect.

Built on `ModelAdmin.get_object`, the public lookup those three views share (Django 5.2: each
calls it first and only redirects when it returns None), and custom views that look an object
up through it get the same answer. Mixed into the ModelAdmin of every comune-owned model;
tests/test_access_walk_comuni.py checks that none is left out.

An object's history page is scoped too (ComuneHistoryOnly, which the 404 mixin includes): an
object more than one comune sees (an account shared by a help desk, the roles, Meta's rate
card) would otherwise list every comune's changes of it, with the names of the other comuni's
staff and what they wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.admin.models import LogEntry
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest

from .models import LogEntryComune
from .scope import current_comune, serves_other_comuni


class ComuneHistoryOnly:
    """Mixed into (before) admin.ModelAdmin: where several comuni are served, an object's
    history page shows a comune's staff only the entries written while working in the
    session's comune (by its staff, or by the provider working in it: models.LogEntryComune);
    superusers, who run the deployment, see every entry. An entry of no known comune (written
    outside any comune, or before the comune was recorded on a deployment already serving
    several) is shown to no comune: it may be another comune's. A deployment of one comune
    keeps the page as it was.

    Filtered where Django's history_view hands its LogEntry queryset to the paginator
    (`ModelAdmin.get_paginator`, the public hook it calls in Django 5.2): the page, its count
    and its pages are then all the comune's, at no extra query (tests/test_admin_history_comuni.py
    asserts it, so a Django that stops calling it fails there)."""

    def get_paginator(self, request: HttpRequest, queryset: QuerySet, *args: Any, **kwargs: Any):
        if queryset.model is LogEntry:
            queryset = log_entries_for_the_session(request, queryset)
        return super().get_paginator(request, queryset, *args, **kwargs)  # type: ignore[misc]


def log_entries_for_the_session(request: HttpRequest, entries: QuerySet) -> QuerySet:
    """The admin history `entries` the request's reader may see (ComuneHistoryOnly's rule)."""
    if not serves_other_comuni() or request.user.is_superuser:
        return entries
    if current_comune() is None:
        # Every console request is scoped where several comuni are served
        # (accounts/request_scope.py): none here would be a bug of ours. Fail closed.
        return entries.none()
    # The default manager holds the running comune's rows only (and, for the active comune,
    # those with no comune): an entry with no row matches none.
    return entries.filter(Exists(LogEntryComune.objects.filter(log_entry=OuterRef("pk"))))


def recent_actions_of_the_session(
    get_log_entries: Callable[[HttpRequest], QuerySet],
) -> Callable[[HttpRequest], QuerySet]:
    """AdminSite.get_log_entries (the home page's "Le mie azioni"), by the same rule: a help
    desk working for one comune is not shown the names of another's objects it changed there."""

    def entries(request: HttpRequest) -> QuerySet:
        return log_entries_for_the_session(request, get_log_entries(request))

    return entries


class OtherComunesRowsNotFound(ComuneHistoryOnly):
    """Mixed into (before) admin.ModelAdmin: an object the running comune does not own, or that
    does not exist, is a 404 where several comuni are served."""

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        found = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if found is None and serves_other_comuni():
            # Not "of another comune": whoever may not see it is not told it exists.
            raise Http404
        return found


def may_change_what_comuni_share(request: HttpRequest) -> bool:
    """Whether the request may change what every comune served depends on (which comuni there
    are, which is the deployment's active one, Meta's rate card): a deployment of one comune's
    administrators, as before; where several are served, the provider's superusers only, since
    one comune's change would be every other's too."""
    return request.user.is_superuser or not serves_other_comuni()
