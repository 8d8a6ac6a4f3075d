"""Which service a request probably belongs to: the administrator's keyword rules plus what past
forwards taught. The score is a plain sum, so the console can say why it suggests a service."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import F, Sum

from ..models import Message, MunicipalService, ServiceKeywordRule, ServiceWordCount, Ticket
from ..states import MessageOrigin

_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
# Words that say nothing about the competent office.
_STOPWORDS_TEXT = """
buongiorno buonasera salve grazie gentile gentili vorrei sapere avere posso potrei come quando
dove perché perche questo questa quello quella sono siamo della delle dello degli nella nelle
nello negli alla alle allo agli dalla dalle dallo dagli sulla sulle sullo sugli anche ancora
però pero molto tutto tutti tutte essere stato stata fare fatto ogni qualche cosa cose comune
chiedo chiedere informazioni informazione richiesta saluti cordiali
"""
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
# How much one learnt word is worth next to a rule's weight: a word that always went to one
# service adds 3.
LEARNT_WEIGHT = 3.0


def words_of(text: str) -> set[str]:
    return {w for w in (m.lower() for m in _WORD.findall(text or "")) if w not in _STOPWORDS}


@dataclass
class Suggestion:
    service: MunicipalService
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)


def service_suggestions(*, text: str, limit: int = 3) -> list[Suggestion]:
    """The likely services for `text`, best first, each with its reasons; two queries."""
    words = words_of(text)
    if not words:
        return []
    by_service: dict[int, Suggestion] = {}
    lowered = text.lower()
    for rule in ServiceKeywordRule.objects.filter(service__is_active=True).select_related(
        "service"
    ):
        keyword = rule.keyword.strip().lower()
        if keyword and (keyword in words or (" " in keyword and keyword in lowered)):
            entry = by_service.setdefault(rule.service_id, Suggestion(rule.service))
            entry.score += rule.weight
            entry.reasons.append(f"«{rule.keyword}» (regola)")
    counts = list(
        ServiceWordCount.objects.filter(word__in=words, service__is_active=True).select_related(
            "service"
        )
    )
    totals: dict[str, int] = {}
    for row in counts:
        totals[row.word] = totals.get(row.word, 0) + row.count
    for row in counts:
        share = row.count / totals[row.word]
        entry = by_service.setdefault(row.service_id, Suggestion(row.service))
        entry.score += LEARNT_WEIGHT * share
        entry.reasons.append(f"«{row.word}» ({row.count}/{totals[row.word]} inoltri)")
    ranked = sorted(by_service.values(), key=lambda s: (-s.score, s.service.name))
    return ranked[:limit]


def ticket_citizen_text(*, ticket: Ticket) -> str:
    return " ".join(
        Message.objects.filter(ticket=ticket, origin=MessageOrigin.CITIZEN).values_list(
            "text", flat=True
        )
    )


def citizen_name_words(subscriber) -> set[str]:
    """The citizen's own names, as `words_of` would read them: they say nothing about the
    competent office, and learnt words outlive the citizen's erasure."""
    return words_of(f"{subscriber.first_name} {subscriber.last_name} {subscriber.profile_name}")


def service_suggestion_learn(*, ticket: Ticket, service: MunicipalService) -> None:
    """Count the words of a forwarded ticket for its service, but the citizen's names; call in
    the forward's transaction."""
    words = words_of(ticket_citizen_text(ticket=ticket)) - citizen_name_words(ticket.subscriber)
    if not words:
        return
    existing = set(
        ServiceWordCount.objects.filter(service=service, word__in=words).values_list(
            "word", flat=True
        )
    )
    ServiceWordCount.objects.filter(service=service, word__in=existing).update(count=F("count") + 1)
    ServiceWordCount.objects.bulk_create(
        [ServiceWordCount(service=service, word=w[:60], count=1) for w in words - existing],
        ignore_conflicts=True,
    )


def service_word_total(*, service: MunicipalService) -> int:
    return ServiceWordCount.objects.filter(service=service).aggregate(n=Sum("count"))["n"] or 0
