"""Settings: the only reader of the environment.

Every value comes from an `EAKTE_*` variable with an embedded default, so that
a new user runs the whole product with no server. A bad value raises
`ConfigError` naming the variable; nothing here builds clients or engines.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eakte.errors import ConfigError

DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")
STORAGE_SCHEMES = ("file", "s3")
SEARCH_SCHEMES = ("file", "http", "https")

T = TypeVar("T")


Reader = Callable[["_Env", str, Any], Any]


def setting(variable: str, default: T, read: Reader) -> T:
    """A field read from `variable`; its default and its rule are stated here, once."""
    return field(default=default, metadata={"variable": variable, "read": read})


def _integer(minimum: int, maximum: int) -> Reader:
    return lambda env, name, default: env.integer(name, default, minimum=minimum, maximum=maximum)


def _choice(*choices: str) -> Reader:
    return lambda env, name, default: env.choice(name, default, choices)


def _text(env: _Env, name: str, default: str) -> str:
    return env.text(name, default)


def _optional(env: _Env, name: str, default: None) -> str | None:
    return env.optional(name)


def _image_file(env: _Env, name: str, default: None) -> str | None:
    return env.image_file(name)


def _timezone(env: _Env, name: str, default: str) -> str:
    return env.timezone(name, default)


def _networks(env: _Env, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    return env.networks(name, ",".join(default) or "none")


@dataclass(frozen=True)
class Settings:
    # Derived from the instance path when unset (see from_env).
    instance_path: Path
    database_url: str
    storage_url: str
    search_url: str
    secret_key: str | None = setting("EAKTE_SECRET_KEY", None, _optional)
    s3_access_key: str | None = setting("EAKTE_S3_ACCESS_KEY", None, _optional)
    s3_secret_key: str | None = setting("EAKTE_S3_SECRET_KEY", None, _optional)
    s3_region: str | None = setting("EAKTE_S3_REGION", None, _optional)
    timezone: str = setting("EAKTE_TIMEZONE", "Europe/Berlin", _timezone)
    token_ttl_days: int = setting("EAKTE_TOKEN_TTL_DAYS", 90, _integer(1, 3650))
    # Upper limit for any token's lifetime; only an admin may give service accounts longer.
    token_max_days: int = setting("EAKTE_TOKEN_MAX_DAYS", 365, _integer(1, 3650))
    proxy_count: int = setting("EAKTE_PROXY_COUNT", 0, _integer(0, 10))
    # Per client address (IPv6: per /64), counted in each app process; 0 switches a limit off.
    sign_in_failures_per_address: int = setting(
        "EAKTE_SIGN_IN_FAILURES_PER_ADDRESS", 20, _integer(0, 100_000)
    )
    token_failures_per_address: int = setting(
        "EAKTE_TOKEN_FAILURES_PER_ADDRESS", 50, _integer(0, 100_000)
    )
    auth_failure_window_seconds: int = setting(
        "EAKTE_AUTH_FAILURE_WINDOW_SECONDS", 900, _integer(1, 86400)
    )
    api_requests_per_minute: int = setting("EAKTE_API_REQUESTS_PER_MINUTE", 0, _integer(0, 10**7))
    max_request_bytes: int = setting("EAKTE_MAX_REQUEST_BYTES", 1024**2, _integer(1024, 2**40))
    max_upload_bytes: int = setting("EAKTE_MAX_UPLOAD_BYTES", 2 * 1024**3, _integer(1024, 2**42))
    # A request body must start arriving within this many seconds and keep up a minimum
    # pace (see eakte.slow_clients); slowloris-style clients are cut off with a 408.
    client_timeout_seconds: int = setting("EAKTE_CLIENT_TIMEOUT_SECONDS", 60, _integer(1, 3600))
    s3_object_lock: str = setting(
        "EAKTE_S3_OBJECT_LOCK", "off", _choice("off", "governance", "compliance")
    )
    sweep_grace_hours: int = setting("EAKTE_SWEEP_GRACE_HOURS", 24, _integer(0, 8760))
    audit_checkpoint_events: int = setting(
        "EAKTE_AUDIT_CHECKPOINT_EVENTS", 1000, _integer(1, 10**9)
    )
    audit_checkpoint_seconds: int = setting(
        "EAKTE_AUDIT_CHECKPOINT_SECONDS", 5, _integer(1, 86400 * 7)
    )
    audit_address_days: int = setting("EAKTE_AUDIT_ADDRESS_DAYS", 90, _integer(0, 3650))
    # How long SQLite waits for a lock; not an environment variable.
    sqlite_busy_timeout_ms: int = 30_000
    search_index: str = setting("EAKTE_SEARCH_INDEX", "eakte-documents", _text)
    search_username: str | None = setting("EAKTE_SEARCH_USERNAME", None, _optional)
    search_password: str | None = setting("EAKTE_SEARCH_PASSWORD", None, _optional)
    search_api_key: str | None = setting("EAKTE_SEARCH_API_KEY", None, _optional)
    ocr: str = setting("EAKTE_OCR", "auto", _choice("auto", "on", "off"))
    extract_max_bytes: int = setting(
        "EAKTE_EXTRACT_MAX_BYTES", 100 * 1024**2, _integer(1024, 2**40)
    )
    extract_max_chars: int = setting("EAKTE_EXTRACT_MAX_CHARS", 2_000_000, _integer(1000, 10**9))
    extract_timeout_seconds: int = setting("EAKTE_EXTRACT_TIMEOUT_SECONDS", 120, _integer(1, 86400))
    archive_sender: str = setting("EAKTE_ARCHIVE_SENDER", "Gemeindeverwaltung", _text)
    archive_receiver: str = setting("EAKTE_ARCHIVE_RECEIVER", "Zuständiges Archiv", _text)
    # The municipality's logo in the head of printed certificates (PNG or JPEG).
    certificate_logo: str | None = setting("EAKTE_CERTIFICATE_LOGO", None, _image_file)
    log_format: str = setting("EAKTE_LOG_FORMAT", "json", _choice("json", "text"))
    log_level: str = setting(
        "EAKTE_LOG_LEVEL",
        "INFO",
        lambda env, name, default: env.choice(
            name, default, ("debug", "info", "warning", "error")
        ).upper(),
    )
    # Who may scrape /metrics (CIDR list); the monitoring host, not the public.
    metrics_allow: tuple[str, ...] = setting(
        "EAKTE_METRICS_ALLOW", ("127.0.0.1/32", "::1/128"), _networks
    )

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
        values = {
            spec.name: spec.metadata["read"](env, spec.metadata["variable"], spec.default)
            for spec in fields(cls)
            if "variable" in spec.metadata
        }
        settings = cls(
            instance_path=instance,
            database_url=env.url(
                "EAKTE_DATABASE_URL", f"sqlite:///{instance / 'eakte.db'}", DATABASE_SCHEMES
            ),
            storage_url=env.url(
                "EAKTE_STORAGE_URL", f"file://{instance / 'objects'}", STORAGE_SCHEMES
            ),
            search_url=env.url("EAKTE_SEARCH_URL", f"file://{instance / 'search'}", SEARCH_SCHEMES),
            **values,
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

    def image_file(self, name: str) -> str | None:
        """An optional path to a PNG or JPEG file that exists now."""
        value = self.optional(name)
        if value is None:
            return None
        if Path(value).suffix.lower() not in (".png", ".jpg", ".jpeg"):
            raise ConfigError(name, f"must be a .png or .jpg file, got {value!r}")
        if not Path(value).is_file():
            raise ConfigError(name, f"no such file: {value!r}")
        return value

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
