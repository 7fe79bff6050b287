"""The gate's patterns: what questions, requests, disputes, rhetoric and replies look like, in
English, Spanish, German, French and Portuguese. Data for facilitator/auto/gate.py, which reads them."""

from __future__ import annotations

import re

FLAGS = re.IGNORECASE | re.VERBOSE
SUMMARY = re.compile(
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
    FLAGS,
)
OPTIONS = re.compile(
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
    FLAGS,
)
# Disagreement in so many words: enough on its own.
DISPUTE_STRONG = re.compile(
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
    FLAGS,
)
# "No, ..." is a disagreement about a fact when a fact follows: a number or a claim.
DISPUTE_WEAK = re.compile(r"^\W*(?:no+|nope|nah|wrong|not\s+really)\b[\s,.!]", re.IGNORECASE)
DISPUTE_WEAK_EXTRA = re.compile(r"^\W*(?:no\s+way|nee|nein|n[ãa]o|no\s+creo|non|nah\s+man)\b", re.IGNORECASE)
# Contradicting what someone just said about the same thing: a sure word and a shared subject,
# or a plain negation and two shared words.
SURE = re.compile(
    r"\bactually\b|\bdefinitely\b|\bliterally\b|\bdoch\b|\bcerteza\b|\bno\s+creo\b",
    re.IGNORECASE,
)
PLEASE = re.compile(r"^\W*(?:please|pls|plz|plis)\b", re.IGNORECASE)
DONT_KNOW = re.compile(
    r"\b(?:no\s+idea|no\s+clue|not\s+sure|dunno|idk|no\s+se|keine\s+ahnung|aucune\s+id[ée]e|sei\s+l[áa]"
    r"|google\s+it|scroll\s+up)\b",
    re.IGNORECASE,
)
CONTRAST = re.compile(
    r"""
    \bnot\b | n['’]t\b | \b(?:aren|isn|wasn|weren|don|doesn|didn|can|won)t\b
    | \bnever\b | \bonly\b | \bnicht\b | \bkein | \bpas\b | \bn[ãa]o\b
    """,
    FLAGS,
)
CLAIM = re.compile(
    r"\d|\b(?:is|was|are|were|than|invented|discovered|wrote|built|wins?|won|better|worse|bigger"
    r"|smaller|taller|higher|lower|more|less|most|least|best|worst)\b",
    re.IGNORECASE,
)
QUESTION_WORDS = re.compile(
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
    FLAGS,
)
# A question mark at the end, perhaps followed by emoji, closing brackets or quotes.
INNER_QUESTION = re.compile(r"\w[^.!?]{10,}\?(?:\s|$)")
ENDS_ASKING = re.compile(r"[?？¿][^\w?？]*$")
# "Can someone do the math", "anyone have a regex handy": asking the group for a hand.
REQUEST = re.compile(
    r"\b(?:can|could|would|will)\s+(?:some|any)(?:one|body)\b|\b(?:some|any)(?:one|body)\s+(?:have|got|know)\b",
    re.IGNORECASE,
)
WANTING = re.compile(r"\b(?:need|want|looking\s+for|recommend)", re.IGNORECASE)
ASKING_AROUND = re.compile(
    r"\b(?:any(?:one|body)|some(?:one|body)|does\s+any|who\s+knows|alguien|jemand|quelqu['’]un|algu[ée]m)\b",
    re.IGNORECASE,
)
RHETORICAL = re.compile(
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
    FLAGS,
)
# "How do you boil an egg": the general "you" of a how-to question, asked of no one in particular.
GENERIC_YOU = re.compile(
    r"\bhow\s+(?:long\s+|much\s+|often\s+)?(?:do|does|can|should|would)\s+(?:you|one)\b"
    r"|\bdo\s+you\s+(?:have\s+to|need)\b|\bis\s+it\s+(?:true|ok|okay|bad|normal|safe|possible)\b",
    re.IGNORECASE,
)
WE = re.compile(r"\b(?:we|us|our|nosotros|wir|uns|nous|n[óo]s)\b", re.IGNORECASE)
SECOND_PERSON = re.compile(
    r"\b(?:you|your|you['’]re|u|ur|yours|du|dich|dir|dein\w*|tu|toi|ton|ta|tes|t[úu]|te|voc[êe]|vous"
    r"|puedes|podr[íi]as|sabes|kannst|k[öo]nntest|wei[ßs]t|peux|pourrais|sais|pode|podia)\b",
    re.IGNORECASE,
)
TO_EVERYONE = re.compile(
    r"""
    \b(?:you\s+(?:guys|all|two|lot|folks|people)|y['’]?all|yall|any(?:one|body)|every(?:one|body)
    | some(?:one|body)|folks|people|team|guys|gang|all\s+of\s+you|ustedes|vosotros|ihr|euch
    | jemand|alle|tout\s+le\s+monde|quelqu['’]un|voc[êe]s|galera|pessoal|gente|chicos|leute)\b
    """,
    FLAGS,
)
PLATFORM_MENTION = re.compile(r"<@[!&]?[\w.-]+>|(?:^|\s)@[A-Za-z0-9_.]{3,32}\b")
LEADING_NAME = re.compile(r"^\W*([^\W\d_][\w'’.-]{0,30})\s*[,:]")
# A capitalised name, asked or greeted: "what do you think, Tom?", "Hey Priya, do you know ...".
NAME_ASKED = re.compile(r",\s*([A-ZÀ-Ý][\w'’.-]{0,30})\s*\?")
GREETED = re.compile(
    r"^\W*(?i:hey|hi|hello|hola|salut|hallo|oi|ola|yo|morning)\s+([A-ZÀ-Ý][\w'’.-]{0,30})\b"  # a capital
)
TRAILING_NAME = re.compile(r",\s*([^\W\d_][\w'’.-]{0,30})\s*[?!.]*\s*$")
HOLD_BACK = re.compile(
    r"""
    \b(?:stop|quit|no\s+more|enough(?:\s+with)?)\s+(?:the\s+)?(?:chiming|butting|jumping|barging|cutting)\s+in
    | \bstop\s+(?:interrupting|interjecting|commenting|replying\s+to\s+everything)
    | \b(?:don['’]?t|do\s+not|no\s+need\s+to)\s+(?:chime|butt|jump|barge)\s+in
    | \b(?:be|keep|stay)\s+quiet\b | \bshut\s+up\b | \bhush\b | \bstay\s+out\s+of\s+(?:it|this|our)
    | \bonly\s+(?:answer|respond|reply|speak|talk)\s+when\b | \bhold\s+back\b | \bnobody\s+asked\s+you
    | \bspeak\s+only\s+when | \bless\s+chatty\b | \btone\s+it\s+down
    """,
    FLAGS,
)
STOPWORDS = frozenset(
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
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
INFO = re.compile(r"\d|https?://", re.IGNORECASE)
REACTION = re.compile(
    r"^\W*(?:oh+|o+h\s+no|uh+\s*oh|omg|lol|lmao+|haha\w*|wow|yay|aww+|rip|same|nice|damn|yikes|ooh+|ugh)\b",
    re.IGNORECASE,
)
YES_NO = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|no|nope|nah|sure|def(?:initely)?|works|s[íi]|ja|oui|sim|non?)\b",
    re.IGNORECASE,
)
ASKS_FOR_A_NUMBER = re.compile(
    r"\bhow\s+(?:long|many|much|often|old|far|big)\b|\bwhat\s+time\b|\bwhen\b|\bwhere\b|\baddress\b",
    re.IGNORECASE,
)
JOKING = re.compile(r"\b(?:lol|lmao+|haha\w*|rofl)\b|😂|🤣", re.IGNORECASE)
YES_NO_QUESTION = re.compile(
    r"^\W*(?:(?:wait|ok|okay|so|and|but|also)\W+)*(?:is|are|was|were|do|does|did|can|could|will|would|should"
    r"|has|have|isn['’]?t|aren['’]?t|don['’]?t|doesn['’]?t)\b",
    re.IGNORECASE,
)
