"""Widgets of the Export page: what goes in, the composition preview, and writing the archive."""

from __future__ import annotations

import tempfile
from dataclasses import fields
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from core.augment.image import PRESETS, ImageAugConfig
from core.augment.text import TextAugConfig
from core.data.images import DIGITS
from core.dataset.blend import BALANCE, SOURCES, Plan, Recipe, SyntheticSource
from core.dataset.export import export_images, export_text
from ui.common import (
    IMAGE_DATASET,
    KEEP,
    SYNTHETIC_CHECKPOINTS,
    SYNTHETIC_IMAGES,
    SYNTHETIC_SOURCES,
    SYNTHETIC_TEXTS,
    TEXT_DATASET,
    init,
)

EXPORT_DIR = "export.dir"  # this session's temporary folder for finished archives
LAST = "export.last"  # (path, summary) of the latest archive
COLOURS = {"original": "#4b6cb7", "augmented": "#f0a030", "synthetic": "#2e8b47"}


def current_config(kind: str) -> Any:
    """The augmentation as set on the Images or Text page (their widgets' session values)."""
    cls, prefix = (ImageAugConfig, "img") if kind == "images" else (TextAugConfig, "txt")
    values = {f.name: st.session_state.get(f"{prefix}.{f.name}") for f in fields(cls)}
    if any(v is None for v in values.values()):
        return PRESETS["Mild, photos"] if kind == "images" else TextAugConfig()
    return cls(**values)


def sources(kind: str) -> tuple[Any, list, list[SyntheticSource]]:
    """The session's originals, synthetic pool and the generator calls that filled it."""
    if kind == "images":
        dataset = st.session_state.get(IMAGE_DATASET)
        pool = st.session_state.get(SYNTHETIC_IMAGES, [])
    else:
        dataset = st.session_state.get(TEXT_DATASET)
        pool = st.session_state.get(SYNTHETIC_TEXTS, [])
    calls = [SyntheticSource.from_dict(d) for d in st.session_state.get(SYNTHETIC_SOURCES, {}).get(kind, [])]
    return dataset, pool, calls


def use_builtin(kind: str) -> None:
    """Load a built-in dataset as if it had been picked on the Images or Text page."""
    from core.data.images import BUILTIN
    from core.data.texts import REVIEWS, TEXT_SAMPLES
    from ui import image_controls, text_controls

    # The Images / Text pages rebuild their dataset from their pickers: point those at it too.
    if kind == "images":
        st.session_state[IMAGE_DATASET] = BUILTIN[DIGITS]()
        st.session_state.update(
            {image_controls.SOURCE: image_controls.BUILTIN_SOURCE, image_controls.BUILTIN_CHOICE: DIGITS}
        )
    else:
        st.session_state[TEXT_DATASET] = TEXT_SAMPLES[REVIEWS]()
        st.session_state.update(
            {text_controls.SOURCE: text_controls.SOURCES[0], text_controls.SAMPLE: REVIEWS}
        )


