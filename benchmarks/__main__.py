"""`python -m benchmarks [--quick] [--only NAME ...] [--json PATH]`: every figure, a table, JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from benchmarks.report import machine, table

FIGURES = (
    "ingest",
    "mention",
    "context_build",
    "first_token",
    "many_groups",
    "startup",
    "auto_cost",
    "slack_ack",
    "pg_ingest",
    "pg_groups",
    "pg_takeover",
    "pg_startup",
)
RESULTS = Path(__file__).parent / "results"


async def run_figure(name: str, quick: bool) -> list[dict[str, object]]:
    """One figure in a process of its own: its memory and caches are its own."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        f"benchmarks.{name}",
        *(["--quick"] if quick else []),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the {name} benchmark failed (exit {process.returncode})")
    return list(json.loads(out))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes and one run (the test suite's)")
    parser.add_argument("--only", nargs="+", choices=FIGURES, help="run only these figures")
    parser.add_argument("--json", type=Path, help="where to write the figures (default: benchmarks/results/)")
    args = parser.parse_args()
    started = time.time()
    figures, failed = [], []
    for name in args.only or FIGURES:
        print(f"{name}…", file=sys.stderr, flush=True)
        try:
            figures.extend(asyncio.run(run_figure(name, args.quick)))
        except RuntimeError as exc:
            print(f"  {exc}", file=sys.stderr)
            failed.append(name)
    report = {
        "quick": args.quick,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(time.time() - started, 1),
        "machine": machine(),
        "figures": figures,
        "failed": failed,
    }
    path = args.json or RESULTS / ("quick.json" if args.quick else "latest.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(report))
    print(f"\nfigures written to {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
