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
from core.dataset.writer import export_images, export_text
from core.workspace.store import WorkspaceError
from ui import image_controls, text_controls, workspace
from ui import pool as synthetic
from ui.common import (
    IMAGE_DATASET,
    KEEP,
    TEXT_DATASET,
    init,
    literal,
)

ARCHIVE = "export.archive"  # session: a FinishedArchive the workspace could not keep (over its limit)
COLOURS = {"original": "#4b6cb7", "augmented": "#f0a030", "synthetic": "#2e8b47"}
STALE = "Settings changed since the last archive; write it again."


@dataclass(frozen=True)
class FinishedArchive:
    """An archive written on this page, and the fingerprint of what it was made from.

    Kept in the workspace (an artifact ``export.images`` / ``export.text``, the last one only), so a
    reload or another tab offers the same download; kept in the session only when the workspace is
    over its limit.

    Attributes:
        digest: :func:`core.dataset.digest.export_digest` of its recipe, originals and pool.
        name: The file name offered.
        sha256: The archive's content hash in the workspace ("" when only in this session).
        path: The file in this session's temporary folder ("" when in the workspace).
        items, size, seconds: Examples written, bytes, wall time.
    """

    digest: str
    name: str
    sha256: str
    path: str
    items: int
    size: int
    seconds: float

    def data(self) -> Any:
        """An open binary file of the archive (the caller closes it)."""
        if self.sha256:
            return workspace.store().blob_path(workspace.workspace_id(), self.sha256).open("rb")
        return open(self.path, "rb")


def current_config(kind: str) -> Any:
    """The augmentation as set on the Images or Text page (their widgets' session values)."""
    cls, prefix = (ImageAugConfig, "img") if kind == "images" else (TextAugConfig, "txt")
    values = {f.name: st.session_state.get(f"{prefix}.{f.name}") for f in fields(cls)}
    if any(v is None for v in values.values()):
        return PRESETS["Mild, photos"] if kind == "images" else TextAugConfig()
    return cls(**values)


def sources(kind: str) -> tuple[Any, list, list[SyntheticSource]]:
    """The session's originals, synthetic pool and the generator calls that filled it."""
    dataset = image_controls.loaded() if kind == "images" else text_controls.loaded()
    return dataset, synthetic.items(kind), synthetic.calls(kind)


def use_builtin(kind: str) -> None:
    """Load a built-in dataset as if it had been picked on the Images or Text page."""
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
    """Write the archive behind a progress bar and keep it in the workspace.

    Args:
        the_plan: The plan of ``recipe`` over the dataset's and the pool's labels.
        recipe: The recipe.
        dataset: The originals (``ImageDataset`` or ``TextDataset``).
        pool: The synthetic pool.
        digest: :func:`archive_digest` of the same recipe, dataset and pool.
    """
    folder = Path(tempfile.mkdtemp(prefix="auglab-export-"))
    out = folder / ("auglab_images.zip" if recipe.kind == "images" else "auglab_text.zip")
    bar = st.progress(0.0, text="Writing the archive…")

    def progress(done: int, total: int) -> None:
        if done % 50 == 0 or done == total:
            bar.progress(done / max(total, 1), text=f"Writing the archive… {done:,} of {total:,}")

    checkpoints = synthetic.checkpoint_bytes(recipe.kind) if recipe.synthetic else {}
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
    meta = {"digest": digest, "items": summary.items, "size": summary.bytes_written}
    meta["seconds"] = summary.seconds
    db, ws, kind = workspace.store(), workspace.workspace_id(), f"export.{recipe.kind}"
    try:
        sha = db.put(ws, out.read_bytes(), out.name)
    except WorkspaceError as exc:  # the archive is still offered, from this tab's temporary folder
        st.warning(f"{literal(exc)} The archive is offered in this tab only.", icon="⚠️")
        st.session_state[ARCHIVE] = FinishedArchive(digest, out.name, "", str(out), **_stats(meta))
        return
    earlier = db.artifacts(ws, kind)
    db.add_artifact(ws, kind, out.name, sha, meta)
    for artifact in earlier:  # only the last archive is kept
        db.remove_artifact(ws, artifact["id"])
    st.session_state.pop(ARCHIVE, None)
    out.unlink()
    folder.rmdir()


def _stats(meta: dict[str, Any]) -> dict[str, Any]:
    return {"items": int(meta["items"]), "size": int(meta["size"]), "seconds": float(meta["seconds"])}


def last_archive(kind: str) -> FinishedArchive | None:
    """The archive of ``kind`` written last, in this tab or kept in the workspace."""
    held: FinishedArchive | None = st.session_state.get(ARCHIVE)
    if held is not None and Path(held.path).is_file() and held.name.startswith(f"auglab_{kind}"):
        return held
    kept = workspace.store().artifacts(workspace.workspace_id(), f"export.{kind}")
    if not kept:
        return None
    a = kept[-1]
    return FinishedArchive(a["meta"]["digest"], a["name"], a["sha256"], "", **_stats(a["meta"]))


def offer_archive(kind: str, digest: str) -> None:
    """The download of the last archive, only while the page shows what it was made from."""
    last = last_archive(kind)
    if last is None:
        return
    if last.digest != digest:
        st.info(STALE)
        return
    st.success(
        f"{last.items:,} examples, {last.size / 1e6:.1f} MB, written in {last.seconds:.1f} s "
        f"({last.items / max(last.seconds, 1e-9):,.0f} examples/s)."
    )
    try:
        handle = last.data()
    except (OSError, WorkspaceError):
        st.info("The last archive is no longer on the server; write it again.")
        return
    with handle:
        st.download_button(
            "Download the dataset (.zip)",
            handle,
            file_name=last.name,
            mime="application/zip",
            type="primary",
        )
