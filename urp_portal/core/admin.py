"""The one way the admin shows a `UserError` (STYLE.md: mapped once for the admin, once for the
API): a page or an action calls the service inside `user_errors(request)`, a form's clean inside
`user_errors_as_validation()`. Generalises moderation's confirmation page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from .errors import UserError


@dataclass
class Attempt:
    """What became of the service call: `failed` when it raised a UserError (already shown)."""

    failed: bool = False


@contextmanager
def user_errors(
    request: HttpRequest, *, about: str = "", level: int = messages.ERROR
) -> Iterator[Attempt]:
    """Run a service; a UserError becomes a message on the next page (prefixed with `about:`,
    the object it concerns, in a bulk action) and the block ends there, `attempt.failed` set."""
    attempt = Attempt()
    try:
        yield attempt
    except UserError as error:
        attempt.failed = True
        text = str(error.message)
        messages.add_message(request, level, f"{about}: {text}" if about else text)


@contextmanager
def user_errors_as_validation() -> Iterator[None]:
    """In a form's clean: a UserError becomes the form's error, with its code."""
    try:
        yield
    except UserError as error:
        raise ValidationError(str(error.message), code=error.code) from error
