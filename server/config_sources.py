"""Where each configuration value comes from: TOML files laid one over another, then environment variables.

Every value keeps its origin (the file that set it last, or the environment
variable), so an error blames the place the operator has to change. Problems are
collected, not raised one by one: an operator reads every mistake at once.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """The configuration has problems; each line names the key and where its value came from."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


# Environment variable -> dotted key in the TOML document (a list when the key is a list).
ENV_OVERRIDES: dict[str, str] = {
    "RENKEI_ENV": "env",
    "RENKEI_PUBLIC_URL": "public_url",
    "RENKEI_VAR_DIR": "var_dir",
    "DATABASE_URL": "database.url",
    "DATABASE_DIRECT_URL": "database.direct_url",
    "TWILIO_AUTH_TOKENS": "ivr.twilio_auth_tokens",
    "TWILIO_AUTH_TOKEN": "ivr.twilio_auth_tokens",
    "RENKEI_AUTH_NUMBERS": "ivr.auth_numbers",
    "SMTP_URL": "mail.smtp_url",
    "RENKEI_PIN_PEPPERS": "secrets.pin_peppers",
    "RENKEI_PIN_PEPPER": "secrets.pin_peppers",
    "RENKEI_SESSION_KEYS": "secrets.session_keys",
    "RENKEI_SESSION_KEY": "secrets.session_keys",
    "RENKEI_SIGNING_KEYS_FILE": "secrets.signing_keys_file",
    "RENKEI_METRICS_TOKEN": "metrics_token",
    "RENKEI_LOG_LEVEL": "log_level",
}
LIST_KEYS = ("ivr.auth_numbers", "ivr.twilio_auth_tokens", "secrets.pin_peppers", "secrets.session_keys")
# The single-value keys of older configuration files, read as a list of one.
OLD_SINGLE_KEYS = {"ivr.twilio_auth_token": "ivr.twilio_auth_tokens", "secrets.session_key": "secrets.session_keys",
                   "secrets.pin_pepper": "secrets.pin_peppers"}
PLURAL_OF = {"TWILIO_AUTH_TOKEN": "TWILIO_AUTH_TOKENS", "RENKEI_PIN_PEPPER": "RENKEI_PIN_PEPPERS",
             "RENKEI_SESSION_KEY": "RENKEI_SESSION_KEYS"}
# A pepper given without an id (RENKEI_PIN_PEPPER, secrets.pin_pepper) has this one: every hash stored before peppers had ids.
FIRST_PEPPER_ID = "0"


def _as_list(dotted: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if dotted == "secrets.pin_peppers":
        return [f"{FIRST_PEPPER_ID}:{value}"]
    return [value]


@dataclass
class Sources:
    """The merged document and, per dotted key, where its value came from."""

    files: tuple[Path, ...]
    document: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)

    def origin(self, dotted: str) -> str:
        """The file or variable that set ``dotted``; for a missing key, the table's origin or the first file."""
        while dotted:
            if dotted in self.origins:
                return self.origins[dotted]
            dotted = dotted.rpartition(".")[0]
        return str(self.files[0])

    def problem(self, dotted: str, message: str) -> None:
        """Remember one problem per key (the first found is the one to fix)."""
        self.problems.setdefault(dotted, f"{self.origin(dotted)}: {dotted} {message}")

    def lay_file(self, path: Path) -> None:
        try:
            layer = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.problems[f"file {path}"] = f"{path}: configuration file not found (RENKEI_CONFIG, RENKEI_CONFIG_OVERRIDE)"
            return
        except tomllib.TOMLDecodeError as error:
            self.problems[f"file {path}"] = f"{path}: not valid TOML: {error}"
            return
        _rename_old_keys(layer, lambda dotted, message: self.problems.setdefault(dotted, f"{path}: {message}"))
        _merge(self.document, layer, "", self.origins, str(path))

    def lay_environment(self, environ: Mapping[str, str]) -> None:
        for variable, dotted in ENV_OVERRIDES.items():
            if variable not in environ:
                continue
            plural = PLURAL_OF.get(variable)
            if plural and plural in environ:
                self.problems.setdefault(dotted, f"environment variables {plural} and {variable} are both set; keep {plural} only")
                continue
            value: Any = environ[variable]
            if plural:
                value = _as_list(dotted, value)
            elif dotted in LIST_KEYS:
                value = [item.strip() for item in value.split(",") if item.strip()]
            table, _, key = dotted.rpartition(".")
            target = self.document
            for part in filter(None, table.split(".")):
                target = target.setdefault(part, {})
            target[key] = value
            self.origins[dotted] = f"environment variable {variable}"


