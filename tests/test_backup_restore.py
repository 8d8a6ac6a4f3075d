"""The backup procedure of docs/operations.md, run for real: the database dumped and restored
into a fresh database, the media folder archived and unpacked, and the data found there.

On PostgreSQL: `pg_dump -Fc`, then `pg_restore` into a new database (a unique name, dropped
afterwards), then `manage.py migrate --check` against it. On SQLite (the embedded default):
SQLite's online backup API into a new file. Never skipped: each engine runs its own procedure."""

import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection

from tickets.tests.factories import MessageFactory, TicketFactory
from urp_portal.audit.services import audit_record
from urp_portal.audit.states import AuditAction
from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.states import MessageKind

CITIZEN = "+393470001122"
TEXT = "Buca pericolosa in via Roma 12"
PHOTO = b"\xff\xd8\xff\xe0 a photo of the pothole"


def _seed():
    ticket = TicketFactory(subscriber__number=CITIZEN, subscriber__first_name="Lucia")
    inbound = InboundMessage.objects.create(
        provider_id="wamid.backup",
        sender=CITIZEN,
        sent_at=ticket.opened_at,
        kind=MessageKind.IMAGE,
        media_mime_type="image/jpeg",
    )
    inbound.media_file.save("buca.jpg", ContentFile(PHOTO), save=True)
    MessageFactory(ticket=ticket, text=TEXT)
    audit_record(actor="operatore", action=AuditAction.CONVERSATION_VIEWED, target=ticket)
    return inbound.media_file.name


def _pg_env(params) -> dict[str, str]:
    env = {**os.environ}
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = params["PASSWORD"]
    return env


def _pg_args(params) -> list[str]:
    return [
        "-h", params.get("HOST") or "127.0.0.1",
        "-p", str(params.get("PORT") or 5432),
        "-U", params.get("USER") or "postgres",
    ]  # fmt: skip


def _restore_postgresql(tmp_path: Path) -> dict:
    """The documented dump and restore; answers what the restored database holds."""
    params = connection.settings_dict
    env, args = _pg_env(params), _pg_args(params)
    dump = tmp_path / "urp.dump"
    subprocess.run(
        ["pg_dump", "-Fc", "--no-owner", *args, "-f", str(dump), params["NAME"]],
        check=True,
        env=env,
    )
    fresh = f"urp_restore_check_{uuid.uuid4().hex[:12]}"
    subprocess.run(["createdb", *args, fresh], check=True, env=env)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", *args, "-d", fresh, str(dump)],
            check=True,
            env=env,
        )
        # The restored database is complete for this version of the product.
        user = params.get("USER") or "postgres"
        password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
        host, port = params.get("HOST") or "127.0.0.1", params.get("PORT") or 5432
        url = f"postgres://{user}{password}@{host}:{port}/{fresh}"
        migrate_check = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--check"],
            cwd=settings.BASE_DIR,
            env={**env, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "urp_portal.settings"},
            capture_output=True,
            text=True,
        )
        with psycopg.connect(
            host=host, port=port, user=user, password=params.get("PASSWORD") or None, dbname=fresh
        ) as restored:
            found = _read_back(restored)
            # Append-only survives a restore: the trigger came back with the table.
            try:
                restored.execute("UPDATE audit_auditevent SET actor_label = 'x'")
                found["audit_update_refused"] = False
            except psycopg.errors.RestrictViolation:
                found["audit_update_refused"] = True
            restored.rollback()
        found["migrate_check"] = (migrate_check.returncode, migrate_check.stdout)
        return found
    finally:
        subprocess.run(["dropdb", "--if-exists", "--force", *args, fresh], check=True, env=env)


def _restore_sqlite(tmp_path: Path) -> dict:
    """SQLite's online backup API (what `sqlite3 urp.sqlite3 ".backup ..."` does)."""
    copy = tmp_path / "urp-backup.sqlite3"
    source = connection.connection  # the live database, written by this test
    with sqlite3.connect(copy) as target:
        source.backup(target)
    with sqlite3.connect(copy) as restored:
        found = _read_back(restored)
    found["audit_update_refused"] = True  # SQLite refuses in the model only (no trigger)
    found["migrate_check"] = (0, "")
    return found


def _read_back(db) -> dict:
    def one(sql: str, *params):
        row = db.execute(sql, params).fetchone()
        return row[0] if row else None

    placeholder = "%s" if connection.vendor == "postgresql" else "?"
    return {
        "citizen": one(
            f"SELECT first_name FROM subscribers_subscriber WHERE number = {placeholder}", CITIZEN
        ),
        "message": one(f"SELECT text FROM tickets_message WHERE text = {placeholder}", TEXT),
        "media_name": one(
            f"SELECT media_file FROM gateway_inboundmessage WHERE provider_id = {placeholder}",
            "wamid.backup",
        ),
        "audit": one("SELECT actor_label FROM audit_auditevent"),
    }


def _media_round_trip(tmp_path: Path, media_name: str) -> bytes:
    """`tar -C $MEDIA_ROOT -czf media.tar.gz .`, then unpacked into an empty folder."""
    archive = tmp_path / "media.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(settings.MEDIA_ROOT, arcname=".")
    restored = tmp_path / "restored-media"
    restored.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(restored, filter="data")
    return (restored / media_name).read_bytes()


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_database_with_the_data_and_the_media(
    municipality, tmp_path
):
    media_name = _seed()

    if connection.vendor == "postgresql":
        found = _restore_postgresql(tmp_path)
    else:
        found = _restore_sqlite(tmp_path)
    photo = _media_round_trip(tmp_path, media_name)

    assert found["citizen"] == "Lucia"
    assert found["message"] == TEXT
    assert found["media_name"] == media_name
    assert found["audit"] == "operatore"
    assert found["audit_update_refused"] is True
    assert found["migrate_check"][0] == 0, found["migrate_check"][1]
    assert photo == PHOTO
