"""The platform registry: a fourth platform is one row and its settings section, nothing else.

The fake platform "loopy" lives in this module: its section, its row, and (as the row's wiring)
this module's `build` and `check`, over a tiny in-memory service that stands for the platform.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

import pytest
from pydantic import SecretStr

import bot.settings
from bot import registry
from bot.app import open_runtime
from bot.cli import how_to_configure, main
from bot.http import HttpServer
from bot.platforms import Platforms
from bot.registry import LateStart, Platform, Secret
from bot.settings import Section, Settings, SettingsError, load_settings
from facilitator.actions import Action, Delivered, SendMessage, StreamMessage
from facilitator.chat import ConversationRef, Member, Message
from facilitator.events import MessageReceived
from facilitator.ports import EventSink, MediaError
from tests.fakes.openai_server import FakeOpenAI
from tests.support.process import ROOT, endpoint, environment

TOKEN = "loopy-token-7f3a9c"


class LoopySection(Section):
    token: SecretStr | None = None
    handle: str = "loopy_bot"  # a setting of its own, as a platform's section has


class WithLoopy(Settings):
    loopy: LoopySection = LoopySection()


LOOPY = Platform(
    name="loopy",
    title="Loopy",
    secrets=(Secret("token", "LOOPY_TOKEN"),),
    wiring=__name__,
    setup="LOOPY_TOKEN",
)


@dataclass
class Service:
    """The platform itself: who is online, and what was posted in which chat."""

    token: str = TOKEN
    online: list[LoopyAdapter] = field(default_factory=list)
    posted: dict[str, list[str]] = field(default_factory=dict)


SERVICE = Service()


class LoopyAdapter:
    platform = "loopy"

    def __init__(self, core: EventSink, token: str) -> None:
        self._core = core
        self._token = token
        self._said = 0

    async def start(self, stack: AsyncExitStack) -> None:
        if self._token != SERVICE.token:
            raise SettingsError("Loopy refused LOOPY_TOKEN")
        SERVICE.online.append(self)
        stack.push_async_callback(self.stop)

    async def stop(self) -> None:
        SERVICE.online.remove(self)

    @property
    def adapter(self) -> LoopyAdapter:
        return self

    async def pause(self) -> None:
        """Loopy delivers nothing unasked: there is nothing to hold back."""

    async def say(self, chat: str, text: str) -> None:
        self._said += 1
        ann = Member("loopy", "ann", "Ann")
        conversation = ConversationRef("loopy", chat, None, is_direct=True)
        await self._core.handle(MessageReceived(Message(f"m{self._said}", conversation, ann, text)), self)

    async def perform(self, action: Action) -> Delivered | None:
        if isinstance(action, SendMessage):
            text = action.text
        elif isinstance(action, StreamMessage):
            text = "".join([chunk async for chunk in action.chunks])
        else:
            return None
        SERVICE.posted.setdefault(action.conversation.chat_id, []).append(text)
        return Delivered(((f"r{len(SERVICE.posted)}", text),))

    async def count_members(self, conversation: ConversationRef) -> int | None:
        return None

    async def fetch_image(self, ref: str, max_bytes: int) -> bytes:
        raise MediaError("Loopy has no images")

    async def partial_view(self, conversation: ConversationRef) -> str | None:
        return None


def build(
    settings: WithLoopy, core: EventSink, http: HttpServer | None, late: LateStart | None = None
) -> LoopyAdapter:
    assert settings.loopy.token is not None
    return LoopyAdapter(core, settings.loopy.token.get_secret_value())


async def check(settings: WithLoopy) -> int:
    assert settings.loopy.token is not None
    if settings.loopy.token.get_secret_value() != SERVICE.token:
        print("loopy: PROBLEM: Loopy refused the token")
        return 1
    print(f"loopy: OK (@{settings.loopy.handle})")
    return 0


@pytest.fixture
def process_state() -> Iterator[None]:
    """`parley` sets up the root logger and the garbage collector for a process: put them back."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, gc.get_threshold())
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    gc.set_threshold(*saved[2])
    gc.unfreeze()


def register(monkeypatch: pytest.MonkeyPatch) -> None:
    """What adding a platform takes: its row and its settings section."""
    monkeypatch.setattr(registry, "PLATFORMS", (*registry.PLATFORMS, LOOPY))
    monkeypatch.setattr(bot.settings, "Settings", WithLoopy)


