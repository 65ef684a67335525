"""Widgets of the Images page: the dataset picker and the augmentation controls.

Every control is keyed ``img.<ImageAugConfig field>`` (see ui.common) and keeps its value across
page switches and in the workspace (ui.workspace); presets and loading a JSON configuration write
those keys. Uploaded files are kept in the workspace and decoded again after a reload.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import streamlit as st

from core.augment.image import PRESETS, ImageAugConfig
from core.data.image_io import LoadResult, load_files
from core.data.images import PHOTOS, ImageDataset, summarize
from core.data.sources import display_names, load_builtin_images, short_name
from core.present.charts import class_count_figure
from core.workspace.store import WorkspaceError
from ui import image_ops_controls, workspace
from ui.common import (
    IMAGE_DATASET,
    IMAGE_UPLOAD_SIGNATURE,
    KEEP,
    init,
    literal,
    read_fields,
    seed_input,
    set_fields,
)
from ui.data_views import by_object, by_token, show_problems

IMAGE_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff", "zip"]
SEED = "img.seed"
VARIANTS = "img.variants"
SOURCE = "img.source"
BUILTIN_CHOICE = "img.builtin"
SELECTED = "img.selected"
UPLOADS = "img.uploads"
PRESET = "img.preset"
SUMMARY = "img.summary"  # (dataset, (summary, figure)): the summary of the dataset on show
UPLOADED = "images.uploaded"  # (token, (ImageDataset, files not kept)): the uploads, decoded once
START_PRESET = "Mild, photos"
BUILTIN_SOURCE = "Built-in sample"
UPLOAD_SOURCE = "Upload files"


PREFIX = "img"


def _key(name: str) -> str:
    return f"{PREFIX}.{name}"


@st.cache_resource(show_spinner="Loading the built-in sample…")
def _builtin(name: str) -> ImageDataset:
    # Shared by all sessions: its arrays are read-only, so no session can change another's data.
    return load_builtin_images(name)


def _decode_uploads(files: list[tuple[str, bytes]]) -> ImageDataset:
    """Decode uploads (name, bytes) one by one behind a progress bar; a bad file never stops the others."""
    result = LoadResult(images=[], problems=[])
    bar = st.progress(0.0, text="Decoding uploads…") if len(files) > 1 else None
    for i, (name, data) in enumerate(files):
        one = load_files([(name, data)])
        result.images.extend(one.images)
        result.problems.extend(one.problems)
        if bar is not None:
            bar.progress((i + 1) / len(files), text=f"Decoded {i + 1} of {len(files)}: {literal(name)}")
    if bar is not None:
        bar.empty()
    return ImageDataset(name="Uploads", images=result.images, problems=result.problems)


def _fresh_uploads(files: list) -> tuple[ImageDataset, list[str]]:
    """Decode new uploads and keep them in the workspace; also returns the files it could not keep."""
    payload = [(f.name, f.getvalue()) for f in files]
    return _decode_uploads(payload), workspace.keep_files(workspace.IMAGE_UPLOADS, payload)


def _forget_uploads() -> None:
    for key in (UPLOADED, IMAGE_UPLOAD_SIGNATURE, IMAGE_DATASET):
        st.session_state.pop(key, None)


def _uploads(files: list) -> tuple[ImageDataset, list[str]] | None:
    """The dataset of the files in the uploader, or else of the files this workspace kept from an
    earlier upload (a reload empties the uploader), with the files that could not be kept."""
    if files:
        # Decoded and kept once per set of uploads; reruns (every slider move) reuse the dataset.
        signature = tuple((f.name, f.size, f.file_id) for f in files)
        held = st.session_state.get(UPLOADED)
        if st.session_state.get(IMAGE_UPLOAD_SIGNATURE) == signature and held is not None:
            return held[1]
        value = _fresh_uploads(files)
        # Remembered by content too, so that the same files restored from the workspace (the uploader
        # emptied by a page switch or a reload of this session) are not decoded again.
        kept = tuple((f.name, f.sha256) for f in workspace.stored_files(workspace.IMAGE_UPLOADS))
        st.session_state[UPLOADED] = (kept if not value[1] else signature, value)
        st.session_state[IMAGE_UPLOAD_SIGNATURE] = signature
        return value
    stored = workspace.stored_files(workspace.IMAGE_UPLOADS)
    if not stored:
        return None
    workspace.restored_notice(workspace.IMAGE_UPLOADS, stored, on_forget=_forget_uploads)
    token = tuple((f.name, f.sha256) for f in stored)
    try:
        return by_token(
            UPLOADED, token, lambda: (_decode_uploads([(f.name, workspace.read_file(f)) for f in stored]), [])
        )
    except WorkspaceError as exc:
        st.error(literal(exc), icon="⚠️")
        return None


def loaded() -> ImageDataset | None:
    """The dataset the Images page has loaded in this workspace, even before a new session opens it.

    After a reload or in a new tab, the GAN, Experiment and Export pages and Home see the same data as
    the Images page would: the built-in sample its saved settings name, or the uploads the workspace
    kept (decoded once; a file that cannot be read is left for the Images page to report).
    """
    dataset = st.session_state.get(IMAGE_DATASET)
    if dataset is not None or SOURCE not in st.session_state:
        return dataset
    if st.session_state[SOURCE] == BUILTIN_SOURCE:
        name = st.session_state.get(BUILTIN_CHOICE)
        if name not in display_names("images"):
            return None
        dataset = _builtin(name)
    else:
        stored = workspace.stored_files(workspace.IMAGE_UPLOADS)
        if not stored:
            return None
        token = tuple((f.name, f.sha256) for f in stored)
        files = lambda: [(f.name, workspace.read_file(f)) for f in stored]  # noqa: E731
        try:
            dataset = by_token(UPLOADED, token, lambda: (_decode_uploads(files()), []))[0]
        except WorkspaceError:
            return None
        if not dataset.images:
            return None
    st.session_state[IMAGE_DATASET] = dataset
    return dataset


def job_data(dataset: ImageDataset) -> dict[str, Any]:
    """The job's data entry for ``dataset``: a built-in sample's name, or the workspace's uploads.

    Raises:
        WorkspaceError: The uploads are not kept in the workspace (a limit), so no worker can read them.
    """
    short = short_name(dataset.name)
    if short is not None:
        return {"builtin": short}
    files = workspace.stored_files(workspace.IMAGE_UPLOADS)
    if not files:
        raise WorkspaceError(
            "The uploaded images are not kept in this workspace (see the Images page), so the worker "
            "cannot read them; free some space or upload fewer files."
        )
    return {"files": [{"name": f.name, "sha256": f.sha256} for f in files]}


def dataset_picker() -> ImageDataset | None:
    """The source radio, then a built-in sample or uploads; the chosen dataset is kept in the session."""
    left, right = st.columns([1, 4])
    source = left.radio("Images", [BUILTIN_SOURCE, UPLOAD_SOURCE], key=SOURCE, persist_state=KEEP)
    if source == BUILTIN_SOURCE:
        name = right.selectbox(
            "Sample", display_names("images"), key=init(BUILTIN_CHOICE, PHOTOS), persist_state=KEEP
        )
        dataset = _builtin(name)
        st.session_state[IMAGE_DATASET] = dataset
        return dataset
    files = right.file_uploader(
        "Images (PNG, JPEG, WEBP, BMP, GIF, TIFF) or a .zip with one folder per class",
        type=IMAGE_TYPES,
        accept_multiple_files=True,
        key=UPLOADS,
    )
    uploads = _uploads(files)
    if uploads is None:
        st.info("Upload images or a .zip to begin, or pick a built-in sample.")
        return None
    kept, not_kept = uploads
    st.session_state[IMAGE_DATASET] = kept
    for message in not_kept:
        st.error(literal(message), icon="⚠️")
    show_problems(kept.problems, "files")
    if not kept.images:
        st.error("None of the uploaded files could be used; see the reasons above.")
        return None
    return kept


def dataset_summary(dataset: ImageDataset) -> None:
    """Counts, sizes and modes, with images per class as a bar chart (computed once per dataset)."""
    summary, figure = by_object(SUMMARY, dataset, lambda: _summary_and_figure(dataset))
    cols = st.columns(4)
    cols[0].metric("Images", f"{summary.total:,}")
    cols[1].metric("Classes", len(dataset.classes) or "unlabelled")
    if summary.width and summary.height:
        for col, name, stats in ((cols[2], "Width", summary.width), (cols[3], "Height", summary.height)):
            low, high = stats.minimum, stats.maximum
            span = f"{low} px" if low == high else f"{low}–{high} px"
            col.metric(name, span, help=f"Median {stats.median:g} px")
    left, right = st.columns([3, 2])
    if figure is not None:
        left.plotly_chart(figure, width="stretch")
    for title, counts in (
        ("Channel layout", summary.layout_counts),
        ("Mode as uploaded", summary.source_mode_counts),
    ):
        right.dataframe({title: list(counts), "images": list(counts.values())}, hide_index=True)


def _summary_and_figure(dataset: ImageDataset):
    summary = summarize(dataset.images)
    return summary, class_count_figure(summary) if dataset.classes else None


def _apply_preset() -> None:
    name = st.session_state.get(PRESET)
    if name in PRESETS:
        set_fields(PREFIX, PRESETS[name])
    st.session_state[PRESET] = None  # the box is an action, not a state: it shows its prompt again


def config_controls() -> ImageAugConfig:
    """Sidebar widgets for every ImageAugConfig field, in groups; returns the configuration they describe."""
    if _key("rotation_range") not in st.session_state:
        set_fields(PREFIX, PRESETS[START_PRESET])
    for f in fields(ImageAugConfig):  # settings kept by an older version lack the steps added since
        if _key(f.name) not in st.session_state:
            value = getattr(ImageAugConfig(), f.name)
            st.session_state[_key(f.name)] = value
    sb = st.sidebar
    sb.header("Augmentation")
    sb.selectbox(
        "Preset",
        list(PRESETS),
        index=None,
        placeholder="Apply a preset…",
        key=PRESET,
        on_change=_apply_preset,
        help=f"Replaces every setting below. The page starts with {START_PRESET!r}.",
    )
    for group in image_ops_controls.GROUPS:
        group(sb)
    return ImageAugConfig(**read_fields(PREFIX, ImageAugConfig))


def seed_controls() -> tuple[int, int]:
    """The seed (with a reroll button) and the number of variants per image."""
    st.sidebar.header("Sampling")
    seed = seed_input(SEED, "Variant v of image i depends only on (seed, i, v).")
    count = st.sidebar.slider("Variants per image", 1, 16, key=init(VARIANTS, 8), persist_state=KEEP)
    return seed, int(count)
