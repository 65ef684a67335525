"""Home: what AugLab does, a teaser, links to the pages, what this session has loaded, where it is kept."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.augment.image import PRESETS
from core.data.images import load_photos, summarize
from core.present.grids import preview_grid
from ui import image_controls, pool, text_controls, workspace
from ui.common import PAGES, ensure_framed

ensure_framed()  # first thing: this page runs inside app.py's router

WORKSPACE_FILES = (
    ("images", workspace.IMAGE_UPLOADS),
    ("text", workspace.TEXT_UPLOAD),
    ("pasted text", workspace.PASTED_TEXT),
)


@st.cache_data(show_spinner=False)
def _teaser() -> np.ndarray:
    """Six variants of a bundled photo under the "Strong geometry" preset, in one row."""
    photo = load_photos().images[0].array
    grid, _ = preview_grid(photo, PRESETS["Strong geometry"], seed=0, index=0, count=5, tile=160, cols=6)
    return grid


st.title("AugLab")
st.markdown(
    "Explore data augmentation and synthesis in the browser. Load images or text, tune the augmentation "
    "and watch every variant change as you move a slider; train a small GAN or LSTM and watch it learn; "
    "then export a blended, split dataset of real, augmented and synthetic examples with a manifest of "
    "where each came from. Parameters carry the names and meaning of Keras' `ImageDataGenerator` and "
    "EDA; every variant is reproducible from the seed you see."
)
st.image(_teaser(), caption="A photo and five variants (preset “Strong geometry”, seed 0)")
links = st.columns(len(PAGES) - 1)
for col, (script, label, icon) in zip(links, PAGES[1:], strict=True):
    col.page_link(script, label=label, icon=icon)

st.subheader("In this workspace")
images = image_controls.loaded()
texts = text_controls.loaded()
pool_images = len(pool.items("images"))
pool_texts = len(pool.items("text"))
if images is None and texts is None:
    st.info("Nothing loaded yet. Open **Images** or **Text** to pick a built-in sample or upload your own.")
else:
    cols = st.columns(4)
    if images is not None:
        classes = len(images.classes) or "unlabelled"
        cols[0].metric(
            "Images", f"{summarize(images.images).total:,}", help=f"{images.name}; classes: {classes}"
        )
    if texts is not None:
        cols[1].metric("Text examples", f"{len(texts.examples):,}", help=texts.name)
    cols[2].metric("Synthetic images", f"{pool_images:,}")
    cols[3].metric("Synthetic lines", f"{pool_texts:,}")

kept = [(what, workspace.stored_files(kind)) for what, kind in WORKSPACE_FILES]
kept = [f"{what}: {workspace.describe(files)}" for what, files in kept if files]
if kept:
    st.caption("Kept in this workspace: " + "; ".join(kept) + ".")

limits = workspace.store().limits
st.caption(
    "**What is stored, where, for how long.** Your settings, uploaded files, pasted text, training runs, "
    "trained models and the synthetic pool (as the generate calls that made it) are kept on the server "
    "that runs AugLab, in a workspace: an SQLite database and files named by their content hash, under "
    "`$AUGLAB_HOME` (default `~/.local/share/auglab`). The `?ws=` id in the link names the "
    "workspace, so a reload, a server restart or the same link in another tab brings them back; "
    "whoever has the link has the workspace. A workspace holds at most "
    f"{workspace.human_size(limits.workspace_bytes)} and is deleted after {limits.ttl_s / 86400:g} days "
    "without use; *Delete this workspace* in the sidebar's Workspace section deletes it at once. "
    "Everything the pages do is also available headless: `python -m core --help`."
)
