"""One message read for the gate: its words folded once, and what they do (ask, turn to the
group, ask for work or a recap, laugh, shrug, greet, set someone right), in any of the
languages of lexicon.py. Pure and cheap: a few microseconds for a chat line.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from facilitator.auto import lexicon as lx
from facilitator.auto import tone as tn

_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)?|\?|¿")
_CLAUSE = re.compile(r"[.!;:\n()]+|[^\w\s?¿,'-]+")
_EMOJI_ONLY = re.compile(r"^[\W\d_]*$")
_NUMBER = re.compile(r"\d")
_LINK = re.compile(r"https?://|www\.")
# Spanish and Portuguese mark the asking word with an accent ("qué", "cómo", "quién", "você"
# aside): with it, "que" opens a question even without "?".
_ACCENTED_ASK = re.compile(
    r"^\W*(?:\w+\W+){0,2}?(?:qu[ée]\b|c[óo]mo\b|d[óo]nde|cu[áa]ndo|qui[ée]n|cu[áa]l|cu[áa]nt)"
)
_ACCENTED = re.compile(r"[éóáí]")
_LINKS = re.compile(r"(?:https?://|www\.)\S+")


@dataclass(frozen=True, slots=True)
class Reading:
    words: tuple[str, ...]  # folded, without "?"
    clauses: tuple[tuple[str, ...], ...]  # the words of each sentence or clause
    asks: bool  # shaped as a question: "?", an opener, "anyone know", "i wonder"
    opener: bool  # opens with a question word
    general: bool  # what general knowledge answers: how it works, whether it is true or safe
    ours: bool  # about the group's own arrangements: "did we pick a date", "are you free tonight"
    asks_who: bool  # "who's bringing ...", "qui vient", "wer kommt": about the people here
    wonders: bool  # "i wonder", "anyone know", "can someone": asking without a question word
    to_group: bool  # turns to everyone or anyone
    to_one: bool  # "you" of one person, and no word for the group
    we: bool
    wants: bool  # looking for, needs, ideas, recommendations
    work: bool  # asks someone to write, plan, list, compare, decide
    recap: bool  # a call for a summary of the conversation
    laughs: bool
    reacts: bool  # opens with "oh", "oof", "rip": a reaction, not an answer
    shrugs: bool  # "no idea", "good question"
    hedges: bool  # "I think", "maybe", "creo": a guess
    agrees: bool  # "ok", "makes sense", "perfect"
    greets: bool  # hello, good night, "how's everyone doing": social
    rhetorical: bool  # "why is it always me", "how is it already december"
    you: bool  # a word for "you", one or many
    yes_no: bool  # asks yes or no: "is it open today?" (not "A or B?")
    says_yes_or_no: bool  # opens with yes or no
    taste: bool
    contradicts: bool  # "that's a myth", "c'est faux", "stimmt nicht"
    doubts: bool  # "pretty sure", "actually", "en realidad"
    says_no: bool  # opens with "no", "nah", "nein"...
    settled: bool  # "never mind", "found it"
    thanks: bool
    facty: bool  # a number or a link: the stuff of answers
    wants_a_figure: bool  # when, how long, how many, what time, where: answered by a figure
    emoji_only: bool

    @property
    def size(self) -> int:
        return len(self.words)


def fold(text: str) -> str:
    """Lower case, no accents, no apostrophes: "Qu'est-ce", "What’s" and "whats" read alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "").replace("'", ""))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).replace("ß", "ss")


def _opens_asking(words: tuple[str, ...]) -> bool:
    start = 0
    while start < len(words) - 1 and words[start] in lx.FILLERS:
        start += 1
    first = words[start] if start < len(words) else ""
    pair = words[start : start + 2]
    return first in lx.OPENERS or pair in (("o", "que"), ("est", "ce"), ("quest", "ce"))


def _clauses(text: str) -> list[tuple[str, ...]]:
    return [tuple(_WORD.findall(part)) for part in _CLAUSE.split(text) if part.strip()]


def _asks_a_hand(words: tuple[str, ...]) -> bool:
    """ "can someone", "could anybody", "kann jemand", "alguien puede": asking for a hand."""
    for index, word in enumerate(words):
        if word not in lx.ANYONE:
            continue
        if index > 0 and words[index - 1] in lx.MODALS:
            return True
        if word in lx.ANYONE_FIRST and index + 1 < len(words) and words[index + 1] in lx.MODALS:
            return True
    return False


def has_phrase(words: tuple[str, ...], phrases: tuple[tuple[str, ...], ...]) -> bool:
    for phrase in phrases:
        width = len(phrase)
        if width == 1:
            if phrase[0] in words:
                return True
            continue
        first = phrase[0]
        for index, word in enumerate(words):
            if word == first and words[index : index + width] == phrase:
                return True
    return False


