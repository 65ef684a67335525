"""AugLab's landing page: what the app does and what this browser session has loaded."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.datasets import load_photos, summarize
from core.image_aug import PRESETS
from core.preview import preview_grid
from ui.common import IMAGE_DATASET, page_setup


@st.cache_data(show_spinner=False)
def _teaser() -> np.ndarray:
    """Six variants of a bundled photo under the "Strong geometry" preset, in one row."""
    photo = load_photos().images[0].array
    grid, _ = preview_grid(photo, PRESETS["Strong geometry"], seed=0, index=0, count=5, tile=160, cols=6)
    return grid


page_setup("Home", ":material/science:")
st.title("AugLab")
st.markdown(
    "Explore data augmentation in the browser: load images, tune rotation, shift, shear, zoom, "
    "flips, fill mode and brightness, and watch every variant change as you move a slider. "
    "Parameters carry the names and meaning of Keras' `ImageDataGenerator`; every variant is "
    "reproducible from the seed you see, and the configuration exports as JSON or as code for "
    "AugLab, torchvision and Keras."
)
st.image(_teaser(), caption="A photo and five variants (preset “Strong geometry”, seed 0)")
st.page_link("pages/images.py", label="Augment images", icon=":material/image:")

st.subheader("In this session")
dataset = st.session_state.get(IMAGE_DATASET)
if dataset is None:
    st.info("Nothing loaded yet. Open **Images** to pick a built-in sample or upload your own.")
else:
    summary = summarize(dataset.images)
    cols = st.columns(3)
    cols[0].metric("Image dataset", dataset.name)
    cols[1].metric("Images", f"{summary.total:,}")
    cols[2].metric("Classes", len(dataset.classes) or "unlabelled")

st.caption(
    "Everything the pages do is also available headless: `python -m core --help`. "
    "Uploaded files are decoded in memory and never written to disk."
)
