"""Image generator: train a small GAN or VAE on the loaded images, watch it learn, add samples to the pool.

One page for both generators (a choice at the top) rather than a page each: they train on the same
data, the same held-out split and the same settings of size and colour, are judged by the same
quality checks and fill the same pool, so side by side they make the contrast the page teaches (a
GAN's sharp samples against a VAE's steady, blurrier ones). Each keeps its own run and model.
"""

from __future__ import annotations

import streamlit as st

from core.data.images import DIGITS
from ui import image_controls, pool
from ui.common import ensure_framed, user_errors
from ui.gan_controls import (
    GENERATORS,
    chosen_generator,
    data_choice,
    data_key,
    gan_config,
    generate_controls,
    generator_choice,
    load_model,
    quality_section,
    sample_rows,
    show_preview,
    vae_config,
)
from ui.training import (
    checkpoint_section,
    current_job,
    current_model,
    device_caption,
    live_panel,
    run_buttons,
)

ensure_framed()  # first thing: this page runs inside app.py's router

st.title(f"Image generator ({GENERATORS[chosen_generator()]})")
st.caption(
    "A GAN (the classic MLP for 8x8 digits, a small convolutional one from 16 to 64 px) or a VAE, "
    "optionally class-conditional, with small-data remedies. Every random choice comes from the seed you set."
)
device_caption()

dataset = data_choice()
if dataset is None:
    st.stop()
kind = generator_choice()
config = None
with user_errors(f"The {GENERATORS[kind]} settings"):
    config = vae_config(dataset) if kind == "vae" else gan_config(dataset)
if config is None:
    st.stop()

key = data_key(dataset)
job = current_job(kind)  # first: a job that ended makes its checkpoint the model


def loader(data: bytes, name: str):
    return load_model(data, name, dataset, kind)


model = current_model(kind, key, loader)
job = run_buttons(kind, config.to_dict(), lambda: image_controls.job_data(dataset), model, job)
if job is not None:
    live_panel(kind, job, show_preview, y_title="nats per image" if kind == "vae" else "loss")
if model is not None and model.steps and (job is None or not job.active):
    quality_section(model, kind, key)
    generate_controls(model, kind)
checkpoint_section(kind, model, key, loader, "class names")

pooled = pool.items("images")
st.subheader(f"Synthetic pool: {len(pooled):,} images")
if pooled:
    sample_rows(pooled, counts=True, caption="The latest samples of every class, GAN and VAE alike (count):")
    pool.clear_button("images")
else:
    st.caption(f"Train a model, then generate samples into the pool. {DIGITS} is a good first dataset.")
