"""Programmes as data: routines run one after another, as the seed text groups them.

Each programme is a TOML file (``voiceguide/programmes/*.toml``): an id, a title, the names it is called by
aloud, the routines in order, and optionally ``[settings.<routine>]`` with ``sets`` or ``hold`` where the
routine allows a choice. A pain stop (or any end but completing) ends the whole programme.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources

from voiceguide.routines import Routine, RoutineError, SettingError

BUILTIN_PROGRAMMES = ("self-adjustment", "maintenance")


@dataclass(frozen=True)
class Programme:
    """Routines to run in order, with the sets or hold chosen for each where the routine allows."""

    id: str
    title: str
    summary: str
    names: tuple[str, ...]
    routines: tuple[str, ...]
    settings: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def choice(self, routine: Routine, key: str) -> int | None:
        return self.settings.get(routine.id, {}).get(key)


def parse_programme(text: str, path: str, library: Mapping[str, Routine]) -> Programme:
    """Validate TOML text as a programme; raise RoutineError naming the file and the field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RoutineError(path, f"not valid TOML ({e})") from None
    unknown = set(data) - {"id", "title", "summary", "names", "routines", "settings"}
    if unknown:
        raise RoutineError(path, f"unknown field(s): {', '.join(sorted(unknown))}")
    for key in ("id", "title", "summary"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise RoutineError(path, "is required, as text", field_name=key)
    routines = data.get("routines")
    if not isinstance(routines, list) or not routines or not all(isinstance(r, str) for r in routines):
        raise RoutineError(path, "must be a list of routine ids", field_name="routines")
    missing = [r for r in routines if r not in library]
    if missing:
        raise RoutineError(path, f"no routine called {', '.join(missing)}; known: {', '.join(library)}",
                           field_name="routines")
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise RoutineError(path, "must be a table of [settings.<routine>] tables", field_name="settings")
    for rid, options in settings.items():
        if rid not in routines or not isinstance(options, dict):
            raise RoutineError(path, f"[settings.{rid}] names no routine of this programme", field_name="settings")
        for key, value in options.items():
            setting = {"sets": library[rid].sets, "hold": library[rid].hold}.get(key)
            if setting is None or isinstance(value, bool) or not isinstance(value, int):
                raise RoutineError(path, f"settings.{rid}.{key} must be sets or hold, a whole number",
                                   field_name="settings")
            try:
                setting.choose(value, key)
            except SettingError as e:
                raise RoutineError(path, str(e), field_name=f"settings.{rid}.{key}") from None
    names = data.get("names", [data["id"].replace("-", " ")])
    return Programme(data["id"], data["title"], data["summary"], tuple(names), tuple(routines), settings)


def builtin_programmes(library: Mapping[str, Routine]) -> dict[str, Programme]:
    """The programmes shipped with voiceguide, by id."""
    folder = resources.files("voiceguide") / "programmes"
    return {pid: parse_programme((folder / f"{pid}.toml").read_text(encoding="utf-8"), f"programmes/{pid}.toml",
                                 library) for pid in BUILTIN_PROGRAMMES}


def spoken_names_with_programmes(library: Mapping[str, Routine]) -> dict[str, list[str]]:
    """Every routine's and built-in programme's id and spoken names: what "start ..." can name."""
    from voiceguide.routines import spoken_names

    return {**spoken_names(library), **{p.id: list(p.names) for p in builtin_programmes(library).values()}}


def run_programme(programme: Programme, library: Mapping[str, Routine], run: Callable[[Routine], str]) -> str:
    """Run each routine in turn with ``run``; stop at the first that does not complete. Return how it ended."""
    reason = "completed"
    for rid in programme.routines:
        reason = run(library[rid])
        if reason != "completed":
            break
    return reason
