"""Where a long answer is best cut in two, shared by every platform's splitter: after a blank
line, else after a line, else after a sentence, else after a space. Each test looks at the
text as a list of atoms (characters, or tags and entities kept whole) and a cut position."""

from __future__ import annotations

from collections.abc import Callable

SENTENCE_ENDS = frozenset(".!?…。！？")


def after_blank_line(atoms: list[str], i: int) -> bool:
    return atoms[i - 1].endswith("\n") and i >= 2 and atoms[i - 2].endswith("\n")


def after_newline(atoms: list[str], i: int) -> bool:
    return atoms[i - 1].endswith("\n")


def after_sentence(atoms: list[str], i: int) -> bool:
    return atoms[i - 1] == " " and i >= 2 and atoms[i - 2] in SENTENCE_ENDS


def after_space(atoms: list[str], i: int) -> bool:
    return atoms[i - 1] in (" ", "\t")


CUTS: tuple[Callable[[list[str], int], bool], ...] = (
    after_blank_line,
    after_newline,
    after_sentence,
    after_space,
)
