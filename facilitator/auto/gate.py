"""The local gate of `auto` mode: which ordinary messages might want the AI, with no model call.

It lets through only candidates: a question to the whole group, a request for options or a
decision, a factual disagreement, a call for a summary, or a question right after the AI
spoke. Two people talking fast, greetings, small talk, rhetorical questions and anything
addressed to someone else are never candidates. The model then decides about each candidate,
so the gate errs towards letting a real question through; its cost is measured in
`benchmarks/` and its judgement over a labelled set in the tests.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from facilitator.auto import patterns as p


class Kind(Enum):
    OPEN_QUESTION = "open_question"  # waits: a candidate only if nobody answers it
    OPTIONS = "options"
    DISPUTE = "dispute"
    SUMMARY = "summary"
    FOLLOW_UP = "follow_up"


@dataclass(frozen=True, slots=True)
class Heard:
    """A message as the gate needs it; `at` is seconds since the epoch."""

    author_id: str
    name: str
    text: str
    at: float
    from_ai: bool = False
    replies_to_member: bool = False  # a reply to another person's message


RAPID_SECONDS = 30.0  # a gap this short between two people's messages is a conversation
RAPID_RUN = 3  # messages in a row, alternating between two people
FOLLOW_UP_SECONDS = 300.0
DISPUTE_SECONDS = 180.0


def asks_to_hold_back(text: str) -> bool:
    """ "Parley, stop chiming in": a request to answer only when addressed."""
    return p.HOLD_BACK.search(text) is not None


def is_question(text: str) -> bool:
    body = text.strip()
    if not body:
        return False
    if p.ENDS_ASKING.search(body) or p.QUESTION_WORDS.search(body):
        return True
    # A longer message with a question inside: "Quick question: does it ...? I'm seeing ..."
    return p.INNER_QUESTION.search(body) is not None


def _words(text: str) -> int:
    return len(text.split())


def addressed_to_someone(message: Heard, names: Iterable[str], ai_names: Iterable[str]) -> bool:
    """Spoken to a person: a platform @mention, a reply to them, or their name as an address."""
    if message.replies_to_member or p.PLATFORM_MENTION.search(message.text):
        return True
    known = {name.casefold() for name in names} - {name.casefold() for name in ai_names}
    for pattern in (p.LEADING_NAME, p.TRAILING_NAME):
        found = pattern.search(message.text)
        if found and found.group(1).casefold() in known:
            return True
    return False


def _asked_part(text: str) -> str:
    """The sentence holding the question: "I checked. I'll book it, 8pm?" asks "I'll book it, 8pm?"."""
    sentences = [part for part in re.split(r"(?<=[.!?？])\s+", text.strip()) if part]
    asking = [part for part in sentences if "?" in part or "？" in part]
    return asking[-1] if asking else text


def rapid_exchange(message: Heard, before: Sequence[Heard]) -> bool:
    """Two people trading messages seconds apart: a conversation of their own."""
    run = [message]
    for earlier in reversed(before):
        if earlier.from_ai or run[-1].at - earlier.at > RAPID_SECONDS:
            break
        run.append(earlier)
    if len(run) < RAPID_RUN:
        return False
    authors = {heard.author_id for heard in run}
    switches = sum(1 for a, b in itertools.pairwise(run) if a.author_id != b.author_id)
    return len(authors) == 2 and switches >= 2


def _content(text: str) -> set[str]:
    words = set()
    for word in p.WORD.findall(text.casefold()):
        if word in p.STOPWORDS or len(word) < 2:
            continue
        words.add(_stem(word))
    return words


def _stem(word: str) -> str:
    """Crude, and enough to see that "ordering" and "order" are the same subject."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _others_lately(message: Heard, before: Sequence[Heard], seconds: float) -> list[Heard]:
    return [
        heard
        for heard in before[-8:]
        if not heard.from_ai and heard.author_id != message.author_id and message.at - heard.at <= seconds
    ]


def _disputes(message: Heard, before: Sequence[Heard]) -> bool:
    text = message.text
    others = _others_lately(message, before, DISPUTE_SECONDS)  # someone to disagree with, lately
    if not others:
        return False
    if is_question(text) or p.DONT_KNOW.search(text) or p.RHETORICAL.search(text) or p.PLEASE.search(text):
        return False  # "pls don't cut it": a plea, not a dispute about facts
    if p.DISPUTE_STRONG.search(text):
        return True
    mine = _content(text)
    claims = [heard for heard in others[-3:] if not is_question(heard.text)]  # what is disputed
    shared = max((len(mine & _content(heard.text)) for heard in claims), default=0)
    if p.DISPUTE_WEAK.search(text) or p.DISPUTE_WEAK_EXTRA.search(text):
        return shared > 0 or p.CLAIM.search(text) is not None
    if p.SURE.search(text):
        return shared > 0
    return shared > 1 and p.CONTRAST.search(text) is not None and p.CLAIM.search(text) is not None


