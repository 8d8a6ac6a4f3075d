"""What a check says: a finding, its level and the area it is about (and the comune, on a
deployment serving several)."""

from __future__ import annotations

from dataclasses import dataclass

BLOCKING = "bloccante"
WARNING = "avviso"
OK = "ok"


@dataclass(frozen=True)
class Finding:
    level: str
    area: str
    message: str
    # The comune the finding is about ("Comune di Assemini"); empty: the whole deployment, and
    # every finding of a deployment of one comune (its output stays as it was).
    comune: str = ""


def _ok(area: str, message: str) -> Finding:
    return Finding(OK, area, message)


def _block(area: str, message: str) -> Finding:
    return Finding(BLOCKING, area, message)


def _warn(area: str, message: str) -> Finding:
    return Finding(WARNING, area, message)
