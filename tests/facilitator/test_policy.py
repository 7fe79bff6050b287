"""Whether the AI speaks: the pure policy over gathered facts."""

from __future__ import annotations

from facilitator.chat import Mode
from facilitator.policy import Decision, Facts, decide


def facts(**changes: object) -> Facts:
    base: dict[str, object] = {"mode": Mode.MENTION, "is_direct": False, "author_is_bot": False}
    base.update(changes)
    return Facts(**base)  # type: ignore[arg-type]


def test_policy() -> None:
    assert decide(facts()) is Decision.IGNORE
    assert decide(facts(mentioned=True)) is Decision.ANSWER
    assert decide(facts(replied_to_ai=True)) is Decision.ANSWER
    assert decide(facts(named=True)) is Decision.ANSWER
    assert decide(facts(is_direct=True)) is Decision.ANSWER
    assert decide(facts(mentioned=True, author_is_bot=True)) is Decision.IGNORE
    assert decide(facts(is_direct=True, author_is_bot=True)) is Decision.IGNORE
    assert decide(facts(mode=Mode.OFF, mentioned=True)) is Decision.IGNORE
    assert decide(facts(mentioned=True, member_count=21)) is Decision.SIZE_NOTICE
    assert decide(facts(mentioned=True, member_count=21, size_notice_sent=True)) is Decision.STAY_OUT
    assert decide(facts(mentioned=True, member_count=20)) is Decision.ANSWER
    assert decide(facts(mentioned=True, member_count=500, size_limit=0)) is Decision.ANSWER
    assert decide(facts(mentioned=True, member_count=None)) is Decision.ANSWER


def test_in_auto_mode_an_addressed_message_is_decided_as_in_mention_mode() -> None:
    """Unaddressed messages of an auto group are the gate's and the room's (facilitator/auto/)."""
    assert decide(facts(mode=Mode.AUTO)) is Decision.IGNORE
    assert decide(facts(mode=Mode.AUTO, mentioned=True)) is Decision.ANSWER
    assert decide(facts(mode=Mode.AUTO, named=True, member_count=30)) is Decision.SIZE_NOTICE
