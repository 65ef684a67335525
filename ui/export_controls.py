"""Widgets of the Export page: what goes in, the composition preview, and writing the archive."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from core.augment.image import PRESETS, ImageAugConfig
from core.augment.text import TextAugConfig
from core.data.sources import builtin, display_names, load_builtin_images, load_builtin_text, short_name
from core.dataset.digest import export_digest
from core.dataset.export_job import KIND, NO_PARQUET, artifact_kind, export_config, parquet_available
from core.dataset.plan import Plan
from core.dataset.recipe import BALANCE, MIXES, SOURCES, Recipe, SyntheticSource
from core.workspace.store import WorkspaceError
from ui import background, image_controls, text_controls, workspace
from ui import pool as synthetic
from ui.common import (
    IMAGE_DATASET,
    KEEP,
    TEXT_DATASET,
    init,
    literal,
)

COLOURS = {"original": "#4b6cb7", "augmented": "#f0a030", "synthetic": "#2e8b47"}
STALE = "Settings changed since the last archive; write it again."


@dataclass(frozen=True)
class FinishedArchive:
    """The last archive of a kind the workspace holds (written by an export job), and the fingerprint
    of what it was made from; a reload or another tab offers the same download.

    Attributes:
        digest: :func:`core.dataset.digest.export_digest` of its recipe, originals and pool.
        name: The file name offered.
        sha256: The archive's content hash in the workspace.
        items, size, seconds: Examples written, bytes, wall time.
        fmt: "zip" or "parquet" (see :func:`format_control`).
    """

    digest: str
    name: str
    sha256: str
    items: int
    size: int
    seconds: float
    fmt: str = "zip"


FORMAT_LABELS = {
    "zip": "Zip: class folders (images) or CSV + JSONL (text), with manifest",
    "parquet": "Parquet shards, zipped: for Hugging Face datasets and Ray Data",
}


def format_control(where: Any) -> str:
    """The archive's format, "zip" or "parquet" (offered only where pyarrow is installed)."""
    fmt = where.radio(
        "Archive format",
        list(FORMAT_LABELS),
        format_func=FORMAT_LABELS.get,
        key="export.format",
        help="Parquet: the same folder `python -m core export --format parquet` writes (data/train-00000-"
        "of-000NN.parquet ..., a dataset card, recipe.json), in one zip; unzip it and load it with "
        '`datasets.load_dataset("parquet", data_dir=...)` or `ray.data.read_parquet(...)`.',
    )
    if fmt == "parquet" and not parquet_available():
        where.warning(NO_PARQUET)
        return "zip"
    return fmt


def current_config(kind: str) -> Any:
    """The augmentation as set on the Images or Text page (their widgets' session values)."""
    cls, prefix = (ImageAugConfig, "img") if kind == "images" else (TextAugConfig, "txt")
    values = {f.name: st.session_state.get(f"{prefix}.{f.name}") for f in fields(cls)}
    if values["rotation_range" if kind == "images" else "alpha_sr"] is not None:
        # Settings kept by a version before the added steps (image steps, text noise operations and
        # synonym filters): those take their defaults.
        values = {name: value for name, value in values.items() if value is not None}
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
    mixing, mixing_p, mixing_alpha = mixing_controls(kind)
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
        mixing=mixing,
        mixing_p=float(mixing_p),
        mixing_alpha=float(mixing_alpha),
    )


MIX_NAMES = {"none": "Off", "mixup": "MixUp", "cutmix": "CutMix", "both": "MixUp or CutMix"}


