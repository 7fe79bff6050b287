"""One shape for every platform (docs/adapters.md): the same modules for the same roles, the
same names for the same jobs, so that what one platform does is found where another does it."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from types import ModuleType

import pytest

from adapters.common.performer import Performer
from bot.registry import PLATFORMS as REGISTERED

ROOT = Path(__file__).resolve().parents[2] / "adapters"
PLATFORMS = {row.name: row.title for row in REGISTERED}  # the registry says which platforms there are
MODULES = {"access", "adapter", "commands", "config", "events", "groups", "media", "render", "sending"}
# What a platform needs besides them, each in a module named for its job (docs/adapters.md).
EXTRA_MODULES = {
    "telegram": set(),
    "slack": {"catch_up", "profiles", "responses", "socket_mode", "wellformed"},
    "discord": {"catch_up", "clients", "session"},
}
ADAPTER = {"start", "stop", "receive", "perform", "count_members", "fetch_image", "partial_view"}
ACTIONS = {name for name in vars(Performer) if not name.startswith("_")}
# What a platform's GroupStarter offers besides `start` (Telegram greets the group its link made).
GROUP_STARTER_EXTRAS = {"telegram": {"greeting"}, "slack": set(), "discord": set()}


def public_methods(cls: type) -> set[str]:
    return {name for name, member in vars(cls).items() if callable(member) and not name.startswith("_")}


def test_every_platform_has_the_same_modules_and_declares_its_own() -> None:
    packages = {path.name for path in ROOT.iterdir() if (path / "adapter.py").exists()}
    assert packages == set(PLATFORMS)
    for platform in PLATFORMS:
        modules = {path.stem for path in (ROOT / platform).glob("*.py")} - {"__init__"}
        assert modules == MODULES | EXTRA_MODULES[platform], platform


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


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_same_names_inside_the_modules(platform: str) -> None:
    """Not only the files: the function behind each shared job has one name everywhere."""
    name = PLATFORMS[platform]

    def of(module: str) -> ModuleType:
        return importlib.import_module(f"adapters.{platform}.{module}")

    # What `partial_view` says the AI cannot see here, in words for the group.
    assert inspect.isfunction(of("access").blind_spots), f"adapters/{platform}/access.py lacks blind_spots"
    # The native menu, built from the core's table.
    commands = of("commands")
    assert inspect.isfunction(commands.menu) and isinstance(commands.COMMAND, str), platform
    # The longest message the platform takes, in the renderer that cuts to it.
    render = of("render")
    assert isinstance(render.LIMIT, int) and render.LIMIT > 0, platform
    # StartGroup: one public coroutine that does the platform's whole job.
    starter = of("groups").GroupStarter
    assert public_methods(starter) == {"start"} | GROUP_STARTER_EXTRAS[platform], platform
    assert inspect.iscoroutinefunction(starter.start)
    assert list(inspect.signature(starter.start).parameters) == ["self", "action"]
    sender = getattr(of("sending"), f"{name}Sender")
    assert sender.start_group.__qualname__ == f"{name}Sender.start_group"
    # Images out are posted by the sender (sending.py); media.py only brings images in.
    media = getattr(of("media"), f"{name}Media")
    assert sender.send_image.__qualname__ == f"{name}Sender.send_image"
    assert public_methods(media) == {"fetch", "close"} | ({"file_info"} if platform == "slack" else set())
    # Fetching an image is media.py's work, by the reference the adapter handed out.
    assert list(inspect.signature(media.fetch).parameters) == ["self", "ref", "max_bytes"]
    adapter = getattr(of("adapter"), f"{name}Adapter")
    assert "return await self.media.fetch(ref, max_bytes)" in inspect.getsource(adapter.fetch_image)


def test_what_a_platform_keeps_of_its_own_sits_in_its_role() -> None:
    from adapters.discord import commands, events

    # The kind of conversation a channel is: what the translation of events takes.
    assert events.channel_kind.__module__ == "adapters.discord.events"
    assert "def channel_kind" not in inspect.getsource(commands)
    # Commands come through `translate_command` where the platform sends them apart (Slack's
    # slash command, Discord's interaction); Telegram's are messages, read by `translate`.
    assert hasattr(importlib.import_module("adapters.slack.events"), "translate_command")
    assert hasattr(events, "translate_command")
    assert not hasattr(importlib.import_module("adapters.telegram.events"), "translate_command")


def test_the_shell_does_the_same_jobs_under_the_same_names() -> None:
    from adapters.shell import PLATFORM, ShellAdapter

    assert ShellAdapter.platform == PLATFORM
    assert ACTIONS | {"perform", "receive", "count_members", "fetch_image", "partial_view"} <= set(
        dir(ShellAdapter)
    )
