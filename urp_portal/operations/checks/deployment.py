"""The deployment's checks: Django, the gateway's variables, the database, the broker, email,
the pseudonym key, the media folder. Once for the whole deployment, however many comuni."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from urp_portal.gateway.adapters import adapter_names, get_adapter

from .findings import Finding, _block, _ok, _warn

_DEVELOPMENT_PSEUDONYM_KEY = "insecure-development-only-pseudonym-key"
_TEST_EMAIL_BACKENDS = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)


def check_django() -> list[Finding]:
    area = "Django"
    found = []
    if settings.DEBUG:
        found.append(_warn(area, "DEBUG è attivo: va bene sul portatile, mai in produzione."))
    hosts = [h for h in settings.ALLOWED_HOSTS if h not in ("localhost", "127.0.0.1", "[::1]")]
    if "*" in settings.ALLOWED_HOSTS and not settings.DEBUG:
        found.append(_block(area, "ALLOWED_HOSTS contiene «*»: indica il nome del sito."))
    elif not hosts and not settings.DEBUG:
        found.append(
            _block(
                area,
                "ALLOWED_HOSTS non contiene il nome del sito (es. urp.comune.example.it): "
                "Meta e gli operatori non raggiungerebbero il servizio.",
            )
        )
    else:
        found.append(_ok(area, f"Nomi del sito: {', '.join(settings.ALLOWED_HOSTS)}."))
    if not settings.DEBUG and not getattr(settings, "SECURE_SSL_REDIRECT", False):
        found.append(
            _warn(area, "SECURE_SSL_REDIRECT è spento: va bene solo se il proxy reindirizza già.")
        )
    return found


def _either(names: list[str]) -> str:
    # "meta, twilio o simulator"
    return " o ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def check_gateway() -> list[Finding]:
    """What the configured adapter declares it needs (DESIGN.md, "Gateway contract"): a new
    gateway brings its own list."""
    area = "Gateway WhatsApp"
    gateway = settings.WHATSAPP_GATEWAY
    try:
        adapter = get_adapter()
    except ImproperlyConfigured:
        return [
            _block(
                area,
                f"WHATSAPP_GATEWAY={gateway!r} non è valido: usa {_either(adapter_names())}.",
            )
        ]
    found = []
    if adapter.for_testing_only and not settings.DEBUG:
        real = [name for name in adapter_names() if not get_adapter(name).for_testing_only]
        found.append(
            _block(
                area,
                f"WHATSAPP_GATEWAY={gateway}: il simulatore serve solo per prove e formazione; "
                f"in produzione usa {_either(real)}.",
            )
        )
    missing = [name for name in adapter.required_settings if not getattr(settings, name, "")]
    for name in missing:
        found.append(_block(area, f"Manca la variabile {name} (richiesta dal gateway {gateway})."))
    if not missing and not found:
        found.append(_ok(area, f"Gateway {gateway}: variabili presenti."))
    if gateway == "meta" and not settings.WHATSAPP_BUSINESS_ACCOUNT_ID:
        found.append(
            _warn(
                area,
                "Manca WHATSAPP_BUSINESS_ACCOUNT_ID: i modelli non possono essere inviati a Meta "
                "per la revisione né seguiti dal prodotto.",
            )
        )
    if gateway == "meta" and not getattr(settings, "WHATSAPP_APP_ID", ""):
        found.append(
            _warn(
                area,
                "Manca WHATSAPP_APP_ID: un modello con immagine di intestazione non può essere "
                "inviato a Meta (l'immagine si carica presso l'app di Meta).",
            )
        )
    if gateway == "meta":
        found.extend(check_graph_version(today=dt.date.today()))
    return found


def check_graph_version(*, today: dt.date) -> list[Finding]:
    """Meta stops serving a Graph API version on a published day (graph_versions.py)."""
    from urp_portal.gateway.graph_versions import (
        DEFAULT_GRAPH_VERSION,
        SOURCE,
        WARN_BEFORE,
        graph_version_end,
        graph_version_of,
    )

    area = "Versione della Graph API"
    version = graph_version_of(str(settings.WHATSAPP_GRAPH_URL))
    if not version:
        return [_warn(area, "WHATSAPP_GRAPH_URL non indica una versione (es. /v25.0).")]
    end = graph_version_end(version)
    if end is None:
        return [
            _ok(area, f"{version}: Meta non ha ancora pubblicato la fine del supporto ({SOURCE}).")
        ]
    if today >= end:
        return [
            _block(
                area,
                f"{version}: Meta non la supporta più dal {end:%d/%m/%Y}; "
                f"passa a {DEFAULT_GRAPH_VERSION} ({SOURCE}).",
            )
        ]
    if end - today <= WARN_BEFORE:
        return [
            _warn(
                area,
                f"{version}: Meta ne termina il supporto il {end:%d/%m/%Y}, tra "
                f"{(end - today).days} giorni; passa a {DEFAULT_GRAPH_VERSION} ({SOURCE}).",
            )
        ]
    return [_ok(area, f"{version}: supportata da Meta fino al {end:%d/%m/%Y}.")]


def check_database() -> list[Finding]:
    area = "Database"
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        connection.ensure_connection()
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # any failure is the finding itself
        return [_block(area, f"Il database non risponde ({type(exc).__name__}: {exc}).")]
    if pending:
        return [
            _block(
                area,
                f"Ci sono {len(pending)} migrazioni da applicare: esegui "
                "«python manage.py migrate».",
            )
        ]
    found = [_ok(area, f"Database raggiungibile ({connection.vendor}), migrazioni applicate.")]
    if connection.vendor == "sqlite" and not settings.DEBUG:
        found.append(
            _warn(area, "Il database è SQLite: in produzione usa PostgreSQL (DATABASE_URL).")
        )
    return found


def check_broker() -> list[Finding]:
    area = "Code di lavoro (Celery)"
    from urp_portal.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:  # any failure is the finding itself
        return [_block(area, f"Il broker non risponde ({type(exc).__name__}: {exc}).")]
    found = [_ok(area, "Broker raggiungibile.")]
    if not settings.REDIS_URL and not settings.DEBUG:
        found.append(
            _warn(
                area,
                "REDIS_URL non è impostato: il broker su file funziona su una sola macchina.",
            )
        )
    return found


def check_email() -> list[Finding]:
    area = "Email"
    if settings.EMAIL_BACKEND in _TEST_EMAIL_BACKENDS:
        message = (
            "EMAIL_URL non invia davvero (console o prova): gli inoltri ai servizi e gli "
            "avvisi di scadenza non arriverebbero. Imposta smtp+tls://utente:password@host:587."
        )
        return [_warn(area, message) if settings.DEBUG else _block(area, message)]
    found = [_ok(area, f"Email in uscita tramite {settings.EMAIL_HOST or settings.EMAIL_BACKEND}.")]
    if settings.DEFAULT_FROM_EMAIL.endswith("example.it"):
        found.append(
            _warn(area, "DEFAULT_FROM_EMAIL è l'indirizzo d'esempio: usa quello del comune.")
        )
    return found


def check_privacy() -> list[Finding]:
    area = "Protezione dei dati"
    found = []
    if not settings.URP_PSEUDONYM_KEY:
        found.append(
            _block(area, "Manca URP_PSEUDONYM_KEY (chiave degli pseudonimi dei consensi).")
        )
    elif settings.URP_PSEUDONYM_KEY == _DEVELOPMENT_PSEUDONYM_KEY:
        level = _warn if settings.DEBUG else _block
        found.append(level(area, "URP_PSEUDONYM_KEY è la chiave di sviluppo: impostane una vera."))
    else:
        found.append(_ok(area, "Chiave degli pseudonimi impostata."))
    if settings.URP_AUDIT_RETENTION_DAYS < 180:
        found.append(
            _warn(
                area,
                f"URP_AUDIT_RETENTION_DAYS={settings.URP_AUDIT_RETENTION_DAYS}: il Garante chiede "
                "almeno sei mesi (180 giorni) di registro degli accessi.",
            )
        )
    return found


def check_media() -> list[Finding]:
    area = "Allegati"
    media_root = Path(settings.MEDIA_ROOT)
    try:
        media_root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return [_block(area, f"La cartella MEDIA_ROOT ({media_root}) non si crea: {exc}.")]
    if not os.access(media_root, os.W_OK):
        return [_block(area, f"La cartella MEDIA_ROOT ({media_root}) non è scrivibile.")]
    return [_ok(area, f"Cartella degli allegati: {media_root}.")]
