"""Settings: built once, from defaults <- settings.toml in the data dir <- environment variables.

Each setting is declared once, as a field of :class:`Settings` made by :func:`setting`: its name, type
(the annotation), default, kind (limits or allowed values), whether a change needs a restart, whether the
operator console may edit it, and where ``/api/config`` shows it. Its help text lives in the web client's
catalogs (``messenger/web/static/i18n/{ko,en}.json``) under ``settingHelp.<NAME>``. Loading, validation,
the README's settings table (``build/settings_table.py``), ``/api/config`` and the operator console
(:func:`describe_settings`, :func:`check_changes`, :func:`write_settings_file`) are derived from it.

Every key keeps the established name from the original product. A bad value stops start-up with one
line naming the key and what it accepts (``SettingsError``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar


class SettingsError(ValueError):
    """A setting has a value the server cannot use. ``key`` and ``allowed`` name it for an API error."""

    def __init__(self, message: str, key: str | None = None, allowed: str | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.allowed = allowed


# ---- kinds: how a raw value (TOML or environment text) becomes a typed value ------------------------


class Kind:
    """How a raw value from TOML, the environment or the console becomes the typed value."""

    type_name = "string"

    def parse(self, key: str, raw: Any) -> Any:
        return str(raw)

    def allowed(self) -> str:
        """What the setting accepts, in English, for the one-line error."""
        return "text"

    def schema(self) -> dict[str, Any]:
        """The limits as data, for a form."""
        return {}

    def fail(self, key: str, raw: Any) -> SettingsError:
        return SettingsError(f"{key}: expected {self.allowed()}, got {raw!r}", key, self.allowed())


class Text(Kind):
    pass


class Bool(Kind):
    type_name = "bool"
    TRUE = frozenset({"1", "true", "yes", "on"})
    FALSE = frozenset({"0", "false", "no", "off", ""})

    def parse(self, key: str, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise self.fail(key, raw)

    def allowed(self) -> str:
        return "true/false (1/0, yes/no, on/off)"


@dataclass(frozen=True)
class Int(Kind):
    minimum: int
    maximum: int
    type_name = "int"

    def parse(self, key: str, raw: Any) -> int:
        try:
            if isinstance(raw, (bool, float)):
                raise ValueError
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            raise self.fail(key, raw) from None
        if not self.minimum <= value <= self.maximum:
            raise self.fail(key, value)
        return value

    def allowed(self) -> str:
        return f"an integer from {self.minimum} to {self.maximum}"

    def schema(self) -> dict[str, Any]:
        return {"min": self.minimum, "max": self.maximum}


@dataclass(frozen=True)
class Float(Kind):
    minimum: float
    maximum: float
    type_name = "float"

    def parse(self, key: str, raw: Any) -> float:
        try:
            if isinstance(raw, bool):
                raise ValueError
            value = float(str(raw).strip())
        except (TypeError, ValueError):
            raise self.fail(key, raw) from None
        if not self.minimum <= value <= self.maximum:  # also refuses nan
            raise self.fail(key, value)
        return value

    def allowed(self) -> str:
        return f"a number from {self.minimum:g} to {self.maximum:g}"

    def schema(self) -> dict[str, Any]:
        return {"min": self.minimum, "max": self.maximum}


@dataclass(frozen=True)
class Choice(Kind):
    choices: tuple[str, ...]
    upper: bool = False  # LOG_LEVEL: written lower case, held upper case for logging

    def parse(self, key: str, raw: Any) -> str:
        text = str(raw).strip().lower()
        if text not in self.choices:
            raise self.fail(key, raw)
        return text.upper() if self.upper else text

    def allowed(self) -> str:
        return "one of " + ", ".join(self.choices)

    def schema(self) -> dict[str, Any]:
        return {"choices": list(self.choices)}


class Rate(Kind):
    def parse(self, key: str, raw: Any) -> str:
        # limits is imported here only to keep it off the start-up path of code that never parses a rate.
        from limits import parse_many

        text = str(raw).strip()
        try:
            if not parse_many(text):
                raise ValueError
        except ValueError:
            raise self.fail(key, raw) from None
        return text

    def allowed(self) -> str:
        return "a rate like '10/minute' or '100 per hour'"

    def schema(self) -> dict[str, Any]:
        return {"format": "rate"}


@dataclass(frozen=True)
class Url(Kind):
    schemes: tuple[str, ...]
    allow_empty: bool

    def parse(self, key: str, raw: Any) -> str:
        text = str(raw).strip()
        if not text and self.allow_empty:
            return ""
        if not any(text.startswith(s) for s in self.schemes):
            raise self.fail(key, raw)
        return text

    def allowed(self) -> str:
        text = "a URL starting with " + " or ".join(self.schemes)
        return text + (" (or empty)" if self.allow_empty else "")

    def schema(self) -> dict[str, Any]:
        return {"schemes": list(self.schemes), "allow_empty": self.allow_empty}


class Extensions(Kind):
    """File extensions: a list or comma-separated text; lower case, no dots, sorted, unique."""

    type_name = "list"

    def parse(self, key: str, raw: Any) -> tuple[str, ...]:
        items = [str(x) for x in raw] if isinstance(raw, (list, tuple)) else str(raw).split(",")
        return tuple(sorted({x.strip().lower().lstrip(".") for x in items if x.strip()}))

    def allowed(self) -> str:
        return "a list of file extensions"


class Origins(Kind):
    """Origins: a list or comma-separated text, trailing slashes dropped."""

    type_name = "list"

    def parse(self, key: str, raw: Any) -> tuple[str, ...]:
        items = [str(x) for x in raw] if isinstance(raw, (list, tuple)) else str(raw).split(",")
        return tuple(x.strip().rstrip("/") for x in items if x.strip())

    def allowed(self) -> str:
        return "a list of origins like https://chat.example.com"


# ---- the declaration ---------------------------------------------------------------------------------

T = TypeVar("T")


@dataclass(frozen=True)
class Spec:
    """One setting's declaration (the metadata of its :class:`Settings` field)."""

    kind: Kind
    restart: bool = True  # False: read through svc.settings at each use, so a swapped Settings applies at once
    console: bool = False  # the operator console may show and change it
    secret: bool = False  # never shown; redacted in diagnostics
    from_env: bool = True  # read from the environment (SECRET_KEY comes from the data dir's secret_key file)
    client: tuple[str, ...] = ()  # where /api/config shows it, e.g. ("upload", "max_size_bytes")
    client_value: Callable[[Any], Any] | None = None  # how /api/config shows it (default: lists as lists)
    name: str = ""  # filled from the field name
    default: Any = None

    @property
    def help_key(self) -> str:
        """The catalog key of the help text (web client catalogs)."""
        return f"settingHelp.{self.name}"

    def parse(self, raw: Any) -> Any:
        return self.kind.parse(self.name, raw)

    def describe(self) -> dict[str, Any]:
        """The declaration as data: what a form needs to show and check the setting."""
        default = self.default
        return {
            "name": self.name,
            "type": self.kind.type_name,
            "default": list(default) if isinstance(default, tuple) else default,
            "allowed": self.kind.allowed(),
            **self.kind.schema(),
            "restart": self.restart,
            "help": self.help_key,
        }


