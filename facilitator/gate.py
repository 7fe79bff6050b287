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

_FLAGS = re.IGNORECASE | re.VERBOSE

_SUMMARY = re.compile(
    r"""
    \bsum(?:s|med)?\s+(?:it\s+|this\s+|that\s+|everything\s+|things\s+)?up\b | \bsummar(?:y|i[sz]e)
    | \brecap\b | \btl;?\s?dr\b | what\s+(?:did|have)\s+i\s+miss | catch\s+me\s+up | fill\s+me\s+in
    | where\s+(?:are|did)\s+we\s+(?:at|land|end\s+up) | what\s+(?:did|have)\s+we\s+(?:decided?|agreed?)
    | what\s+was\s+(?:decided|agreed) | what(?:'s|\s+is)\s+the\s+(?:plan|verdict|conclusion)\s+(?:then|now)
    | \bresum(?:en|e|ir|o)\b | qu[ée]\s+me\s+perd[íi] | zusammenfass | was\s+hab(?:e)?\s+ich\s+verpasst
    | \br[ée]sum[ée]\b | \br[ée]cap\b | qu['’]est-ce\s+que\s+j['’]ai\s+rat[ée] | o\s+que\s+(?:eu\s+)?perdi
    """,
    _FLAGS,
)

_OPTIONS = re.compile(
    r"""
    \b(?:any|some|got|need)\s+(?:good\s+)?(?:ideas?|suggestions?|recommendations?|recs|tips|options|advice)
    | \bideas\s*\? | \bsuggestions\s*\? | \brecommend | \brecs\b
    | \bwhich\s+(?:one|of\s+(?:these|those|them|the)|should|would|do\s+we|is\s+better)
    | \bwhat\s+should\s+(?:we|i)\b | \bwhere\s+should\s+(?:we|i)\b | \bwhen\s+should\s+we\b
    | \bshould\s+we\s+(?:go|get|do|pick|choose|order|book|watch|try|take|stay|rent|meet)
    | \b(?:can['’]?t|cannot|can\s+not|help\s+(?:us|me))\s+(?:to\s+)?(?:decide|choose|pick)
    | \bpick\s+(?:one|between) | \balternatives?\b | \bwhat\s+are\s+(?:our|the|some)\s+options
    | \b(?:any|some)(?:one|body)\s+(?:know|knows|have|has|got)\s+(?:a|an|any)\s+(?:good|decent|nice)
    | \bwhat(?:['’]s|\s+is)\s+(?:a|the)\s+(?:good|best)\b | \bbest\s+(?:place|way|option|one)\s+(?:to|for)\b
    | \balguna\s+(?:idea|sugerencia|recomendaci) | \bqu[ée]\s+(?:hacemos|pedimos|elegimos|vemos)
    | \brecomiend | \bqu[ée]\s+opciones | \bcu[áa]l\s+(?:elegimos|pedimos|es\s+mejor)
    | \bwas\s+sollen\s+wir | \bideen\b | \bvorschl[äa]g | \bwelche[snmr]?\s+(?:sollen|nehmen|ist\s+besser)
    | \bempfehl | \bdes\s+id[ée]es | \bon\s+fait\s+quoi | \brecommand | \blequel\b | \blaquelle\b
    | \bqu['’]est-ce\s+qu['’]on\s+(?:fait|mange|choisit) | \balguma\s+(?:ideia|sugest)
    | \bsugest[õo]es | \bo\s+que\s+(?:a\s+gente|vamos|fazemos) | \bqual\s+(?:voc[êe]s|a\s+gente|[ée]\s+melhor)
    """,
    _FLAGS,
)

