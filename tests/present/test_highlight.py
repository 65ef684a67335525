"""Tests for core.present.highlight: text variants as escaped HTML with highlighted edits.

Variants are built by hand (``TextVariant`` with its segments) where the exact HTML matters, and by
core.augment.text where the edits themselves do; expected HTML is written out or rebuilt with
``html.escape``, never with the code under test. The CSS classes are checked against
``assets/text_highlight.css``, which the Text page loads.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from core.augment.text import Edit, Segment, TextAugConfig, TextVariant, augment_text_detailed
from core.present.highlight import highlight_html, legend_html, preview_table_html

REPO = Path(__file__).resolve().parents[2]
CSS = (REPO / "assets" / "text_highlight.css").read_text()


def only(op: str, **settings) -> TextAugConfig:
    return TextAugConfig(operations=(op,), **settings)


def variant(*segments: Segment, operations: tuple[str, ...] = ("RS",)) -> TextVariant:
    """A variant whose text is its segments (deleted words left out) and with one edit per edited one."""
    text = "".join(s.text for s in segments if s.op != "RD")
    edits = tuple(Edit(s.op, 0, "", s.text) for s in segments if s.op is not None)
    return TextVariant(text, edits, segments, operations)


HOSTILE = 'Click <script>alert(1)</script> now: "quotes" & ampersands are dangerous, friends.'


@pytest.mark.parametrize(
    ("config", "css"),
    [
        (only("SR", alpha_sr=1.0), "aug-sr"),  # synonym replacement
        (only("RI", alpha_ri=1.0), "aug-ri"),  # random insertion
        (only("RS", alpha_rs=1.0), "aug-rs"),  # random swap
        (only("RD", p_rd=1.0), "aug-rd"),  # random deletion (shown, struck through)
        (only("PI", punct_ratio=1.0), "aug-pi"),  # punctuation insertion
    ],
)
def test_highlight_html_escapes_and_marks_edits(wn, config, css):
    result = augment_text_detailed(HOSTILE, config, 0, 0, 0)
    page = highlight_html(result)
    assert "<script" not in page.lower()
    assert "&lt;" in page and "&amp;" in page
    assert f'<span class="{css}" title="' in page
    classes = set(re.findall(r'<span class="([^"]+)"', page))
    assert classes == {css}
    assert page.count("<span") == len(result.edits) == page.count("</span>")
    # Without the tags, the page reads as every segment, deleted words included.
    assert html.unescape(re.sub(r"<[^>]*>", "", page)) == "".join(s.text for s in result.segments)


@pytest.mark.parametrize(
    "text",
    [
        "",  # nothing
        "3.5 + 12 = 15.5; 100% (42)!",  # numbers and punctuation only
        "<b>&amp;</b> 'quoted'",  # markup: shown, not interpreted
    ],
)
def test_unedited_text_is_the_escaped_text(text):
    result = augment_text_detailed(text, only("PI", punct_ratio=0.0), 0, 0, 0)  # PI off: no edit
    assert highlight_html(result) == html.escape(text)


@pytest.mark.parametrize(
    ("segments", "max_chars", "expected"),
    [
        (  # everything fits: plain text, then the edit with its note as the tooltip
            (Segment("one "), Segment("two", "RS", "random swap: two ↔ one")),
            100,
            'one <span class="aug-rs" title="random swap: two ↔ one">two</span>',
        ),
        (  # cut inside the first segment: the rest (12 - 5 = 7 characters) is summarised
            (Segment("abcdefgh"), Segment("ijkl", "SR", "note")),
            5,
            'abcde<span class="aug-more">… 7 more characters</span>',
        ),
        (  # a deleted word does not count towards the limit, and is shown struck through
            (Segment("ab"), Segment("xyz", "RD", "random deletion"), Segment("cd")),
            4,
            'ab<span class="aug-rd" title="random deletion">xy</span>cd',
        ),
        (  # no note: the operation's name is the tooltip; quotes in it are escaped
            (Segment('"a"', "PI", ""),),
            10,
            '<span class="aug-pi" title="punctuation insertion">&quot;a&quot;</span>',
        ),
    ],
)
def test_highlight_html_exact(segments, max_chars, expected):
    assert highlight_html(variant(*segments), max_chars) == expected


@pytest.mark.parametrize(
    ("label", "label_html"),
    [
        (None, ""),  # no label column text
        ("<i>pos</i> & co", "&lt;i&gt;pos&lt;/i&gt; &amp; co"),  # a user's label is escaped
    ],
)
def test_preview_table_rows(label, label_html):
    original = "Hello <world>"
    edited = variant(Segment("world", "RS", "swap"), Segment(" Hello"))
    unchanged = TextVariant(original, (), (Segment(original),), ("RD",))
    page = preview_table_html(original, label, [edited, unchanged])
    rows = re.findall(r"<tr>(.*?)</tr>", page)
    assert page.startswith('<table class="aug-table">') and page.endswith("</table>")
    assert rows == [
        f'<th>original</th><td class="aug-label">{label_html}</td>'
        '<td class="aug-text">Hello &lt;world&gt;</td>',
        '<th>v0</th><td class="aug-label">RS</td>'
        '<td class="aug-text"><span class="aug-rs" title="swap">world</span> Hello</td>',
        '<th>v1</th><td class="aug-label">RD</td>'
        '<td class="aug-text">Hello &lt;world&gt; <span class="aug-more">(unchanged)</span></td>',
    ]


@pytest.mark.parametrize(
    ("length", "max_chars", "more"),
    [
        (10, 10, None),  # exactly the limit: nothing summarised
        (11, 10, "1"),  # one over
        (1_000_000, 3000, "997,000"),  # a megabyte-long line: thousands separated
    ],
)
def test_preview_table_summarises_a_long_original(length, max_chars, more):
    page = preview_table_html("z" * length, None, [], max_chars)  # no "z" in the markup
    assert page.count("z") == max_chars
    summary = re.findall(r"… ([\d,]+) more characters", page)
    assert summary == ([] if more is None else [more])


def test_every_class_the_html_uses_is_styled():
    # The legend names every operation; each of its classes, and the others the HTML uses, are in the CSS.
    used = set(re.findall(r'class="([^"]+)"', legend_html() + preview_table_html("a" * 5, "l", [], 2)))
    classes = {c for names in used for c in names.split()}
    assert {"aug-sr", "aug-ri", "aug-rs", "aug-rd", "aug-pi", "aug-more", "aug-table"} <= classes
    assert all(f".{c}" in CSS for c in classes), classes
