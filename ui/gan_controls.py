"""Widgets of the image generator page: data, GAN or VAE settings, labelled sample rows, quality
(keys ``gan.*`` and ``vae.*``).

Every domain decision (the defaults a dataset calls for, the held-out split, the quality measures,
the conversion of samples into pool items) is made in core; this module only draws widgets.
"""

from __future__ import annotations

import json
from typing import Any

import cv2
import numpy as np
import streamlit as st

from core.data.images import DIGITS, ImageDataset
from core.data.sources import display_names, load_builtin_images
from core.errors import AugLabError
from core.generators.checkpoint import load_checkpoint
from core.generators.gan import (
    SIZE_CHOICES,
    SMALL_PER_CLASS,
    GANConfig,
    GANTrainer,
    evaluate_quality,
    suggested_settings,
    training_split,
)
from core.generators.gan.data import MIN_HELD_OUT_IMAGES
from core.generators.gan.metrics import QUALITY_PER_CLASS, QUALITY_UNCONDITIONAL
from core.generators.pool import image_samples
from core.generators.sampling import PREVIEW_PER_CLASS, labelled_grid, preview_grid
from core.generators.vae import VAE_SIZES, VAEConfig, VAETrainer
from core.present.grids import to_rgb
from core.workspace.jobs import Job
from ui import image_controls, pool
from ui.common import KEEP, init, literal
from ui.training import Model, signature

HELD_OUT_CHOICES = (0.0, 0.1, 0.2, 0.3, 0.4)  # the held-out shares the page offers
GENERATORS = {"gan": "GAN", "vae": "VAE"}
ROW_CELL = 40  # pixels per image in the labelled rows


@st.cache_resource(show_spinner="Loading the sample…")
def _builtin(name: str) -> ImageDataset:
    return load_builtin_images(name)


def data_choice() -> ImageDataset | None:
    """The Images page's dataset, or a built-in image sample (the digits first)."""
    loaded = image_controls.loaded()
    builtins = display_names("images")
    options = builtins + ([loaded.name] if loaded is not None and loaded.name not in builtins else [])
    name = st.selectbox(
        "Train on",
        options,
        key=init("gan.data", DIGITS),
        persist_state=KEEP,
        help="The dataset loaded on the Images page, or a built-in sample.",
    )
    dataset = _builtin(name) if name in builtins or loaded is None else loaded
    classes = f"{len(dataset.classes)} classes" if dataset.classes else "unlabelled"
    st.caption(f"{len(dataset.images):,} images, {classes}.")
    return dataset


def chosen_generator() -> str:
    """The generator the page shows (``"gan"`` or ``"vae"``), before its widget is drawn (for the title)."""
    value = st.session_state.get(init("gan.generator", "gan"))
    return value if value in GENERATORS else "gan"


def generator_choice() -> str:
    """GAN or VAE: ``"gan"`` or ``"vae"`` (each keeps its own run and model in the workspace)."""
    return (
        st.segmented_control(
            "Generator",
            list(GENERATORS),
            key=init("gan.generator", "gan"),
            format_func=GENERATORS.get,
            persist_state=KEEP,
            help="GAN: a generator learns to fool a discriminator; sharp samples, but it can miss classes "
            "or copy. VAE: an encoder and a decoder learn to compress and rebuild the images; steady on tiny "
            "data and never collapses, but its samples are blurrier. Each keeps its own model.",
        )
        or "gan"
    )


def _data_widgets(
    dataset: ImageDataset, sizes: list[int], default_size: int, size_key: str
) -> dict[str, Any]:
    """Size, colour and conditioning, shared by both generators."""
    suggested = suggested_settings(dataset.images)
    sb = st.sidebar
    size = sb.selectbox(
        "Image size (pixels)",
        sizes,
        key=init(size_key, default_size if default_size in sizes else sizes[0]),
        persist_state=KEEP,
        help="Images are resized to this square size for training.",
    )
    colour = sb.toggle(
        "Colour (RGB)",
        value=suggested.channels == 3,
        key=f"gan.rgb.{dataset.name}",
        help="Off: one grayscale channel.",
    )
    conditional = sb.toggle(
        "Class-conditional",
        value=suggested.conditional,
        disabled=len(dataset.classes) < 2,
        key=f"gan.conditional.{dataset.name}",
        help="Generate samples of a chosen class; needs every image labelled, in 2 classes or more.",
    )
    return {
        "image_size": int(size),
        "channels": 3 if colour else 1,
        "n_classes": len(dataset.classes) if conditional else 0,
    }


