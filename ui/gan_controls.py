"""Widgets of the GAN page: data choice, model settings, quality and generation (keys ``gan.*``).

Every domain decision (the defaults a dataset calls for, the held-out split, the quality measures,
the conversion of samples into pool items) is made in core; this module only draws widgets.
"""

from __future__ import annotations

import json
from typing import Any

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
from core.present.grids import fit_tile, make_grid, to_rgb
from core.workspace.jobs import Job
from ui import image_controls, pool
from ui.common import KEEP, init
from ui.training import Model, signature

HELD_OUT_CHOICES = (0.0, 0.1, 0.2, 0.3, 0.4)  # the held-out shares the page offers


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


def gan_config(dataset: ImageDataset) -> GANConfig:
    """Sidebar widgets for the model; the defaults follow the data (``suggested_settings``)."""
    suggested = suggested_settings(dataset.images)
    defaults = GANConfig()
    sb = st.sidebar
    sb.header("Model")
    arch = sb.segmented_control(
        "Architecture",
        list(SIZE_CHOICES),
        key=init("gan.arch", suggested.arch),
        format_func={"mlp": "MLP", "dcgan": "DCGAN"}.get,
        persist_state=KEEP,
        help="MLP: the classic GAN for small grayscale images. DCGAN: convolutional, 32x32 or 64x64 colour.",
    )
    sizes = list(SIZE_CHOICES[arch])
    size = sb.selectbox(
        "Image size (pixels)",
        sizes,
        key=init(f"gan.size.{arch}", suggested.image_size if suggested.image_size in sizes else sizes[0]),
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
    smoothing = sb.slider(
        "One-sided label smoothing",
        0.0,
        0.3,
        step=0.05,
        key=init("gan.smooth", defaults.label_smoothing),
        persist_state=KEEP,
        disabled=loss != "bce",
    )
    sb.header("Optimiser")
    batch = sb.select_slider(
        "Batch size", [16, 32, 64, 128, 256], key=init("gan.batch", defaults.batch_size), persist_state=KEEP
    )
    lr = sb.select_slider(
        "Learning rate",
        sorted({5e-5, 1e-4, 5e-4, 1e-3, defaults.lr}),
        key=init("gan.lr", defaults.lr),
        persist_state=KEEP,
        format_func=lambda v: f"{v:g}",
    )
    seed = sb.number_input(
        "Seed", 0, 2**31 - 1, step=1, key=init("gan.seed", defaults.seed), persist_state=KEEP
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
    return GANConfig(
        arch=arch,
        image_size=int(size),
        channels=3 if colour else 1,
        n_classes=len(dataset.classes) if conditional else 0,
        batch_size=int(batch),
        lr=float(lr),
        loss=loss,
        label_smoothing=float(smoothing) if loss == "bce" else 0.0,
        spectral_norm=spectral,
        diffaugment=diffaug,
        seed=int(seed),
        held_out=float(held_out),
    )


def data_key(dataset: ImageDataset) -> str:
    """What the page trains on, as a string (the cache key of models paired with it)."""
    try:
        return json.dumps(image_controls.job_data(dataset), sort_keys=True)
    except AugLabError:
        return json.dumps([dataset.name, len(dataset.images)])


def load_model(
    data: bytes, name: str, dataset: ImageDataset
) -> tuple[GANTrainer, str | None, dict[str, Any]]:
    """A checkpoint's trainer, paired with ``dataset``'s split when it fits (quality checks, resume).

    Returns:
        The trainer, the signature it resumes on (None: sampling only) and ``{"data": TrainingData}``
        when it fits the data.

    Raises:
        CheckpointError: The file cannot be used (the message names it).
    """
    payload = load_checkpoint(data, name, "gan")
    try:
        config = GANConfig.from_dict(payload["config"])
        split = training_split(dataset.images, config)
        trainer = GANTrainer.from_checkpoint(
            payload, split.images, split.labels, classes=split.classes, name=name
        )
    except AugLabError:  # not this data's model: sampling only (a broken file fails again, by name)
        return GANTrainer.from_checkpoint(payload, name=name), None, {}
    try:
        sig = signature(config.to_dict(), image_controls.job_data(dataset))
    except AugLabError:
        sig = None
    return trainer, sig, {"data": split}


def show_preview(job: Job, png: bytes | None) -> None:
    """The job's latest fixed-noise grid."""
    if png is not None:
        st.image(png, caption="Fixed noise batch (one row per class when conditional)")


def quality_section(model: Model) -> None:
    """Memorisation share and (conditional models) train-on-synthetic, test-on-real accuracy."""
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
    if not st.button("Evaluate quality", key="gan.evaluate", help=f"About {count}; a few seconds."):
        return
    with st.spinner("Generating samples and fitting the classifiers…"):
        report = evaluate_quality(trainer, data)
    memo = report.memorisation
    cols = st.columns(3)
    cols[0].metric(
        "Memorisation share",
        f"{memo.share:.1%}",
        help=f"Share of samples closer to a training image than all but {memo.quantile:.0%} of the "
        f"{report.held_out:,} held-out real images are. Fresh samples score about that share; copies of "
        "training images, near 100%.",
    )
    if report.tstr is not None:
        cols[1].metric(
            "TSTR accuracy",
            f"{report.tstr.accuracy_synthetic:.1%}",
            help="A classifier trained on synthetic samples only, scored on the held-out real images.",
        )
        cols[2].metric(
            "Same classifier on real",
            f"{report.tstr.accuracy_real:.1%}",
            help="Trained on the real training images, scored on the same held-out images.",
        )


def generate_controls(model: Model) -> None:
    """Generate N samples (per class when conditional) into the session's synthetic pool."""
    trainer = model.trainer
    st.subheader("Generate")
    c1, c2, c3 = st.columns([2, 2, 3], vertical_alignment="bottom")
    per = "per class" if trainer.config.conditional else "in all"
    n = c1.number_input(f"Samples {per}", 1, 10_000, step=10, key=init("gan.n", 100), persist_state=KEEP)
    seed = c2.number_input(
        "Sampling seed", 0, 2**31 - 1, step=1, key=init("gan.sample_seed", 0), persist_state=KEEP
    )
    if c3.button("Generate into the pool", type="primary", key="gan.generate"):
        with st.spinner("Generating…"):
            new = image_samples(trainer, model.sha256, int(seed), int(n))
        if not pool.add("images", model.sha256, model.name, int(seed), int(n), {}, new):
            return
        st.success(f"Added {len(new):,} images to the synthetic pool.")
        tiles = [fit_tile(to_rgb(item.array), 48) for item in new[:80]]
        st.image(make_grid(tiles, cols=20, pad=2), caption="The first of the new samples")