# Disagreement in so many words: enough on its own.
_DISPUTE_STRONG = re.compile(
    r"""
    that['’]?s\s+(?:not\s+(?:true|right|correct|how)|wrong|false|a\s+myth|incorrect)
    | \byou['’]?re\s+(?:wrong|mistaken|confusing) | \bnot\s+true\b | \bincorrect\b | \bfact[\s-]?check
    | \bcitation\s+needed | \bi\s+don['’]?t\s+think\s+(?:that['’]?s|it['’]?s|so)\b
    | \bno\s+way\s+(?:it|that|he|she|they)\b | \bi\s+doubt\s+(?:it|that)
    | \bpretty\s+sure\s+(?:it|that|he|she|they|you|the)\b | \bi['’]?m\s+(?:quite|fairly|pretty|100%)\s+sure
    | \bactually,?\s+(?:it|that|he|she|they|the)\b | \bit\s+(?:was|is)\s+(?:actually|definitely)\b
    | \beso\s+no\s+es\s+(?:verdad|cierto|as[íi]) | \bte\s+equivocas | \bestoy\s+(?:seguro|segura)\s+de\s+que
    | \bdas\s+stimmt\s+(?:nicht|so\s+nicht) | \bfalsch\b | \bquatsch\b | \bdu\s+irrst
    | \bc['’]est\s+(?:faux|pas\s+vrai) | \btu\s+te\s+trompes | \bje\s+suis\s+s[ûu]r(?:e)?\s+que
    | \bisso\s+n[ãa]o\s+[ée]\s+verdade | \bn[ãa]o\s+[ée]\s+bem\s+assim | \bvoc[êe]\s+est[áa]\s+errad
    """,
    _FLAGS,
)
# "No, ..." is a disagreement about a fact when a fact follows: a number or a claim.
_DISPUTE_WEAK = re.compile(r"^\W*(?:no+|nope|nah|wrong|not\s+really)\b[\s,.!]", re.IGNORECASE)
_CLAIM = re.compile(r"\d|\b(?:is|was|are|were|has|had|than|invented|discovered|wrote|built)\b", re.IGNORECASE)

_QUESTION_WORDS = re.compile(
    r"""
    ^\W*(?:who|what|where|when|why|how|which|whose|is|are|was|were|do|does|did|can|could|would|should
    | will|has|have|any(?:one|body)|some(?:one|body)|does\s+any(?:one|body)|qu[ée]|qui[ée]n|d[óo]nde
    | cu[áa]ndo|c[óo]mo|cu[áa]l|por\s+qu[ée]|alguien|wer|was|wo|wann|wie|warum|welche[snmr]?|wei[ßs]\s+jemand
    | kennt\s+jemand|hat\s+jemand|qui|quoi|o[ùu]|quand|comment|pourquoi|quel(?:le)?s?|est-ce\s+que
    | quelqu['’]un|quem|onde|quando|por\s+que|algu[ée]m)\b
    """,
    _FLAGS,
)
# A question mark at the end, perhaps followed by emoji, closing brackets or quotes.
_ENDS_ASKING = re.compile(r"[?？¿][^\w?？]*$")
_ASKING_AROUND = re.compile(
    r"\b(?:any(?:one|body)|some(?:one|body)|does\s+any|who\s+knows|alguien|jemand|quelqu['’]un|algu[ée]m)\b",
    re.IGNORECASE,
)
_RHETORICAL = re.compile(
    r"""
    \bwho\s+(?:even|cares|does\s+that|asked)\b | \bwhy\s+(?:is|are|does|do)\s+\w+(?:\s+\w+)?\s+always\b
    | \bhow\s+(?:hard|difficult)\s+(?:is|can)\s+it\s+be | \bwhy\s+would\s+any(?:one|body)
    | \bwhat\s+(?:is|['’]s)\s+wrong\s+with\s+(?:people|them|him|her|this|me)\b | \bwhy\s+not\s*\?
    | \b(?:right|isn['’]?t\s+it|ain['’]?t\s+it|you\s+know|amirite|innit|no)\s*\?+\W*$
    | \b(?:are\s+you\s+kidding|seriously|really|wtf|wth|what\s+the\s+(?:hell|heck|fuck))\b
    | ^\W*(?:how|what\s+a)\s+(?:cute|nice|great|funny|sad|lovely|cool|awesome)\b
    | \bcan\s+you\s+believe\b | \bguess\s+what\b | \bwho\s+would['’]?ve\s+thought
    | \bwhy\s+(?:me|us)\s*\? | \bwhat\s+(?:could|can)\s+(?:possibly\s+)?go\s+wrong
    """,
    _FLAGS,
)
_SECOND_PERSON = re.compile(
    r"\b(?:you|your|you['’]re|u|ur|yours|du|dich|dir|dein\w*|tu|toi|ton|ta|tes|t[úu]|te|voc[êe]|vous)\b",
    re.IGNORECASE,
)
_TO_EVERYONE = re.compile(
    r"""
    \b(?:you\s+(?:guys|all|two|lot|folks|people)|y['’]?all|yall|any(?:one|body)|every(?:one|body)
    | some(?:one|body)|folks|people|team|guys|gang|all\s+of\s+you|ustedes|vosotros|ihr|euch
    | jemand|alle|tout\s+le\s+monde|quelqu['’]un|voc[êe]s|galera|pessoal|gente|chicos|leute)\b
    """,
    _FLAGS,
)
_PLATFORM_MENTION = re.compile(r"<@[!&]?[\w.-]+>|(?:^|\s)@[A-Za-z0-9_.]{3,32}\b")
_LEADING_NAME = re.compile(r"^\W*([^\W\d_][\w'’.-]{0,30})\s*[,:]")
_TRAILING_NAME = re.compile(r",\s*([^\W\d_][\w'’.-]{0,30})\s*[?!.]*\s*$")
_HOLD_BACK = re.compile(
    r"""
    \b(?:stop|quit|no\s+more|enough(?:\s+with)?)\s+(?:the\s+)?(?:chiming|butting|jumping|barging|cutting)\s+in
    | \bstop\s+(?:interrupting|interjecting|commenting|replying\s+to\s+everything)
    | \b(?:don['’]?t|do\s+not|no\s+need\s+to)\s+(?:chime|butt|jump|barge)\s+in
    | \b(?:be|keep|stay)\s+quiet\b | \bshut\s+up\b | \bhush\b | \bstay\s+out\s+of\s+(?:it|this|our)
    | \bonly\s+(?:answer|respond|reply|speak|talk)\s+when\b | \bhold\s+back\b | \bnobody\s+asked\s+you
    | \bspeak\s+only\s+when | \bless\s+chatty\b | \btone\s+it\s+down
    """,
    _FLAGS,
)


