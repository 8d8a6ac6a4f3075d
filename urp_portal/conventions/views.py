from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import comuni_served, serves_other_comuni

GUIDE = settings.BASE_DIR / "docs" / "guida-operatore.md"
# When this statement was last reviewed against the product (AgID asks for the date).
STATEMENT_DATE = "2026-12-05"


def accessibility_statement(request: HttpRequest) -> HttpResponse:
    """Public, like AgID asks of every statement: no sign-in needed to read it. Read without a
    session, so in no comune's scope: on a deployment serving several comuni it names them all
    and speaks for none (one comune's name and contacts would be wrong for the others)."""
    several = serves_other_comuni()
    municipality = None if several else Municipality.objects.filter(is_active=True).first()
    return render(
        request,
        "conventions/accessibility.html",
        {
            # The console's own header (the page is outside the admin's views).
            "site_header": admin.site.site_header,
            "municipality": municipality,
            "comuni": [c.name for c in comuni_served()] if several else [],
            "statement_date": STATEMENT_DATE,
            "site_url": request.build_absolute_uri("/admin/"),
        },
    )


def operator_guide(request: HttpRequest) -> HttpResponse:
    """The short Italian guide (docs/guida-operatore.md), as the text it is: Markdown reads well
    as plain text, and the file in the repository stays the one source."""
    return HttpResponse(GUIDE.read_text(encoding="utf-8"), content_type="text/plain; charset=utf-8")