async def test_a_fourth_platform_is_configured_refused_redacted_checked_switchable_and_runs(
    fake_model: FakeOpenAI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    process_state: None,
) -> None:
    monkeypatch.chdir(tmp_path)
    SERVICE.posted.clear()
    for name, value in {**endpoint(fake_model), "PARLEY_BOT__FIRST_USE_NOTICE": "false"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LOOPY_TOKEN", TOKEN)
    assert not registry.is_target("loopy:dm-2")
    with pytest.raises(SettingsError, match="setting loopy: unknown setting"):
        load_settings(write(tmp_path, '[loopy]\nhandle = "x"\n'))
    register(monkeypatch)

    settings = load_settings()
    assert settings.configured_platforms() == ["loopy"]
    assert "\n  Loopy: LOOPY_TOKEN\n" in how_to_configure()
    assert TOKEN in settings.secret_values()
    with pytest.raises(SettingsError) as refused:
        load_settings(write(tmp_path, '[loopy]\ntoken = "loopy-in-the-file"\n'))
    assert "loopy.token is a secret and must not be in" in str(refused.value)
    assert "set LOOPY_TOKEN or PARLEY_LOOPY__TOKEN in the environment" in str(refused.value)
    assert "loopy-in-the-file" not in str(refused.value)
    assert load_settings(write(tmp_path, '[loopy]\nhandle = "loopster"\n')).loopy.handle == "loopster"
    (tmp_path / "config.toml").unlink()

    assert await asyncio.to_thread(main, ["off", "loopy:dm-2"]) == 0
    logging.getLogger("loopy").warning("Loopy said: token %s is fine", TOKEN)  # the log `parley` set up
    out, err = capsys.readouterr()
    assert "loopy:dm-2: the AI is off" in out
    assert TOKEN not in err and "token <redacted> is fine" in err

    assert await asyncio.to_thread(main, ["check"]) == 0
    out, _ = capsys.readouterr()
    assert "platforms: loopy\n" in out and "loopy: OK (@loopy_bot)" in out and "verdict: ready" in out
    monkeypatch.setenv("LOOPY_TOKEN", "loopy-wrong-token")
    assert await asyncio.to_thread(main, ["check"]) == 1
    out, _ = capsys.readouterr()
    assert "loopy: PROBLEM: Loopy refused the token" in out and "NOT READY (1 problem)" in out

    async with open_runtime(settings) as runtime, AsyncExitStack() as stack:
        platforms = Platforms(settings, runtime.facilitator, None)
        assert platforms.names == ["loopy"] and not SERVICE.online
        await platforms.start(stack)
        (adapter,) = SERVICE.online
        await adapter.say("dm-1", "hello")
        await adapter.say("dm-2", "hello from where the AI is off")
        await runtime.facilitator.idle()
    assert SERVICE.posted == {"dm-1": ["Hello from the fake model."]}
    assert not SERVICE.online  # the stack stopped it


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_row_has_its_section_and_every_secret_there_has_its_name() -> None:
    for platform in registry.PLATFORMS:
        section = Settings.model_fields[platform.name].annotation
        assert isinstance(section, type) and issubclass(section, Section), platform.name
        secret_fields = {
            key for key, inner in section.model_fields.items() if SecretStr in get_args(inner.annotation)
        }
        assert {secret.key for secret in platform.secrets} == secret_fields, platform.name
    names = [secret.env for _, secret in registry.secrets()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("platform", registry.PLATFORMS, ids=lambda platform: platform.name)
def test_a_platform_sdk_is_imported_only_with_its_wiring(platform: Platform) -> None:
    """`parley` imports no platform's SDK before it knows which are configured; a platform's
    wiring imports its own SDK and no other's."""
    script = (
        "import json, sys\n"
        "import bot.cli\n"
        "from bot import registry\n"
        "at_start = sorted(sys.modules)\n"
        f"registry.wiring(next(p for p in registry.PLATFORMS if p.name == {platform.name!r}))\n"
        "print(json.dumps([at_start, sorted(sys.modules)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment({}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    at_start, after = ({name.split(".")[0] for name in names} for names in json.loads(done.stdout))
    sdks = {sdk for row in registry.PLATFORMS for sdk in row.sdks}
    assert sdks and not sdks & at_start
    assert not {name for name in json.loads(done.stdout)[0] if name.startswith("bot.wiring.")}
    assert sdks & after == set(platform.sdks)
