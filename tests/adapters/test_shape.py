"""One shape for every platform (docs/adapters.md): the same modules for the same roles, the
same names for the same jobs, so that what one platform does is found where another does it."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from types import ModuleType

import pytest

from adapters.common.performer import Performer

ROOT = Path(__file__).resolve().parents[2] / "adapters"
PLATFORMS = {"telegram": "Telegram", "slack": "Slack", "discord": "Discord"}
MODULES = {"access", "adapter", "commands", "config", "events", "groups", "media", "render", "sending"}
ADAPTER = {"start", "stop", "receive", "perform", "count_members", "fetch_image", "partial_view"}
ACTIONS = {name for name in vars(Performer) if not name.startswith("_")}


def test_every_platform_has_the_same_modules() -> None:
    packages = {path.name for path in ROOT.iterdir() if (path / "adapter.py").exists()}
    assert packages == set(PLATFORMS)
    for platform in PLATFORMS:
        modules = {path.stem for path in (ROOT / platform).glob("*.py")} - {"__init__"}
        assert modules == MODULES, platform


def test_a_method_for_each_action_type() -> None:
    assert ACTIONS == {
        "send_message",
        "stream_message",
        "edit_message",
        "react",
        "show_typing",
        "send_image",
        "start_group",
    }


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_same_names_for_the_same_jobs(platform: str) -> None:
    name = PLATFORMS[platform]

    def of(module: str) -> ModuleType:
        return importlib.import_module(f"adapters.{platform}.{module}")

    adapter, config, events, sending = of("adapter"), of("config"), of("events"), of("sending")
    for member in (f"{name}Adapter", f"{name}Config", f"{name}StartError", f"{name}Facts", "facts"):
        assert hasattr(adapter, member), f"adapters/{platform}/adapter.py lacks {member}"
    # The config is defined where the settings can read its defaults without the SDK.
    assert getattr(adapter, f"{name}Config") is getattr(config, f"{name}Config")
    assert getattr(config, f"{name}Config").__module__ == f"adapters.{platform}.config"
    assert inspect.iscoroutinefunction(adapter.facts)
    cls = getattr(adapter, f"{name}Adapter")
    assert ADAPTER <= set(dir(cls)) and cls.platform == events.PLATFORM == platform
    for member in ("translate", "conversation_of", "member_of", f"{name}Identity"):
        assert hasattr(events, member), f"adapters/{platform}/events.py lacks {member}"
    sender = getattr(sending, f"{name}Sender")
    assert ACTIONS | {"perform"} <= set(dir(sender))
    media = getattr(of("media"), f"{name}Media")
    assert {"fetch", "close"} <= set(dir(media))
    assert hasattr(of("groups"), "GroupStarter")


def test_the_shell_does_the_same_jobs_under_the_same_names() -> None:
    from adapters.shell import PLATFORM, ShellAdapter

    assert ShellAdapter.platform == PLATFORM
    assert ACTIONS | {"perform", "receive", "count_members", "fetch_image", "partial_view"} <= set(
        dir(ShellAdapter)
    )
