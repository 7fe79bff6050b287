"""The report: what machine the figures come from, and the figures as a table."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from typing import Any


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgresql(),
        "system": f"{platform.system()} {platform.release()}",
    }


def _postgresql() -> str:
    """The version of the machine's PostgreSQL, which figures 9 to 12 start a server of."""
    from tests.support.postgres import binary

    try:
        done = subprocess.run([binary("postgres"), "--version"], capture_output=True, text=True, check=False)
    except (LookupError, OSError):
        return "none"
    words = done.stdout.split()  # "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    return words[2] if done.returncode == 0 and len(words) > 2 else "none"


def _number(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(report: dict[str, Any]) -> str:
    rows = [("#", "figure", "median", "spread (min–max)", "target", "")]
    for f in report["figures"]:
        low, high = f["spread"]
        verdict = {True: "met", False: "MISSED", None: ""}[f["met"]]
        rows.append(
            (
                str(f["number"]),
                f["label"],
                f"{_number(f['value'])} {f['unit']}",
                f"{_number(low)}–{_number(high)}"
                + (f" ({len(f['runs'])} runs)" if len(f["runs"]) > 1 else ""),
                f["target"],
                verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    m = report["machine"]
    header = f"Parley benchmarks{' (quick)' if report['quick'] else ''}: {m['cpu']}, {m['cores']} cores, "
    header += f"Python {m['python']}, SQLite {m['sqlite']}, PostgreSQL {m.get('postgresql', 'none')}"
    return header + "\n\n" + "\n".join(lines)
