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


def _anywhere(i: int) -> bool:
    return True


def preferred_cut(
    atoms: list[str],
    total: list[int],
    start: int,
    end: int,
    room: int,
    fits: Callable[[int], bool] = _anywhere,
) -> int | None:
    """The best cut of a part that starts at `start` and could run to `end`: a paragraph end,
    then a line end, a sentence end, a space, first in the part's second half (no tiny parts),
    then anywhere; only where `fits` allows. `total[i]` is the width of the atoms before `i`,
    `room` the part's width. None when there is no such cut: the splitter then cuts hard."""
    for floor in (total[start] + room // 2, total[start] + 1):
        for good in CUTS:
            for i in range(end, start, -1):
                if total[i] < floor:
                    break
                if good(atoms, i) and fits(i):
                    return i
    return None
