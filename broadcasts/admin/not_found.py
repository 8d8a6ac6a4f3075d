"""Another comune's template or campaign in the console: 404 (issue #24), as a missing page.

The admin's pages read through the default manager, which holds the running comune's rows only
(scope.py), so another comune's row is simply not found; the admin would then redirect to its
index saying the object "may have been deleted". Where several comuni are served that answer
says no more than a 404 but differs from every other door's (API, exports, media: 404), so it
becomes a 404 there; a single-comune deployment keeps the admin's redirect, as before."""

from __future__ import annotations

from django.http import Http404

from urp_portal.municipality.scope import serves_other_comuni


class OtherComunesRowsNotFound:
    """Mixed into the ModelAdmin of a comune-owned model."""

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        if serves_other_comuni():
            raise Http404
        return super()._get_obj_does_not_exist_redirect(  # type: ignore[misc]
            request, opts, object_id
        )
