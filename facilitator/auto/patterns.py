"""The gate's few patterns of punctuation and names (who a message is said to: an @mention, a
name before a comma, "Hey Priya"), and "stop chiming in". What words do is lexicon.py and
tone.py; facilitator/auto/gate.py reads both."""

from __future__ import annotations

import re

FLAGS = re.IGNORECASE | re.VERBOSE
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
