"""The Text page with Streamlit's AppTest: the real script and real WordNet, driven like a user would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.augment import wordnet
from core.augment.text import TextAugConfig

ROOT = Path(__file__).resolve().parents[1]
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
    assert any(expect in info.value for info in page.info)
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