def mixing_controls(kind: str) -> tuple[str, float, float]:
    """MixUp / CutMix of augmented train images (images only), with what class-folder readers lose."""
    if kind != "images":
        return "none", 0.5, 1.0
    sb = st.sidebar
    mixing = sb.selectbox(
        "Mix augmented train images",
        MIXES,
        format_func=MIX_NAMES.get,
        key=init("export.mixing", "none"),
        persist_state=KEEP,
        help="Each augmented train image is blended with (MixUp) or patched by (CutMix) another train "
        "image's variant; lambda ~ Beta(alpha, alpha), as torchvision's.",
    )
    if mixing == "none":
        return "none", 0.5, 1.0
    p = sb.slider(
        "Chance of mixing", 0.0, 1.0, step=0.05, key=init("export.mixing_p", 0.5), persist_state=KEEP
    )
    alpha = sb.slider(
        "Beta alpha", 0.1, 5.0, step=0.1, key=init("export.mixing_alpha", 1.0), persist_state=KEEP
    )
    sb.caption(
        "A mixed image goes into the folder of its majority label, so `ImageFolder` and Keras' "
        "`image_dataset_from_directory` read that one label and lose the soft label. `manifest.csv` keeps "
        'it: its `params` column\'s `"mix"` names both parents and gives the `"soft_label"` shares; '
        '`core.dataset.mixing.read_soft_labels("dataset.zip")` returns them by path.'
    )
    return mixing, p, alpha


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


def job_key(kind: str) -> str:
    """The workspace key of the export job of ``kind`` ("images" or "text")."""
    return f"export.job.{kind}"


def write_controls(recipe: Recipe, dataset: Any, digest: str, where: Any, fmt: str = "zip") -> None:
    """ "Write the archive" (a job in a worker process) and its progress while it runs.

    The job is submitted with the recipe, the page's data and the fingerprint of what the page shows;
    the worker refuses to write if what it loads is not that (see core.dataset.export_job). A failed or
    stopped job is shown only while the page still shows what it was asked to write. The button goes
    in ``where`` (a column), the progress below it, across the page.
    """
    key = job_key(recipe.kind)
    job = background.current(key)
    running = job is not None and job.active
    if where.button("Write the archive", type="primary", disabled=running, key="export.write"):
        try:
            data = (
                image_controls.job_data(dataset)
                if recipe.kind == "images"
                else text_controls.job_data(dataset)
            )
        except WorkspaceError as exc:
            st.error(literal(exc), icon="⚠️")
            return
        job = background.submit(key, KIND, export_config(recipe, data, digest, fmt))
    if job is not None and (job.active or (job.status != "finished" and job.config.get("digest") == digest)):
        background.panel(key, job, "examples")  # a failure or a stop stays shown for what it was asked


def last_archive(kind: str) -> FinishedArchive | None:
    """The archive of ``kind`` ("images" or "text") the workspace holds, if any."""
    kept = workspace.store().artifacts(workspace.workspace_id(), artifact_kind(kind))
    if not kept:
        return None
    name, sha, meta = kept[-1]["name"], kept[-1]["sha256"], kept[-1]["meta"]
    return FinishedArchive(
        meta["digest"],
        name,
        sha,
        int(meta["items"]),
        int(meta["size"]),
        float(meta["seconds"]),
        meta.get("format", "zip"),  # archives written before the format choice were zips
    )


def offer_archive(kind: str, digest: str, fmt: str = "zip") -> None:
    """The download of the last archive, only while the page shows what it was made from."""
    last = last_archive(kind)
    if last is None:
        return
    if last.digest != digest or last.fmt != fmt:
        st.info(STALE)
        return
    st.success(
        f"{last.items:,} examples, {last.size / 1e6:.1f} MB, written in {last.seconds:.1f} s "
        f"({last.items / max(last.seconds, 1e-9):,.0f} examples/s)."
    )
    try:
        handle = workspace.store().blob_path(workspace.workspace_id(), last.sha256).open("rb")
    except (OSError, WorkspaceError):
        st.info("The last archive is no longer on the server; write it again.")
        return
    with handle:
        st.download_button(
            "Download the dataset (.zip)" if fmt == "zip" else "Download the dataset (Parquet, .zip)",
            handle,
            file_name=last.name,
            mime="application/zip",
            type="primary",
        )
