"""The platforms' setup guides (docs/<platform>.md) show each setting with its true default and
the environment name that really sets it, so a guide cannot drift from the code it describes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.registry import PLATFORMS
from bot.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"
ROW = re.compile(
    r"^\| `(?P<section>[a-z]+)\.(?P<key>[a-z_]+)` \| `(?P<env>[A-Z_]+)[^`]*` \|(?P<default>[^|]*)\|"
)


def rows(platform: str) -> list[re.Match[str]]:
    lines = (DOCS / f"{platform}.md").read_text(encoding="utf-8").splitlines()
    return [found for line in lines if (found := ROW.match(line))]


@pytest.mark.parametrize("platform", [row.name for row in PLATFORMS])
def test_the_guides_settings_table_says_what_the_code_does(platform: str) -> None:
    section = Settings.model_fields[platform].annotation
    secrets = {secret.key: secret.env for row in PLATFORMS if row.name == platform for secret in row.secrets}
    found = rows(platform)
    table = [
        line
        for line in (DOCS / f"{platform}.md").read_text().splitlines()
        if line.startswith(f"| `{platform}.")
    ]
    assert found and len(found) == len(table), f"docs/{platform}.md: a settings row this test cannot read"
    for row in found:
        key = row["key"]
        assert row["section"] == platform and key in section.model_fields, f"{platform}.{key} is no setting"
        assert row["env"] == secrets.get(key, f"PARLEY_{platform.upper()}__{key.upper()}")
        default = section.model_fields[key].get_default(call_default_factory=True)
        shown = row["default"].strip()
        if shown.startswith("`"):
            value = shown.strip("`")
            expected = json.dumps(list(default)) if isinstance(default, tuple) else str(default)
            assert value == expected, f"{platform}.{key}: the guide says {value}, the code {expected}"
        else:  # no value shown: the setting is unset unless the operator sets it
            assert default is None, f"{platform}.{key}: the guide shows no default, the code has {default!r}"