def setting(default: T, kind: Kind | None = None, **options: Any) -> T:
    """Declare a setting: a :class:`Settings` field with its default and its :class:`Spec`."""
    spec = Spec(kind=kind or Text(), **options)
    return field(default=default, metadata={"spec": spec}, repr=not spec.secret)


DEFAULT_BLOCKED_EXTENSIONS = (
    "bat", "cmd", "com", "cpl", "dll", "exe", "hta", "jar", "js", "jse", "lnk", "msi", "msp",
    "ps1", "psm1", "scr", "sh", "vbe", "vbs", "wsf", "wsh", "reg", "app", "deb", "rpm", "apk",
)
_REDIS = ("redis://", "rediss://")


def _per_minute(value: int) -> str:
    return f"{value}/minute"


@dataclass(frozen=True)
class Settings:
    """Everything the server reads from its configuration. Build with :func:`load_settings`."""

    data_dir: Path
    DEFAULT_PORT: int = setting(5000, Int(1, 65535), console=True)
    HOST: str = setting("0.0.0.0")
    SESSION_TIMEOUT_HOURS: int = setting(72, Int(1, 24 * 365), restart=False, console=True,
                                         client=("session_timeout_hours",))
    MAX_CONTENT_LENGTH: int = setting(16 * 1024 * 1024, Int(1024, 4 * 1024**3), console=True,
                                      client=("upload", "max_size_bytes"))
    UPLOAD_FOLDER: str = setting("")
    DATABASE_URL: str = setting("", Url(("sqlite:///", "postgresql"), allow_empty=True))
    REGISTRATION: str = setting("open", Choice(("open", "closed")), restart=False)
    RATE_LIMIT_STORAGE_URI: str = setting("memory://", Url(("memory://", *_REDIS), allow_empty=False))
    RATE_LIMIT_LOGIN: str = setting("10/minute", Rate(), client=("rate_limits", "login"))
    RATE_LIMIT_REGISTER: str = setting("5/minute", Rate(), client=("rate_limits", "register"))
    RATE_LIMIT_UPLOAD: str = setting("10/minute", Rate(), client=("rate_limits", "upload"))
    RATE_LIMIT_SEARCH_ADVANCED: str = setting("30/minute", Rate(), client=("rate_limits", "search_advanced"))
    SOCKET_SEND_MESSAGE_PER_MINUTE: int = setting(100, Int(1, 10_000_000),
                                                  client=("rate_limits", "socket_send_message"),
                                                  client_value=_per_minute)
    STATE_STORE_REDIS_URL: str = setting("", Url(_REDIS, allow_empty=True))
    SOCKETIO_MESSAGE_QUEUE: str = setting("", Url(_REDIS, allow_empty=True))
    FEATURE_OIDC_ENABLED: bool = setting(False, Bool(), client=("features", "oidc"))
    OIDC_CLIENT_ID: str = setting("")
    OIDC_CLIENT_SECRET: str = setting("", secret=True)
    OIDC_ISSUER_URL: str = setting("")
    OIDC_SCOPES: str = setting("openid email profile")
    OIDC_USERNAME_CLAIM: str = setting("preferred_username")
    OIDC_PROVIDER_NAME: str = setting("SSO")
    FEATURE_AV_SCAN_ENABLED: bool = setting(False, Bool(), client=("features", "av"))
    AV_CLAMD_HOST: str = setting("127.0.0.1")
    AV_CLAMD_PORT: int = setting(3310, Int(1, 65535))
    AV_SCAN_TIMEOUT_SECONDS: float = setting(30.0, Float(0.1, 86400.0))
    RETENTION_DAYS: int = setting(0, Int(0, 36500), restart=False, console=True)
    UPLOAD_TOKEN_TTL_SECONDS: int = setting(600, Int(10, 7 * 24 * 3600), restart=False)
    UPLOAD_BLOCKED_EXTENSIONS: tuple[str, ...] = setting(DEFAULT_BLOCKED_EXTENSIONS, Extensions(), restart=False,
                                                         client=("upload", "blocked_extensions"))
    UPLOAD_ALLOWED_EXTENSIONS: tuple[str, ...] = setting((), Extensions(), restart=False,
                                                         client=("upload", "allowed_extensions"))
    MESSAGE_MAX_LENGTH: int = setting(10000, Int(1, 1_000_000), restart=False, console=True,
                                      client=("message_max_length",))
    TYPING_EXPIRY_SECONDS: float = setting(5.0, Float(0.2, 60.0), restart=False)
    PRESENCE_IDLE_SECONDS: int = setting(600, Int(0, 24 * 3600), restart=False, console=True,
                                         client=("presence", "idle_seconds"))
    TLS_CERT_FILE: str = setting("")
    TLS_KEY_FILE: str = setting("")
    HTTPS_MODE: str = setting("off", Choice(("off", "local-ca")), console=True)
    HTTPS_PORT: int = setting(5443, Int(0, 65535), console=True)
    MDNS_ENABLED: bool = setting(True, Bool(), console=True)
    ALLOWED_ORIGINS: tuple[str, ...] = setting((), Origins())
    TRUSTED_PROXIES: int = setting(0, Int(0, 5))
    HEALTH_MIN_FREE_MB: int = setting(500, Int(0, 10_000_000), restart=False, console=True)
    LOG_LEVEL: str = setting("INFO", Choice(("debug", "info", "warning", "error"), upper=True), console=True)
    SECRET_KEY: str = setting("", secret=True, from_env=False)

    # ---- derived paths -------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        if self.DATABASE_URL:
            return self.DATABASE_URL
        return f"sqlite:///{self.data_dir / 'messenger.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        return Path(self.database_url.split("///", 1)[1])

    @property
    def upload_dir(self) -> Path:
        return Path(self.UPLOAD_FOLDER) if self.UPLOAD_FOLDER else self.data_dir / "uploads"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def tls_enabled(self) -> bool:
        return bool(self.TLS_CERT_FILE and self.TLS_KEY_FILE)

    @property
    def local_ca_https(self) -> bool:
        """HTTPS with the local CA: HTTPS on HTTPS_PORT, and plain HTTP redirecting to it."""
        return self.HTTPS_MODE == "local-ca"

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)

    def with_changes(self, changes: Mapping[str, Any]) -> "Settings":
        """A copy with ``changes`` validated like the file's values (for applying console edits live)."""
        return dataclasses.replace(self, **{key: spec_of(key).parse(raw) for key, raw in changes.items()})

    def redacted(self) -> dict[str, Any]:
        """Settings as a dict with secrets hidden (diagnostics, admin views)."""
        out: dict[str, Any] = {"data_dir": str(self.data_dir)}
        for spec in SPECS:
            value = getattr(self, spec.name)
            if spec.secret and value:
                value = "***"
            elif isinstance(value, str) and "://" in value and "@" in value:
                scheme, rest = value.split("://", 1)
                value = f"{scheme}://***@{rest.split('@', 1)[1]}"
            out[spec.name] = value
        return out

    def client_config(self) -> dict[str, Any]:
        """The settings ``/api/config`` shows (those declared with ``client=``), nested by their path."""
        out: dict[str, Any] = {}
        for spec in SPECS:
            if not spec.client:
                continue
            value = getattr(self, spec.name)
            if spec.client_value is not None:
                value = spec.client_value(value)
            elif isinstance(value, tuple):
                value = list(value)
            node = out
            for part in spec.client[:-1]:
                node = node.setdefault(part, {})
            node[spec.client[-1]] = value
        return out


