"""Text: paste or upload examples, tune EDA's operations and see every edit highlighted."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.augment.codegen import text_snippet
from core.augment.text import TextAugConfig, augment_variants_detailed
from core.data.wording import plural
from core.present.highlight import NOISE_CSS, legend_html, preview_table_html
from ui.common import config_loader, ensure_framed, literal, user_errors
from ui.text_controls import (
    PREFIX,
    config_controls,
    dataset_picker,
    dataset_summary,
    seed_controls,
    wordnet_status,
)

ensure_framed()  # first thing: this page runs inside app.py's router

CSS = (Path(__file__).resolve().parents[1] / "assets" / "text_highlight.css").read_text()

st.title("Text augmentation")
st.caption(
    "EDA's synonym replacement, insertion, swap and deletion (Wei & Zou 2019) and AEDA's punctuation "
    "insertion, with synonyms from WordNet filtered so that a class can see them, and the typos, OCR "
    "errors and misspellings nlpaug offers. Everything outside the edits stays as you wrote it. "
    "Variant v of example i depends only on (seed, i, v)."
)
st.markdown(f"<style>{CSS}{NOISE_CSS}</style>", unsafe_allow_html=True)

wordnet_ok = wordnet_status()
config = None
with user_errors("The augmentation settings"):
    config = config_controls(wordnet_ok)
seed, shown = seed_controls()
dataset = dataset_picker()
if dataset is None or config is None or not dataset.examples:
    st.stop()

with st.expander(f"Dataset summary: {literal(dataset.name)}, {plural(len(dataset.examples), 'example')}"):
    dataset_summary(dataset)

preview_tab, save_tab = st.tabs(["Preview", "Save & load"])

with preview_tab:
    st.markdown(legend_html(config.operations), unsafe_allow_html=True)
    st.caption(
        f"The first {min(shown, len(dataset.examples))} of {len(dataset.examples):,} examples, "
        f"{config.n_aug} variants each ({', '.join(config.operations)}"
        f"{', combined' if config.combine else ', one per variant'}). Hover over an edit to see what "
        "happened."
    )
    with user_errors("Preview"):
        for index, example in enumerate(dataset.examples[:shown]):
            variants = augment_variants_detailed(example.text, config, seed, index)
            st.markdown(preview_table_html(example.text, example.label, variants), unsafe_allow_html=True)

with save_tab:
    st.download_button(
        "Download configuration (JSON)",
        config.to_json(),
        file_name="auglab_text_config.json",
        mime="application/json",
    )
    config_loader(PREFIX, TextAugConfig.from_json)
    snippet = text_snippet(config, seed)
    st.code(snippet.code, language="python")
    for difference in snippet.differences:
        st.markdown(f"- {difference}")
