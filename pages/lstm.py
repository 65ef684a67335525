"""LSTM: train a small text generator on the loaded lines, watch it learn, sample into the pool."""

from __future__ import annotations

import streamlit as st

from ui import pool, text_controls
from ui.common import ensure_framed, user_errors
from ui.lstm_controls import (
    baselines,
    data_choice,
    data_key,
    load_model,
    lstm_config,
    sampling_controls,
    show_preview,
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

st.title("Text generator (LSTM)")
st.caption(
    "A character-level (or word-level) LSTM trained on your lines, with a held-out tail for validation. "
    "Curves show bits per character next to the unigram baseline: below it, the model has learnt something. "
    "The defaults write readable text after about 40 s on two CPU cores."
)
device_caption()

dataset = data_choice()
config = None
with user_errors("The LSTM settings"):
    config = lstm_config(dataset)
if config is None:
    st.stop()

key = data_key(dataset)
job = current_job("lstm")  # first: a job that ended makes its checkpoint the model


def loader(data: bytes, name: str):
    return load_model(data, name, dataset)


model = current_model("lstm", key, loader)
job = run_buttons("lstm", config.to_dict(), lambda: text_controls.job_data(dataset), model, job)
if job is not None:
    live_panel("lstm", job, show_preview, baselines, y_title="bits per character")
if model is not None and model.steps and (job is None or not job.active):
    with user_errors("Sampling"):
        sampling_controls(model)
checkpoint_section("lstm", model, key, loader, "vocabulary")

pooled = pool.items("text")
st.subheader(f"Synthetic pool: {len(pooled):,} lines")
if pooled:
    st.dataframe(
        {"text": [p.text for p in pooled[-200:]], "label": [p.label for p in pooled[-200:]]},
        hide_index=True,
        width="stretch",
    )
    pool.clear_button("text")
