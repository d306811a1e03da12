"""Settings: the only reader of the environment.

Every value comes from an `EAKTE_*` variable with an embedded default, so that
a new user runs the whole product with no server. A bad value raises
`ConfigError` naming the variable; nothing here builds clients or engines.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eakte.errors import ConfigError

DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")
STORAGE_SCHEMES = ("file", "s3")
SEARCH_SCHEMES = ("file", "http", "https")


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    storage_url: str
    search_url: str
    secret_key: str | None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_region: str | None = None
    timezone: str = "Europe/Berlin"
    token_ttl_days: int = 90
    # Upper limit for any token's lifetime; only an admin may give service accounts longer.
    token_max_days: int = 365
    proxy_count: int = 0
    # Per client address (IPv6: per /64), counted in each app process; 0 switches a limit off.
    sign_in_failures_per_address: int = 20
    token_failures_per_address: int = 50
    auth_failure_window_seconds: int = 900
    api_requests_per_minute: int = 0
    max_request_bytes: int = 1024 * 1024
    max_upload_bytes: int = 2 * 1024**3
    # A request body must start arriving within this many seconds and keep up a minimum
    # pace (see eakte.slow_clients); slowloris-style clients are cut off with a 408.
    client_timeout_seconds: int = 60
    s3_object_lock: str = "off"
    sweep_grace_hours: int = 24
    audit_checkpoint_events: int = 1000
    audit_checkpoint_seconds: int = 5
    audit_address_days: int = 90
    sqlite_busy_timeout_ms: int = 30_000
    search_index: str = "eakte-documents"
    search_username: str | None = None
    search_password: str | None = None
    search_api_key: str | None = None
    ocr: str = "auto"
    extract_max_bytes: int = 100 * 1024**2
    extract_max_chars: int = 2_000_000
    extract_timeout_seconds: int = 120
    archive_sender: str = "Gemeindeverwaltung"
    archive_receiver: str = "Zuständiges Archiv"
    log_format: str = "json"
    log_level: str = "INFO"
    # Who may scrape /metrics (CIDR list); the monitoring host, not the public.
    metrics_allow: tuple[str, ...] = ("127.0.0.1/32", "::1/128")

    @property
    def search_hosts(self) -> list[str]:
        """Elasticsearch node URLs; empty for the embedded index."""
        if self.search_url.startswith("file://"):
            return []
        return [url.strip() for url in self.search_url.split(",") if url.strip()]

    @property
    def keyring_path(self) -> Path:
        return self.instance_path / "keyring.json"

    @property
    def secret_key_path(self) -> Path:
        return self.instance_path / "secret_key"

    @property
    def audit_signing_key_path(self) -> Path:
        return self.instance_path / "audit_signing_key.pem"

    @property
    def audit_address_key_path(self) -> Path:
        return self.instance_path / "audit_address_key"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = _Env(os.environ if environ is None else environ)
        instance = Path(env.text("EAKTE_INSTANCE_PATH", "instance")).expanduser().absolute()
        settings = cls(
            instance_path=instance,
            database_url=env.url(
                "EAKTE_DATABASE_URL", f"sqlite:///{instance / 'eakte.db'}", DATABASE_SCHEMES
            ),
            storage_url=env.url(
                "EAKTE_STORAGE_URL", f"file://{instance / 'objects'}", STORAGE_SCHEMES
            ),
            search_url=env.url("EAKTE_SEARCH_URL", f"file://{instance / 'search'}", SEARCH_SCHEMES),
            secret_key=env.optional("EAKTE_SECRET_KEY"),
            s3_access_key=env.optional("EAKTE_S3_ACCESS_KEY"),
            s3_secret_key=env.optional("EAKTE_S3_SECRET_KEY"),
            s3_region=env.optional("EAKTE_S3_REGION"),
            timezone=env.timezone("EAKTE_TIMEZONE", "Europe/Berlin"),
            token_ttl_days=env.integer("EAKTE_TOKEN_TTL_DAYS", 90, minimum=1, maximum=3650),
            token_max_days=env.integer("EAKTE_TOKEN_MAX_DAYS", 365, minimum=1, maximum=3650),
            proxy_count=env.integer("EAKTE_PROXY_COUNT", 0, minimum=0, maximum=10),
            sign_in_failures_per_address=env.integer(
                "EAKTE_SIGN_IN_FAILURES_PER_ADDRESS", 20, minimum=0, maximum=100_000
            ),
            token_failures_per_address=env.integer(
                "EAKTE_TOKEN_FAILURES_PER_ADDRESS", 50, minimum=0, maximum=100_000
            ),
            auth_failure_window_seconds=env.integer(
                "EAKTE_AUTH_FAILURE_WINDOW_SECONDS", 900, minimum=1, maximum=86400
            ),
            api_requests_per_minute=env.integer(
                "EAKTE_API_REQUESTS_PER_MINUTE", 0, minimum=0, maximum=10**7
            ),
            max_request_bytes=env.integer(
                "EAKTE_MAX_REQUEST_BYTES", 1024 * 1024, minimum=1024, maximum=2**40
            ),
            max_upload_bytes=env.integer(
                "EAKTE_MAX_UPLOAD_BYTES", 2 * 1024**3, minimum=1024, maximum=2**42
            ),
            client_timeout_seconds=env.integer(
                "EAKTE_CLIENT_TIMEOUT_SECONDS", 60, minimum=1, maximum=3600
            ),
            s3_object_lock=env.choice(
                "EAKTE_S3_OBJECT_LOCK", "off", ("off", "governance", "compliance")
            ),
            sweep_grace_hours=env.integer("EAKTE_SWEEP_GRACE_HOURS", 24, minimum=0, maximum=8760),
            audit_checkpoint_events=env.integer(
                "EAKTE_AUDIT_CHECKPOINT_EVENTS", 1000, minimum=1, maximum=10**9
            ),
            audit_checkpoint_seconds=env.integer(
                "EAKTE_AUDIT_CHECKPOINT_SECONDS", 5, minimum=1, maximum=86400 * 7
            ),
            audit_address_days=env.integer("EAKTE_AUDIT_ADDRESS_DAYS", 90, minimum=0, maximum=3650),
            search_index=env.text("EAKTE_SEARCH_INDEX", "eakte-documents"),
            search_username=env.optional("EAKTE_SEARCH_USERNAME"),
            search_password=env.optional("EAKTE_SEARCH_PASSWORD"),
            search_api_key=env.optional("EAKTE_SEARCH_API_KEY"),
            ocr=env.choice("EAKTE_OCR", "auto", ("auto", "on", "off")),
            extract_max_bytes=env.integer(
                "EAKTE_EXTRACT_MAX_BYTES", 100 * 1024**2, minimum=1024, maximum=2**40
            ),
            extract_max_chars=env.integer(
                "EAKTE_EXTRACT_MAX_CHARS", 2_000_000, minimum=1000, maximum=10**9
            ),
            extract_timeout_seconds=env.integer(
                "EAKTE_EXTRACT_TIMEOUT_SECONDS", 120, minimum=1, maximum=86400
            ),
            archive_sender=env.text("EAKTE_ARCHIVE_SENDER", "Gemeindeverwaltung"),
            archive_receiver=env.text("EAKTE_ARCHIVE_RECEIVER", "Zuständiges Archiv"),
            log_format=env.choice("EAKTE_LOG_FORMAT", "json", ("json", "text")),
            log_level=env.choice(
                "EAKTE_LOG_LEVEL", "info", ("debug", "info", "warning", "error")
            ).upper(),
            metrics_allow=env.networks("EAKTE_METRICS_ALLOW", "127.0.0.1/32,::1/128"),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.secret_key is not None and len(self.secret_key) < 32:
            raise ConfigError("EAKTE_SECRET_KEY", "must be at least 32 characters long")
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,200}", self.search_index):
            raise ConfigError(
                "EAKTE_SEARCH_INDEX", "must be a lowercase index name (a-z, 0-9, '-', '_', '.')"
            )
        if self.storage_url.startswith("s3://"):
            _check_s3_url(self.storage_url)
            for name, value in (
                ("EAKTE_S3_ACCESS_KEY", self.s3_access_key),
                ("EAKTE_S3_SECRET_KEY", self.s3_secret_key),
            ):
                if not value:
                    raise ConfigError(name, "is required when EAKTE_STORAGE_URL is an s3:// URL")


class _Env:
    """Typed readers over one environment mapping; each error names its variable."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def optional(self, name: str) -> str | None:
        value = self._environ.get(name, "").strip()
        return value or None

    def text(self, name: str, default: str) -> str:
        return self.optional(name) or default

    def integer(self, name: str, default: int, *, minimum: int, maximum: int) -> int:
        raw = self.optional(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(name, f"must be a whole number, got {raw!r}") from None
        if not minimum <= value <= maximum:
            raise ConfigError(name, f"must be between {minimum} and {maximum}, got {value}")
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default).lower()
        if value not in choices:
            raise ConfigError(name, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def url(self, name: str, default: str, schemes: tuple[str, ...]) -> str:
        value = self.text(name, default)
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in schemes:
            allowed = ", ".join(f"{s}://" for s in schemes)
            # The value may carry a password: name the scheme only.
            raise ConfigError(name, f"must start with one of {allowed} (got scheme {scheme!r})")
        return value

    def networks(self, name: str, default: str) -> tuple[str, ...]:
        """A comma-separated list of addresses or CIDR networks ("none" for nobody)."""
        value = self.text(name, default)
        if value.lower() == "none":
            return ()
        items = tuple(part.strip() for part in value.split(",") if part.strip())
        for item in items:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ConfigError(name, f"{item!r} is not an address or CIDR network") from None
        return items

    def timezone(self, name: str, default: str) -> str:
        value = self.text(name, default)
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(name, f"unknown time zone {value!r}") from None
        return value


def _check_s3_url(url: str) -> None:
    parts = urlsplit(url)
    bucket = parts.path.strip("/")
    if not parts.hostname or not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
        raise ConfigError("EAKTE_STORAGE_URL", "must look like s3://HOST:PORT/BUCKET")
    if parts.username or parts.password:
        raise ConfigError(
            "EAKTE_STORAGE_URL",
            "must not carry credentials; use EAKTE_S3_ACCESS_KEY and EAKTE_S3_SECRET_KEY",
        )
    secure = parse_qs(parts.query).get("secure", ["true"])[0].lower()
    if secure not in ("true", "false"):
        raise ConfigError("EAKTE_STORAGE_URL", "?secure= must be true or false")