def asks_to_hold_back(text: str) -> bool:
    """ "Parley, stop chiming in": a request to answer only when addressed."""
    return _HOLD_BACK.search(text) is not None


def is_question(text: str) -> bool:
    body = text.strip()
    if not body:
        return False
    return _ENDS_ASKING.search(body) is not None or _QUESTION_WORDS.search(body) is not None


def _words(text: str) -> int:
    return len(text.split())


def addressed_to_someone(message: Heard, names: Iterable[str], ai_names: Iterable[str]) -> bool:
    """Spoken to a person: a platform @mention, a reply to them, or their name as an address."""
    if message.replies_to_member or _PLATFORM_MENTION.search(message.text):
        return True
    known = {name.casefold() for name in names} - {name.casefold() for name in ai_names}
    for pattern in (_LEADING_NAME, _TRAILING_NAME):
        found = pattern.search(message.text)
        if found and found.group(1).casefold() in known:
            return True
    return False


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


def _disputes(message: Heard, before: Sequence[Heard]) -> bool:
    text = message.text
    strong = _DISPUTE_STRONG.search(text) is not None
    if not strong and not (_DISPUTE_WEAK.search(text) and _CLAIM.search(text)):
        return False
    # A disagreement needs someone to disagree with, lately.
    return any(
        not heard.from_ai
        and heard.author_id != message.author_id
        and message.at - heard.at <= DISPUTE_SECONDS
        for heard in before[-6:]
    )


def candidate(
    message: Heard, before: Sequence[Heard], names: Iterable[str] = (), ai_names: Iterable[str] = ()
) -> Kind | None:
    """Why this message might want the AI, or None when it is no business of the AI's.

    `before` is the conversation's recent past, oldest first; `names` are the members' names.
    """
    text = message.text
    if message.from_ai or _words(text) < 2 or len(text) > 2000:
        return None
    if addressed_to_someone(message, names, ai_names) or rapid_exchange(message, before):
        return None
    if _SUMMARY.search(text):
        return Kind.SUMMARY
    last = before[-1] if before else None
    question = is_question(text)
    if (
        question
        and last is not None
        and last.from_ai
        and message.at - last.at <= FOLLOW_UP_SECONDS
        and not _RHETORICAL.search(text)
    ):
        return Kind.FOLLOW_UP
    if _OPTIONS.search(text) and (question or _ASKING_AROUND.search(text) or "recommend" in text.lower()):
        return Kind.OPTIONS
    if _disputes(message, before):
        return Kind.DISPUTE
    if not question or _RHETORICAL.search(text) or _words(text) < 3:
        return None
    if _SECOND_PERSON.search(text) and not _TO_EVERYONE.search(text):
        return None  # "are you coming?": to the person they are talking with
    return Kind.OPEN_QUESTION
