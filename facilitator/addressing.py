"""Is a message spoken *to* the AI? Pure text rules for the name used as an address.

Platform mentions and replies are facts the adapter reports; this module only catches the
human habit of calling someone by name ("Parley, what do you think?", "thoughts, parley?").
Talking *about* the AI ("Parley is slow today") is not an address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

_GREETINGS = r"(?:hey|hi|hello|ok|okay|yo|dear|thanks|thank you)"


@lru_cache(maxsize=32)
def _pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    name = rf"@?(?:{alternatives})"
    return re.compile(
        rf"""
        ^\W*{name}(?:\s*[,:;!?.]|\s*$)          # "Parley, ..." / "@parley: ..." / "Parley?"
        | ^\W*{_GREETINGS}\W+{name}\b          # "hey parley ..."
        | [,;]\s*{name}\s*(?:[,;.!?]|$)        # "..., Parley?" / "so, parley, what now"
        | ^\s*@{alternatives}\b                # a typed @mention at the start
        | \s@(?:{alternatives})\b              # or anywhere after a space
        """,
        re.IGNORECASE | re.VERBOSE,
    )


@lru_cache(maxsize=32)
def _matcher(names: tuple[str, ...]) -> tuple[tuple[str, ...], re.Pattern[str]] | None:
    cleaned = tuple(name.strip() for name in names if name and name.strip())
    if not cleaned:
        return None
    return tuple(name.casefold() for name in cleaned), _pattern(cleaned)


def addresses_by_name(text: str, names: Iterable[str]) -> bool:
    """True when `text` calls the AI by one of `names` the way people address each other."""
    matcher = _matcher(tuple(names))
    if matcher is None or not text:
        return False
    folded, pattern = matcher
    # Only the start and the end of a long message can hold an address; bound the work.
    sample = text if len(text) <= 400 else text[:200] + " " + text[-200:]
    # Most messages never say the name: a substring test spares them the pattern.
    lowered = sample.casefold()
    if not any(name in lowered for name in folded):
        return False
    return pattern.search(sample) is not None
