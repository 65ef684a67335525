"""Images: pick or upload images, tune the augmentation and watch every variant change live."""

from __future__ import annotations

import streamlit as st

from core.data.wording import plural
from ui import image_views
from ui.common import KEEP, ensure_framed, init, literal, user_errors
from ui.image_controls import config_controls, dataset_picker, dataset_summary, seed_controls

ensure_framed()  # first thing: this page runs inside app.py's router

st.title("Image augmentation")
st.caption(
    "Keras ImageDataGenerator's parameters with the meaning its documentation gives, then torchvision's "
    "crops, colour, blur, noise, erasing and policies, applied as one OpenCV warp and a few fast passes "
    "per image. Variant v of image i depends only on (seed, i, v)."
)

config = None
with user_errors("The augmentation settings"):
    config = config_controls()
seed, count = seed_controls()
dataset = dataset_picker()
if dataset is None or config is None:
    st.stop()

image_views.preset_offer(dataset, config)
with st.expander(f"Dataset summary: {literal(dataset.name)}, {plural(len(dataset.images), 'image')}"):
    dataset_summary(dataset)

# Default: the first image of each of the first three classes (or the first two images).
first_of_class: dict[str | None, int] = {}
for i, item in enumerate(dataset.images):
    first_of_class.setdefault(item.label, i)
default = sorted(first_of_class.values())[:3] if dataset.classes else list(range(min(2, len(dataset.images))))
selected = st.multiselect(
    "Images to preview",
    range(len(dataset.images)),
    format_func=lambda i: image_views.option_name(dataset, i),
    max_selections=6,
    key=init(f"img.selected.{dataset.name}.{len(dataset.images)}", default),
    persist_state=KEEP,
)

preview_tab, batch_tab, how_tab, save_tab = st.tabs(
    ["Preview", "Random batch", "How it works", "Save & load"]
)
with preview_tab, user_errors("Preview"):
    image_views.preview(dataset, selected, config, seed, count)
with batch_tab, user_errors("Random batch"):
    image_views.batch(dataset, config, seed)
with how_tab, user_errors("How it works"):
    image_views.how_it_works(dataset, selected, config, seed, count)
with save_tab:
    image_views.save_and_load(config, seed)
