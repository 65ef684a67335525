"""Widgets of the Experiment page: what to compare, the run (a job in a worker process), the results.

Settings are keyed ``exp.<name>`` and kept in the workspace like every page's. The experiment itself
is :mod:`core.experiment`: the page builds an :class:`~core.experiment.ExperimentRecipe`, submits it
with the page's data as an "experiment" job, shows the rows as fits finish (the job's progress), and
reads ``results.json`` from the workspace when the job ends.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from core.augment.image import PRESETS
from core.data.sources import builtin
from core.errors import AugLabError
from core.experiment import ARMS, MODELS, ExperimentRecipe, results_json
from core.experiment.job import KIND, experiment_config
from core.experiment.recipe import MODEL_NAMES, uses_synthetic
from core.experiment.report import choices, size_label, table
from core.present.experiment_charts import (
    accuracy_figure,
    confusion_figure,
    learning_curve_figure,
    per_class_change_figure,
)
from core.workspace import jobs
from core.workspace.store import WorkspaceError
from ui import background, image_controls, text_controls, workspace
from ui import pool as synthetic_pool
from ui.common import IMAGE_DATASET, KEEP, init, literal, set_fields
from ui.export_controls import current_config, input_names

JOB = "exp.job"  # workspace key prefix of the experiment job of a kind: "exp.job.images"
SIZE_CHOICES = {"5%": 0.05, "10%": 0.1, "25%": 0.25, "50%": 0.5, "100%": 1.0}
ARM_HELP = {
    "real": "The train originals only: the baseline every other arm is compared with.",
    "real+augmented": "Plus k augmented variants of each train original (the Images / Text page's settings).",
    "real+synthetic": "Plus samples of the synthetic pool (the GAN / LSTM page's generate calls).",
    "real+augmented+synthetic": "Both.",
}


def job_key(kind: str) -> str:
    return f"{JOB}.{kind}"


# -- the teacher's demo ---------------------------------------------------------------------------


def _demo() -> None:
    """Digits, 10 training images per class, the digits preset, CNN vs logistic regression, 5 repeats."""
    st.session_state.pop(IMAGE_DATASET, None)  # loaded again from the pickers below
    st.session_state.update(
        {
            image_controls.SOURCE: image_controls.BUILTIN_SOURCE,
            image_controls.BUILTIN_CHOICE: builtin("digits", "images").display,
            "exp.kind": "images",
            "exp.arms": ["real", "real+augmented"],
            "exp.size_mode": "images per class",
            "exp.per_class": 10,
            "exp.variants": 10,
            "exp.models.images": list(MODELS["images"]),
            "exp.repeats": 5,
        }
    )
    set_fields("img", PRESETS["Digits and characters"])


def demo_button() -> None:
    st.button(
        "Teacher's demo: does augmentation help on 10 digits per class?",
        key="exp.demo",
        on_click=_demo,
        help="Loads scikit-learn's digits with the 'Digits and characters' augmentation preset (no flips) "
        "and sets: 10 training images per class, 10 variants each, the CNN and logistic regression, 5 "
        "repeats. About a minute on two CPU cores.",
    )


# -- the recipe -----------------------------------------------------------------------------------


def loaded(kind: str) -> Any:
    return image_controls.loaded() if kind == "images" else text_controls.loaded()


def labelled_problem(kind: str, dataset: Any) -> str | None:
    """Why ``dataset`` cannot be experimented on (no labels, one class), or None."""
    items = dataset.images if kind == "images" else dataset.examples
    labels = {item.label for item in items}
    if None in labels:
        return (
            f"{literal(dataset.name)} has examples without a label. An experiment trains a classifier, so it "
            "needs labels: upload a .zip with one folder per class, or a CSV with a label column, or pick "
            "a labelled built-in sample."
        )
    if len(labels) < 2:
        return f"{literal(dataset.name)} has one class only; a classifier needs at least two."
    return None


def recipe_controls(kind: str, dataset: Any) -> ExperimentRecipe:
    """Sidebar controls; returns the recipe they describe (ConfigError when a value cannot be used)."""
    sb = st.sidebar
    sb.header("Compare")
    calls = synthetic_pool.calls(kind)
    offered = [a for a in ARMS if calls or not uses_synthetic(a)]
    chosen = sb.multiselect(
        "Arms",
        offered,
        key=init("exp.arms", ["real", "real+augmented"]),
        persist_state=KEEP,
        help="How each training set is built from the same train originals. " + " ".join(ARM_HELP.values()),
    )
    if not calls:
        sb.caption("The synthetic arms need a synthetic pool: generate one on the GAN or LSTM page.")
    arms = ["real", *[a for a in chosen if a != "real"]]
    variants: int | str = sb.slider(
        "Augmented variants per train original (k)", 1, 32, key=init("exp.variants", 4), persist_state=KEEP
    )
    if kind == "text" and sb.toggle(
        "EDA's k for the training-set size",
        key=init("exp.eda_k", False),
        persist_state=KEEP,
        help="Wei & Zou's table: 16 below 500 examples, 8 below 2,000, 4 below 5,000, else 4.",
    ):
        variants = "eda"
    mode = sb.radio(
        "Training-set size",
        ["fraction of train originals", "images per class" if kind == "images" else "examples per class"],
        key=init("exp.size_mode", "fraction of train originals"),
        persist_state=KEEP,
        help="Several sizes give a learning curve per arm.",
    )
    sizes: tuple[float, ...] = ()
    per_class: tuple[int, ...] = ()
    if mode == "fraction of train originals":
        picked = sb.pills(
            "Fractions",
            list(SIZE_CHOICES),
            selection_mode="multi",
            key=init("exp.sizes", ["100%"]),
            persist_state=KEEP,
        )
        sizes = tuple(sorted(SIZE_CHOICES[p] for p in picked or ["100%"]))
    else:
        per_class = (
            int(
                sb.number_input(
                    "Per class", 1, 100_000, step=1, key=init("exp.per_class", 10), persist_state=KEEP
                )
            ),
        )
    models = sb.multiselect(
        "Models",
        list(MODELS[kind]),
        key=init(f"exp.models.{kind}", list(MODELS[kind])),
        format_func=lambda m: MODEL_NAMES.get(m, m),
        persist_state=KEEP,
    )
    repeats = sb.slider(
        "Repeats (seeds)",
        2,
        20,
        key=init("exp.repeats", 5),
        persist_state=KEEP,
        help="Each repeat draws a new split and new initial weights; every arm of a repeat shares them.",
    )
    test = sb.slider("Test fraction", 0.1, 0.5, step=0.05, key=init("exp.test", 0.2), persist_state=KEEP)
    budget = sb.slider(
        "Seconds per fit (at most)", 5, 300, step=5, key=init("exp.budget", 60), persist_state=KEEP
    )
    seed = sb.number_input("Seed", 0, 2**31 - 1, step=1, key=init("exp.seed", 0), persist_state=KEEP)
    return ExperimentRecipe(
        kind=kind,
        inputs=input_names(kind, dataset),
        augmentation=current_config(kind).to_dict(),
        variants_per_original=variants,
        synthetic=tuple(calls) if any(uses_synthetic(a) for a in arms) else (),
        arms=tuple(arms),
        sizes=sizes,
        per_class=per_class,
        models=tuple(models) or MODELS[kind],
        repeats=int(repeats),
        test_fraction=float(test),
        seed=int(seed),
        budget_s=float(budget),
    )


# -- the run --------------------------------------------------------------------------------------


def run_controls(recipe: ExperimentRecipe, dataset: Any, where: Any) -> jobs.Job | None:
    """The Run button (in ``where``) and the workspace's experiment job of this kind, with its panel."""
    key = job_key(recipe.kind)
    job = background.current(key)
    running = job is not None and job.active
    fits = len(recipe.models) * len(recipe.arms) * len(recipe.sizes or recipe.per_class) * recipe.repeats
    if where.button(
        f"Run {fits:,} fits",
        type="primary",
        disabled=running,
        key="exp.run",
        help="In a worker process: reload, switch pages or close the tab, it goes on.",
    ):
        try:
            data = (
                image_controls.job_data(dataset)
                if recipe.kind == "images"
                else text_controls.job_data(dataset)
            )
            job = background.submit(key, KIND, experiment_config(recipe, data))
        except (AugLabError, WorkspaceError) as exc:
            st.error(literal(exc), icon="⚠️")
    if job is not None and job.active:
        background.panel(key, job, "fits", counts=("fits_done", "fits_total"), extra=_live)
    elif job is not None and job.status in ("failed", "stopped"):
        background.panel(key, job, "fits", counts=("fits_done", "fits_total"))
    return job