def _specs() -> tuple[Spec, ...]:
    specs = []
    for f in dataclasses.fields(Settings):
        if "spec" not in f.metadata:
            continue
        specs.append(dataclasses.replace(f.metadata["spec"], name=f.name, default=f.default))
    return tuple(specs)


SPECS: tuple[Spec, ...] = _specs()
SPEC_BY_NAME: dict[str, Spec] = {spec.name: spec for spec in SPECS}
SETTING_KEYS = tuple(SPEC_BY_NAME)


def spec_of(key: str) -> Spec:
    """The declaration of ``key``; ``SettingsError`` for a name that is not a setting."""
    try:
        return SPEC_BY_NAME[key]
    except KeyError:
        raise SettingsError(f"unknown setting {key!r}", key, "a setting name") from None


# ---- the operator console ------------------------------------------------------------------------------


def describe_settings(settings: Settings, console_only: bool = True) -> list[dict[str, Any]]:
    """The settings a form shows: declaration, current value and the value in ``settings.toml`` if any."""
    file_values = read_settings_file(settings.data_dir)
    out = []
    for spec in SPECS:
        if spec.secret or (console_only and not spec.console):
            continue
        value = getattr(settings, spec.name)
        item = spec.describe()
        item["value"] = list(value) if isinstance(value, tuple) else value
        item["in_file"] = spec.name in file_values
        out.append(item)
    return out


