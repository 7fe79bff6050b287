"""The shape of the project, enforced: which package may import what (an AST walk, no imports run)."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.registry import PLATFORMS

ROOT = Path(__file__).resolve().parent.parent
# A platform's SDK lives in its adapter package only; the registry says which SDK a platform has.
PLATFORM_SDK_HOMES = {sdk: {f"adapters/{row.name}/"} for row in PLATFORMS for sdk in row.sdks}
PLATFORM_SDKS = set(PLATFORM_SDK_HOMES)
THIRD_PARTY_HOMES = {  # each third-party library lives behind one module, or one folder
    "openai": {"facilitator/llm.py"},
    "aiosqlite": {"facilitator/store/sqlite.py"},
    "asyncpg": {"facilitator/store/pg_pool.py"},
    "tiktoken": {"facilitator/tokens.py"},
    "pydantic_settings": {"bot/settings.py"},
    "aiohttp": {"bot/http.py", "adapters/common/downloads.py"},
    "PIL": {"facilitator/images.py"},
    "yarl": {"adapters/discord/"},  # discord.py's URLs, for its gateway address
    **PLATFORM_SDK_HOMES,
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
    bad = violations("adapters", {"openai", "aiosqlite", "asyncpg", "bot"}, {"facilitator.llm"})
    bad += [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules("adapters")
        for name in imports_of(path)
        if name == "facilitator.store" or name.startswith("facilitator.store.")
    ]
    assert bad == []


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
                if homes is not None and not any(
                    where == home or (home.endswith("/") and where.startswith(home)) for home in homes
                ):
                    bad.append(f"{where} imports {name}")
    assert bad == []


def test_the_walk_sees_imports(tmp_path: Path) -> None:
    """The checker itself catches a forbidden import, so the rules above cannot pass vacuously."""
    sample = tmp_path / "sample.py"
    sample.write_text("import discord\nfrom bot.cli import main\nfrom facilitator import llm\n")
    assert imports_of(sample) == {"discord", "bot.cli", "bot.cli.main", "facilitator", "facilitator.llm"}
    assert modules("facilitator") and modules("adapters") and modules("bot") and modules("benchmarks")
    assert {"discord", "telegram", "slack_bolt", "slack_sdk"} <= PLATFORM_SDKS


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: str) -> dict[str, set[str]]:
    """Who imports whom inside a package, `if TYPE_CHECKING:` imports included."""
    names = {module_name(path): path for path in modules(package)}
    return {
        name: {other for other in imports_of(path) if other in names and other != name}
        for name, path in names.items()
    }


def cycle_in(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of the graph, as the modules along it, or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for other in sorted(graph.get(node, ())):
            if state.get(other) == 1:
                return [*path[path.index(other) :], other]
            if other not in state and (found := visit(other)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_core_has_no_import_cycle() -> None:
    assert cycle_in(import_graph("facilitator")) == []


def test_the_adapters_have_no_import_cycle_and_share_no_sdk() -> None:
    """Each platform's modules import downwards (adapter, sending, then groups, media, events,
    render); what the platforms share imports no platform's SDK."""
    assert cycle_in(import_graph("adapters")) == []
    assert violations("adapters/common", PLATFORM_SDKS) == []


def test_the_cycle_finder_finds_one() -> None:
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert cycle_in({"a": {"b"}, "b": set()}) == []