def _rename_old_keys(layer: dict[str, Any], problem: Any) -> None:
    for old, new in OLD_SINGLE_KEYS.items():
        table_name, _, old_key = old.rpartition(".")
        table = layer.get(table_name)
        if not isinstance(table, dict) or old_key not in table:
            continue
        new_key = new.rpartition(".")[2]
        if new_key in table:
            problem(new, f"{old} and {new} are both set; keep {new} only")
        table[new_key] = _as_list(new, table.pop(old_key))


def _merge(into: dict[str, Any], layer: Mapping[str, Any], prefix: str, origins: dict[str, str], origin: str) -> None:
    """Tables merge key by key; any other value (lists of tables too) replaces the one below it."""
    for key, value in layer.items():
        dotted = prefix + key
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, dotted + ".", origins, origin)
            continue
        into[key] = value
        origins[dotted] = origin
        for known in [k for k in origins if k.startswith(dotted + ".")]:
            origins[known] = origin


def read_sources(files: tuple[Path, ...], environ: Mapping[str, str]) -> Sources:
    sources = Sources(files=files)
    for path in files:
        sources.lay_file(path)
    sources.lay_environment(environ)
    return sources


def unknown_keys(document: Mapping[str, Any], read: set[str], prefix: str = "") -> list[tuple[str, bool]]:
    """The dotted keys of ``document`` no setting reads (True: a whole section): typos, never ignored."""
    found: list[tuple[str, bool]] = []
    for key, value in document.items():
        dotted = prefix + key
        if dotted not in read:
            found.append((dotted, isinstance(value, dict)))
        elif isinstance(value, dict) and dotted + "." not in read:
            found.extend(unknown_keys(value, read, dotted + "."))
    return found


_MISSING = object()


class Section:
    """Typed reads from one TOML table. A wrong value is noted (blamed on its file or variable) and a
    stand-in returned, so that every problem is found in one pass; every key read is remembered."""

    def __init__(self, data: Mapping[str, Any], prefix: str, sources: Sources, read: set[str]) -> None:
        self.data, self.prefix, self.sources, self.read = data, prefix, sources, read

    def _get(self, key: str, default: Any) -> Any:
        self.read.add(self.prefix + key)
        return self.data.get(key, default)

    def _fail(self, key: str, wanted: str, stand_in: Any) -> Any:
        self.sources.problem(self.prefix + key, f"must be {wanted} (got {self.data.get(key, '<missing>')!r})")
        return stand_in

    def str(self, key: str, *, allow_empty: bool = False, default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if key not in self.data and default is not _MISSING:
            return default
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            return self._fail(key, "a non-empty string" if not allow_empty else "a string", "")
        return value

    def int(self, key: str, *, minimum: int = 0, default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if key not in self.data and default is not _MISSING:
            return default
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            return self._fail(key, f"a whole number >= {minimum}", minimum)
        return value

    def float(self, key: str, *, minimum: float = 0.0) -> float:
        value = self._get(key, None)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= minimum:
            return self._fail(key, f"a number > {minimum}", minimum + 1.0)
        return float(value)

    def number(self, key: str, *, default: float) -> float:
        """A number >= 0, whole or not; ``default`` when the key is absent."""
        value = self._get(key, default)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            return self._fail(key, "a number >= 0", default)
        return float(value)

    def bool(self, key: str, *, default: bool) -> bool:
        value = self._get(key, default)
        return value if isinstance(value, bool) else self._fail(key, "true or false", default)

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self._get(key, None)
        return value if value in choices else self._fail(key, "one of " + ", ".join(choices), choices[0])

    def list_of(self, key: str, kind: type) -> tuple[Any, ...]:
        value = self._get(key, None)
        if not isinstance(value, list) or not value or not all(isinstance(v, kind) for v in value):
            return self._fail(key, f"a non-empty list of {kind.__name__}", ())
        return tuple(value)

    def table(self, key: str, *, whole: bool = False) -> Section:
        """The table ``key``; ``whole``: its keys are checked elsewhere, none is unknown here."""
        value = self._get(key, {})
        if whole:
            self.read.add(f"{self.prefix}{key}.")
        if not isinstance(value, dict):
            value = self._fail(key, "a table", {})
        return Section(value, f"{self.prefix}{key}.", self.sources, self.read)

    def fail(self, key: str, wanted: str) -> None:
        self._fail(key, wanted, None)
