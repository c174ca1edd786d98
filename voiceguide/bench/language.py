"""How well the parser understands everyday phrasings: ``voiceguide bench --language``.

A phrase file has one phrasing per line, ``category<TAB>intent<TAB>advice level or -<TAB>text`` (``#`` starts a
comment). The figures, per file and per category: pain recall (pain read as pain), the advice level right (of
pain phrasings), calm or command phrasings read as pain, and commands right (intent as expected).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voiceguide.bench.measures import Share
from voiceguide.errors import VoiceguideError
from voiceguide.intents import IntentParser

PHRASE_FILES = Path(__file__).resolve().parent.parent.parent / "tests" / "phrases"  # dev.tsv, heldout.tsv
LANGUAGE_GOALS = {"pain recall": (0.98, "at least"), "level right": (0.95, "at least"),
                  "calm or commands read as pain": (0.01, "at most"), "commands right": (0.95, "at least")}


@dataclass(frozen=True)
class Phrasing:
    category: str
    intent: str
    advice: str | None
    text: str


@dataclass
class LanguageFigures:
    """The figures for one phrase file, and every phrasing read otherwise than expected."""

    name: str
    pain_recall: Share
    level_right: Share
    calm_as_pain: Share
    commands_right: Share
    by_category: dict[str, Share]
    misread: list[tuple[Phrasing, str, str | None]] = field(default_factory=list)

    def goals(self) -> dict[str, tuple[float | None, float, bool | None]]:
        """Each goal: (measured, target, met)."""
        measured = {"pain recall": self.pain_recall.rate, "level right": self.level_right.rate,
                    "calm or commands read as pain": self.calm_as_pain.rate,
                    "commands right": self.commands_right.rate}
        out = {}
        for goal, (target, how) in LANGUAGE_GOALS.items():
            value = measured[goal]
            met = None if value is None else (value >= target if how == "at least" else value <= target)
            out[goal] = (value, target, met)
        return out

    def to_json(self) -> dict[str, Any]:
        return {"file": self.name, "pain recall": self.pain_recall.to_json(), "level right": self.level_right.to_json(),
                "calm or commands read as pain": self.calm_as_pain.to_json(),
                "commands right": self.commands_right.to_json(),
                "by category": {c: s.to_json() for c, s in sorted(self.by_category.items())},
                "misread": [{"category": p.category, "text": p.text, "expected": [p.intent, p.advice],
                             "got": [intent, advice]} for p, intent, advice in self.misread]}


def read_phrasings(path: Path) -> list[Phrasing]:
    """The phrasings in a phrase file; a malformed line is an error naming the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise VoiceguideError(f"cannot read the phrase file {path}: {e}") from None
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 4:
            raise VoiceguideError(f"{path}, line {number}: expected category, intent, level and text, tab-separated")
        category, intent, advice, text = (p.strip() for p in parts)
        out.append(Phrasing(category, intent, None if advice == "-" else advice, text))
    return out


def measure(name: str, phrasings: list[Phrasing], parser: IntentParser) -> LanguageFigures:
    """Read every phrasing with ``parser`` and count."""
    pain_hits = pain_n = level_hits = calm_hits = calm_n = command_hits = command_n = 0
    by_category: dict[str, list[bool]] = defaultdict(list)
    misread = []
    for p in phrasings:
        got = parser.parse(p.text)
        right = got.intent == p.intent and (p.intent != "pain" or got.advice == p.advice)
        by_category[p.category].append(right)
        if not right:
            misread.append((p, got.intent, got.advice))
        if p.intent == "pain":
            pain_n += 1
            pain_hits += got.intent == "pain"
            level_hits += got.intent == "pain" and got.advice == p.advice
        else:
            calm_n += 1
            calm_hits += got.intent == "pain"
            command_n += 1
            command_hits += got.intent == p.intent
    return LanguageFigures(name, Share(pain_n, pain_hits), Share(pain_hits, level_hits), Share(calm_n, calm_hits),
                           Share(command_n, command_hits),
                           {c: Share(len(r), sum(r)) for c, r in by_category.items()}, misread)


def print_language(figures: list[LanguageFigures]) -> None:
    """The figures per file as a table, then every misread phrasing."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    def pct(share: Share) -> str:
        return "-" if share.rate is None else f"{100 * share.rate:.1f} % ({share.hits}/{share.n})"

    table = Table(title="voiceguide bench --language")
    table.add_column("figure")
    for f in figures:
        table.add_column(f.name, justify="right")
    table.add_column("goal", justify="right")
    for goal, (target, how) in LANGUAGE_GOALS.items():
        attribute = {"pain recall": "pain_recall", "level right": "level_right",
                     "calm or commands read as pain": "calm_as_pain", "commands right": "commands_right"}[goal]
        table.add_row(goal, *(pct(getattr(f, attribute)) for f in figures),
                      f"{'>=' if how == 'at least' else '<='} {100 * target:g} %")
    categories = sorted({c for f in figures for c in f.by_category})
    for c in categories:
        table.add_row(Text(f"  {c}"), *(pct(f.by_category[c]) if c in f.by_category else "-" for f in figures), "")
    console = Console()
    console.print(table)
    for f in figures:
        for p, intent, advice in f.misread:
            console.print(Text(f"{f.name}: [{p.category}] {p.text!r}: expected {p.intent}"
                               f"{'/' + p.advice if p.advice else ''}, got {intent}{'/' + advice if advice else ''}"))


def parse_microseconds(parser: IntentParser, texts: list[str], rounds: int = 20) -> float:
    """Mean time to parse one utterance, over ``rounds`` passes (the first warms the caches and is not counted)."""
    for text in texts:
        parser.parse(text)
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            parser.parse(text)
    return (time.perf_counter() - started) / (rounds * len(texts)) * 1e6
