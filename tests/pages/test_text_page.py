"""The Text page with Streamlit's AppTest: the real script and real WordNet, driven like a user would.

Messages on the page are Markdown with every user-provided name and text escaped (ui.common.literal) or in
a code span, so expectations about their words are checked on the unescaped text."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.augment import wordnet
from core.augment.text import TextAugConfig
from core.data.sources import display_names
from ui import text_controls
from ui.common import TEXT_DATASET

ROOT = Path(__file__).resolve().parents[2]
TEXT = "pages/text.py"


@pytest.fixture
def page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    return at.switch_page(TEXT).run()


def tables(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith('<table class="aug-table">')]


def variant_rows(table: str) -> list[str]:
    """The HTML of each variant row's text cell."""
    return re.findall(r"<tr><th>v\d+</th>.*?<td class=\"aug-text\">(.*?)</td></tr>", table)


_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)


def unescaped(body: str) -> str:
    """The words a person reads: code spans' fences dropped, backslash escapes and the invisible word
    joiners that keep URLs from linking (ui.common.literal) undone."""
    body = _CODE_SPAN.sub(lambda m: m.group(2), body)
    return re.sub(r"\\(.)", r"\1", body).replace("\u2060", "")


def renders_no_link(body: str) -> bool:
    """True when no Markdown link or bare URL can form: outside code spans (shown verbatim) every [ ] is
    escaped and no 'http://' is left as written."""
    rest = _CODE_SPAN.sub("", body)
    return re.search(r"(?<!\\)[\[\]]", rest) is None and "http://" not in rest