READ_CHARS = 2000  # a chat line's worth; past it a message is a document, not a question


def read(text: str) -> Reading:
    """The message read (its first 2,000 characters, so the cache stays small whatever is sent)."""
    return _read(text[:READ_CHARS])


@lru_cache(maxsize=4096)
def _read(text: str) -> Reading:
    folded = fold(_LINKS.sub(" ", text))
    tokens = _WORD.findall(folded)
    marked = "?" in tokens or "¿" in tokens or "？" in text
    words = tuple(token for token in tokens if token not in ("?", "¿"))
    vocab = frozenset(words)
    clauses = _clauses(folded)
    opener = any(_opens_asking(clause) for clause in clauses if len(clause) >= 3)
    first = next((w for w in words if w not in lx.FILLERS), "")
    accented = (found := _ACCENTED_ASK.match(text.casefold())) is not None and bool(
        _ACCENTED.search(found.group(0))
    )
    weak = first in lx.WEAK_OPENERS and not marked and not accented and not _opens_asking(words[1:])
    to_group = bool(vocab & lx.GROUP) or has_phrase(words, lx.GROUP_PHRASES)
    knowing = bool(vocab & lx.KNOWING)
    hand = _asks_a_hand(words)
    asks = (
        marked
        or accented
        or (opener and not weak)
        or (knowing and to_group)
        or bool(vocab & lx.WONDERING)
        or hand
    )
    laughs = bool(vocab & tn.LAUGHTER) or any(mark in text for mark in tn.LAUGHING_MARKS)
    return Reading(
        words=words,
        clauses=tuple(clauses),
        asks=asks,
        opener=opener,
        general=bool(vocab & lx.GENERAL),
        ours=bool(vocab & lx.WE or vocab & lx.YOU_ONE)
        and bool(vocab & lx.WHEN_HERE or vocab & lx.PRESENCE)
        and not vocab & lx.GENERAL,
        asks_who=first in lx.WHO and not hand and not vocab & lx.OR,  # "who should I pick, A or B"
        wonders=bool(vocab & lx.WONDERING) or (knowing and to_group) or hand,
        to_group=to_group,
        to_one=bool(vocab & lx.YOU_ONE) and not to_group,
        we=bool(vocab & lx.WE),
        wants=bool(vocab & lx.WANTING)
        and (
            first in lx.WANTING
            or bool(vocab & lx.NEED)
            or asks
            or to_group
            or "pls" in vocab
            or "please" in vocab
        ),
        work=hand
        or (bool(vocab & lx.WORK) and (asks or bool(vocab & lx.CAN or (vocab & lx.WE and vocab & lx.NEED)))),
        recap=bool(vocab & lx.RECAP) or has_phrase(words, lx.RECAP_PHRASES),
        laughs=laughs,
        reacts=bool(words) and words[0] in tn.INTERJECTIONS,
        shrugs=bool(vocab & tn.SHRUG) or has_phrase(words, tn.SHRUG_PHRASES),
        hedges=bool(vocab & tn.HEDGES) or has_phrase(words, tn.HEDGE_PHRASES),
        agrees=bool(words) and words[0] in tn.AGREE,
        greets=(bool(vocab & tn.GREETING) and len(words) <= 4) or has_phrase(words, tn.SOCIAL_PHRASES),
        rhetorical=bool(vocab & tn.RHETORIC)
        and (first in tn.WHY or "believe" in vocab or (first in tn.HOW and not vocab & tn.EVEN)),
        yes_no=first in lx.AUX and "or" not in vocab and "ou" not in vocab and "oder" not in vocab,
        says_yes_or_no=first in tn.YES_NO,
        you=bool(vocab & lx.YOU_ONE) or "vous" in vocab or "voces" in vocab,
        taste=bool(vocab & tn.TASTE),
        contradicts=bool(vocab & tn.CONTRADICT) or has_phrase(words, tn.CONTRADICT_PHRASES),
        doubts=bool(vocab & tn.DOUBT) or has_phrase(words, tn.DOUBT_PHRASES),
        says_no=first in tn.NO,
        settled=has_phrase(words, tn.SETTLED),
        thanks=bool(vocab & tn.THANKS),
        wants_a_figure=bool(vocab & lx.FIGURES) or has_phrase(words, lx.FIGURE_PHRASES),
        facty=bool(_NUMBER.search(text) or _LINK.search(text)),
        emoji_only=bool(text.strip()) and _EMOJI_ONLY.match(text) is not None,
    )


def clear_cache() -> None:
    """Forget the messages read (for a benchmark that times reading afresh)."""
    _read.cache_clear()
