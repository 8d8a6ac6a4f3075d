"""The report to the judicial authorities: a sealed evidence package (ZIP) of a case.

Inside the ZIP: LEGGIMI.txt (a readable summary), messaggi.json (every message of the case with
its times, sender and text), azioni.json (what the moderators did, the report included),
segnalazioni.json (the screening's reasons), media/ (the citizen's files as received) and
manifest.json (the SHA-256 and size of every other file). The SHA-256 of the whole ZIP is kept
in the EvidencePackage row, shown to the moderator and written in the report's note, so the file
the comune filed can be checked against it at any time (evidence_package_verify).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.models import Message
from urp_portal.gateway.models import InboundMessage
from urp_portal.municipality.errors import NoActiveMunicipality, UserError
from urp_portal.municipality.selectors import municipality_get_active

from ..models import EvidencePackage, ModerationAction, ModerationCase, PolicyCategory
from ..states import ActionKind, CaseState
from .cases import action_write, categories_required, require_moderator, subscriber_locked

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).isoformat() if value else ""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _media_name(message: InboundMessage) -> str:
    original = message.media_filename or message.media_file.name.rsplit("/", 1)[-1]
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in original)
    return f"media/{message.pk}_{safe or 'file'}"


def _messages(case: ModerationCase) -> tuple[list[dict], dict[str, bytes]]:
    messages = list(case.messages.order_by("sent_at", "pk"))
    shown = {
        row.inbound_id: row
        for row in Message.objects.filter(inbound__in=messages).select_related("ticket")
    }
    rows, files = [], {}
    for message in messages:
        attachment = ""
        if message.media_file:
            try:
                with message.media_file.open("rb") as handle:
                    content = handle.read()
            except FileNotFoundError:
                content = None
            if content is not None:
                attachment = _media_name(message)
                files[attachment] = content
        ticket_message = shown.get(message.pk)
        rows.append(
            {
                "id": message.pk,
                "whatsapp_id": message.provider_id,
                "sender": message.sender,
                "profile_name": message.profile_name,
                "sent_at": _local(message.sent_at),
                "received_at": _local(message.received_at),
                "kind": message.kind,
                "text": message.text,
                "media_mime_type": message.media_mime_type,
                "attachment": attachment,
                "ticket": ticket_message.ticket.number if ticket_message else "",
                "removed_at": _local(ticket_message.removed_at) if ticket_message else "",
            }
        )
    return rows, files


def _actions(case: ModerationCase) -> list[dict]:
    actions = (
        ModerationAction.objects.filter(case=case)
        .select_related("actor")
        .prefetch_related("categories")
        .order_by("at", "pk")
    )
    return [
        {
            "id": action.pk,
            "kind": action.kind,
            "label": action.get_kind_display(),
            "at": _local(action.at),
            "by": action.actor.get_username() if action.actor else _("sistema"),
            "categories": [category.code for category in action.categories.all()],
            "note": action.note,
            "message": action.inbound_id,
            "reverses": action.reverses_id,
        }
        for action in actions
    ]


def _flags(case: ModerationCase) -> list[dict]:
    return [
        {"message": flag.inbound_id, "at": _local(flag.flagged_at), "reasons": flag.reasons}
        for flag in case.flags.order_by("flagged_at", "pk")
    ]


def _summary(
    *, case: ModerationCase, messages: list[dict], actions: list[dict], created: dt.datetime
) -> str:
    try:
        comune = municipality_get_active().name
    except NoActiveMunicipality:
        comune = ""
    subscriber = case.subscriber
    labels = dict(PolicyCategory.objects.values_list("code", "label"))
    lines = [
        _("PACCHETTO DI PROVE - CASO DI MODERAZIONE N. %(number)s") % {"number": case.pk},
        _("%(name)s - servizio WhatsApp dell'URP") % {"name": comune},
        _("Creato il %(at)s") % {"at": _local(created)},
        "",
        _("Mittente: %(name)s, numero %(number)s")
        % {"name": str(subscriber), "number": subscriber.number or "—"},
        _("Caso aperto il %(at)s") % {"at": _local(case.opened_at)},
        "",
        _("MESSAGGI (%(count)d)") % {"count": len(messages)},
    ]
    for row in messages:
        lines.append(f"- [{row['sent_at']}] {row['sender']} ({row['kind']}): {row['text']}")
        if row["attachment"]:
            lines.append("  " + _("allegato: %(name)s") % {"name": row["attachment"]})
        if row["removed_at"]:
            lines.append(
                "  " + _("rimosso dalla moderazione il %(at)s") % {"at": row["removed_at"]}
            )
    lines += ["", _("AZIONI DI MODERAZIONE (%(count)d)") % {"count": len(actions)}]
    for row in actions:
        rules = ", ".join(labels.get(code, code) for code in row["categories"])
        lines.append(f"- [{row['at']}] {row['label']} - {row['by']} - {rules}")
        if row["note"]:
            lines.append(f"  {row['note']}")
    lines += [
        "",
        _(
            "L'integrità di ogni file è verificabile con il suo SHA-256 in manifest.json; "
            "l'impronta SHA-256 dell'intero file ZIP è registrata dal Comune."
        ),
    ]
    return "\n".join(lines) + "\n"


def _zip(files: dict[str, bytes], created: dt.datetime) -> bytes:
    stamp = timezone.localtime(created).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode()


def evidence_package_content(
    *, case: ModerationCase, created: dt.datetime, report: ModerationAction
) -> bytes:
    messages, media = _messages(case)
    actions = _actions(case)
    files: dict[str, bytes] = {
        "LEGGIMI.txt": _summary(
            case=case, messages=messages, actions=actions, created=created
        ).encode(),
        "messaggi.json": _dump(messages),
        "azioni.json": _dump(actions),
        "segnalazioni.json": _dump(_flags(case)),
        **media,
    }
    manifest = {
        "format": FORMAT_VERSION,
        "case": case.pk,
        "report_action": report.pk,
        "created_at": _local(created),
        "files": [
            {"path": name, "sha256": _sha256(content), "size": len(content)}
            for name, content in files.items()
        ],
    }
    files[MANIFEST] = _dump(manifest)
    return _zip(files, created)


@transaction.atomic
def case_report(
    *,
    case: ModerationCase,
    actor: Any,
    categories: Iterable[PolicyCategory | str],
    note: str = "",
    now: dt.datetime | None = None,
) -> EvidencePackage:
    """Report a case to the judicial authorities: the audited REPORT action and its sealed
    package, stored once and never changed. Not reversible."""
    require_moderator(actor)
    now = now or timezone.now()
    rules = categories_required(categories)
    subscriber = subscriber_locked(subscriber=case.subscriber)
    case = ModerationCase.objects.select_for_update().select_related("subscriber").get(pk=case.pk)
    if case.state != CaseState.OPEN:
        raise UserError(_("Il caso è chiuso: non si può più segnalare."))
    if not case.messages.exists():
        raise UserError(_("Il caso non contiene messaggi da segnalare."))
    report = action_write(
        case=case,
        kind=ActionKind.REPORT,
        actor=actor,
        categories=rules,
        subscriber=subscriber,
        note=note,
        at=now,
    )
    content = evidence_package_content(case=case, created=now, report=report)
    name = f"caso-{case.pk}-{timezone.localtime(now):%Y%m%d-%H%M%S}.zip"
    return EvidencePackage.objects.create(
        case=case,
        action=report,
        file=ContentFile(content, name=name),
        sha256=_sha256(content),
        size=len(content),
        created_at=now,
        created_by=actor,
    )


@dataclass
class Verification:
    package: EvidencePackage
    sha256: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def evidence_package_verify(*, package: EvidencePackage) -> Verification:
    """Recompute the package's SHA-256 and every file's against the manifest."""
    result = Verification(package=package)
    try:
        with package.file.open("rb") as handle:
            content = handle.read()
    except FileNotFoundError:
        result.problems.append(_("Il file del pacchetto non si trova."))
        return result
    result.sha256 = _sha256(content)
    if result.sha256 != package.sha256:
        result.problems.append(
            _("L'impronta SHA-256 del pacchetto non corrisponde a quella registrata.")
        )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            manifest = json.loads(archive.read(MANIFEST))
            listed = {entry["path"]: entry for entry in manifest["files"]}
            present = set(archive.namelist()) - {MANIFEST}
            for name in sorted(present - set(listed)):
                result.problems.append(
                    _("File non elencato nel manifest: %(name)s") % {"name": name}
                )
            for name, entry in listed.items():
                if name not in present:
                    result.problems.append(_("File mancante: %(name)s") % {"name": name})
                elif _sha256(archive.read(name)) != entry["sha256"]:
                    result.problems.append(_("File alterato: %(name)s") % {"name": name})
    except (zipfile.BadZipFile, KeyError, ValueError):
        result.problems.append(_("Il pacchetto non è un archivio ZIP valido con il suo manifest."))
    return result