def recipe_controls(kind: str, dataset: Any, pool: list, calls: list[SyntheticSource]) -> Recipe:
    """Sidebar controls for the blend; returns the recipe they describe."""
    sb = st.sidebar
    sb.header("Blend")
    variants = sb.slider(
        "Augmented variants per train original", 0, 32, key=init("export.variants", 2), persist_state=KEEP
    )
    per_class = share = 0
    include = False
    if not pool:
        sb.caption("No synthetic samples yet: generate some on the GAN or LSTM page to blend them in.")
    else:
        include = sb.toggle(
            "Include synthetic samples",
            key=init("export.synthetic", True),
            persist_state=KEEP,
            help="From the GAN / LSTM pages' synthetic pool.",
        )
    if include:
        how = sb.radio(
            "Synthetic amount",
            ["per class", "share of train"],
            key=init("export.how", "per class"),
            persist_state=KEEP,
            horizontal=True,
        )
        if how == "per class":
            per_class = sb.number_input(
                "Synthetic per class",
                0,
                100_000,
                step=10,
                key=init("export.per_class", 50),
                persist_state=KEEP,
            )
        else:
            share = sb.slider(
                "Synthetic share of train",
                0.0,
                0.9,
                step=0.05,
                key=init("export.share", 0.2),
                persist_state=KEEP,
            )
    balance = sb.selectbox(
        "Balance classes",
        BALANCE,
        key=init("export.balance", "none"),
        persist_state=KEEP,
        help="Top up smaller train classes to the largest one with extra augmented variants "
        "and/or synthetic samples.",
    )
    cap = sb.number_input(
        "Cap on the total (0 = none)",
        0,
        10_000_000,
        step=100,
        key=init("export.cap", 0),
        persist_state=KEEP,
        help="Synthetic samples go first, then augmented ones; originals always stay.",
    )
    sb.header("Split")
    val = sb.slider("Validation", 0.0, 0.5, step=0.05, key=init("export.val", 0.1), persist_state=KEEP)
    test = sb.slider("Test", 0.0, 0.5, step=0.05, key=init("export.test", 0.1), persist_state=KEEP)
    seed = sb.number_input("Seed", 0, 2**31 - 1, step=1, key=init("export.seed", 0), persist_state=KEEP)
    config = current_config(kind)
    inputs = ("digits",) if kind == "images" and dataset.name == DIGITS else _input_names(kind, dataset)
    return Recipe(
        kind=kind,
        inputs=inputs,
        augmentation=config.to_dict(),
        seed=int(seed),
        variants_per_original=int(variants),
        synthetic_per_class=int(per_class),
        synthetic_share=float(share),
        include_synthetic=bool(include and pool),
        balance=balance,
        max_total=int(cap) or None,
        split=(round(1.0 - val - test, 10), float(val), float(test)),
        synthetic=tuple(calls) if include else (),
    )


def _input_names(kind: str, dataset: Any) -> tuple[str, ...]:
    """What the recipe records as inputs: file names for uploads (give their paths to the CLI)."""
    if kind == "images":
        names = sorted({image.name.split("/")[0] for image in dataset.images})
    else:
        names = [dataset.name]
    return tuple(names) or (dataset.name,)


def composition(the_plan: Plan) -> None:
    """Counts per class and source for each split, before (originals) and after, as stacked bars."""
    counts = the_plan.counts()
    cols = st.columns(3)
    for col, split in zip(cols, ("train", "val", "test"), strict=True):
        classes = list(counts[split])
        figure = go.Figure()
        for source in SOURCES:
            values = [counts[split][c][source] for c in classes]
            if any(values):
                figure.add_trace(go.Bar(x=classes, y=values, name=source, marker_color=COLOURS[source]))
        total = sum(sum(v.values()) for v in counts[split].values())
        figure.update_layout(
            barmode="stack",
            title=f"{split}: {total:,}",
            height=300,
            xaxis_type="category",
            margin={"l": 10, "r": 10, "t": 40, "b": 10},
            legend={"orientation": "h"},
        )
        col.plotly_chart(figure, width="stretch", key=f"export.bars.{split}")
    for note in the_plan.notes:
        st.info(note)


def write_archive(kind: str, the_plan: Plan, recipe: Recipe, dataset: Any, pool: list) -> None:
    """Write the archive to this session's temporary folder behind a progress bar."""
    folder = Path(st.session_state.setdefault(EXPORT_DIR, tempfile.mkdtemp(prefix="auglab-export-")))
    out = folder / ("auglab_images.zip" if kind == "images" else "auglab_text.zip")
    bar = st.progress(0.0, text="Writing the archive…")

    def progress(done: int, total: int) -> None:
        if done % 50 == 0 or done == total:
            bar.progress(done / max(total, 1), text=f"Writing the archive… {done:,} of {total:,}")

    if kind == "images":
        checkpoints = st.session_state.get(SYNTHETIC_CHECKPOINTS, {})
        extra = {
            f"generators/{call.sha256}.pt": checkpoints[call.sha256]
            for call in recipe.synthetic
            if call.sha256 in checkpoints
        }
        summary = export_images(the_plan, dataset.images, pool, recipe, out, progress, extra)
    else:
        summary = export_text(the_plan, dataset.examples, pool, recipe, out, progress)
    bar.empty()
    st.session_state[LAST] = (str(out), summary)
