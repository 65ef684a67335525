"""Experiment: does augmentation or synthetic data help a small model on the loaded data? Paired intervals."""

from __future__ import annotations

import streamlit as st

from ui import experiment_controls as exp
from ui.common import ensure_framed, init, literal, user_errors

ensure_framed()  # first thing: this page runs inside app.py's router

st.title("Does it help?")
st.caption(
    "Train a small model on the real training examples only, and again with augmented variants or synthetic "
    "samples added, several times with the same splits and initial weights, and compare on a test split of "
    "real examples that no augmentation or generator ever touched. The difference to real-only is paired "
    "(same split, same initial weights, same batch order), with a 95% interval over the repeats."
)
exp.demo_button()

kind = st.segmented_control("Data", ["images", "text"], key=init("exp.kind", "images")) or "images"
dataset = exp.loaded(kind)
if dataset is None:
    page = "Images" if kind == "images" else "Text"
    st.info(f"Load labelled {kind} on the **{page}** page first, or use the teacher's demo above.")
    st.stop()
problem = exp.labelled_problem(kind, dataset)
if problem is not None:
    st.warning(problem, icon="⚠️")
    st.stop()
items = dataset.images if kind == "images" else dataset.examples
classes = sorted({str(item.label) for item in items})
st.caption(
    f"Data: **{literal(dataset.name)}**, {len(items):,} examples in {len(classes)} classes · augmentation: "
    f"as set on the {'Images' if kind == 'images' else 'Text'} page · synthetic samples: the "
    f"{'GAN' if kind == 'images' else 'LSTM'} page's pool."
)

recipe = None
with user_errors("The experiment settings"):
    recipe = exp.recipe_controls(kind, dataset)
if recipe is None:
    st.stop()

left, right = st.columns([1, 3], vertical_alignment="center")
job = exp.run_controls(recipe, dataset, left)
right.caption(
    f"{len(recipe.models)} model(s) × {len(recipe.arms)} arm(s) × {len(recipe.sizes or recipe.per_class)} "
    f"size(s) × {recipe.repeats} repeats; each fit at most {recipe.budget_s:g} s."
)
results = exp.results_of(job)
if results is not None:
    st.subheader("Results")
    exp.results_view(results, recipe.to_json())
