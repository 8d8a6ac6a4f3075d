"""The confirmation page every one-click action goes through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from urp_portal.core.admin import user_errors

from ..selectors import user_may_moderate


def require_moderator(request: HttpRequest) -> None:
    if not user_may_moderate(request.user):
        raise PermissionDenied


def confirm_page(
    request: HttpRequest,
    model_admin: Any,
    *,
    title: str,
    question: str,
    form: Any,
    perform: Callable[[dict], str],
    back_url: str,
    details: dict | None = None,
    danger: bool = False,
) -> HttpResponse:
    """GET: what will happen and the form. POST: the service, then back to the list."""
    require_moderator(request)
    if request.method == "POST" and form.is_valid():
        with user_errors(request) as attempt:
            done = perform(form.cleaned_data)
        if not attempt.failed:
            messages.success(request, done)
            return redirect(back_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "question": question,
        "form": form,
        "details": details or {},
        "back_url": back_url,
        "danger": danger,
    }
    return TemplateResponse(request, "admin/moderation/confirm.html", context)
