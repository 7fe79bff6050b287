"""The benchmarks run end to end in quick mode and report every figure (how fast is theirs to
say, not the test's): a benchmark that no longer runs fails here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EVERY_FIGURE = {
    1: {"ingest", "ingest_vs_naive", "ingest_vs_limit"},
    2: {"mention_p50", "mention_p99"},
    3: {"context_growth"},
    4: {"first_token_p50", "first_token_p99"},
    5: {"groups_wall", "groups_peak_rss", "groups_rss_per_group", "groups_client_alone", "groups_bot_share"},
    6: {"startup_large", "startup_new"},
    7: {
        "auto_held_out_calls_per_100",
        "auto_held_out_joined_share",
        "auto_held_out_turns_per_moment",
        "auto_tuning_calls_per_100",
        "auto_tuning_joined_share",
        "auto_tuning_turns_per_moment",
        "auto_calls_per_100_always_reply",
        "auto_naive_calls_per_100",
        "auto_local_stage_us",
    },
    8: {"slack_ack_p50", "slack_ack_p99"},
    9: {"pg_ingest", "pg_ingest_vs_naive"},
    10: {"pg_groups_one_process", "pg_groups_two_processes", "pg_groups_scaling"},
    11: {"pg_takeover_p50", "pg_takeover_p99"},
    12: {"pg_startup_large", "pg_startup_new"},
}


def test_quick_mode_produces_every_figure_with_its_target(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["quick"] is True and report["failed"] == []
    assert report["machine"]["cores"] >= 1
    names = {f["name"] for f in report["figures"]}
    for number, expected in EVERY_FIGURE.items():
        assert expected <= names, f"figure {number} lacks {expected - names}"
        assert any(f["number"] == number for f in report["figures"])
    assert len([n for n in names if n.startswith("context_")]) == 4  # three history sizes and their ratio
    for f in report["figures"]:
        assert f["runs"] and f["value"] > 0, f["name"]
        assert f["target"], f["name"]
        assert f["met"] in (True, False, None)
        assert f["label"] in run.stdout  # the printed table carries every figure
    targeted = {f["name"] for f in report["figures"] if f["met"] is not None}
    assert {"ingest", "ingest_vs_naive", "mention_p50", "mention_p99", "context_growth"} <= targeted
    assert {"first_token_p99", "groups_wall", "groups_peak_rss", "startup_large"} <= targeted
    assert {"auto_held_out_calls_per_100", "auto_held_out_joined_share", "auto_local_stage_us"} <= targeted
    assert {"pg_ingest", "pg_ingest_vs_naive", "pg_groups_two_processes", "pg_takeover_p99"} <= targeted
    assert "pg_startup_large" in targeted
