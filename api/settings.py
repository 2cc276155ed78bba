"""Settings read from environment variables, with an embedded default.

With nothing configured the product runs on two SQLite files under ``var/``.
A malformed value stops start-up with a message naming the variable, so a
typo in a deployment never silently falls back to the demo default.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VAR_DIR = PROJECT_ROOT / "var"

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it."""


SMTP_SECURITY = ("starttls", "tls", "none")
SMS_PROVIDERS = ("development", "http")


@dataclass(frozen=True)
class MessagingSettings:
    """How the worker delivers e-mails and SMS.

    Without an SMTP host, e-mails are delivered to the development mailbox
    (kept in the outbox as sent by "development"); the SMS provider
    "development" does the same for SMS, "http" posts them to a gateway.
    """

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_security: str = "starttls"
    mail_from: str = "ne-pas-repondre@sconet.invalid"
    sms_provider: str = "development"
    sms_http_url: str | None = None
    sms_http_token: str | None = None
    sms_sender: str = "SCONET"
    # Keys the messages' Message-ID and SMS reference (derived from SCONET_SECRET_KEY).
    reference_key: str = ""


@dataclass(frozen=True)
class Settings:
    database_url: str
    ts_database_url: str
    secret_key: str
    host: str
    port: int
    familles_port: int
    session_idle_minutes: int
    session_absolute_hours: int
    cookie_secure: bool
    # The address clients reach the API at (the OAuth issuer). Never taken from a request's
    # Host header, which any client chooses: configured in production, else the local address
    # (None: production without it, where the API refuses to start; see ``api_issuer``).
    public_url: str | None = "http://127.0.0.1:8000"
    # The families portal's address as printed on activation letters; empty: local default.
    familles_url: str | None = None
    messaging: MessagingSettings = field(default_factory=MessagingSettings)
    # Proxies whose X-Forwarded-For is believed (both apps); empty: the header is ignored.
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    # Processes of ``sconet serve``, each serving both apps (SCONET_WORKERS, ``--workers``).
    workers: int = 1
    # Keys the OneRoster sourcedIds (SCONET_ONEROSTER_KEY); empty: derived from the secret key.
    # Changing it (or, when empty, the secret key) changes every sourcedId.
    oneroster_key: str = ""

    @property
    def families_address(self) -> str:
        return (
            f"{self.familles_url}/"
            if self.familles_url
            else f"http://{self.host}:{self.familles_port}/"
        )

    def api_issuer(self) -> str:
        """The API's public address; raises in production when ``SCONET_PUBLIC_URL`` is unset.

        Only the servers need it: ``migrate`` or ``replicate`` run without it.
        """
        if self.public_url is None:
            raise SettingsError(
                "SCONET_PUBLIC_URL est obligatoire dès que SCONET_DATABASE_URL désigne "
                "PostgreSQL : l'adresse https à laquelle les clients joignent l'API (émetteur "
                "des jetons OAuth), par exemple https://sconet.ac-creteil.fr"
            )
        return self.public_url

    @property
    def embedded(self) -> bool:
        return self.database_url.startswith("sqlite")


