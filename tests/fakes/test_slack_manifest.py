"""The manifest reader the Slack fake takes its scopes from: it reads the manifest as a YAML
library would, and the YAML it is written in."""

from __future__ import annotations

import pytest

from tests.fakes.slack_manifest import MANIFEST, bot_scopes, manifest, read_yaml, slash_command


def test_it_reads_lists_mappings_quotes_and_comments() -> None:
    text = """
# a comment
name: Parley  # after a value
colour: "#2f3a4a"
on: true
items:
  - one
  - "two: quoted"
people:
  - command: /parley
    hint: 'it''s'
  - command: /other
empty:
top:
  inner:
    - a
"""
    assert read_yaml(text) == {
        "name": "Parley",
        "colour": "#2f3a4a",
        "on": True,
        "items": ["one", "two: quoted"],
        "people": [{"command": "/parley", "hint": "it's"}, {"command": "/other"}],
        "empty": None,
        "top": {"inner": ["a"]},
    }


def test_it_reads_the_manifest_as_yaml_does() -> None:
    yaml = pytest.importorskip("yaml")
    assert manifest() == yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_the_manifest_asks_for_scopes_and_declares_parley() -> None:
    assert "chat:write" in bot_scopes() and slash_command("/parley")["url"].endswith("/slack/events")