def _common_widgets(
    defaults: Any, prefix: str, batches: list[int], rates: list[float], lr_key: str
) -> dict[str, Any]:
    """Batch size, learning rate (under ``lr_key``), seed and held-out share."""
    sb = st.sidebar
    sb.header("Optimiser")
    batch = sb.select_slider(
        "Batch size", batches, key=init(f"{prefix}.batch", defaults.batch_size), persist_state=KEEP
    )
    lr = sb.select_slider(
        "Learning rate",
        sorted({*rates, defaults.lr}),
        key=init(lr_key, defaults.lr),
        persist_state=KEEP,
        format_func=lambda v: f"{v:g}",
    )
    seed = sb.number_input(
        "Seed", 0, 2**31 - 1, step=1, key=init(f"{prefix}.seed", defaults.seed), persist_state=KEEP
    )
    held_out = sb.select_slider(
        "Held out for the quality checks",
        sorted({*HELD_OUT_CHOICES, defaults.held_out}),
        key=init("gan.held_out", defaults.held_out),
        persist_state=KEEP,
        format_func=lambda v: f"{v:.0%}",
        help=f"This share of each class never trains; memorisation and TSTR are measured on it (from "
        f"{MIN_HELD_OUT_IMAGES} images up). `python -m core train-gan --held-out` splits the same way.",
    )
    return {"batch_size": int(batch), "lr": float(lr), "seed": int(seed), "held_out": float(held_out)}


def gan_config(dataset: ImageDataset) -> GANConfig:
    """Sidebar widgets for the GAN; the defaults follow the data (``suggested_settings``)."""
    suggested = suggested_settings(dataset.images)
    sb = st.sidebar
    sb.header("GAN")
    arch = (
        sb.segmented_control(
            "Architecture",
            list(SIZE_CHOICES),
            key=init("gan.arch", suggested.arch),
            format_func={"mlp": "MLP", "dcgan": "Convolutional"}.get,
            persist_state=KEEP,
            help="MLP: the classic fully connected GAN, best on 8x8 digits. Convolutional (DCGAN-style, "
            "projection discriminator): 16 to 64 pixels, gray or colour.",
        )
        or suggested.arch
    )
    defaults = GANConfig(arch=arch, image_size=SIZE_CHOICES[arch][0])  # the learning rate suits the arch
    data = _data_widgets(dataset, list(SIZE_CHOICES[arch]), suggested.image_size, f"gan.size.{arch}")
    sb.header("Small-data remedies")
    loss = sb.selectbox(
        "Loss",
        ["bce", "hinge"],
        key=init("gan.loss", defaults.loss),
        persist_state=KEEP,
        help="hinge usually goes with spectral norm on the discriminator.",
    )
    spectral = sb.toggle(
        "Spectral norm (discriminator)", key=init("gan.sn", defaults.spectral_norm), persist_state=KEEP
    )
    diffaug = sb.toggle(
        "DiffAugment (real and fake batches)",
        value=suggested.diffaugment,
        key=f"gan.diffaug.{dataset.name}.{len(dataset.images)}",
        help=f"On by default below {SMALL_PER_CLASS} images per class, where a GAN otherwise memorises "
        "its training images.",
    )
    averaged = sb.toggle(
        "Sample from averaged weights (EMA)",
        value=suggested.ema,
        key=f"gan.ema.{dataset.name}.{len(dataset.images)}",
        help=f"Samples from a moving average of the generator's weights: steadier and sharper; off by "
        f"default below {SMALL_PER_CLASS} images per class, where the average's samples copy the training "
        "images.",
    )
    smoothing = sb.slider(
        "One-sided label smoothing",
        0.0,
        0.3,
        step=0.05,
        key=init("gan.smooth", defaults.label_smoothing),
        persist_state=KEEP,
        disabled=loss != "bce",
    )
    rates = [5e-5, 1e-4, 5e-4, 1e-3, 2e-3]
    common = _common_widgets(defaults, "gan", [16, 32, 64, 128, 256], rates, f"gan.lr.{arch}")
    return GANConfig(
        arch=arch,
        loss=loss,
        label_smoothing=float(smoothing) if loss == "bce" else 0.0,
        spectral_norm=spectral,
        diffaugment=diffaug,
        ema=GANConfig().ema if averaged else 0.0,
        **data,
        **common,
    )


