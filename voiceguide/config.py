"""Settings: built-in defaults, then the config file, then environment variables, then command-line flags.

The file is TOML in the user's config dir (``voiceguide config show`` prints where)::

    engine = "sphinx"          # vosk, sphinx or keyboard
    model = "/home/pi/models/vosk-model-small-en-us-0.15"
    device = 2                 # input device number or name
    voice = "en-us"
    rate = 160                 # words per minute
    volume = 0.9               # 0.0 to 1.0

    [routines.shotgun]
    sets = 2                   # only where the seed text allows a choice
    [routines.spinal-twist]
    hold = 25
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir

from voiceguide.engines import ENGINES
from voiceguide.errors import VoiceguideError
from voiceguide.routines import Routine


class ConfigError(VoiceguideError):
    """A setting that is refused: names the key, the value and what is allowed."""


def _engine(value: Any) -> str:
    if value not in ENGINES:
        raise ValueError(f"one of {', '.join(ENGINES)}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("a non-empty string")
    return value


def _device(value: Any) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("a device number or name")
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _rate(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 80 <= value <= 400:
        raise ValueError("a whole number of words per minute from 80 to 400")
    return value


def _volume(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError("a number from 0.0 to 1.0")
    return float(value)


CHECKS: dict[str, Callable[[Any], Any]] = {
    "engine": _engine, "model": _text, "device": _device, "voice": _text, "rate": _rate, "volume": _volume,
}
ENV = {key: f"VOICEGUIDE_{key.upper()}" for key in CHECKS}


def config_path() -> Path:
    """The config file: $VOICEGUIDE_CONFIG, else config.toml in the user's config dir."""
    return Path(os.environ.get("VOICEGUIDE_CONFIG") or Path(user_config_dir("voiceguide")) / "config.toml")


@dataclass(frozen=True)
class Settings:
    """Effective settings, built once and handed down as one object, with where each came from
    (default, the file, an environment variable, a flag).

    ``values``: engine, model, device, voice, rate, volume (absent: automatic). ``routines``: per routine
    id, the chosen ``sets`` and ``hold`` where the seed text allows a choice.
    """

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    routines: dict[str, dict[str, int]] = field(default_factory=dict)
    routine_sources: dict[str, dict[str, str]] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def choice(self, routine: Routine, key: str) -> int | None:
        """The chosen number of sets or hold seconds for ``routine``, if any."""
        return self.routines.get(routine.id, {}).get(key)

    def with_choices(self, routine: Routine, **flags: int | None) -> Settings:
        """These settings with ``--sets`` / ``--hold`` given on the command line for ``routine``."""
        given = {key: value for key, value in flags.items() if value is not None}
        if not given:
            return self
        routines = {**self.routines, routine.id: {**self.routines.get(routine.id, {}), **given}}
        sources = {**self.routine_sources,
                   routine.id: {**self.routine_sources.get(routine.id, {}), **{k: f"--{k}" for k in given}}}
        return dataclasses.replace(self, routines=routines, routine_sources=sources)


def _checked(key: str, value: Any, where: str) -> Any:
    try:
        return CHECKS[key](value)
    except ValueError as e:
        raise ConfigError(f"{where}: {key} = {value!r} is not allowed; it must be {e}") from None


def _did_you_mean(word: str, known: Iterable[str]) -> str:
    """" (did you mean 'rate'?)" for a key or name close to a known one; "" if none is close."""
    close = difflib.get_close_matches(word.lower(), list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _routine_choices(table: Any, library: Mapping[str, Routine], where: str) -> dict[str, dict[str, int]]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [routines] must be a table of routine ids")
    choices: dict[str, dict[str, int]] = {}
    for rid, options in table.items():
        if rid not in library:
            raise ConfigError(f"{where}: [routines.{rid}] names no routine{_did_you_mean(rid, library)}; "
                              f"known: {', '.join(sorted(library))}")
        if not isinstance(options, dict):
            raise ConfigError(f"{where}: [routines.{rid}] must be a table")
        routine = library[rid]
        for key, value in options.items():
            setting = {"sets": routine.sets, "hold": routine.hold}.get(key)
            if setting is None:
                raise ConfigError(f"{where}: routines.{rid}.{key} is not a setting"
                                  f"{_did_you_mean(key, ('sets', 'hold'))}; use sets or hold")
            if setting.min == setting.max:
                raise ConfigError(f"{where}: routines.{rid}.{key} cannot be chosen for {routine.title}; it is "
                                  f"always {setting.default}")
            if isinstance(value, bool) or not isinstance(value, int) or not setting.min <= value <= setting.max:
                raise ConfigError(f"{where}: routines.{rid}.{key} = {value!r} is not allowed; the seed text allows "
                                  f"a whole number from {setting.min} to {setting.max}")
            choices.setdefault(rid, {})[key] = value
    return choices


def load_settings(library: Mapping[str, Routine], flags: Mapping[str, Any] | None = None,
                  path: Path | None = None) -> Settings:
    """Defaults < config file < environment (VOICEGUIDE_ENGINE, ...) < flags given (not None)."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    routines: dict[str, dict[str, int]] = {}
    path = path or config_path()
    if path.exists():
        where = str(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{where} is not valid TOML: {e}") from None
        except OSError as e:
            raise ConfigError(f"cannot read {where}: {e.strerror or e}") from None
        for key, value in data.items():
            if key == "routines":
                routines = _routine_choices(value, library, where)
            elif key in CHECKS:
                values[key], sources[key] = _checked(key, value, where), where
            else:
                known = [*CHECKS, "routines"]
                raise ConfigError(f"{where}: unknown key {key!r}{_did_you_mean(key, known)}; known: {', '.join(known)}")
    for key, var in ENV.items():
        if (raw := os.environ.get(var)) is not None:
            value: Any = raw
            if key == "rate" and raw.strip().lstrip("-").isdigit():
                value = int(raw)
            elif key == "volume":
                with contextlib.suppress(ValueError):
                    value = float(raw)
            values[key], sources[key] = _checked(key, value, f"${var}"), f"${var}"
    for key, value in (flags or {}).items():
        if value is not None and key in CHECKS:
            values[key], sources[key] = _checked(key, value, f"--{key}"), f"--{key}"
    return Settings(values, sources, routines,
                    {rid: dict.fromkeys(opts, str(path)) for rid, opts in routines.items()})


def describe(settings: Settings, path: Path) -> list[str]:
    """Lines for ``voiceguide config show``."""
    lines = [f"config file: {path}{'' if path.exists() else ' (not created; built-in defaults apply)'}"]
    for key in CHECKS:
        value = settings.values.get(key)
        shown = "(automatic)" if value is None else repr(value) if isinstance(value, str) else str(value)
        lines.append(f"{key:<8} = {shown:<40} from {settings.sources.get(key, 'default')}")
    for rid, options in sorted(settings.routines.items()):
        for key, value in options.items():
            lines.append(f"routines.{rid}.{key} = {value:<24} from {settings.routine_sources[rid][key]}")
    return lines
