"""What the operator reads for a citizen's message that is not plain text: a contact card, a
place, a form's answers, an order, an answer to a call request, a type WhatsApp added after
us. The message keeps the citizen's own words (`text`); this is the bubble's line, in the
operator's language, built from what the gateway parsed (`extra`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.states import MessageKind

MAP_URL = "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"


def _location(extra: dict[str, Any], text: str) -> str:
    place = extra.get("location") or {}
    lines = [part for part in (place.get("name"), place.get("address")) if part]
    lat, lon = place.get("latitude"), place.get("longitude")
    if lat is not None and lon is not None:
        lines.append(
            _("Posizione: %(lat)s, %(lon)s — mappa: %(url)s")
            % {"lat": lat, "lon": lon, "url": MAP_URL.format(lat=lat, lon=lon)}
        )
    return "\n".join([*([text] if text else []), *lines]) or _("Posizione condivisa")


def _contacts(extra: dict[str, Any]) -> str:
    lines = []
    for card in extra.get("contacts") or []:
        details = [*card.get("phones", []), *card.get("emails", [])]
        if card.get("organisation"):
            details.append(card["organisation"])
        name = card.get("name") or _("senza nome")
        line = _("Contatto condiviso: %(name)s") % {"name": name}
        lines.append(f"{line} — {', '.join(details)}" if details else line)
    return "\n".join(lines) or _("Contatto condiviso (vuoto)")


def _flow(extra: dict[str, Any]) -> str:
    flow = extra.get("flow") or {}
    lines = [_("Risposta al modulo %(name)s:") % {"name": flow.get("name") or "WhatsApp"}]
    for key, value in (flow.get("fields") or {}).items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        lines.append(f"• {str(key).replace('_', ' ')}: {shown}")
    return "\n".join(lines)


def _order(extra: dict[str, Any], text: str) -> str:
    items = (extra.get("order") or {}).get("items") or []
    line = _("Ordine dal catalogo: %(count)d articoli") % {"count": len(items)}
    return f"{line}\n{text}" if text else line


def _call_permission(extra: dict[str, Any]) -> str:
    answer = (extra.get("call_permission") or {}).get("response")
    if answer == "accept":
        return _("Il cittadino ha acconsentito a essere chiamato su WhatsApp.")
    if answer == "reject":
        return _("Il cittadino ha rifiutato di essere chiamato su WhatsApp.")
    return _("Risposta alla richiesta di chiamata WhatsApp.")


def _unsupported(extra: dict[str, Any]) -> str:
    kind = extra.get("type") or "unsupported"
    if kind == "unsupported":
        return _(
            "Messaggio di un tipo che WhatsApp non inoltra: chiedere al cittadino di scrivere."
        )
    return _("Messaggio di tipo «%(type)s», non ancora visualizzabile qui.") % {"type": kind}


def inbound_display_text(message: InboundMessage) -> str:
    """The bubble's text for a citizen's message: their words, or a readable line."""
    extra = message.extra or {}
    kind = message.kind
    if kind == MessageKind.LOCATION:
        return _location(extra, message.text)
    if kind == MessageKind.CONTACTS:
        return _contacts(extra)
    if kind == MessageKind.FLOW_REPLY:
        return _flow(extra)
    if kind == MessageKind.ORDER:
        return _order(extra, message.text)
    if kind == MessageKind.CALL_PERMISSION:
        return _call_permission(extra)
    if kind == MessageKind.UNSUPPORTED:
        return _unsupported(extra)
    return message.text
