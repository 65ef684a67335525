"""Widgets of the Export page: what goes in, the composition preview, and writing the archive."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from core.augment.image import PRESETS, ImageAugConfig
from core.augment.text import TextAugConfig
from core.data.sources import builtin, display_names, load_builtin_images, load_builtin_text, short_name
from core.dataset.digest import export_digest
from core.dataset.plan import Plan
from core.dataset.recipe import BALANCE, SOURCES, Recipe, SyntheticSource
from core.dataset.writer import ExportSummary, export_images, export_text
from ui.common import (
    IMAGE_DATASET,
    KEEP,
    SYNTHETIC_CHECKPOINTS,
    SYNTHETIC_IMAGES,
    SYNTHETIC_SOURCES,
    SYNTHETIC_TEXTS,
    TEXT_DATASET,
    init,
    literal,
)

EXPORT_DIR = "export.dir"  # this session's temporary folder for finished archives
LAST = "export.last"  # the FinishedArchive written last
COLOURS = {"original": "#4b6cb7", "augmented": "#f0a030", "synthetic": "#2e8b47"}
STALE = "Settings changed since the last archive; write it again."


@dataclass(frozen=True)
class FinishedArchive:
    """An archive this session wrote, and the fingerprint of what it was made from.

    Attributes:
        digest: :func:`core.dataset.digest.export_digest` of its recipe, originals and pool.
        path: Where it is, in this session's temporary folder.
        summary: What the writer reported.
    """

    digest: str
    path: str
    summary: ExportSummary


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
    from ui import image_controls, text_controls

    # The Images / Text pages rebuild their dataset from their pickers: point those at it too.
    if kind == "images":
        st.session_state[IMAGE_DATASET] = load_builtin_images("digits")
        st.session_state.update(
            {
                image_controls.SOURCE: image_controls.BUILTIN_SOURCE,
                image_controls.BUILTIN_CHOICE: builtin("digits", "images").display,
            }
        )
    else:
        st.session_state[TEXT_DATASET] = load_builtin_text("reviews")
        st.session_state.update(
            {
                text_controls.SOURCE: text_controls.SOURCES[0],
                text_controls.SAMPLE: builtin("reviews", "text").display,
            }
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
    return Recipe(
        kind=kind,
        inputs=input_names(kind, dataset),
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


def input_names(kind: str, dataset: Any) -> tuple[str, ...]:
    """What the recipe records as inputs: a built-in sample's short name (``digits``, ``reviews``, ...),
    else the uploaded files' names (give their paths to the CLI)."""
    if dataset.name in display_names(kind):  # the pages name built-ins by display name; uploads by file
        return (short_name(dataset.name),)
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
        st.info(literal(note))  # notes quote class labels, which came from the user


def archive_digest(recipe: Recipe, dataset: Any, pool: list) -> str:
    """The fingerprint of what the page shows: recipe, originals and synthetic pool."""
    originals = dataset.images if recipe.kind == "images" else dataset.examples
    return export_digest(recipe, originals, pool)


def write_archive(the_plan: Plan, recipe: Recipe, dataset: Any, pool: list, digest: str) -> None:
    """Write the archive to this session's temporary folder behind a progress bar.

    Args:
        the_plan: The plan of ``recipe`` over the dataset's and the pool's labels.
        recipe: The recipe.
        dataset: The originals (``ImageDataset`` or ``TextDataset``).
        pool: The synthetic pool.
        digest: :func:`archive_digest` of the same recipe, dataset and pool.
    """
    folder = Path(st.session_state.setdefault(EXPORT_DIR, tempfile.mkdtemp(prefix="auglab-export-")))
    out = folder / ("auglab_images.zip" if recipe.kind == "images" else "auglab_text.zip")
    bar = st.progress(0.0, text="Writing the archive…")

    def progress(done: int, total: int) -> None:
        if done % 50 == 0 or done == total:
            bar.progress(done / max(total, 1), text=f"Writing the archive… {done:,} of {total:,}")

    checkpoints = st.session_state.get(SYNTHETIC_CHECKPOINTS, {})
    extra = {
        f"generators/{call.sha256}.pt": checkpoints[call.sha256]
        for call in recipe.synthetic
        if call.sha256 in checkpoints
    }
    if recipe.kind == "images":
        summary = export_images(the_plan, dataset.images, pool, recipe, out, progress, extra)
    else:
        summary = export_text(the_plan, dataset.examples, pool, recipe, out, progress, extra)
    bar.empty()
    st.session_state[LAST] = FinishedArchive(digest, str(out), summary)


def offer_archive(digest: str) -> None:
    """The download of the last archive, only while the page shows what it was made from."""
    last: FinishedArchive | None = st.session_state.get(LAST)
    if last is None or not Path(last.path).is_file():
        return
    if last.digest != digest:
        st.info(STALE)
        return
    summary = last.summary
    st.success(
        f"{summary.items:,} examples, {summary.bytes_written / 1e6:.1f} MB, written in "
        f"{summary.seconds:.1f} s ({summary.examples_per_second:,.0f} examples/s)."
    )
    with open(last.path, "rb") as handle:
        st.download_button(
            "Download the dataset (.zip)",
            handle,
            file_name=Path(last.path).name,
            mime="application/zip",
            type="primary",
        )
