"""Export: blend originals, augmented variants and synthetic samples, split them, download the dataset."""

from __future__ import annotations

import streamlit as st

from core.dataset.plan import plan
from ui.common import ensure_framed, literal, user_errors
from ui.export_controls import (
    archive_digest,
    composition,
    format_control,
    offer_archive,
    recipe_controls,
    sources,
    use_builtin,
    write_controls,
)

ensure_framed()  # first thing: this page runs inside app.py's router

st.title("Export a dataset")
st.caption(
    "Real examples, augmented variants and synthetic samples, split train / validation / test by class. "
    "Variants and synthetic samples go to train only, and a variant always stays with its original: no "
    "test image's rotated copy leaks into train. manifest.csv lists where every file came from."
)

kind = st.segmented_control("Dataset", ["images", "text"], key="export.kind", default="images")
kind = kind or "images"
dataset, pool, calls = sources(kind)
if dataset is None:
    page = "Images" if kind == "images" else "Text"
    st.info(f"Load {kind} on the **{page}** page first; the export blends what you loaded there.")
    sample = "scikit-learn's digits" if kind == "images" else "the product reviews"
    if st.button(f"Or start from {sample}", key="export.sample"):
        use_builtin(kind)
        st.rerun()
    st.stop()
st.caption(
    f"Originals: **{literal(dataset.name)}** · synthetic pool: **{len(pool):,}** · augmentation: as set on "
    f"the {'Images' if kind == 'images' else 'Text'} page."
)

recipe = the_plan = None
with user_errors("The blend settings"):
    recipe = recipe_controls(kind, dataset, pool, calls)
    labels = [i.label for i in dataset.images] if kind == "images" else [e.label for e in dataset.examples]
    the_plan = plan(recipe, labels, [p.label for p in pool])
if the_plan is None:
    st.stop()

st.subheader(f"Composition: {len(the_plan):,} examples")
composition(the_plan)

digest = archive_digest(recipe, dataset, pool)  # the archive on offer must be the one of this page
c1, c2 = st.columns(2)
c1.download_button(
    "Download recipe.json",
    recipe.to_json(),
    file_name="recipe.json",
    mime="application/json",
    help="Reproduce this export headless: python -m core export --recipe recipe.json --out d.zip",
)
fmt = format_control(c2)
write_controls(recipe, dataset, digest, c2, fmt)
offer_archive(kind, digest, fmt)
