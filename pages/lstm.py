"""LSTM: train a small text generator on the loaded lines, watch it learn, sample into the pool."""

from __future__ import annotations

import streamlit as st

from ui.common import SYNTHETIC_TEXTS, ensure_framed, user_errors
from ui.lstm_controls import (
    build_entry,
    data_choice,
    load_entry,
    lstm_config,
    lstm_signature,
    sampling_controls,
    show_preview,
)
from ui.training import (
    budget_controls,
    checkpoint_section,
    clear_pool_button,
    device_caption,
    live_panel,
    run_buttons,
)

ensure_framed()  # first thing: this page runs inside app.py's router

st.title("Text generator (LSTM)")
st.caption(
    "A character-level (or word-level) LSTM trained on your lines, with a held-out tail for validation. "
    "Curves show bits per character next to the unigram baseline: below it, the model has learnt something."
)
device_caption()

dataset = data_choice()
config = None
with user_errors("The LSTM settings"):
    config = lstm_config(dataset)
limits = budget_controls("lstm")
if config is None:
    st.stop()

entry = None
with user_errors("Preparing the corpus"):
    entry = run_buttons("lstm", lstm_signature(config, dataset), lambda: build_entry(config, dataset), limits)
if entry is not None:
    baseline = {"unigram": entry.run.trainer.unigram_bpc}
    live_panel("lstm", entry, show_preview, baseline, y_title="bits per character")
    if not entry.run.running and entry.run.trainer.steps_done:
        with user_errors("Sampling"):
            sampling_controls(entry)
checkpoint_section("lstm", entry, lambda data, name: load_entry(data, name, dataset), "vocabulary")

pool = st.session_state.get(SYNTHETIC_TEXTS, [])
st.subheader(f"Synthetic pool: {len(pool):,} lines")
if pool:
    st.dataframe(
        {"text": [p.text for p in pool[-200:]], "label": [p.label for p in pool[-200:]]},
        hide_index=True,
        width="stretch",
    )
    clear_pool_button(SYNTHETIC_TEXTS)
