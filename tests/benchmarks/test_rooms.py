"""The reading-the-room corpus as SPLIT.md promises it: twelve or more groups written blind, in
the benchmark's format, split by the rule written before any of them existed; and the replay
command takes any transcript in that format, old or new."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from benchmarks import rooms

ROOT = Path(__file__).resolve().parents[2]


def test_the_corpus_is_split_by_the_rule_written_before_it() -> None:
    entries = json.loads(rooms.INDEX.read_text(encoding="utf-8"))["transcripts"]
    assert rooms.check_split(entries) == []
    paired = [entry for entry in entries if entry["pair"] is not None]
    assert len(paired) >= 12
    for entry in paired:  # unchanged since first committed, so the recorded hash is its own
        assert hashlib.sha256((rooms.ROOMS / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    halves = {half: {e["kind"] for e in paired if e["half"] == half} for half in rooms.HALVES}
    assert halves["tuning"] and halves["held-out"]
    assert {lang for e in paired for lang in e["languages"]} >= {"en", "fr", "es", "de", "pt"}
    assert min(e["size"] for e in paired) <= 3 and max(e["size"] for e in paired) >= 20


def test_a_rule_breaking_split_is_caught() -> None:
    entries = json.loads(rooms.INDEX.read_text(encoding="utf-8"))["transcripts"]
    swapped = [
        {**entry, "half": {"tuning": "held-out", "held-out": "tuning"}[entry["half"]]}
        if entry["pair"] == "01"
        else entry
        for entry in entries
    ]
    assert rooms.check_split(swapped) == [
        "pair 01: the smaller SHA-256 (01b-squad-br.jsonl) must be held out"
    ]


def test_every_transcript_is_in_the_format_and_of_the_size_asked_for() -> None:
    for transcript in rooms.corpus():
        lines = transcript.lines()  # read() checks keys, time order and reply_to
        if transcript.meta.get("pair") is not None:
            assert 300 <= len(lines) <= 500, transcript.name
        labelled = [line for line in lines if line["calls_for_ai"]]
        assert 8 <= len(labelled) <= 20, transcript.name
        assert not any(line["addressed"] and line["calls_for_ai"] for line in lines), transcript.name


def test_any_transcript_in_the_format_replays_from_the_command_line(tmp_path: Path) -> None:
    old_style = tmp_path / "evening.jsonl"  # the first wave's format: no reply_to, no why
    lines = [
        {
            "t": 0,
            "from": "Ana",
            "text": "does anyone know how long cooked rice keeps in the fridge?",
            "addressed": False,
            "calls_for_ai": True,
        },
        {"t": 400, "from": "Ben", "text": "lol no", "addressed": False, "calls_for_ai": False},
    ]
    old_style.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.auto_cost", str(old_style)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    [row] = [line for line in run.stdout.splitlines() if line.startswith("evening")]
    assert row.split()[2] == "2" and "1/1" in row  # two messages; the moment joined

    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"t": 0, "from": "Ana", "text": "hi"}\n', encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.auto_cost", str(broken)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0 and "broken.jsonl:1: lacks addressed, calls_for_ai" in run.stderr