def no_failure(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_opens_with_the_reviews_sample_and_highlighted_variants(page: AppTest) -> None:
    no_failure(page)
    shown = tables(page)
    assert len(shown) == 4  # four examples by default
    rows = variant_rows(shown[0])
    assert len(rows) == TextAugConfig().n_aug
    # One operation per variant, in order SR, RI, RS, RD: each row shows its own kind of edit.
    for row, op in zip(rows, ("sr", "ri", "rs", "rd"), strict=True):
        assert f'class="aug-{op}"' in row


def test_pasted_text_is_escaped_and_kept(page: AppTest) -> None:
    page.radio(key="txt.source").set_value("Paste text").run()
    page.text_area(key="txt.pasted").set_value('A <script>alert("x")</script> & friends, 3.5 times.').run()
    no_failure(page)
    html = tables(page)[0]
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_moving_a_slider_changes_the_variants(page: AppTest) -> None:
    before = tables(page)
    page.slider(key="txt.alpha_sr").set_value(0.5).run()
    no_failure(page)
    after = tables(page)
    assert variant_rows(after[0])[0] != variant_rows(before[0])[0]  # v0 is the SR variant
    assert variant_rows(after[0])[2] == variant_rows(before[0])[2]  # v2 (RS) does not depend on alpha_sr


def test_eda_preset_for_500_examples(page: AppTest) -> None:
    page.selectbox(key="txt.preset").set_value(500).run()
    no_failure(page)
    assert page.slider(key="txt.alpha_sr").value == 0.05
    assert page.slider(key="txt.p_rd").value == 0.05
    assert page.slider(key="txt.n_aug").value == 16
    assert len(variant_rows(tables(page)[0])) == 16


def test_no_operation_chosen_says_what_to_do(page: AppTest) -> None:
    page.button_group(key="txt.operations").set_value([]).run()
    assert not page.exception
    assert "choose at least one operation" in page.error[0].value
    assert not tables(page)


def test_settings_survive_switching_pages(page: AppTest) -> None:
    page.slider(key="txt.alpha_rs").set_value(0.3).run()
    page.switch_page("pages/images.py").run()
    page.switch_page(TEXT).run()
    assert page.slider(key="txt.alpha_rs").value == 0.3


@pytest.mark.parametrize(
    ("name", "content", "expect"),
    [
        # invalid UTF-8 falls back to Latin-1 and says so
        ("latin.txt", "Caf\xe9 au lait was lovely.\nThe croissant was stale.".encode("latin-1"), "Latin-1"),
        # blank and whitespace-only lines are skipped and counted
        ("gaps.txt", b"First line here.\n\n   \nSecond line here.\n", "2"),
    ],
)
def test_uploaded_text_files_load_with_notices(page: AppTest, name: str, content: bytes, expect: str) -> None:
    page.radio(key="txt.source").set_value("Upload .txt or .csv").run()
    page.file_uploader(key="txt.upload").upload(name, content, "text/plain").run()
    no_failure(page)
    assert any(expect in unescaped(info.value) for info in page.info)
    assert len(tables(page)) == 2


def test_a_binary_file_is_refused_by_name_and_the_page_goes_on(page: AppTest) -> None:
    page.radio(key="txt.source").set_value("Upload .txt or .csv").run()
    page.file_uploader(key="txt.upload").upload(
        "photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(200), "text/plain"
    ).run()
    assert not page.exception
    assert "photo.txt" in page.error[0].value and "binary" in page.error[0].value


def test_a_csv_with_ragged_rows_loads_the_good_rows_and_names_the_bad(page: AppTest) -> None:
    csv = b'text,label\nGreat phone, really.,pos\nshort row only\n"Awful, truly awful.",neg\n'
    page.radio(key="txt.source").set_value("Upload .txt or .csv").run()
    page.file_uploader(key="txt.upload").upload("reviews.csv", csv, "text/csv").run()
    assert not page.exception
    assert any("row 3" in w.value for w in page.warning)
    assert len(tables(page)) == 2  # rows 2 and 4


def test_without_wordnet_the_page_says_how_to_get_it_and_still_swaps(
    page: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wordnet, "available", lambda: False)
    page.run()
    assert not page.exception
    assert any("apt-get install wordnet-base" in w.value for w in page.warning)
    rows = variant_rows(tables(page)[0])
    assert rows and not any('class="aug-sr"' in r or 'class="aug-ri"' in r for r in rows)


def test_save_tab_offers_json_that_loads_back(page: AppTest) -> None:
    config = TextAugConfig(alpha_sr=0.3, operations=("SR", "PI"), n_aug=3, protected_words=("never",))
    page.file_uploader(key="txt.config_file").upload(
        "mine.json", config.to_json().encode(), "application/json"
    )
    page.run()
    no_failure(page)
    assert page.slider(key="txt.alpha_sr").value == 0.3
    assert list(page.button_group(key="txt.operations").value) == ["SR", "PI"]
    assert list(page.multiselect(key="txt.protected_words").value) == ["never"]
    assert len(variant_rows(tables(page)[0])) == 3
    compile(page.code[0].value, "<text snippet>", "exec")


def upload(at: AppTest, name: str, content: bytes, mime: str = "text/plain") -> AppTest:
    at.radio(key="txt.source").set_value("Upload .txt or .csv").run()
    return at.file_uploader(key="txt.upload").upload(name, content, mime).run()


def test_a_file_named_like_a_link_is_named_as_written(page: AppTest) -> None:
    name = "[y](http://example.invalid/x).txt"
    upload(page, name, b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert not page.exception
    (error,) = page.error
    assert error.value.startswith(f"`{name}`: ") and "binary" in error.value
    assert renders_no_link(error.value)


def test_random_bytes_in_a_txt_are_refused_not_read_as_latin1(page: AppTest) -> None:
    noise = b"".join(hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(140))  # 4,480 bytes
    upload(page, "random.txt", noise)
    assert not page.exception
    (error,) = page.error
    assert "random.txt" in error.value and "binary" in error.value


def test_a_two_megabyte_line_is_cut_with_a_notice_and_loaded_once(
    page: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = []
    real = text_controls.load_txt
    monkeypatch.setattr(text_controls, "load_txt", lambda *a, **k: loads.append(a[1]) or real(*a, **k))
    line = "word " * 400_000  # 2,000,000 characters
    upload(page, "book.txt", f"{line}\nshort\n".encode())
    no_failure(page)
    notice = unescaped(" ".join(info.value for info in page.info))
    assert "book.txt: 1 line had more than 10,000 characters (line 1;" in notice
    kept = page.session_state[TEXT_DATASET]
    assert [example.text for example in kept.examples] == [line[:10_000], "short"]
    # Moving a slider reruns the page; the upload is not decoded again.
    page.slider(key="txt.alpha_sr").set_value(0.3).run()
    no_failure(page)
    assert loads == ["book.txt"]


HEADERLESS = b"Great phone really,pos\nAwful battery,neg\nFine,pos\n"


def test_a_csv_without_a_header_is_detected_and_read_as_data(page: AppTest) -> None:
    upload(page, "reviews.csv", HEADERLESS, "text/csv")
    no_failure(page)
    toggle = page.toggle[0]
    assert toggle.label == "First row holds column names" and toggle.value is False
    said = unescaped(" ".join(info.value for info in page.info))
    assert "reviews.csv: the first row looks like data" in said and "'pos' (column 2)" in said
    assert page.selectbox[0].value == "column 1"  # the text: the column with the longest first cell
    assert len(tables(page)) == 3  # every row, the first one included

    toggle.set_value(True).run()  # the user says it is a header after all
    no_failure(page)
    assert len(tables(page)) == 2
    said = unescaped(" ".join(info.value for info in page.info))
    assert "the first row was read as column names, but it looks like data" in said


def test_a_csv_with_a_header_keeps_reading_it(page: AppTest) -> None:
    upload(page, "reviews.csv", b"text,label\n" + HEADERLESS, "text/csv")
    no_failure(page)
    assert page.toggle[0].value is True
    assert [page.selectbox[0].value, page.selectbox[1].value] == ["text", "label"]
    assert len(tables(page)) == 3 and not page.info


def test_a_csv_cell_quoted_in_a_notice_is_escaped(page: AppTest) -> None:
    # the first cell reappears below it, so the notice quotes it
    upload(page, "links.csv", b"[a](http://example.invalid),x\n[a](http://example.invalid),y\n", "text/csv")
    assert not page.exception
    (info,) = page.info
    assert renders_no_link(info.value)
    assert "'[a](http://example.invalid)' (column 1)" in unescaped(info.value)


def test_built_in_samples_are_offered_by_their_display_names(page: AppTest) -> None:
    assert page.selectbox(key="txt.sample").options == display_names("text")


# ----------------------------------------------------------------------------------- issue 12

PHOTOSYNTHESIS = (
    "Plants make their own food through photosynthesis. They use energy from sunlight to turn water and "
    "carbon dioxide into glucose and oxygen. Oxygen is released into the air."
)


def test_noise_operations_are_offered_and_highlighted(page: AppTest) -> None:
    page.button_group(key="txt.operations").set_value(["KB", "SPL"]).run()
    no_failure(page)
    rows = variant_rows(tables(page)[0])
    assert 'class="aug-kb" title="keyboard typo: ' in rows[0]  # variant 0: KB, variant 1: SPL
    assert 'class="aug-spl" title="word split: ' in rows[1]
    assert any(".aug-kb" in m.value for m in page.markdown if m.value.startswith("<style>"))


def test_filters_can_be_turned_off_and_tooltips_say_what_they_left_out(page: AppTest) -> None:
    page.radio(key="txt.source").set_value("Paste text").run()
    page.text_area(key="txt.pasted").set_value(PHOTOSYNTHESIS).run()
    page.button_group(key="txt.operations").set_value(["SR"]).run()
    page.slider(key="txt.alpha_sr").set_value(0.5).run()
    no_failure(page)
    html = tables(page)[0]
    assert "left out: " in html and "(another part of speech)" in html
    assert not re.search(r">(piss|pee|weewee|O|C|H2O)<", html)
    for name in ("pos_filter", "inflect", "rarity_filter", "names_filter", "blocklist"):
        page.toggle(key=f"txt.{name}").set_value(False).run()
    page.slider(key="txt.senses").set_value(0).run()
    page.toggle(key="txt.untagged_senses").set_value(True).run()
    page.toggle(key="txt.multiword_sr").set_value(True).run()
    no_failure(page)
    raw = tables(page)[0]
    assert raw != html and "left out" not in raw  # WordNet as it is: nothing left out


def test_a_v1_configuration_loads_with_the_old_draws(page: AppTest) -> None:
    data = json.dumps({"format": "auglab.text_aug/1", "operations": ["SR", "RS"], "n_aug": 2})
    page.file_uploader(key="txt.config_file").upload("old.json", data.encode(), "application/json")
    page.run()
    no_failure(page)
    assert page.toggle(key="txt.legacy_draws").value is True
    assert page.toggle(key="txt.blocklist").value is False
    assert page.toggle(key="txt.blocklist").disabled
    page.toggle(key="txt.legacy_draws").set_value(False).run()
    page.toggle(key="txt.blocklist").set_value(True).run()
    no_failure(page)