def _live(job: jobs.Job) -> None:
    """The rows so far, while the job runs."""
    rows = job.progress.get("rows") or []
    if rows:
        st.dataframe(table({"rows": rows, "size_unit": _unit(job)}), hide_index=True, width="stretch")


def _unit(job: jobs.Job) -> str:
    return "per_class" if job.config.get("recipe", {}).get("per_class") else "fraction"


def results_of(job: jobs.Job | None) -> dict[str, Any] | None:
    """The ended job's results.json, read from the workspace (None when it has none)."""
    if job is None or job.active or not job.result.get("results"):
        return None
    try:
        return json.loads(workspace.store().read(workspace.workspace_id(), job.result["results"]))
    except (WorkspaceError, ValueError):
        return None


# -- the results ----------------------------------------------------------------------------------


def verdicts(results: dict[str, Any]) -> None:
    """One sentence per compared arm: the paired gain and whether it is measurable."""
    for row in results.get("rows", []):
        diff = row["diff_vs_real"]
        if row["arm"] == "real" or diff.get("ci95") is None:
            continue
        # A difference of accuracies lies within ±100 points; a t-interval over 2 or 3 repeats can reach
        # past that, which says "too few repeats" more plainly when shown clipped and said.
        lo, hi = max(diff["ci95"][0], -1.0), min(diff["ci95"][1], 1.0)
        few = " More repeats would narrow the interval." if hi - lo > 0.5 else ""
        text = (
            f"**{MODEL_NAMES.get(row['model'], row['model'])}**, {size_label(results, row['size'])}, "
            f"{row['arm']}: {diff['mean'] * 100:+.1f} points vs real only (95% interval {lo * 100:+.1f} to "
            f"{hi * 100:+.1f}) — **{diff['verdict']}**.{few}"
        )
        {"gain": st.success, "hurts": st.error}.get(diff["verdict"], st.info)(text)