def check_changes(changes: Mapping[str, Any], console_only: bool = True) -> dict[str, Any]:
    """Validate console edits: the parsed values, or ``SettingsError`` naming the first bad key.

    ``None`` means "back to the default" (the key is removed from settings.toml) and stays ``None``.
    """
    parsed: dict[str, Any] = {}
    for key, raw in changes.items():
        spec = spec_of(key)
        if spec.secret or not spec.from_env or (console_only and not spec.console):
            raise SettingsError(f"{key}: cannot be changed here", key, "a setting the console may change")
        parsed[key] = None if raw is None else spec.parse(raw)
    return parsed


def restart_needed(changes: Mapping[str, Any]) -> list[str]:
    """Which of ``changes`` take effect only after a restart."""
    return [key for key in changes if spec_of(key).restart]


def read_settings_file(data_dir: Path) -> dict[str, Any]:
    """The raw values in ``settings.toml`` (empty when there is none)."""
    path = Path(data_dir) / "settings.toml"
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(json.dumps(str(v), ensure_ascii=False) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def write_settings_file(data_dir: Path, changes: Mapping[str, Any]) -> Path:
    """Set keys in ``settings.toml`` (validated first), keeping the other keys. ``None`` removes a key."""
    path = Path(data_dir) / "settings.toml"
    current = read_settings_file(data_dir)
    for key, value in changes.items():
        spec = spec_of(key)
        if not spec.from_env:
            raise SettingsError(f"unknown setting {key!r}", key, "a setting name")
        if value is None:
            current.pop(key, None)
        else:
            spec.parse(value)
            current[key] = list(value) if isinstance(value, tuple) else value
    lines = ["# Intranet Messenger settings (environment variables override these)"]
    lines += [f"{key} = {_toml_value(current[key])}" for key in sorted(current)]
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


# ---- loading -------------------------------------------------------------------------------------------


def load_settings(
    data_dir: Path,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the one Settings object: defaults <- ``settings.toml`` <- environment <- ``overrides``."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    toml_path = Path(data_dir) / "settings.toml"
    for key, raw in read_settings_file(data_dir).items():
        if key not in SPEC_BY_NAME:
            raise SettingsError(f"{toml_path}: unknown setting {key!r}", key, "a setting name")
        values[key] = SPEC_BY_NAME[key].parse(raw)
    for spec in SPECS:
        if spec.from_env and spec.name in env:
            values[spec.name] = spec.parse(env[spec.name])
    for key, raw in (overrides or {}).items():
        spec = spec_of(key)
        values[key] = raw if key == "SECRET_KEY" else spec.parse(raw)
    settings = Settings(data_dir=Path(data_dir), **values)
    if settings.FEATURE_OIDC_ENABLED and not (
        settings.OIDC_CLIENT_ID and settings.OIDC_ISSUER_URL
    ):
        raise SettingsError("FEATURE_OIDC_ENABLED: needs OIDC_CLIENT_ID and OIDC_ISSUER_URL to be set",
                            "FEATURE_OIDC_ENABLED", "true only with OIDC_CLIENT_ID and OIDC_ISSUER_URL")
    if bool(settings.TLS_CERT_FILE) != bool(settings.TLS_KEY_FILE):
        raise SettingsError("TLS_CERT_FILE/TLS_KEY_FILE: set both or neither", "TLS_CERT_FILE",
                            "both TLS_CERT_FILE and TLS_KEY_FILE, or neither")
    return settings
