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
    | what\s+was\s+(?:decided|agreed)
    | \bwhat(?:['’]?s|\s+is)\s+the\s+(?:final\s+)?(?:plan|verdict|conclusion)\b
    | \bshort\s+version\b | \bthe\s+gist\b | \bbring\s+me\s+up\s+to\s+speed
    | \bresum(?:en|e|ir|o)\b | qu[ée]\s+me\s+perd[íi] | zusammenfass | was\s+hab(?:e)?\s+ich\s+verpasst
    | \br[ée]sum[ée]\b | \br[ée]cap\b | qu['’]est-ce\s+que\s+j['’]ai\s+rat[ée] | o\s+que\s+(?:eu\s+)?perdi
    """,
    _FLAGS,
)

_OPTIONS = re.compile(
    r"""
    \b(?:any|some|got|need)\s+(?:good\s+)?(?:ideas?|suggestions?|recommendations?|recs|tips|options|advice)
    | \bideas\s*\? | \bsuggestions\s*\? | \brecommend | \brecs\b
    | \bneed\s+(?:some\s+)?(?:\w+\s+)?(?:ideas|suggestions|recommendations|advice)\b
    | \bwhich\s+\w+\s+(?:do|should|shall|will)\s+we\b | \bdecide\s+for\s+(?:us|me)\b
    | \b(?:some|any)(?:one|body)\s+(?:just\s+)?(?:decide|pick|choose)\b | \w+,\s*\w+,?\s+or\s+\w+\s*\?
    | \boptions\s*\? | \bany(?:one|body)\s*\?
    | \bwe\s+(?:gotta|have\s+to|need\s+to|must)\s+decide | \bdecide\s+between\b | \bthoughts\s*\?
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
    | \b(?:botanically|technically|scientifically|strictly\s+speaking)\b | \bdebunked\b
    | \bthat\s+can['’]?t\s+be\s+(?:right|true)\b
    | ^\W*(?:isn['’]?t|wasn['’]?t|aren['’]?t)\s+(?:it|that|they)\s*\?
    | \bthat\s+was\s+(?:old|before|years\s+ago)\b | \bnot\s+any\s?more\b | \bno\s+longer\b | \boutdated\b
    | \b\d+(?:\.\d+)?\s*,?\s+not\s+\d+
    | ^\W*(?:it|they|he|she|that)\s+(?:literally|actually|definitely|totally)
      \s+(?:does|do|is|are|was|did|can|has)\b
    | \bisso\s+n[ãa]o\s+[ée]\s+verdade | \bn[ãa]o\s+[ée]\s+bem\s+assim | \bvoc[êe]\s+est[áa]\s+errad
    """,
    _FLAGS,
)
# "No, ..." is a disagreement about a fact when a fact follows: a number or a claim.
_DISPUTE_WEAK = re.compile(r"^\W*(?:no+|nope|nah|wrong|not\s+really)\b[\s,.!]", re.IGNORECASE)
_DISPUTE_WEAK_EXTRA = re.compile(r"^\W*(?:no\s+way|nee|nein|n[ãa]o|no\s+creo|non|nah\s+man)\b", re.IGNORECASE)
# Contradicting what someone just said about the same thing: a sure word and a shared subject,
# or a plain negation and two shared words.
_SURE = re.compile(
    r"\bactually\b|\bdefinitely\b|\bliterally\b|\bdoch\b|\bcerteza\b|\bno\s+creo\b",
    re.IGNORECASE,
)
_PLEASE = re.compile(r"^\W*(?:please|pls|plz|plis)\b", re.IGNORECASE)
_DONT_KNOW = re.compile(
    r"\b(?:no\s+idea|no\s+clue|not\s+sure|dunno|idk|no\s+se|keine\s+ahnung|aucune\s+id[ée]e|sei\s+l[áa]"
    r"|google\s+it|scroll\s+up)\b",
    re.IGNORECASE,
)
_CONTRAST = re.compile(
    r"""
    \bnot\b | n['’]t\b | \b(?:aren|isn|wasn|weren|don|doesn|didn|can|won)t\b
    | \bnever\b | \bonly\b | \bnicht\b | \bkein | \bpas\b | \bn[ãa]o\b
    """,
    _FLAGS,
)
_CLAIM = re.compile(
    r"\d|\b(?:is|was|are|were|than|invented|discovered|wrote|built|wins?|won|better|worse|bigger"
    r"|smaller|taller|higher|lower|more|less|most|least|best|worst)\b",
    re.IGNORECASE,
)

_QUESTION_WORDS = re.compile(
    r"""
    ^\W*(?:(?:wait|ok|okay|so|and|but|hmm+|um+|also|oh|quick\s+question)\W+)*
    (?:who|what|where|when|why|how|which|whose|whats|what['’]s|hows|how['’]s|wheres|where['’]s|who['’]s
    | (?:is|are|was|were|do|does|did|can|could|would|should|will|has|have|isn['’]?t|aren['’]?t|don['’]?t)
      \s+(?:i|you|u|we|they|he|she|it|this|that|these|those|there|the|a|an|my|our|your|his|her|their
      | any(?:one|body)|some(?:one|body)|every(?:one|body)|\w+\s+(?:be|have|go|work|run|get|take|need))
    | any(?:one|body)|some(?:one|body)|does\s+any(?:one|body)|qu[ée]|qui[ée]n|d[óo]nde
    | cu[áa]ndo|c[óo]mo|cu[áa]l|por\s+qu[ée]|alguien|wer|was|wo|wann|wie|warum|welche[snmr]?|wei[ßs]\s+jemand
    | kennt\s+jemand|hat\s+jemand|qui|quoi|o[ùu]|quand|comment|pourquoi|quel(?:le)?s?|est-ce\s+que
    | quelqu['’]un|quem|onde|quando|por\s+que|algu[ée]m)\b(?!['’])  # not "should've"
    """,
    _FLAGS,
)
# A question mark at the end, perhaps followed by emoji, closing brackets or quotes.
_INNER_QUESTION = re.compile(r"\w[^.!?]{10,}\?(?:\s|$)")
_ENDS_ASKING = re.compile(r"[?？¿][^\w?？]*$")
# "Can someone do the math", "anyone have a regex handy": asking the group for a hand.
_REQUEST = re.compile(
    r"\b(?:can|could|would|will)\s+(?:some|any)(?:one|body)\b|\b(?:some|any)(?:one|body)\s+(?:have|got|know)\b",
    re.IGNORECASE,
)
_WANTING = re.compile(r"\b(?:need|want|looking\s+for|recommend)", re.IGNORECASE)
_ASKING_AROUND = re.compile(
    r"\b(?:any(?:one|body)|some(?:one|body)|does\s+any|who\s+knows|alguien|jemand|quelqu['’]un|algu[ée]m)\b",
    re.IGNORECASE,
)
_RHETORICAL = re.compile(
    r"""
    \bwho['’]?s\s+(?:still\s+)?(?:awake|up|around|here|in|online|on|doing|going|coming|free)\b
    | ^\W*who\s+(?:got|made|brought|baked|ordered|sent|posted|did\s+this|won)\b
    | \bwhat(?:['’]s|\s+is|\s+are)\s+(?:every(?:one|body)|you\s+(?:all|guys)|y['’]?all)
      \s+(?:doing|eating|having|up\s+to|watching|drinking|making)\b
    | \bcan['’]?t\s+believe\b | \bhow\s+is\s+it\s+(?:already|only|still)\b | \bwhat\s+was\s+i\s+thinking
    | ^\W*who\s+(?!knows|has|wants|needs|is|else|here|can|could|would|will)\w+s\b
    | \bhow\s+(?:are|is|can)\s+(?:they|he|she|it|people|you)\s+(?:this|that|so)\s+\w+
    | \bsowas\b | 🙄 | \bwhy\s+(?:do|does|is|are|would)\b.*\beven\b | \bget\s+any\s+(?:worse|better)\b
    | \bhow(?:['’]s|\s+is|\s+are)\s+(?:every(?:one|body)|you\s+all|y['’]?all|things|it\s+going|life)\b
    |
    \bwho\s+(?:even|cares|does\s+that|asked)\b | \bwhy\s+(?:is|are|does|do)\s+\w+(?:\s+\w+)?\s+always\b
    | \bhow\s+(?:hard|difficult)\s+(?:is|can)\s+it\s+be | \bwhy\s+would\s+any(?:one|body)
    | \bwhat\s+(?:is|['’]s)\s+wrong\s+with\s+(?:people|them|him|her|this|me)\b | \bwhy\s+not\s*\?
    | \b(?:right|isn['’]?t\s+it|ain['’]?t\s+it|you\s+know|amirite|innit|no)\s*\?+\W*$
    | \b(?:are\s+you\s+kidding|wtf|wth|what\s+the\s+(?:hell|heck|fuck))\b | \b(?:seriously|really)\s*\?
    | \b(?:sounds|looks|seems)\s+(?:good|great|fun|nice|bad|amazing)\b
    | \b(?:isn|aren|wasn|doesn|didn)['’]?t\s+(?:he|she|it|they|there)\s*[.?!]*\s*$
    | ^\W*(?:how|what\s+a)\s+(?:cute|nice|great|funny|sad|lovely|cool|awesome)\b
    | \bcan\s+you\s+believe\b | \bguess\s+what\b | \bwho\s+would['’]?ve\s+thought
    | \bwhy\s+(?:me|us)\s*\? | \bwhat\s+(?:could|can)\s+(?:possibly\s+)?go\s+wrong
    """,
    _FLAGS,
)
# "How do you boil an egg": the general "you" of a how-to question, asked of no one in particular.
_GENERIC_YOU = re.compile(
    r"\bhow\s+(?:long\s+|much\s+|often\s+)?(?:do|does|can|should|would)\s+(?:you|one)\b"
    r"|\bdo\s+you\s+(?:have\s+to|need)\b|\bis\s+it\s+(?:true|ok|okay|bad|normal|safe|possible)\b",
    re.IGNORECASE,
)
_WE = re.compile(r"\b(?:we|us|our|nosotros|wir|uns|nous|n[óo]s)\b", re.IGNORECASE)
_SECOND_PERSON = re.compile(
    r"\b(?:you|your|you['’]re|u|ur|yours|du|dich|dir|dein\w*|tu|toi|ton|ta|tes|t[úu]|te|voc[êe]|vous"
    r"|puedes|podr[íi]as|sabes|kannst|k[öo]nntest|wei[ßs]t|peux|pourrais|sais|pode|podia)\b",
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
    if _ENDS_ASKING.search(body) or _QUESTION_WORDS.search(body):
        return True
    # A longer message with a question inside: "Quick question: does it ...? I'm seeing ..."
    return _INNER_QUESTION.search(body) is not None


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


_STOPWORDS = frozenset(
    """
    the a an and or but if so to of in on at for by with from is are was were be been it its it's
    this that these those there here what whats what's when where who whom which why how does do did
    done can could would should will just like really very much many some any anyone anybody someone
    i me my we us our you your he him his she her they them their not no yes ok okay lol haha
    about again still already also too then than now get got need want go going time
    really thing things one out came come make take said say see fine good have has had know think
    el la los las de del que en un una es por para con le les des du et est c'est quoi une der die
    das den dem und ist nicht ein eine o os as um uma é não com
    """.split()
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_INFO = re.compile(r"\d|https?://", re.IGNORECASE)


def _content(text: str) -> set[str]:
    words = set()
    for word in _WORD.findall(text.casefold()):
        if word in _STOPWORDS or len(word) < 2:
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
    if is_question(text) or _DONT_KNOW.search(text) or _RHETORICAL.search(text) or _PLEASE.search(text):
        return False  # "pls don't cut it": a plea, not a dispute about facts
    if _DISPUTE_STRONG.search(text):
        return True
    mine = _content(text)
    claims = [heard for heard in others[-3:] if not is_question(heard.text)]  # what is disputed
    shared = max((len(mine & _content(heard.text)) for heard in claims), default=0)
    if _DISPUTE_WEAK.search(text) or _DISPUTE_WEAK_EXTRA.search(text):
        return shared > 0 or _CLAIM.search(text) is not None
    if _SURE.search(text):
        return shared > 0
    return shared > 1 and _CONTRAST.search(text) is not None and _CLAIM.search(text) is not None


_REACTION = re.compile(
    r"^\W*(?:oh+|o+h\s+no|uh+\s*oh|omg|lol|lmao+|haha\w*|wow|yay|aww+|rip|same|nice|damn|yikes|ooh+|ugh)\b",
    re.IGNORECASE,
)
_YES_NO = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|no|nope|nah|sure|def(?:initely)?|works|s[íi]|ja|oui|sim|non?)\b",
    re.IGNORECASE,
)


_ASKS_FOR_A_NUMBER = re.compile(
    r"\bhow\s+(?:long|many|much|often|old|far|big)\b|\bwhat\s+time\b|\bwhen\b|\bwhere\b|\baddress\b",
    re.IGNORECASE,
)


_JOKING = re.compile(r"\b(?:lol|lmao+|haha\w*|rofl)\b|😂|🤣", re.IGNORECASE)
_YES_NO_QUESTION = re.compile(
    r"^\W*(?:(?:wait|ok|okay|so|and|but|also)\W+)*(?:is|are|was|were|do|does|did|can|could|will|would|should"
    r"|has|have|isn['’]?t|aren['’]?t|don['’]?t|doesn['’]?t)\b",
    re.IGNORECASE,
)


def answers(question: str, reply: str) -> bool:
    """Whether `reply`, by someone else, takes up `question`: on its subject, or a plain yes, no,
    number or name, and neither a question of its own, an "oh no" nor an "I don't know"."""
    opening = re.split(r"(?<=[.!?])\s", reply.strip(), maxsplit=1)[0]  # "They do. 8pm?" answers
    if is_question(opening) or _DONT_KNOW.search(reply) or _REACTION.search(reply) or _JOKING.search(reply):
        return False
    if _content(question) & _content(reply):
        return True
    if _INFO.search(reply) and _ASKS_FOR_A_NUMBER.search(question):
        return True  # "8pm", "6 and a half minutes"
    # "Yes" answers "is it ...?", not "which ...?" nor "A or B?"
    yes_or_no = _YES_NO_QUESTION.search(question) and not re.search(r"\bor\b", question, re.IGNORECASE)
    return bool(yes_or_no) and _YES_NO.search(reply) is not None


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
    if _SUMMARY.search(text):
        return Kind.SUMMARY
    if _words(text) < 2:
        return None
    if _disputes(message, before):
        return Kind.DISPUTE  # a factual disagreement, even between two people talking fast
    if rapid_exchange(message, before) and not (_WE.search(text) or _TO_EVERYONE.search(text)):
        return None  # two people talking; "do we need ...?" turns to the whole group
    last = before[-1] if before else None
    question = is_question(text) or _REQUEST.search(text) is not None
    if (
        question
        and last is not None
        and last.from_ai
        and message.at - last.at <= FOLLOW_UP_SECONDS
        and _SECOND_PERSON.search(text)  # "can you also ...?", "why do you say that?"
        and not _RHETORICAL.search(text)
    ):
        return Kind.FOLLOW_UP
    asking = question or _ASKING_AROUND.search(text) or _WANTING.search(text) or "?" in text
    if _OPTIONS.search(text) and asking:
        return Kind.OPTIONS
    if not question or _RHETORICAL.search(text) or _words(text) < 4:
        return None
    if _SECOND_PERSON.search(text) and not _TO_EVERYONE.search(text) and not _GENERIC_YOU.search(text):
        return None  # "are you coming?": to the person they are talking with
    if already_answered(message, before):
        return None
    asked = _asked_part(text)
    if not _QUESTION_WORDS.search(asked) and _words(asked) < 6:
        return None  # "the six of us?", "I'll book it, 8pm?": a check with someone, not the group
    return Kind.OPEN_QUESTION
