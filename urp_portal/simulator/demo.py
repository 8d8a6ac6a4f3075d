"""The demo's citizens and the media samples the citizen's phone can send."""

from dataclasses import dataclass
from pathlib import Path

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"


@dataclass(frozen=True)
class DemoCitizen:
    number: str
    name: str


# Fictional people with numbers from one block of the numbering plan; nothing leaves the machine.
DEMO_CITIZENS = [
    DemoCitizen("+393205550101", "Maria Rossi"),
    DemoCitizen("+393205550102", "Giuseppe Melis"),
    DemoCitizen("+393205550103", "Francesca Pinna"),
    DemoCitizen("+393205550104", "Antonio Serra"),
    DemoCitizen("+393205550105", "Lucia Floris"),
]


@dataclass(frozen=True)
class MediaSample:
    key: str
    label: str | Promise
    path: Path
    # Meta's message type and the MIME type its webhook announces.
    kind: str
    mime_type: str
    is_voice: bool = False

    def read(self) -> bytes:
        return self.path.read_bytes()


SAMPLES = {
    sample.key: sample
    for sample in [
        MediaSample(
            key="photo",
            label=_("Foto di una buca nella strada"),
            path=SAMPLES_DIR / "buca.jpg",
            kind="image",
            mime_type="image/jpeg",
        ),
        MediaSample(
            key="voice",
            label=_("Messaggio vocale (segnalazione di una buca)"),
            path=SAMPLES_DIR / "vocale.ogg",
            kind="audio",
            mime_type="audio/ogg; codecs=opus",
            is_voice=True,
        ),
    ]
}
