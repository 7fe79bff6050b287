"""The shape of the project, enforced: which package may import what (an AST walk, no imports run)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_SDKS = {"discord", "telegram", "slack_bolt", "slack_sdk"}
THIRD_PARTY_HOMES = {  # each third-party library lives behind one module
    "openai": {"facilitator/llm.py"},
    "aiosqlite": {"facilitator/sqlite_store.py"},
    "tiktoken": {"facilitator/tokens.py"},
    "pydantic_settings": {"bot/settings.py"},
    "aiohttp": {"bot/http.py", "adapters/downloads.py"},
    "PIL": {"facilitator/images.py"},
    "discord": {  # discord.py: its adapter package only
        "adapters/discord/adapter.py",
        "adapters/discord/commands.py",
        "adapters/discord/access.py",
        "adapters/discord/groups.py",
        "adapters/discord/sending.py",
    },
    "yarl": {"adapters/discord/adapter.py"},
    "slack_bolt": {"adapters/slack/adapter.py"},
    "slack_sdk": {"adapters/slack/adapter.py", "adapters/slack/sending.py"},
    "telegram": {  # python-telegram-bot: its adapter package only
        "adapters/telegram/adapter.py",
        "adapters/telegram/sending.py",
        "adapters/telegram/reactions.py",
    },
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)  # `from facilitator import llm` imports facilitator.llm too
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def top(name: str) -> str:
    return name.split(".")[0]


def violations(package: str, forbidden: set[str], exact: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    bad = []
    for path in modules(package):
        for name in imports_of(path):
            if top(name) in forbidden or name in exact:
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


def test_the_core_imports_no_platform_sdk_nor_adapters_nor_bot() -> None:
    assert violations("facilitator", PLATFORM_SDKS | {"adapters", "bot"}) == []


def test_adapters_never_import_the_model_client_or_the_store() -> None:
    forbidden_modules = {"facilitator.llm", "facilitator.sqlite_store", "facilitator.migrations"}
    assert violations("adapters", {"openai", "aiosqlite", "bot"}, forbidden_modules) == []


def test_nothing_imports_bot() -> None:
    """The benchmarks too: they start `parley run` as a process, as an operator would."""
    assert (
        violations("facilitator", {"bot"})
        + violations("adapters", {"bot"})
        + violations("benchmarks", {"bot"})
        == []
    )


def test_each_third_party_library_lives_behind_one_module() -> None:
    bad = []
    for package in ("facilitator", "adapters", "bot"):
        for path in modules(package):
            where = str(path.relative_to(ROOT))
            for name in imports_of(path):
                homes = THIRD_PARTY_HOMES.get(top(name))
                if homes is not None and where not in homes:
                    bad.append(f"{where} imports {name}")
    assert bad == []


def test_the_walk_sees_imports(tmp_path: Path) -> None:
    """The checker itself catches a forbidden import, so the rules above cannot pass vacuously."""
    sample = tmp_path / "sample.py"
    sample.write_text("import discord\nfrom bot.cli import main\nfrom facilitator import llm\n")
    assert imports_of(sample) == {"discord", "bot.cli", "bot.cli.main", "facilitator", "facilitator.llm"}
    assert modules("facilitator") and modules("adapters") and modules("bot") and modules("benchmarks")
