"""The local gate of `auto` mode: which ordinary messages might want the AI, with no model call.

It reads the conversation's structure before its words: who a message turns to (a reply, an
@mention or a name is for that person; "anyone", "vous", "ihr" is for the group), whether two
people are trading lines, whether the room is laughing, whether the AI just spoke, whether the
facts asked for are already up there. Then what the message does, in any language lexicon.py
knows: asks (with or without a question mark), asks for work or options, calls for a recap, sets
someone right about a fact. What it lets through waits in the room (room.py), which watches
what the group does next, and only then does the model decide. Its cost and judgement are
measured on labelled transcripts in `benchmarks/` (a tuning half and a held-out half).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from facilitator.auto import lexicon as lx
from facilitator.auto import patterns as p
from facilitator.auto import tone as tn
from facilitator.auto.features import Features, of_message
from facilitator.auto.reading import Reading, fold, read


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
    message_id: str = ""
    reply_to: str | None = None  # the message it replies to, the AI's or a member's
    to_someone: bool = False  # addressed to a member by name or @mention


RAPID_SECONDS = 30.0  # a gap this short between two people's messages is a conversation
RAPID_RUN = 3  # messages in a row, alternating between two people
FOLLOW_UP_SECONDS = 300.0
DISPUTE_SECONDS = 180.0
ANSWERED_SECONDS = 900.0  # what was said this recently may already answer a question
LAUGHING_ROOM = 3  # of the last five lines laughing or emoji: banter, not the AI's moment
CHECK_WORDS = 8  # a bare "...?" this short proposes or checks something with the others
JOKE_WORDS = 8  # a laughing line this short is a joke; a longer one may still ask something


def asks_to_hold_back(text: str) -> bool:
    """ "Parley, stop chiming in": a request to answer only when addressed."""
    return p.HOLD_BACK.search(text) is not None


def addressed_to_someone(message: Heard, names: Iterable[str], ai_names: Iterable[str]) -> bool:
    """Spoken to a person: a platform @mention, a reply to them, or their name as an address."""
    if message.replies_to_member or p.PLATFORM_MENTION.search(message.text):
        return True
    known = {fold(name) for name in names if name} - {fold(name) for name in ai_names}
    for pattern in (p.LEADING_NAME, p.TRAILING_NAME):
        found = pattern.search(message.text)
        if found and fold(found.group(1)) in known:
            return True
    for pattern in (p.NAME_ASKED, p.GREETED):  # "what do you think, Tom?", "Hey Priya, ..."
        found = pattern.search(message.text)
        if found and fold(found.group(1)) not in {fold(name) for name in ai_names} | lx.GROUP:
            return True
    words = [w for w in read(message.text).words if w not in tn.GREETING]  # "hey Priya, ..."
    return bool(words) and (words[0] in known or (len(words) > 2 and words[-1] in known))


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


def talking_with(message: Heard, before: Sequence[Heard]) -> str | None:
    """Whom this message's "you" is for: the one who spoke last, just now, in a conversation
    of two (a "you" said to a quiet room is anyone's)."""
    recent = [heard for heard in before[-4:] if not heard.from_ai and message.at - heard.at <= 180]
    others = [heard.author_id for heard in recent if heard.author_id != message.author_id]
    return others[-1] if others else None


def laughing_room(message: Heard, before: Sequence[Heard]) -> bool:
    """The last few lines mostly laughter and emoji: the group is joking around."""
    recent = [heard for heard in before[-5:] if message.at - heard.at <= 120 and not heard.from_ai]
    lively = sum(1 for heard in recent if (r := read(heard.text)).laughs or r.emoji_only)
    return lively >= LAUGHING_ROOM


_STOP = frozenset(
    """
    the a an and or but if so to of in on at for by with from is are was were be been it its this
    that these those there here what when where who which why how does do did can could would
    should will just like really very much many some any anyone anybody someone i me my we us our
    you your he him his she her they them their not no yes ok okay lol about still also too then
    than now get got need want going know think have has had one el la los las de del que en un
    una es por para con le les des du et est quoi der die das den dem und ist nicht ein eine o os
    as um uma com
    """.split()
)


def subject(reading: Reading) -> set[str]:
    """The words a message is about, crudely stemmed: "ordering" and "order" are one subject."""
    found = set()
    for word in reading.words:
        if len(word) < 3 or word in _STOP:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if len(word) > len(suffix) + 3 and word.endswith(suffix):
                word = word[: -len(suffix)]
                break
        found.add(word)
    return found


def answers(question: str, reply: str, direct: bool = False) -> bool:
    """Whether `reply`, by someone else, takes up `question`: a direct reply or one on its
    subject, or facts a question asked for; not a question back, a shrug or a laugh."""
    heard = read(reply)
    opening = re.split(r"(?<=[.!?])\s", reply.strip(), maxsplit=1)[0]
    guess = heard.hedges and not heard.facty  # "I think yes?" guesses; "23:40 I think" says
    if read(opening).asks or heard.shrugs or guess or heard.reacts or heard.laughs or heard.emoji_only:
        return False
    if direct:
        return True
    asked = read(question)
    if subject(asked) & subject(heard):
        return True
    if asked.yes_no and heard.says_yes_or_no:
        return True  # "is the pool open today?" "yes till 9"
    return heard.facty and asked.wants_a_figure  # "how long does it take?" "6 and a half minutes"


def already_answered(message: Heard, reading: Reading, before: Sequence[Heard]) -> bool:
    """A question the conversation has just answered: the facts are up there already."""
    asked = subject(reading)
    if not asked:
        return False
    recent = [h for h in before[-10:] if message.at - h.at <= ANSWERED_SECONDS and not h.from_ai]
    for index, heard in enumerate(recent):
        if heard.author_id == message.author_id:
            continue
        theirs = read(heard.text)
        shared = asked & subject(theirs)
        if not shared or len(shared) < len(asked) / 2:
            continue  # the same subject, not a word in passing
        if not theirs.asks:
            if len(shared) >= 2:
                return True  # someone said it: "standup moved to 10:30 today"
        elif any(
            later.author_id != heard.author_id and not read(later.text).asks for later in recent[index + 1 :]
        ):
            return True  # the same question was asked and someone answered it
    return False


def _disputes(message: Heard, reading: Reading, before: Sequence[Heard]) -> bool:
    """Setting someone right about a fact they just stated: not taste, not a joke, not a plea."""
    if not (reading.contradicts or reading.doubts or reading.says_no):
        return False
    if reading.laughs or reading.taste or reading.asks:
        return False
    others = [
        heard
        for heard in before[-6:]
        if not heard.from_ai
        and heard.author_id != message.author_id
        and message.at - heard.at <= DISPUTE_SECONDS
    ]
    replied = [heard for heard in others if heard.message_id and heard.message_id == message.reply_to]
    if replied:  # in reply to what it disputes: that is the claim
        claim = read(replied[0].text)
        if claim.asks or claim.laughs:
            return False
        return reading.contradicts or reading.facty or bool(subject(reading) & subject(claim))
    claims = [read(heard.text) for heard in others]
    claims = [claim for claim in claims if not claim.asks and not claim.laughs and claim.size >= 3]
    if not claims:
        return False
    mine = subject(reading)
    shared = max(len(mine & subject(claim)) for claim in claims)
    just_said = before[-1] in others and not claims[-1].asks  # "that's a myth", right after it
    if reading.contradicts:  # "that's a myth", right after the claim, or about it
        return shared > 0 or (just_said and before[-1] is others[-1])
    # "pretty sure it's 82", "no, transaction mode never did": a doubt, and a fact on the subject
    return reading.size >= 4 and (shared >= 2 or (shared > 0 and (reading.facty or reading.size >= 8)))


def candidate(
    message: Heard, before: Sequence[Heard], names: Iterable[str] = (), ai_names: Iterable[str] = ()
) -> Kind | None:
    """Why this message might want the AI, or None when it is no business of the AI's.

    `before` is the conversation's recent past, oldest first; `names` are the members' names.
    """
    return verdict(message, before, names, ai_names)[0]


def verdict(
    message: Heard, before: Sequence[Heard], names: Iterable[str] = (), ai_names: Iterable[str] = ()
) -> tuple[Kind | None, str]:
    """The candidate's kind (or None) and the reason, for the logs and the benchmark's probe."""
    text = message.text
    if message.from_ai or not text.strip() or len(text) > 2000 or text.lstrip().startswith(("/", "!")):
        return None, "not a member's line"  # a bot command is for another bot
    reading = read(text)
    if _disputes(message, reading, before):
        return Kind.DISPUTE, "sets someone right about a fact"  # even in reply to them
    if addressed_to_someone(message, names, ai_names):
        return None, "to someone"
    if reading.recap:
        return Kind.SUMMARY, "a call for a recap"
    if reading.size < 2 or reading.emoji_only or reading.greets or reading.settled:
        return None, "too short or social"
    last = before[-1] if before else None
    if (
        last is not None
        and last.from_ai
        and message.at - last.at <= FOLLOW_UP_SECONDS
        and reading.asks
        and (reading.you or reading.work)
        and not reading.laughs
    ):
        return Kind.FOLLOW_UP, "asks the AI, just after it spoke"
    if (reading.laughs and reading.size <= JOKE_WORDS) or laughing_room(message, before):
        return None, "banter"
    if rapid_exchange(message, before) and not (reading.to_group or reading.we):
        return None, "two people talking"  # "do we need ...?" turns to the whole group
    if reading.to_one and talking_with(message, before) and not _generic_you(reading):
        return None, "to the one they talk with"  # "are you coming?"
    if reading.work and (reading.asks or reading.to_group or reading.we):
        return Kind.OPTIONS, "asks for work"
    if reading.wants:
        return Kind.OPTIONS, "asks for ideas"
    if not reading.asks or reading.size < 3:
        return None, "asks nothing"
    if reading.rhetorical:
        return None, "rhetorical"  # "why is it always me", "how is it already december"
    if reading.asks_who:
        return None, "asks who among them"  # "who's bringing the speaker?": theirs to settle
    if reading.ours and not reading.wonders:
        return None, "about their own plans"  # "did we pick a date?", "are you free sunday?"
    if not (reading.opener or reading.wonders) and reading.size < CHECK_WORDS:
        return None, "a check with the others"  # "thai place on 5th?", "the six of us?"
    if already_answered(message, reading, before):
        return None, "answered already"
    return Kind.OPEN_QUESTION, "a question to the group"


def features_of(message: Heard, kind: Kind, before: Sequence[Heard]) -> Features:
    """A candidate's features as said (features.py): what it does, and the room around it."""
    recent = [h for h in before[-10:] if not h.from_ai and message.at - h.at <= 600]
    gap = message.at - before[-1].at if before else 3600.0
    return of_message(
        read(message.text),
        kind.value,
        speakers=len({h.author_id for h in recent} | {message.author_id}),
        gap_seconds=gap,
        laughing=laughing_room(message, before),
        pair=rapid_exchange(message, before),
    )


def _generic_you(reading: Reading) -> bool:
    """ "How do you boil an egg", "how much food do you need per head": the "you" of anyone at
    all (a "you" with a "me" is a favour asked of someone: "can you send me the link")."""
    if "me" in reading.words:
        return False
    for clause in reading.clauses:
        words = [word for word in clause if word not in lx.FILLERS]
        if len(words) >= 4 and words[0] in GENERIC_OPENERS and {"you", "u", "one"} & set(words[1:6]):
            return True
    return False


GENERIC_OPENERS = frozenset({"how", "do", "does", "should", "is", "can", "could", "would", "what", "why"})
