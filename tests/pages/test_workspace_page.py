"""Workspaces with Streamlit's AppTest: a session's settings and uploads come back in a new session that
opens the same ``?ws=`` link, never in another workspace; bad links get a notice and a new workspace.

Each AppTest is a new browser session (its own session state) on the same server process, like a reload.
Every test has its own AUGLAB_HOME, and the store is checked with a Store of its own on that folder.
"""

from __future__ import annotations

import io
import re
import sqlite3
import zipfile
from pathlib import Path

import numpy as np
import pytest
from page_session import open_session
from PIL import Image
from streamlit.testing.v1 import AppTest

from core.workspace.store import Store
from ui import workspace

ROOT = Path(__file__).resolve().parents[2]
IMAGES = "pages/images.py"
TEXT = "pages/text.py"
HOME = "pages/home.py"
HEX32 = re.compile(r"[0-9a-f]{32}")

_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)


def unescaped(body: str) -> str:
    """The words a person reads: code-span fences dropped, backslash escapes and word joiners undone."""
    body = _CODE_SPAN.sub(lambda m: m.group(2), body)
    return re.sub(r"\\(.)", r"\1", body).replace("\u2060", "")


def session(page: str = IMAGES, ws: str | None = None) -> AppTest:
    """A new browser session opening ``page`` with the link ``?ws=<ws>`` (no parameter when None)."""
    return open_session(page, ws, timeout=60)