def answers(question: str, reply: str) -> bool:
    """Whether `reply`, by someone else, takes up `question`: on its subject, or a plain yes, no,
    number or name, and neither a question of its own, an "oh no" nor an "I don't know"."""
    opening = re.split(r"(?<=[.!?])\s", reply.strip(), maxsplit=1)[0]  # "They do. 8pm?" answers
    if (
        is_question(opening)
        or p.DONT_KNOW.search(reply)
        or p.REACTION.search(reply)
        or p.JOKING.search(reply)
    ):
        return False
    if _content(question) & _content(reply):
        return True
    if p.INFO.search(reply) and p.ASKS_FOR_A_NUMBER.search(question):
        return True  # "8pm", "6 and a half minutes"
    # "Yes" answers "is it ...?", not "which ...?" nor "A or B?"
    yes_or_no = p.YES_NO_QUESTION.search(question) and not re.search(r"\bor\b", question, re.IGNORECASE)
    return bool(yes_or_no) and p.YES_NO.search(reply) is not None


def already_answered(message: Heard, before: Sequence[Heard]) -> bool:
    """A question the conversation has just answered: the facts are up there already."""
    asked = _content(message.text)
    if not asked:
        return False
    recent = [heard for heard in before[-10:] if message.at - heard.at <= 900 and not heard.from_ai]
    for index, heard in enumerate(recent):
        if heard.author_id == message.author_id:
            continue
        theirs = _content(heard.text)
        shared = asked & theirs
        if not shared or len(shared) < len(asked) / 2:
            continue  # the same subject, not a word in passing
        if not is_question(heard.text):
            if len(shared) >= 2:
                return True  # someone said it: "standup moved to 10:30 today"
        elif any(
            later.author_id != heard.author_id and not is_question(later.text)
            for later in recent[index + 1 :]
        ):
            return True  # the same question was asked and someone answered it
    return False


def candidate(
    message: Heard, before: Sequence[Heard], names: Iterable[str] = (), ai_names: Iterable[str] = ()
) -> Kind | None:
    """Why this message might want the AI, or None when it is no business of the AI's.

    `before` is the conversation's recent past, oldest first; `names` are the members' names.
    """
    text = message.text
    if message.from_ai or not text.strip() or len(text) > 2000 or text.lstrip().startswith(("/", "!")):
        return None  # a bot command is for another bot
    if addressed_to_someone(message, names, ai_names):
        return None
    if p.SUMMARY.search(text):
        return Kind.SUMMARY
    if _words(text) < 2:
        return None
    if _disputes(message, before):
        return Kind.DISPUTE  # a factual disagreement, even between two people talking fast
    if rapid_exchange(message, before) and not (p.WE.search(text) or p.TO_EVERYONE.search(text)):
        return None  # two people talking; "do we need ...?" turns to the whole group
    last = before[-1] if before else None
    question = is_question(text) or p.REQUEST.search(text) is not None
    if (
        question
        and last is not None
        and last.from_ai
        and message.at - last.at <= FOLLOW_UP_SECONDS
        and p.SECOND_PERSON.search(text)  # "can you also ...?", "why do you say that?"
        and not p.RHETORICAL.search(text)
    ):
        return Kind.FOLLOW_UP
    asking = question or p.ASKING_AROUND.search(text) or p.WANTING.search(text) or "?" in text
    if p.OPTIONS.search(text) and asking:
        return Kind.OPTIONS
    if not question or p.RHETORICAL.search(text) or _words(text) < 4:
        return None
    if p.SECOND_PERSON.search(text) and not p.TO_EVERYONE.search(text) and not p.GENERIC_YOU.search(text):
        return None  # "are you coming?": to the person they are talking with
    if already_answered(message, before):
        return None
    asked = _asked_part(text)
    if not p.QUESTION_WORDS.search(asked) and _words(asked) < 6:
        return None  # "the six of us?", "I'll book it, 8pm?": a check with someone, not the group
    return Kind.OPEN_QUESTION