def vae_config(dataset: ImageDataset) -> VAEConfig:
    """Sidebar widgets for the VAE; the defaults follow the data (``suggested_settings``)."""
    suggested = suggested_settings(dataset.images)
    defaults = VAEConfig()
    sb = st.sidebar
    sb.header("VAE")
    data = _data_widgets(dataset, list(VAE_SIZES), suggested.vae_size, "vae.size")
    latent = sb.select_slider(
        "Latent size", [2, 4, 8, 16, 32, 64], key=init("vae.latent", defaults.latent_dim), persist_state=KEEP
    )
    beta = sb.select_slider(
        "KL weight (beta)",
        [0.25, 0.5, 1.0, 2.0, 4.0],
        key=init("vae.beta", defaults.beta),
        persist_state=KEEP,
        help="1: the ELBO. Lower: sharper reconstructions, samples less like the data; higher: smoother.",
    )
    common = _common_widgets(defaults, "vae", [16, 32, 64, 128, 256], [5e-4, 1e-3, 2e-3, 5e-3], "vae.lr")
    return VAEConfig(latent_dim=int(latent), beta=float(beta), **data, **common)


def data_key(dataset: ImageDataset) -> str:
    """What the page trains on, as a string (the cache key of models paired with it)."""
    try:
        return json.dumps(image_controls.job_data(dataset), sort_keys=True)
    except AugLabError:
        return json.dumps([dataset.name, len(dataset.images)])


def load_model(
    data: bytes, name: str, dataset: ImageDataset, kind: str = "gan"
) -> tuple[GANTrainer | VAETrainer, str | None, dict[str, Any]]:
    """A checkpoint's trainer (GAN, or VAE for ``kind="vae"``), paired with ``dataset``'s split when it fits.

    Returns:
        The trainer, the signature it resumes on (None: sampling only) and ``{"data": TrainingData}``
        when it fits the data.

    Raises:
        CheckpointError: The file cannot be used (another kind included; the message names it).
    """
    payload = load_checkpoint(data, name, kind)
    config_type, trainer_type = (VAEConfig, VAETrainer) if kind == "vae" else (GANConfig, GANTrainer)
    try:
        config = config_type.from_dict(payload["config"])
        split = training_split(dataset.images, config)
        trainer = trainer_type.from_checkpoint(
            payload, split.images, split.labels, classes=split.classes, name=name
        )
    except AugLabError:  # not this data's model: sampling only (a broken file fails again, by name)
        return trainer_type.from_checkpoint(payload, name=name), None, {}
    try:
        sig = signature(config.to_dict(), image_controls.job_data(dataset))
    except AugLabError:
        sig = None
    return trainer, sig, {"data": split}


# -- labelled rows of images ------------------------------------------------------------------------


def _names(names: list[str]) -> str:
    return ", ".join(literal(n) for n in names)


def show_preview(job: Job, png: bytes | None) -> None:
    """The job's latest fixed-noise grid: one row per class, its name at the left, when conditional."""
    if png is None:
        return
    names = job.progress.get("preview_rows") or []
    rows = f": one row per class ({_names(names)})" if names else ""
    st.image(png, caption=f"Fixed noise batch, the same noise at every refresh{rows}")


def _tile(array: np.ndarray) -> np.ndarray:
    """One sample as a ROW_CELL-pixel RGB square, whatever its size and colour (pools can mix them)."""
    rgb = to_rgb(array)
    smaller = rgb.shape[0] < ROW_CELL
    return cv2.resize(
        rgb, (ROW_CELL, ROW_CELL), interpolation=cv2.INTER_NEAREST if smaller else cv2.INTER_AREA
    )


def sample_rows(
    items: list, per_row: int = PREVIEW_PER_CLASS, counts: bool = False, caption: str = ""
) -> None:
    """Pool items as one image: the last ``per_row`` of every class in a row, named at its left
    (with the class's count when ``counts``); items without a label as one grid."""
    by_label: dict[str | None, list] = {}
    for item in items:
        by_label.setdefault(item.label, []).append(item)
    unlabelled = by_label.pop(None, [])
    if unlabelled:
        st.image(
            preview_grid(np.stack([_tile(i.array) for i in unlabelled[-64:]]), 16, ROW_CELL), caption=caption
        )
    if not by_label:
        return
    tiles, names = [], []
    for label, group in by_label.items():
        shown = [_tile(item.array) for item in group[-per_row:]]
        blank = np.full_like(shown[0], 255)
        tiles += shown + [blank] * (per_row - len(shown))
        names.append(f"{label} ({len(group):,})" if counts else str(label))
    st.image(
        labelled_grid(np.stack(tiles), names, per_row, ROW_CELL), caption=f"{caption} {_names(names)}".strip()
    )


