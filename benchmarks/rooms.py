"""The labelled transcripts auto mode is judged on, and the two halves they are split into.

benchmarks/data/rooms/SPLIT.md is the rule, written before any transcript existed: each writer's
matched pair splits by the SHA-256 of its files as first committed (recorded in index.json), the
smaller to the held-out half; the two earlier transcripts are tuning. Nothing here decides a
half: it reads index.json, and `check_split` says whether the index follows the rule.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
ROOMS = DATA / "rooms"
INDEX = ROOMS / "index.json"
HALVES = ("tuning", "held-out")


@dataclass(frozen=True)
class Transcript:
    name: str
    path: Path
    half: str = ""  # "" for a file given by hand, in no half
    about: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[dict[str, Any]]:
        return read(self.path)


def read(path: Path) -> list[dict[str, Any]]:
    """A transcript's lines; a clear error for one that is not in the benchmark's format."""
    lines: list[dict[str, Any]] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path.name}:{number}: not JSON ({exc.msg})") from exc
        missing = {"t", "from", "text", "addressed", "calls_for_ai"} - set(line)
        if missing:
            raise ValueError(f"{path.name}:{number}: lacks {', '.join(sorted(missing))}")
        reply_to = line.get("reply_to")
        if reply_to is not None and not (isinstance(reply_to, int) and 0 <= reply_to < len(lines)):
            raise ValueError(f"{path.name}:{number}: reply_to must name an earlier line")
        if lines and float(line["t"]) < float(lines[-1]["t"]):
            raise ValueError(f"{path.name}:{number}: its time goes back")
        lines.append(line)
    return lines


def corpus(half: str | None = None) -> list[Transcript]:
    """The indexed transcripts, of one half or both, in the index's order."""
    index = json.loads(INDEX.read_text(encoding="utf-8"))
    found = [
        Transcript(
            name=Path(entry["file"]).stem,
            path=(ROOMS / entry["file"]).resolve(),
            half=entry["half"],
            about=entry.get("about", ""),
            meta=entry,
        )
        for entry in index["transcripts"]
    ]
    return [t for t in found if half is None or t.half == half]


def given(paths: Sequence[str]) -> list[Transcript]:
    """Transcripts named on the command line: their half if indexed, else none."""
    indexed = {t.path: t for t in corpus()} if INDEX.exists() else {}
    chosen = []
    for raw in paths:
        path = Path(raw).resolve()
        chosen.append(indexed.get(path) or Transcript(path.stem, path))
    return chosen


def check_split(entries: Sequence[dict[str, Any]]) -> list[str]:
    """What in the index breaks SPLIT.md's rule (empty when it holds)."""
    problems = []
    pairs: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if entry.get("pair") is None:
            if entry["half"] != "tuning":
                problems.append(f"{entry['file']}: an earlier transcript belongs to the tuning half")
            continue
        pairs.setdefault(str(entry["pair"]), []).append(entry)
    for pair, members in sorted(pairs.items()):
        if len(members) != 2:
            problems.append(f"pair {pair} has {len(members)} transcripts, not 2")
            continue
        first, second = sorted(members, key=lambda entry: str(entry["sha256"]))
        if (first["half"], second["half"]) != ("held-out", "tuning"):
            problems.append(f"pair {pair}: the smaller SHA-256 ({first['file']}) must be held out")
    return problems