def _database_url(env: Mapping[str, str], name: str, default_file: Path) -> str:
    raw = env.get(name)
    if raw is None or raw == "":
        default_file.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{default_file}"
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise SettingsError(
            f"{name} n'est pas une URL de base de données valide : {raw!r}"
        ) from exc
    driver = url.drivername
    if driver in ("postgresql", "postgres", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+asyncpg")
    elif driver == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    if url.drivername not in SUPPORTED_DRIVERS:
        raise SettingsError(
            f"{name} utilise le pilote {driver!r} ; pilotes acceptés : "
            "postgresql+asyncpg, sqlite+aiosqlite"
        )
    return url.render_as_string(hide_password=False)


def _int(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} doit être un entier, reçu {raw!r}") from exc
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name} doit être compris entre {minimum} et {maximum}, reçu {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on", "oui"):
        return True
    if lowered in ("0", "false", "no", "off", "non"):
        return False
    raise SettingsError(f"{name} doit valoir true ou false, reçu {raw!r}")


def _secret_key(env: Mapping[str, str], var_dir: Path, embedded: bool) -> str:
    raw = env.get("SCONET_SECRET_KEY")
    if raw:
        if len(raw) < 32:
            raise SettingsError("SCONET_SECRET_KEY doit compter au moins 32 caractères")
        return raw
    if not embedded:
        raise SettingsError(
            "SCONET_SECRET_KEY est obligatoire dès que SCONET_DATABASE_URL désigne PostgreSQL"
        )
    # Embedded mode only: a key generated once and kept beside the SQLite files.
    key_file = var_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _public_url(env: Mapping[str, str], name: str = "SCONET_PUBLIC_URL") -> str | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    if not raw.startswith(("https://", "http://")) or " " in raw:
        raise SettingsError(f"{name} doit être une adresse http(s) complète, reçu {raw!r}")
    return raw.rstrip("/")


def _trusted_proxies(env: Mapping[str, str]) -> tuple[IPv4Network | IPv6Network, ...]:
    raw = env.get("SCONET_TRUSTED_PROXIES") or ""
    networks = []
    for item in raw.replace(",", " ").split():
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError as exc:
            raise SettingsError(
                "SCONET_TRUSTED_PROXIES doit lister des adresses IP ou des réseaux "
                f"(ex. 10.0.0.5, 10.1.0.0/16), reçu {item!r}"
            ) from exc
    return tuple(networks)


# Addresses to listen on every interface: the embedded default's issuer is then the loopback one.
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def _issuer(env: Mapping[str, str], embedded: bool, host: str, port: int) -> str | None:
    """The API's public address: ``SCONET_PUBLIC_URL``, required in production.

    Production is any configuration whose admin database is PostgreSQL (the
    same rule as for ``SCONET_SECRET_KEY``); the embedded SQLite default
    serves plain http on this machine.
    """
    configured = _public_url(env)
    if configured is not None or not embedded:
        return configured
    return f"http://{'127.0.0.1' if host in WILDCARD_HOSTS else host}:{port}"


# More processes than this would only exhaust the database's connections (each has its pools).
MAX_WORKERS = 64


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity, as a container limits it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    var_dir = Path(env.get("SCONET_VAR_DIR") or DEFAULT_VAR_DIR)
    database_url = _database_url(env, "SCONET_DATABASE_URL", var_dir / "sconet.sqlite3")
    ts_database_url = _database_url(env, "SCONET_TS_DATABASE_URL", var_dir / "teleservices.sqlite3")
    if database_url == ts_database_url:
        raise SettingsError(
            "SCONET_TS_DATABASE_URL doit désigner une base distincte de SCONET_DATABASE_URL"
        )
    embedded = database_url.startswith("sqlite")
    host = env.get("SCONET_HOST") or "127.0.0.1"
    port = _int(env, "SCONET_PORT", 8000, 1, 65535)
    secret_key = _secret_key(env, var_dir, embedded)
    return Settings(
        database_url=database_url,
        ts_database_url=ts_database_url,
        secret_key=secret_key,
        host=host,
        port=port,
        familles_port=_int(env, "SCONET_FAMILLES_PORT", 8001, 1, 65535),
        session_idle_minutes=_int(env, "SCONET_SESSION_IDLE_MINUTES", 30, 1, 24 * 60),
        session_absolute_hours=_int(env, "SCONET_SESSION_ABSOLUTE_HOURS", 10, 1, 72),
        cookie_secure=_bool(env, "SCONET_COOKIE_SECURE", not database_url.startswith("sqlite")),
        public_url=_issuer(env, embedded, host, port),
        familles_url=_public_url(env, "SCONET_FAMILLES_URL"),
        messaging=_messaging(env, secret_key),
        trusted_proxies=_trusted_proxies(env),
        workers=_int(env, "SCONET_WORKERS", 1 if embedded else usable_cores(), 1, MAX_WORKERS),
        oneroster_key=_oneroster_key(env),
    )


def _oneroster_key(env: Mapping[str, str]) -> str:
    raw = env.get("SCONET_ONEROSTER_KEY") or ""
    if raw and len(raw) < 32:
        raise SettingsError("SCONET_ONEROSTER_KEY doit compter au moins 32 caractères")
    return raw


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    raw = (env.get(name) or choices[0]).strip().lower()
    if raw not in choices:
        raise SettingsError(f"{name} doit valoir {' ou '.join(choices)}, reçu {raw!r}")
    return raw


def _messaging(env: Mapping[str, str], secret_key: str) -> MessagingSettings:
    security = _choice(env, "SCONET_SMTP_SECURITY", SMTP_SECURITY)
    provider = _choice(env, "SCONET_SMS_PROVIDER", SMS_PROVIDERS)
    sms_url = (env.get("SCONET_SMS_HTTP_URL") or "").strip() or None
    if provider == "http" and not (sms_url and sms_url.startswith(("https://", "http://"))):
        raise SettingsError(
            "SCONET_SMS_HTTP_URL doit être l'adresse http(s) de la passerelle SMS "
            "quand SCONET_SMS_PROVIDER vaut http"
        )
    default_port = 465 if security == "tls" else 587
    return MessagingSettings(
        smtp_host=(env.get("SCONET_SMTP_HOST") or "").strip() or None,
        smtp_port=_int(env, "SCONET_SMTP_PORT", default_port, 1, 65535),
        smtp_username=env.get("SCONET_SMTP_USERNAME") or None,
        smtp_password=env.get("SCONET_SMTP_PASSWORD") or None,
        smtp_security=security,
        mail_from=(env.get("SCONET_MAIL_FROM") or "").strip() or MessagingSettings.mail_from,
        sms_provider=provider,
        sms_http_url=sms_url,
        sms_http_token=env.get("SCONET_SMS_HTTP_TOKEN") or None,
        sms_sender=(env.get("SCONET_SMS_SENDER") or "").strip() or MessagingSettings.sms_sender,
        # A key of its own, so that the references never expose the secret key itself.
        reference_key=hmac.new(
            secret_key.encode(), b"outbox message references", hashlib.sha256
        ).hexdigest(),
    )