# -- quality and generation ------------------------------------------------------------------------

_EXPLAIN = {
    "memorisation": "**Memorisation share**: the share of samples closer to a training image than 95% of "
    "unseen real images are; fresh images score about 5%, copies near 100%, and 0% means every sample "
    "stays further from the training images than nearly all real ones do (new, often blurrier).",
    "tstr": "**TSTR** (train on synthetic, test on real): a classifier trained on the samples alone, "
    "scored on the held-out real images; next to it, the same classifier trained on the real training "
    "images. Their ratio says how much of what the real images teach the samples teach too.",
}


def quality_section(model: Model, kind: str, data_key: str) -> None:
    """Memorisation share and (conditional models) TSTR; the figures stay until the model changes."""
    st.subheader("Quality")
    data = model.info.get("data")
    if data is None or not data.has_held_out:
        st.caption(
            f"The quality checks need a held-out part: train here on {MIN_HELD_OUT_IMAGES} images or more "
            "with a held-out share above 0%."
        )
        return
    trainer = model.trainer
    count = (
        f"{QUALITY_PER_CLASS} samples per class"
        if trainer.config.conditional
        else f"{QUALITY_UNCONDITIONAL} samples"
    )
    key, token = f"{kind}.quality", [model.sha256, data_key]
    if st.button("Evaluate quality", key=f"{kind}.evaluate", help=f"About {count}; a few seconds."):
        with st.spinner("Generating samples and fitting the classifiers…"):
            st.session_state[key] = {"token": token, "report": evaluate_quality(trainer, data)}
    kept = st.session_state.get(key)
    if not kept or kept["token"] != token:  # another model (or data): its figures do not apply
        return
    report = kept["report"]
    memo = report.memorisation
    cols = st.columns(4)
    cols[0].metric("Memorisation share", f"{memo.share:.1%}", help=_EXPLAIN["memorisation"])
    if report.tstr is not None:
        cols[1].metric("TSTR accuracy", f"{report.tstr.accuracy_synthetic:.1%}", help=_EXPLAIN["tstr"])
        cols[2].metric("Same classifier on real", f"{report.tstr.accuracy_real:.1%}", help=_EXPLAIN["tstr"])
        cols[3].metric("TSTR / real", f"{report.tstr.ratio:.2f}", help=_EXPLAIN["tstr"])
    st.caption(f"{report.samples:,} samples, {report.held_out:,} held-out real images.")
    st.markdown(_EXPLAIN["memorisation"])
    if report.tstr is not None:
        st.markdown(_EXPLAIN["tstr"])


def generate_controls(model: Model, kind: str) -> None:
    """Generate N samples (per class when conditional) into the pool, and show some of every class."""
    trainer = model.trainer
    st.subheader("Generate")
    c1, c2, c3 = st.columns([2, 2, 3], vertical_alignment="bottom")
    per = "per class" if trainer.config.conditional else "in all"
    n = c1.number_input(f"Samples {per}", 1, 10_000, step=10, key=init("gan.n", 100), persist_state=KEEP)
    seed = c2.number_input(
        "Sampling seed", 0, 2**31 - 1, step=1, key=init("gan.sample_seed", 0), persist_state=KEEP
    )
    if not c3.button("Generate into the pool", type="primary", key=f"{kind}.generate"):
        return
    with st.spinner("Generating…"):
        new = image_samples(trainer, model.sha256, int(seed), int(n))
    if not pool.add("images", model.sha256, model.name, int(seed), int(n), {}, new):
        return
    st.success(f"Added {len(new):,} images to the synthetic pool.")
    first: dict[str | None, list] = {}
    for item in new:
        if len(first.setdefault(item.label, [])) < PREVIEW_PER_CLASS:
            first[item.label].append(item)
    sample_rows(
        [item for group in first.values() for item in group], caption="The first new samples of every class:"
    )
