"""The report to the authorities: a sealed ZIP whose hash verifies, and fails once tampered."""

import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.base import ContentFile

from moderation import services
from moderation.models import EvidencePackage
from moderation.states import ActionKind
from tests.fixtures.conversation import receive

from .conftest import CITIZEN

pytestmark = pytest.mark.django_db

PHOTO = b"\xff\xd8\xff\xe0 a photo of the threat"


@pytest.fixture
def reported(insult, moderator):
    threat = receive(CITIZEN, "So dove abiti, ti vengo a prendere", kind="image", media_id="m-9")
    threat.media_file.save("minaccia.jpg", ContentFile(PHOTO), save=False)
    threat.media_filename = "minaccia.jpg"
    threat.media_mime_type = "image/jpeg"
    threat.save()
    services.message_remove(inbound=insult, actor=moderator, categories=["offensive"])
    services.subscriber_block(inbound=threat, actor=moderator, categories=["defamation_threat"])
    return services.case_report(
        case=insult.moderation_flag.case,
        actor=moderator,
        categories=["defamation_threat"],
        note="Denuncia ai Carabinieri",
    )


def _zip(package: EvidencePackage) -> zipfile.ZipFile:
    with package.file.open("rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def test_the_evidence_package_holds_messages_media_actions_and_a_manifest(reported):
    archive = _zip(reported)

    names = set(archive.namelist())
    assert {
        "LEGGIMI.txt",
        "messaggi.json",
        "azioni.json",
        "segnalazioni.json",
        "manifest.json",
    } <= (names)
    messages = json.loads(archive.read("messaggi.json"))
    assert [row["text"][:10] for row in messages] == ["Siete dei ", "So dove ab"]
    assert {row["sender"] for row in messages} == {CITIZEN}
    assert messages[0]["removed_at"]  # removed for the operators, still in the evidence
    assert all(row["sent_at"] for row in messages)
    media = messages[1]["attachment"]
    assert archive.read(media) == PHOTO
    kinds = [row["kind"] for row in json.loads(archive.read("azioni.json"))]
    assert kinds == [ActionKind.REMOVE, ActionKind.BLOCK, ActionKind.REPORT]
    manifest = json.loads(archive.read("manifest.json"))
    assert {entry["path"] for entry in manifest["files"]} == names - {"manifest.json"}
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
    summary = archive.read("LEGGIMI.txt").decode()
    assert "CASO DI MODERAZIONE N." in summary
    assert "Denuncia ai Carabinieri" in summary


def test_the_evidence_packages_hash_verifies(reported):
    with reported.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == reported.sha256

    result = services.evidence_package_verify(package=reported)

    assert result.ok, result.problems
    assert result.sha256 == reported.sha256


def test_a_tampered_package_fails_verification(reported):
    archive = _zip(reported)
    tampered = io.BytesIO()
    with zipfile.ZipFile(tampered, "w") as rewritten:
        for name in archive.namelist():
            content = archive.read(name)
            if name == "messaggi.json":
                content = content.replace(b"So dove abiti", b"Buongiorno a")
            rewritten.writestr(name, content)
    with reported.file.open("wb") as handle:
        handle.write(tampered.getvalue())

    result = services.evidence_package_verify(package=reported)

    assert not result.ok
    assert any("non corrisponde" in problem for problem in result.problems)
    assert any("messaggi.json" in problem for problem in result.problems)


def test_the_package_record_is_immutable(reported):
    from subscribers.errors import AppendOnlyError

    reported.sha256 = "0" * 64
    with pytest.raises(AppendOnlyError):
        reported.save()
    with pytest.raises(AppendOnlyError):
        reported.delete()
