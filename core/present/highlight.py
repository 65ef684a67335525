"""Text variants as HTML: each edit highlighted, with what happened as a tooltip.

Every piece of text is escaped (user text is never interpreted as HTML); the ``aug-*`` classes are
styled by ``assets/text_highlight.css``, which the Text page loads, and the noise operations' by
:data:`NOISE_CSS`. A tooltip says what the edit did; for synonym replacement and insertion it also says
how the word was read (its part of speech and form) and which WordNet synonyms the filters left out,
and why (:func:`core.augment.text.filters.describe`).
"""

from __future__ import annotations

import html

from core.augment.text import EDA_OPERATIONS, NOISE_OPERATIONS, OPERATION_NAMES, TextVariant

# The noise operations: one colour (they all inject errors), a wavy underline; each its own class.
NOISE_CSS = "".join(
    f".aug-{op.lower()} {{ background: #f3f0e6; border-bottom: 2px wavy #8a6d1f; }}"
    for op in NOISE_OPERATIONS
)


def _more(count: int) -> str:
    return f'<span class="aug-more">… {count:,} more characters</span>'


def highlight_html(variant: TextVariant, max_chars: int = 3000) -> str:
    """The variant as HTML: each edit in a ``<span class="aug-XX">`` with its story as a tooltip.

    Args:
        variant: A result of :func:`core.augment.text.augment_text_detailed`.
        max_chars: Characters of the variant's text shown (deleted words, struck through, do not
            count); the rest is summarised, so a megabyte-long line does not flood the page.

    Returns:
        An HTML fragment (no enclosing element).
    """
    parts, shown = [], 0
    for segment in variant.segments:
        if shown >= max_chars:
            parts.append(_more(len(variant.text) - shown))
            break
        piece = segment.text[: max_chars - shown]
        shown += len(piece) if segment.op != "RD" else 0
        text = html.escape(piece)
        if segment.op is None:
            parts.append(text)
        else:
            title = html.escape(segment.note or OPERATION_NAMES[segment.op], quote=True)
            parts.append(f'<span class="aug-{segment.op.lower()}" title="{title}">{text}</span>')
    return "".join(parts)


def preview_table_html(
    original: str, label: str | None, variants: list[TextVariant], max_chars: int = 3000
) -> str:
    """An HTML table: the original, then each variant with its operations and highlighted edits.

    Args:
        original: The example's text.
        label: Its label, shown beside it (None: no label).
        variants: Its variants, in order (rows ``v0``, ``v1``, ...).
        max_chars: Characters shown of each text; see :func:`highlight_html`.
    """

    def cell(text: str) -> str:
        return f'<td class="aug-text">{text}</td>'

    head = html.escape(label) if label is not None else ""
    original_html = html.escape(original[:max_chars])
    if len(original) > max_chars:
        original_html += _more(len(original) - max_chars)
    rows = [f'<tr><th>original</th><td class="aug-label">{head}</td>{cell(original_html)}</tr>']
    for number, variant in enumerate(variants):
        ops = "+".join(variant.operations)
        unchanged = "" if variant.edits else ' <span class="aug-more">(unchanged)</span>'
        body = cell(highlight_html(variant, max_chars) + unchanged)
        rows.append(f'<tr><th>v{number}</th><td class="aug-label">{ops}</td>{body}</tr>')
    return '<table class="aug-table">' + "".join(rows) + "</table>"


def legend_html(operations: tuple[str, ...] = EDA_OPERATIONS) -> str:
    """One ``aug-key`` entry per operation of ``operations`` (by default EDA's and AEDA's, whose classes
    ``assets/text_highlight.css`` styles; the noise operations' are in :data:`NOISE_CSS`): its code,
    styled as its edits are, and its name."""
    keys = " ".join(
        f'<span class="aug-key"><span class="aug-{op.lower()}">{op}</span> {html.escape(name)}</span>'
        for op, name in OPERATION_NAMES.items()
        if op in operations
    )
    return f'<div class="aug-legend aug-text">{keys}</div>'
