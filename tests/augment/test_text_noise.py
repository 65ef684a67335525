"""The noise operations (KB, OCR, CI, CS, CW, CD, SPL, SPE): what each does to a word, what none touches.

Expectations are found apart from core.augment.text.noise: this file's own word regex, its own model of
a QWERTY keyboard (key centres on a grid, rows shifted by half a key), and the OCR and spelling tables
read straight from their files.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from pydoc_data.topics import topics

import pytest

from core.augment.text import NOISE_OPERATIONS, TextAugConfig, augment_text, augment_text_detailed
from core.augment.text.engine import apply_plan, prepared, sample_plan, uniforms
from core.present.highlight import highlight_html

DATA = Path(__file__).resolve().parents[2] / "core" / "augment" / "text" / "data"
WORD = re.compile(r"(?:(?![\d_])\w)+(?:['’-](?:(?![\d_])\w)+)*")
ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def near_on_keyboard(a: str, b: str) -> bool:
    """Keys within 1.5 key widths of each other, rows shifted by half a key (a coarser model)."""
    where = {k: (r, c + 0.5 * r) for r, row in enumerate(ROWS) for c, k in enumerate(row)}
    (ra, ca), (rb, cb) = where[a.lower()], where[b.lower()]
    return a.lower() != b.lower() and abs(ra - rb) <= 1 and abs(ca - cb) <= 1.5


def table(name: str) -> dict[str, list[str]]:
    rows = {}
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, values = line.split("\t")
            rows[key] = values.split()
    return rows


OCR = table("ocr_en.tsv")
SPELLING = table("spelling_en.tsv")


def prose(count: int = 60) -> list[str]:
    found = []
    for key in sorted(topics):
        for para in re.split(r"\n\s*\n", topics[key]):
            if para.startswith((" ", "\t")) or any(c in para for c in "*`|"):
                continue
            found += [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", " ".join(para.split())) if len(s) > 40]
    return found[:: max(1, len(found) // count)][:count]


TEXTS = [*prose(), "Receive the separate package; they definitely believed it was their business."]


def one_char_diff(old: str, new: str) -> list[int]:
    return [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]


def check_kb(old: str, new: str) -> bool:
    diff = one_char_diff(old, new)
    return (
        len(diff) == 1
        and near_on_keyboard(old[diff[0]], new[diff[0]])
        and (old[diff[0]].isupper() == new[diff[0]].isupper())
    )


def check_ocr(old: str, new: str) -> bool:
    return any(
        old[:i] + value + old[i + len(key) :] == new
        for key, values in OCR.items()
        for i in range(len(old))
        if old.startswith(key, i)
        for value in values
    )


def check_ci(old: str, new: str) -> bool:
    return len(new) == len(old) + 1 and any(
        new[:i] + new[i + 1 :] == old and new[i].isalpha() for i in range(len(new))
    )


def check_cs(old: str, new: str) -> bool:
    diff = one_char_diff(old, new) if len(old) == len(new) else []
    return len(diff) == 1 and new[diff[0]].isalpha() and old[diff[0]].isalpha()


def check_cw(old: str, new: str) -> bool:
    return (
        any(old[:i] + old[i + 1] + old[i] + old[i + 2 :] == new for i in range(len(old) - 1)) and old != new
    )


def check_cd(old: str, new: str) -> bool:
    return len(new) == len(old) - 1 and any(old[:i] + old[i + 1 :] == new for i in range(len(old)))


def check_spl(old: str, new: str) -> bool:
    left, _, right = new.partition(" ")
    return left + right == old and len(WORD.findall(left)) == 1 and len(left) >= 2 and len(right) >= 2


def check_spe(old: str, new: str) -> bool:
    return new.lower() in SPELLING.get(old.lower(), []) and new[0].isupper() == old[0].isupper()


CHECKS = {"KB": check_kb, "OCR": check_ocr, "CI": check_ci, "CS": check_cs, "CW": check_cw, "CD": check_cd}
CHECKS |= {"SPL": check_spl, "SPE": check_spe}


@pytest.mark.parametrize("op", NOISE_OPERATIONS)  # each operation, one character per word
def test_each_operation_changes_words_as_it_says(op):
    config = TextAugConfig(operations=(op,), alpha_noise=0.2)
    seen = 0
    for index, text in enumerate(TEXTS):
        out, edits = augment_text(text, config, 3, index, 0)
        assert Counter(WORD.findall(text)) - Counter(e.old for e in edits) <= Counter(WORD.findall(out))
        n = max(1, round(0.2 * len(WORD.findall(text))))
        assert len(edits) <= n
        for edit in edits:
            assert edit.op == op and edit.old != edit.new
            assert edit.old.isascii() and sum(c.isalpha() for c in edit.old) >= 4
            assert CHECKS[op](edit.old, edit.new), edit
            assert out[edit.position : edit.position + len(edit.new)] == edit.new
        seen += len(edits)
    assert seen > len(TEXTS) // 2


@pytest.mark.parametrize("chars", [2, 3])  # several characters of a word at once
@pytest.mark.parametrize("op", ["KB", "CS", "CD", "CI"])
def test_several_characters_per_word(op, chars):
    config = TextAugConfig(operations=(op,), alpha_noise=0.3, chars_per_word=chars)
    counts = Counter()
    for index, text in enumerate(TEXTS[:30]):
        for edit in augment_text(text, config, 1, index, 0)[1]:
            changed = abs(len(edit.new) - len(edit.old)) or len(one_char_diff(edit.old, edit.new))
            assert 1 <= changed <= chars, edit
            counts[changed] += 1
    assert set(counts) == set(range(1, chars + 1))  # every count happens


GUARDED = (
    "Visit https://example.com/path or write to someone@example.org about release 3rd_party and "
    "version 42, while the protected Pythonic words stay; sys.argv and e.g. remain, 3.5 apples too."
)


@pytest.mark.parametrize("op", [*NOISE_OPERATIONS, "SR", "RI", "RS", "RD", "PI"])
def test_numbers_urls_and_protected_words_are_untouched(wn, op):
    config = TextAugConfig(
        operations=(op,),
        alpha_noise=1.0,
        alpha_sr=1.0,
        alpha_rs=1.0,
        p_rd=1.0,
        punct_ratio=1.0,
        protected_words=("pythonic",),
    )
    keep = [
        "https://example.com/path",
        "someone@example.org",
        "3rd_party",
        "42",
        "Pythonic",
        "sys.argv",
        "e.g.",
        "3.5",
    ]
    for seed in range(15):
        out, edits = augment_text(GUARDED, config, seed, 0, 0)
        for piece in keep:
            assert piece in out, (op, piece, out)
        for edit in edits:
            assert edit.old.lower() not in {
                "https",
                "example",
                "com",
                "path",
                "someone",
                "org",
                "rd",
                "party",
            }
            assert edit.old.lower() not in {"pythonic", "sys", "argv", "e", "g"}


def replay(text: str, edits) -> str:
    """Apply in-place edits (op, position in the result, old, new) to ``text``, left to right."""
    out, cursor, shift = [], 0, 0
    for edit in edits:
        start = edit.position - shift
        assert text[start : start + len(edit.old)] == edit.old
        out += [text[cursor:start], edit.new]
        cursor = start + len(edit.old)
        shift += len(edit.new) - len(edit.old)
    return "".join(out) + text[cursor:]


def test_sample_then_apply_and_the_manifest_replays(wn):
    # The edits are plain parameters: replaying them on the original gives the variant, and sampling a
    # plan then applying it (core.augment.text.engine) gives what augment_text gives.
    config = TextAugConfig(operations=(*NOISE_OPERATIONS, "SR", "RS"), combine=True, alpha_noise=0.05)
    for index, text in enumerate(TEXTS[:20]):
        out, edits = augment_text(text, config, 9, index, 2)
        assert replay(text, edits) == out
        p = prepared(text, config)
        plan = sample_plan(p, config.operations, uniforms(9, index, 2, 1, p.row))
        assert all(isinstance(i, int) and isinstance(new, str) for i, (_, new) in plan.replaced.items())
        text2, edits2, _ = apply_plan(p, plan)
        assert (text2, list(edits2)) == (out, edits)


def test_tooltips_name_the_new_operations():
    config = TextAugConfig(operations=("KB", "SPE"), alpha_noise=0.5)
    text = TEXTS[-1]
    html = highlight_html(augment_text_detailed(text, config, 0, 0, 0)) + highlight_html(
        augment_text_detailed(text, config, 0, 0, 1)
    )
    assert (
        'class="aug-kb" title="keyboard typo: ' in html and 'class="aug-spe" title="spelling error: ' in html
    )


def test_single_variant_equals_batch_for_every_operation(wn):
    from core.augment.text import augment_variants

    config = TextAugConfig(operations=(*NOISE_OPERATIONS, "SR", "RI", "RS", "RD", "PI"), n_aug=13)
    for index, text in enumerate(TEXTS[:10]):
        batch = augment_variants(text, config, 4, index)
        assert batch == [augment_text(text, config, 4, index, v) for v in range(13)]
        assert augment_variants(text, config, 4, index, count=3, first=5) == batch[5:8]
