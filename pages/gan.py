"""GAN: train a small image generator on the loaded images, watch it learn, add its samples to the pool."""

from __future__ import annotations

import streamlit as st

from core.data.images import DIGITS
from core.present.grids import fit_tile, make_grid, to_rgb
from ui import image_controls, pool
from ui.common import ensure_framed, user_errors
from ui.gan_controls import (
    data_choice,
    data_key,
    gan_config,
    generate_controls,
    load_model,
    quality_section,
    show_preview,
)
from ui.training import (
    budget_controls,
    checkpoint_section,
    current_job,
    current_model,
    device_caption,
    live_panel,
    run_buttons,
)

ensure_framed()  # first thing: this page runs inside app.py's router

st.title("Image generator (GAN)")
st.caption(
    "The classic MLP GAN for small grayscale images and a small DCGAN for 32x32 / 64x64 colour, optionally "
    "class-conditional, with small-data remedies. Every random choice comes from the seed you set."
)
device_caption()

dataset = data_choice()
if dataset is None:
    st.stop()
config = None
with user_errors("The GAN settings"):
    config = gan_config(dataset)
limits = budget_controls("gan")
if config is None:
    st.stop()

key = data_key(dataset)
job = current_job("gan")  # first: a job that ended makes its checkpoint the model


def loader(data: bytes, name: str):
    return load_model(data, name, dataset)


model = current_model("gan", key, loader)
job = run_buttons("gan", config.to_dict(), lambda: image_controls.job_data(dataset), limits, model, job)
if job is not None:
    live_panel("gan", job, show_preview)
if model is not None and model.steps and (job is None or not job.active):
    quality_section(model)
    generate_controls(model)
checkpoint_section("gan", model, key, loader, "class names")

pooled = pool.items("images")
st.subheader(f"Synthetic pool: {len(pooled):,} images")
if pooled:
    tiles = [fit_tile(to_rgb(item.array), 48) for item in pooled[-64:]]
    st.image(make_grid(tiles, cols=16, pad=2), caption="The latest 64")
    pool.clear_button("images")
else:
    st.caption(f"Train a model, then generate samples into the pool. {DIGITS} is a good first dataset.")
