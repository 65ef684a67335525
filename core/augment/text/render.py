"""Apply a variant's edits to its text: untouched stretches copied as written, each edit's position known.

The rules (as in :mod:`core.augment.text.legacy`, which keeps its own copy so that its output never
changes): a deleted word takes the spaces before it along; one that began a line leaves the line's
indentation and takes the spaces after it instead, so no line gains or loses indentation; an inserted
word follows its word after a space (or starts the line, when the line's first word was deleted);
punctuation marks go before their word, after the spaces before it, and a space follows each.
"""

from __future__ import annotations

from core.augment.text.tokens import Edit, Segment

_edit = tuple.__new__  # Edit(...) without its Python-level __new__: _edit(Edit, (op, position, old, new))

_BLANK = " \t"


def _line_blank(out: list[str]) -> bool:
    """Whether nothing but spaces and tabs has been written since the last line break (or the start)."""
    for piece in reversed(out):
        cut = piece.rfind("\n")
        if piece[cut + 1 :].strip(_BLANK):
            return False
        if cut >= 0:
            return True
    return True


def render(
    text: str,
    words: tuple[str, ...],
    starts: tuple[int, ...],
    ends: tuple[int, ...],
    replaced: dict[int, tuple[str, str]],
    deleted: set[int],
    after: dict[int, list[str]],
    before: dict[int, list[str]],
    notes: dict[tuple[str, int, int], str] | None = None,
) -> tuple[str, tuple[Edit, ...], tuple[Segment, ...]]:
    """The text with its edits applied, the edits (in order of position) and, when ``notes`` is given
    (a tooltip per ``(operation, slot, k)``), the display segments.

    Args:
        text: The original text; ``words``, ``starts`` and ``ends`` its words and their spans by slot.
        replaced: Slot -> (operation, new word) for words replaced in place (SR, RS, noise).
        deleted: Slots whose word is deleted (RD).
        after: Slot -> words inserted after it (RI).
        before: Slot (``len(words)``: the end of the text) -> marks inserted before it (PI).
        notes: Tooltips; None skips building segments.
    """
    if not (deleted or after or before or notes is not None):
        return render_replacements(text, words, starts, ends, replaced)
    n = len(words)
    detailed = notes is not None
    out: list[str] = []
    edits: list[Edit] = []
    segments: list[Segment] = []
    length = 0
    cursor = 0  # where in the original text the next untouched stretch starts
    bare = -1  # slot whose gap loses its leading spaces (a line-initial word went); -1: none
    for i in sorted(replaced.keys() | deleted | after.keys() | before.keys()):
        gap_start = ends[i - 1] if i else 0
        if 0 <= bare < i:  # that slot is untouched: skip its spaces while copying
            gap = text[cursor : starts[bare]]
            cursor += len(gap) - len(gap.lstrip(_BLANK))
        if cursor < gap_start:
            piece = text[cursor:gap_start]
            out.append(piece)
            length += len(piece)
            if detailed:
                segments.append(Segment(piece))
        gap = text[gap_start : starts[i]] if i < n else ""
        if bare == i:
            gap = gap.lstrip(_BLANK)
        bare = -1
        for mark in before.get(i, ()):
            space = gap if i < n else " "
            if space:
                out.append(space)
                length += len(space)
                if detailed:
                    segments.append(Segment(space))
            edits.append(_edit(Edit, ("PI", length, "", mark)))
            out.append(mark)
            length += len(mark)
            if detailed:
                segments.append(Segment(mark, "PI", "punctuation insertion"))
            gap = " "
        cursor = gap_start
        if i == n:
            break
        word = words[i]
        if i in deleted:
            kept = gap.rstrip(_BLANK)
            if kept:
                out.append(kept)
                length += len(kept)
                if detailed:
                    segments.append(Segment(kept))
            if _line_blank(out):  # the word began a line: keep the indentation, drop the spaces after it
                indent = gap[len(kept) :]
                if indent:
                    out.append(indent)
                    length += len(indent)
                    if detailed:
                        segments.append(Segment(indent))
                bare = i + 1
            edits.append(_edit(Edit, ("RD", length, word, "")))
            if detailed:
                segments.append(Segment(word, "RD", "random deletion"))
        else:
            if gap:
                out.append(gap)
                length += len(gap)
                if detailed:
                    segments.append(Segment(gap))
            change = replaced.get(i)
            if change is None:
                out.append(word)
                if detailed:
                    segments.append(Segment(word))
                length += len(word)
            else:
                op, new = change
                edits.append(_edit(Edit, (op, length, word, new)))
                out.append(new)
                length += len(new)
                if detailed:
                    segments.append(Segment(new, op, notes.get((op, i, 0), "")))
        for k, new in enumerate(after.get(i, ())):
            if not _line_blank(out):  # after a deleted line-initial word the insertion starts the line
                out.append(" ")
                length += 1
                if detailed:
                    segments.append(Segment(" "))
            edits.append(_edit(Edit, ("RI", length, "", new)))
            out.append(new)
            length += len(new)
            if detailed:
                segments.append(Segment(new, "RI", notes.get(("RI", i, k), "")))
            bare = -1  # the next word needs its space again
        cursor = ends[i]
    if bare >= 0:
        gap = text[cursor : starts[bare] if bare < n else len(text)]
        cursor += len(gap) - len(gap.lstrip(_BLANK))
    if cursor < len(text):
        out.append(text[cursor:])
        if detailed:
            segments.append(Segment(text[cursor:]))
    return "".join(out), tuple(edits), tuple(segments)


def render_replacements(
    text: str,
    words: tuple[str, ...],
    starts: tuple[int, ...],
    ends: tuple[int, ...],
    replaced: dict[int, tuple[str, str]],
) -> tuple[str, tuple[Edit, ...], tuple[Segment, ...]]:
    """:func:`render` when words are only replaced in place (SR, RS, the noise operations): the same
    result, without the bookkeeping deletions and insertions need."""
    out: list[str] = []
    edits: list[Edit] = []
    cursor = length = 0
    for i in sorted(replaced):
        op, new = replaced[i]
        piece = text[cursor : starts[i]]
        length += len(piece)
        edits.append(_edit(Edit, (op, length, words[i], new)))
        out += (piece, new)
        length += len(new)
        cursor = ends[i]
    out.append(text[cursor:])
    return "".join(out), tuple(edits), ()