def png_bytes(value: int, size: tuple[int, int] = (12, 16)) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((*size, 3), value, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def upload_images(at: AppTest, files: list[tuple[str, bytes, str]]) -> AppTest:
    at.radio(key="img.source").set_value("Upload files").run()
    return at.file_uploader(key="img.uploads").set_value(files).run()


def grid_urls(at: AppTest) -> list[str]:
    """Media URLs of the variant grids (content-addressed: same pixels, same URL)."""
    return [image.value[0] for image in at.image if image.captions[0].startswith("Variants")]


def summary_label(at: AppTest) -> str:
    return next(e.label for e in at.expander if e.label.startswith("Dataset summary"))


def no_failure(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_a_first_run_makes_a_workspace_and_puts_its_id_in_the_link(home: Path) -> None:
    at = session()
    no_failure(at)
    ws = at.query_params["ws"]
    assert HEX32.fullmatch(ws)
    assert Store(home).exists(ws)
    assert not at.warning  # nothing to explain: there was no link
    at.switch_page(HOME).run()  # switching pages drops query parameters; the frame writes it back
    assert at.query_params["ws"] == ws
    assert [w["id"] for w in Store(home).workspaces()] == [ws]  # no second workspace on later runs


def test_settings_come_back_in_a_new_session_with_the_same_link(home: Path) -> None:
    first = session()
    first.slider(key="img.rotation_range").set_value(90.0).run()
    first.number_input(key="img.seed").set_value(7).run()
    first.toggle(key="img.horizontal_flip").set_value(True).run()
    first.slider(key="img.brightness_range").set_value((0.5, 1.5)).run()  # a range: a tuple
    no_failure(first)

    again = session(ws=first.query_params["ws"])
    no_failure(again)
    assert again.query_params["ws"] == first.query_params["ws"]
    assert not again.warning
    assert again.slider(key="img.rotation_range").value == 90.0
    assert again.number_input(key="img.seed").value == 7
    assert again.toggle(key="img.horizontal_flip").value is True
    assert again.slider(key="img.brightness_range").value == (0.5, 1.5)
    assert grid_urls(again) == grid_urls(first)  # same settings and seed: the same pixels


def last_write(home: Path, ws: str) -> tuple[int, float]:
    """How many settings ``ws`` has and when the last one was written, read from the database itself."""
    with sqlite3.connect(home / "auglab.sqlite3") as db:
        return db.execute("SELECT count(*), max(updated) FROM settings WHERE ws = ?", (ws,)).fetchone()


def test_a_run_that_changes_nothing_writes_nothing(home: Path) -> None:
    at = session()
    ws = at.query_params["ws"]
    at.run()  # values the page set on its first run are saved by now
    before = last_write(home, ws)
    assert before[0] > 10  # every control of the Images page
    at.run()
    at.switch_page(HOME).run()
    assert last_write(home, ws) == before
    at.switch_page(IMAGES).run()
    shear = at.slider(key="img.shear_range")
    shear.set_value(shear.value + 3.0).run()
    count, when = last_write(home, ws)
    assert count == before[0] and when > before[1]  # one setting rewritten, none added


@pytest.mark.parametrize(
    ("key", "kept"),
    [
        ("img.rotation_range", True),  # a control of the Images page
        ("txt.alpha_sr", True),  # ... of the Text page
        ("gan.seed", True),  # a seed of another page
        ("lstm.sample_seed", True),  # ... and a sampling seed
        ("export.kind", True),  # the Export page's settings
        ("gan.lr", True),  # ... and the training pages'
        ("gan.generate", False),  # a button of a training page
        ("lstm.stop", False),  # ... and another
        ("gan.model", False),  # the page's record of its model, not a widget
        ("export.bars.train", False),  # a chart
        ("img.uploads", False),  # an uploader cannot be refilled; the files are kept as files
        ("img.seed.reroll", False),  # a button
        ("img.preset", False),  # an action box, empty again after use
        ("txt.pasted", False),  # kept as a file, not a setting
        ("txt.memo.upload", False),  # derived from data
        ("txt.header.f00", False),  # an upload's CSV choice, kept with the upload
        ("workspace.id", False),  # the session's own bookkeeping
    ],
)
def test_which_session_keys_are_workspace_settings(key: str, kept: bool) -> None:
    assert workspace.is_setting(key) is kept


# Widgets whose value Streamlit refuses to have set through session state (restoring one would break
# the page) or that hold no setting.
ACTION_WIDGETS = {"button", "download_button", "file_uploader", "form_submit_button", "plotly_chart"}


def _action_keys() -> list[tuple[str, str]]:
    """(file:line, key) of every action widget in pages/ and ui/ keyed by a literal or an f-string
    (its placeholders filled with "x")."""
    import ast

    found = []
    for path in sorted([*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ACTION_WIDGETS):
                continue
            for kw in node.keywords:
                if kw.arg != "key":
                    continue
                if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    found.append((f"{path.name}:{node.lineno}", kw.value.value))
                elif isinstance(kw.value, ast.JoinedStr):
                    parts = [v.value if isinstance(v, ast.Constant) else "x" for v in kw.value.values]
                    found.append((f"{path.name}:{node.lineno}", "".join(parts)))
    return found


def test_no_button_upload_or_chart_is_restored_as_a_setting() -> None:
    """Restoring a button's key into a new session makes Streamlit raise on the page (it happened with
    the Export page's "Write the archive")."""
    keys = _action_keys()
    assert len(keys) > 15  # the scan finds the pages' buttons (it would pass vacuously otherwise)
    assert [(where, key) for where, key in keys if workspace.is_setting(key)] == []


def test_uploaded_images_come_back_decoded_with_their_names_and_problems(home: Path) -> None:
    archive = zip_bytes({"cats/a.png": png_bytes(10), "dogs/b.png": png_bytes(200), "dogs/c.png": b"junk"})
    first = session()
    upload_images(
        first, [("pets [1].zip", archive, "application/zip"), ("x.png", png_bytes(90), "image/png")]
    )
    assert not first.exception
    before = summary_label(first)
    problems = [w.value for w in first.warning]
    assert len(problems) == 1 and "dogs/c.png" in problems[0]

    again = session(ws=first.query_params["ws"])
    assert not again.exception
    assert again.radio(key="img.source").value == "Upload files"
    assert summary_label(again) == before == "Dataset summary: Uploads, 3 images"
    assert [w.value for w in again.warning] == problems  # decoded again: the same message
    (restored,) = [c.value for c in again.caption if "Restored from this workspace" in c.value]
    # The names as written (escaped for Markdown) and their total size.
    size = workspace.human_size(len(archive) + len(png_bytes(90)))
    assert unescaped(restored).startswith(f"Restored from this workspace: pets [1].zip, x.png ({size})")
    assert "pets \\[1\\]\\.zip" in restored
    assert grid_urls(again) == grid_urls(first)


def test_forget_deletes_the_uploads_from_the_workspace(home: Path) -> None:
    first = session()
    upload_images(first, [("a.png", png_bytes(10), "image/png")])
    ws = first.query_params["ws"]
    assert Store(home).usage(ws) == len(png_bytes(10))

    again = session(ws=ws)
    again.button(key=f"workspace.forget.{workspace.IMAGE_UPLOADS}").click().run()
    assert not again.exception
    assert "Upload images or a .zip to begin" in again.info[0].value
    assert Store(home).usage(ws) == 0  # the file itself is deleted, not only forgotten
    assert "Upload images or a .zip to begin" in session(ws=ws).info[0].value


def test_switching_to_a_built_in_sample_and_back_shows_the_upload_again(home: Path) -> None:
    at = session()
    upload_images(at, [("a.png", png_bytes(10), "image/png"), ("b.png", png_bytes(99), "image/png")])
    at.radio(key="img.source").set_value("Built-in sample").run()
    assert not summary_label(at).startswith("Dataset summary: Uploads")
    at.radio(key="img.source").set_value("Upload files").run()
    # Before, the built-in sample stayed on show, labelled as "your earlier upload".
    assert summary_label(at) == "Dataset summary: Uploads, 2 images"


@pytest.mark.parametrize(
    ("link", "notice"),
    [
        ("not-a-workspace", "not a valid id"),  # not 32 hex digits
        ("0123456789abcdef0123456789abcdef", "No workspace has the id"),  # well formed, unknown
        ("UPPER", "not a valid id"),  # an existing id in capitals: never that workspace
        ("LONGER", "not a valid id"),  # an existing id with a digit more
    ],
)
def test_a_bad_link_gets_a_notice_and_a_new_workspace_without_the_others_settings(
    home: Path, link: str, notice: str
) -> None:
    other = session()
    other.slider(key="img.rotation_range").set_value(90.0).run()
    theirs = other.query_params["ws"]
    link = {"UPPER": theirs.upper(), "LONGER": theirs + "0"}.get(link, link)

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["ws"] = link
    at.run()
    assert not at.exception
    (warning,) = at.warning
    assert notice in warning.value and "a new" in warning.value
    mine = at.query_params["ws"]
    assert HEX32.fullmatch(mine) and mine not in (theirs, link)
    at.switch_page(IMAGES).run()
    assert not at.warning  # said once
    assert at.query_params["ws"] == mine
    assert at.slider(key="img.rotation_range").value != 90.0


def test_two_workspaces_never_see_each_others_settings_or_files(home: Path) -> None:
    a = session()
    a.slider(key="img.rotation_range").set_value(90.0).run()
    b = session()
    b.slider(key="img.rotation_range").set_value(45.0).run()
    upload_images(b, [("b.png", png_bytes(10), "image/png")])
    ws_a, ws_b = a.query_params["ws"], b.query_params["ws"]
    assert ws_a != ws_b

    again_a, again_b = session(ws=ws_a), session(ws=ws_b)
    assert again_a.slider(key="img.rotation_range").value == 90.0
    assert again_b.slider(key="img.rotation_range").value == 45.0
    assert again_a.radio(key="img.source").value == "Built-in sample"
    assert Store(home).usage(ws_a) == 0 and Store(home).usage(ws_b) == len(png_bytes(10))


def test_an_upload_over_the_workspace_limit_is_named_and_still_used_in_this_session(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUGLAB_WORKSPACE_GB", repr(1000 / 1024**3))  # 1,000 bytes
    small, big = png_bytes(10, (4, 4)), png_bytes(0, (64, 64)) + b"\0" * 2000
    assert len(small) < 1000 < len(big)
    at = session()
    upload_images(at, [("ok.png", small, "image/png"), ("big [1].png", big, "image/png")])
    assert not at.exception
    (error,) = at.error
    assert "big \\[1\\]\\.png" in error.value  # the name, shown literally
    assert "over its limit" in error.value and "not kept" in error.value
    assert summary_label(at) == "Dataset summary: Uploads, 2 images"
    at.slider(key="img.rotation_range").set_value(10.0).run()
    assert len(at.error) == 1  # still said while that upload is on show

    again = session(ws=at.query_params["ws"])
    assert summary_label(again) == "Dataset summary: Uploads, 1 image"  # only what was kept


def test_new_workspace_starts_empty_and_delete_removes_the_old_one(home: Path) -> None:
    at = session()
    at.slider(key="img.rotation_range").set_value(90.0).run()
    first = at.query_params["ws"]
    at.session_state[workspace.PANEL] = True  # open the sidebar's Workspace section
    at.run()
    at.button(key="workspace.new").click().run()
    second = at.query_params["ws"]
    assert second != first and at.slider(key="img.rotation_range").value != 90.0
    assert Store(home).exists(first)  # "New" keeps the old one

    at.session_state[workspace.PANEL] = True
    at.run()
    at.button(key="workspace.delete").click().run()
    at.button(key="workspace.delete_confirmed").click().run()
    assert not at.exception
    third = at.query_params["ws"]
    assert not Store(home).exists(second) and Store(home).exists(third)
    assert "deleted" in at.warning[0].value
    assert second not in [w["id"] for w in Store(home).workspaces()]


def test_a_tab_whose_workspace_was_deleted_in_another_tab_gets_a_new_one(home: Path) -> None:
    one = session()
    one.slider(key="img.rotation_range").set_value(90.0).run()
    ws = one.query_params["ws"]
    other = session(ws=ws)  # the same link in a second tab
    other.session_state[workspace.PANEL] = True
    other.run()
    other.button(key="workspace.delete").click().run()
    other.button(key="workspace.delete_confirmed").click().run()

    one.slider(key="img.rotation_range").set_value(80.0).run()
    assert not one.exception
    (warning,) = one.warning
    assert "no longer exists" in warning.value and "a new workspace was made" in warning.value
    mine = one.query_params["ws"]
    assert mine not in (ws, other.query_params["ws"])
    assert session(ws=mine).slider(key="img.rotation_range").value == 80.0  # this tab carries on there


def test_a_text_upload_with_its_csv_choices_and_pasted_text_come_back(home: Path, wn) -> None:
    csv = b"id,body,stars\n1,Great phone and a good battery,5\n2,Terrible screen,1\n"
    first = session(TEXT)
    first.radio(key="txt.source").set_value("Upload .txt or .csv").run()
    first.file_uploader(key="txt.upload").set_value([("reviews.csv", csv, "text/csv")]).run()
    first.selectbox[0].set_value("body").run()  # the text column (the guess would be "id")
    first.selectbox[1].set_value("stars").run()  # the label column
    no_failure(first)
    ws = first.query_params["ws"]

    again = session(TEXT, ws=ws)
    no_failure(again)
    assert [again.selectbox[0].value, again.selectbox[1].value] == ["body", "stars"]
    assert again.session_state["text.dataset"].labels == first.session_state["text.dataset"].labels
    assert [e.text for e in again.session_state["text.dataset"].examples] == [
        "Great phone and a good battery",
        "Terrible screen",
    ]

    again.radio(key="txt.source").set_value("Paste text").run()
    again.text_area(key="txt.pasted").set_value("first line\nsecond line").run()
    pasted = session(TEXT, ws=ws)
    assert pasted.text_area(key="txt.pasted").value == "first line\nsecond line"
