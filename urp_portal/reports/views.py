"""The report's page and its two files. Read by the URP (administrators and operators): figures
only, no personal data; a service's staff or the other offices have their own views."""

from __future__ import annotations

import csv
import io

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.accounts.roles import Role, user_has_role

from .figures import Period, Report, duration_text, report_for, report_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_urp(request: HttpRequest) -> None:
    user = request.user
    if not (
        user.is_superuser
        or user_has_role(user, Role.ADMINISTRATOR)
        or user_has_role(user, Role.OPERATOR)
    ):
        raise PermissionDenied


def _period(request: HttpRequest) -> Period:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("anno") or today.year)
        month = int(request.GET["mese"]) if request.GET.get("mese") else None
    except ValueError:
        year, month = today.year, None
    if not 2000 <= year <= today.year + 1:
        year = today.year
    if month is not None and not 1 <= month <= 12:
        month = None
    return Period(year=year, month=month)


def _report(request: HttpRequest) -> Report:
    _require_urp(request)
    return report_for(period=_period(request))


def _filename(report: Report, extension: str) -> str:
    return f"relazione-urp-whatsapp-{report.period.label}.{extension}"


def report_page(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    today = timezone.localdate()
    context = {
        **admin.site.each_context(request),
        "title": _("Relazione annuale del servizio WhatsApp"),
        "report": report,
        "median": duration_text(report.tickets.median_first_response),
        "months": [
            {**m, "median": duration_text(m["median_first_response"])} for m in report.months
        ],
        "years": list(range(today.year, today.year - 6, -1)),
        "month_choices": list(range(1, 13)),
        "query": request.GET.urlencode(),
    }
    return render(request, "reports/report.html", context)


def report_csv(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    buffer = io.StringIO()
    # Semicolons: what a spreadsheet in Italian reads as columns.
    writer = csv.writer(buffer, delimiter=";")
    writer.writerows(report_rows(report))
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, "csv")}"'
    return response


def report_xlsx(request: HttpRequest) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    report = _report(request)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = report.period.label
    for row in report_rows(report):
        sheet.append([str(cell) if not isinstance(cell, int | float) else cell for cell in row])
    sheet["A1"].font = Font(bold=True)
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 40
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, "xlsx")}"'
    return response
