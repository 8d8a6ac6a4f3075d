"""Which comune the code running now works for (many comuni on one deployment, issue #24).

A context variable, set around one unit of work by whoever knows the comune: the inbound
pipeline for a message (the comune its number belongs to), the send of an outbox row (the
comune that wrote it), and, next, a staff member's request and the comune's periodic tasks.
Inside a scope, `municipality_get_active()` is that comune, so every step and service that
already asks for "the comune" gets the right one without being told; new rows take their
`comune` from it.

Outside any scope the deployment's active comune answers, exactly as with one comune, unless
numbers are bound to other comuni too: then an unscoped lookup fails closed
(ComuneScopeMissing) instead of answering with one comune's configuration for another's
citizen. Rows whose `comune` is empty (made before the tenancy, or by a path not scoped yet)
belong to the active comune, and to no other (`owned_by`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from urp_portal.core.models import AppendOnlyQuerySet

from .errors import NoActiveMunicipality

if TYPE_CHECKING:
    from .models import Municipality

_current: ContextVar[Municipality | None] = ContextVar("urp_comune", default=None)


class ComuneScopeMissing(NoActiveMunicipality):
    """Code that needs a comune ran outside any scope on a deployment serving several: it
    must say which (a bug of ours, never answered with another comune's data)."""

    default_message = _(
        "Questo servizio serve più comuni: l'operazione deve indicare per quale comune si "
        "svolge, e non l'ha fatto. Nulla è stato fatto."
    )
    code = "comune_scope_missing"


@contextmanager
def comune_scope(comune: Municipality | None) -> Iterator[Municipality | None]:
    """Run the block for `comune` (None: unscoped, as a single-comune deployment runs)."""
    token = _current.set(comune)
    try:
        yield comune
    finally:
        _current.reset(token)


def current_comune() -> Municipality | None:
    return _current.get()


def current_comune_id() -> int | None:
    comune = _current.get()
    return comune.pk if comune is not None else None


def owned_by(comune: Municipality | None, field: str = "comune") -> Q:
    """The rows of `comune`: its own, and the unassigned ones when it is the active comune
    (they were made before the tenancy, when it was the only one). None: no filter (unscoped,
    single comune)."""
    if comune is None:
        return Q()
    mine = Q(**{field: comune})
    if comune.is_active:
        return mine | Q(**{f"{field}__isnull": True})
    return mine


# serves_other_comuni() per process: (answer, until when, monotonic seconds). Asked by every
# scoped queryset, so not a query each time; forgotten at once in this process when a number
# or the active comune changes (receivers.py), within SERVES_OTHERS_TTL in the others.
_serves_others: tuple[bool, float] | None = None
SERVES_OTHERS_TTL = 5.0


def serves_other_comuni() -> bool:
    """Numbers are bound to comuni other than the active one: the deployment serves several,
    and code outside a scope cannot tell whose rows it reads."""
    global _serves_others
    now = time.monotonic()
    if _serves_others is not None and _serves_others[1] > now:
        return _serves_others[0]
    from .models import WhatsAppNumber

    answer = WhatsAppNumber.objects.exclude(comune__is_active=True).exists()
    _serves_others = (answer, now + SERVES_OTHERS_TTL)
    return answer


def forget_serves_other_comuni() -> None:
    """Forgets, in this process, which comuni are served and the requests' comuni with them."""
    global _serves_others
    _serves_others = None
    from .scope_cache import forget_comuni_for_scope

    forget_comuni_for_scope()


def comune_scope_enter(comune: Municipality | None) -> None:
    """Sets the scope for the rest of a unit of work whose own `comune_scope` block resets it
    on the way out: an API request learns its comune only when DRF authenticates its token,
    inside the view, and the request's middleware (accounts/request_scope.py) ends it."""
    _current.set(comune)


def owned_by_current(field: str = "comune") -> Q:
    """The rows of the running scope's comune (owned_by); outside any scope, every row on a
    deployment of one comune, as before the tenancy, and ComuneScopeMissing on one serving
    several: a read that forgot its comune fails instead of reading another's rows."""
    scoped = _current.get()
    if scoped is not None:
        return owned_by(scoped, field)
    if serves_other_comuni():
        raise ComuneScopeMissing()
    return Q()


def comune_owner_field(*, db_index: bool = True, db_constraint: bool = True) -> models.ForeignKey:
    """The `comune` column of every row a comune owns, declared once: empty means the active
    comune's (rows from before the tenancy, and a single-comune deployment's own; `owned_by`),
    and a comune with rows cannot be deleted (PROTECT: its citizens' history is not dropped by
    removing a configuration). `db_index=False` where a composite index starts with it;
    `db_constraint=False` where rows are written by the hundred thousand (the outbox of a
    campaign's plan): Django's collector still keeps the PROTECT."""
    return models.ForeignKey(
        "municipality.Municipality",
        verbose_name=_("comune"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=db_index,
        db_constraint=db_constraint,
    )


def comune_owned_models() -> list[type[models.Model]]:
    """Every model whose rows carry comune_owner_field, with its "empty: the active comune's"
    meaning (what activating another comune rearranges: services.municipality_activate)."""
    from django.apps import apps

    from .models import Municipality

    found = []
    for model in apps.get_models():
        try:
            field = model._meta.get_field("comune")
        except FieldDoesNotExist:
            continue
        if (
            isinstance(field, models.ForeignKey)
            and field.related_model is Municipality
            and field.null
            and field.remote_field.related_name == "+"
        ):
            found.append(model)
    return found


class ComuneScopedManager(models.Manager):
    """The default manager of a model a comune owns: it reads the running scope's rows only
    (owned_by_current), so a view, a selector, the admin or the API that forgets its comune
    reads nothing of another's and, outside any scope on a deployment serving several, fails
    with ComuneScopeMissing: the rule of django-scopes (README, many comuni), in our scope.

    Declare it first, so it is the default manager (the admin, DRF and reverse relations use
    it), and beside it `all_comuni = models.Manager()` for the product's own work across comuni
    (status updates found by provider id, sweeps, the provider's health page); Django's forward
    relations (`message.ticket`) use the base manager and are never filtered. With one comune
    the filter is empty: nothing changes but a cached check."""

    owner_field = "comune"

    def __new__(cls, field: str | None = None, *args, **kwargs):
        # The field path lives on the class, not the instance: Django makes the reverse
        # relations' managers (ticket.messages) by subclassing the default manager's class and
        # calling it with no argument, and they must filter by the same path.
        # (A reverse relation's manager is called with the instance it belongs to.)
        if isinstance(field, str) and field != cls.owner_field:
            cls = type(cls.__name__, (cls,), {"owner_field": field, "__module__": cls.__module__})
        return super().__new__(cls)

    def __init__(self, field: str | None = None) -> None:
        super().__init__()

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(owned_by_current(self.owner_field))

    # Writes of new rows read nothing: they need no scope (the row carries its own `comune`).
    def create(self, **kwargs):
        return super().get_queryset().create(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        return super().get_queryset().bulk_create(objs, *args, **kwargs)


class ScopedAppendOnlyManager(ComuneScopedManager):
    """The append-only rows of a comune (core.models.AppendOnlyModel): its scope's only, and
    never rewritten in bulk."""

    _queryset_class = AppendOnlyQuerySet


class AllComuniManager(models.Manager):
    """`all_comuni`, beside a ComuneScopedManager: every comune's rows, for the product's own
    work across comuni (declared second, so it is never the default manager)."""


def comuni_served() -> list[Municipality]:
    """The comuni this deployment works for: the active one and every one with a number."""
    from .models import Municipality
    from .selectors import CONFIGURATION_RELATIONS

    return list(
        Municipality.objects.filter(Q(is_active=True) | Q(whatsapp_numbers__isnull=False))
        .distinct()
        .order_by("pk")
        .prefetch_related(*CONFIGURATION_RELATIONS)
    )


def in_each_comune_scope() -> Iterator[Municipality]:
    """For the periodic tasks: run the loop's body once per comune served, in its scope, so
    each comune's deadlines, hours and rows are its own. With one comune: one turn, for it."""
    for comune in comuni_served():
        with comune_scope(comune):
            yield comune


def run_per_comune(work: Callable[[], int | None]) -> int:
    """A periodic task's body run for each comune served, in its scope (in_each_comune_scope),
    adding up what each turn counted; on a deployment of one comune, once and unscoped,
    exactly as before the tenancy (also with no comune configured yet)."""
    if not serves_other_comuni():
        return work() or 0
    return sum(work() or 0 for _comune in in_each_comune_scope())