def results_view(results: dict[str, Any], recipe_json: str) -> None:
    """Charts, table and downloads of finished (or stopped) results."""
    have = choices(results)
    if not have["models"]:
        return
    verdicts(results)
    c1, c2, c3 = st.columns(3)
    model = c1.selectbox(
        "Model", have["models"], key="exp.view.model", format_func=lambda m: MODEL_NAMES.get(m, m)
    )
    size = c2.selectbox(
        "Size", have["sizes"], key="exp.view.size", format_func=lambda s: size_label(results, s)
    )
    compared = [a for a in have["arms"] if a != "real"] or have["arms"]
    arm = c3.selectbox("Arm", compared, key="exp.view.arm")
    left, right = st.columns(2)
    left.plotly_chart(accuracy_figure(results, model, size), width="stretch", key="exp.chart.accuracy")
    if len(have["sizes"]) > 1:
        right.plotly_chart(learning_curve_figure(results, model), width="stretch", key="exp.chart.curve")
    else:
        right.plotly_chart(
            confusion_figure(results, model, size, arm), width="stretch", key="exp.chart.confusion"
        )
    if arm != "real":
        st.plotly_chart(
            per_class_change_figure(results, model, size, arm), width="stretch", key="exp.chart.classes"
        )
    st.dataframe(table(results), hide_index=True, width="stretch")
    d1, d2 = st.columns(2)
    d1.download_button(
        "Download results.json", results_json(results), file_name="results.json", mime="application/json"
    )
    d2.download_button(
        "Download experiment.json",
        recipe_json,
        file_name="experiment.json",
        mime="application/json",
        help="Run it headless: python -m core experiment --recipe experiment.json --out results.json",
    )
