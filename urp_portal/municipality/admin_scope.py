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
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest

from .scope import serves_other_comuni


class OtherComunesRowsNotFound:
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
