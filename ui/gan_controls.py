"""Widgets of the GAN page: data choice, model settings, quality and generation (keys ``gan.*``)."""

from __future__ import annotations

import json

import numpy as np
import streamlit as st
import torch

from core.data.images import BUILTIN, DIGITS, ImageDataset
from core.generators.engine import TrainingRun
from core.generators.gan import GANConfig, GANTrainer, prepare_images
from core.generators.gan_metrics import memorisation_share, split_dataset, tstr
from core.generators.pool import SyntheticImage
from core.present.grids import fit_tile, make_grid, to_rgb
from ui.common import IMAGE_DATASET, KEEP, SYNTHETIC_IMAGES, init, record_generation
from ui.training import Entry

HELD_OUT = 0.2  # share of labelled images kept out of training for the quality checks
SMALL_PER_CLASS = 50  # fewer images per class than this: DiffAugment on by default


@st.cache_resource(show_spinner="Loading the digits…")
def _digits() -> ImageDataset:
    return BUILTIN[DIGITS]()


def data_choice() -> ImageDataset | None:
    """The Images page's dataset, or the built-in digits."""
    loaded = st.session_state.get(IMAGE_DATASET)
    options = [DIGITS] + ([loaded.name] if loaded is not None and loaded.name != DIGITS else [])
    name = st.selectbox(
        "Train on",
        options,
        key=init("gan.data", DIGITS),
        persist_state=KEEP,
        help="The dataset loaded on the Images page, or scikit-learn's digits.",
    )
    dataset = _digits() if name == DIGITS else loaded
    classes = f"{len(dataset.classes)} classes" if dataset.classes else "unlabelled"
    st.caption(f"{len(dataset.images):,} images, {classes}.")
    return dataset


def gan_config(dataset: ImageDataset) -> GANConfig:
    """Sidebar widgets for the model; defaults follow the data (size, colour, labels)."""
    sb = st.sidebar
    sb.header("Model")
    small = max(max(i.height, i.width) for i in dataset.images[:200]) <= 16
    arch = sb.segmented_control(
        "Architecture",
        ["mlp", "dcgan"],
        key=init("gan.arch", "mlp" if small else "dcgan"),
        format_func={"mlp": "MLP", "dcgan": "DCGAN"}.get,
        persist_state=KEEP,
        help="MLP: the classic GAN for small grayscale images. DCGAN: convolutional, 32x32 or 64x64 colour.",
    )
    sizes = [8, 16, 28, 32] if arch == "mlp" else [32, 64]
    size = sb.selectbox(
        "Image size (pixels)",
        sizes,
        key=f"gan.size.{arch}",
        persist_state=KEEP,
        help="Images are resized to this square size for training.",
    )
    grey = all(i.channels == 1 for i in dataset.images[:500])
    colour = sb.toggle(
        "Colour (RGB)", value=not grey, key=f"gan.rgb.{dataset.name}", help="Off: one grayscale channel."
    )
    conditional = sb.toggle(
        "Class-conditional",
        value=bool(dataset.classes),
        disabled=not dataset.classes,
        key=f"gan.conditional.{dataset.name}",
        help="Generate samples of a chosen class; needs labelled images.",
    )
    sb.header("Small-data remedies")
    loss = sb.selectbox(
        "Loss",
        ["bce", "hinge"],
        key=init("gan.loss", "bce"),
        persist_state=KEEP,
        help="hinge usually goes with spectral norm on the discriminator.",
    )
    spectral = sb.toggle("Spectral norm (discriminator)", key=init("gan.sn", False), persist_state=KEEP)
    # Measured (bench/bench_gan.py): with 10 digits per class plain BCE copies its training images
    # (memorisation share 0.74) while DiffAugment keeps it at 0.10; with all digits it costs TSTR.
    per_class = len(dataset.images) / max(1, len(dataset.classes))
    diffaug = sb.toggle(
        "DiffAugment (real and fake batches)",
        value=per_class < SMALL_PER_CLASS,
        key=f"gan.diffaug.{dataset.name}.{len(dataset.images)}",
        help=f"On by default below {SMALL_PER_CLASS} images per class, where a GAN otherwise memorises "
        "its training images.",
    )
    smoothing = sb.slider(
        "One-sided label smoothing",
        0.0,
        0.3,
        step=0.05,
        key=init("gan.smooth", 0.0),
        persist_state=KEEP,
        disabled=loss != "bce",
    )
    sb.header("Optimiser")
    batch = sb.select_slider(
        "Batch size", [16, 32, 64, 128, 256], key=init("gan.batch", 64), persist_state=KEEP
    )
    lr = sb.select_slider(
        "Learning rate",
        [5e-5, 1e-4, 2e-4, 5e-4, 1e-3],
        key=init("gan.lr", 2e-4),
        persist_state=KEEP,
        format_func=lambda v: f"{v:g}",
    )
    seed = sb.number_input("Seed", 0, 2**31 - 1, step=1, key=init("gan.seed", 0), persist_state=KEEP)
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
    )


def gan_signature(config: GANConfig, dataset: ImageDataset) -> str:
    """What the trainer is built from: a change starts a new model."""
    return json.dumps(
        {"config": config.to_dict(), "data": [dataset.name, len(dataset.images)]}, sort_keys=True
    )


def build_entry(config: GANConfig, dataset: ImageDataset) -> Entry:
    """Prepare the data (a stratified 80/20 split when labelled), the trainer and its run."""
    images, labels, classes = prepare_images(dataset.images, config)
    held = None
    if dataset.classes and len(images) >= 20:
        part = split_dataset(images.numpy(), labels.numpy(), HELD_OUT, config.seed)
        held = (torch.from_numpy(part.held_out_images), torch.from_numpy(part.held_out_labels))
        images, labels = torch.from_numpy(part.train_images), torch.from_numpy(part.train_labels)
    trainer = GANTrainer(images, labels, classes, config)
    info = {"classes": classes, "train": (images, labels), "held_out": held, "data": dataset.name}
    return Entry(TrainingRun(trainer), gan_signature(config, dataset), info)


def load_entry(payload: dict, dataset: ImageDataset) -> Entry:
    """An entry around a loaded checkpoint, ready to sample (and to resume on the current data)."""
    trainer = GANTrainer.from_checkpoint(payload)
    config = trainer.config
    return Entry(
        TrainingRun(trainer), gan_signature(config, dataset), {"classes": trainer.classes, "held_out": None}
    )


def _unit(images) -> np.ndarray:
    """Images as rows of floats in [0, 1], pixels in (row, column, channel) order.

    Takes N x C x S x S tensors in [-1, 1] (the training data) or N x S x S (x C) uint8 arrays
    (generated samples), so both flatten the same way.
    """
    if isinstance(images, np.ndarray):
        return images.reshape(len(images), -1).astype(np.float32) / 255.0
    array = images.detach().cpu().permute(0, 2, 3, 1).numpy()
    return ((array + 1.0) / 2.0).reshape(len(array), -1)


def quality_section(entry: Entry) -> None:
    """Memorisation share and (for labelled data) train-on-synthetic, test-on-real accuracy."""
    st.subheader("Quality")
    held = entry.info.get("held_out")
    if held is None:
        st.caption(
            "Quality checks need labelled images with a held-out part; train on labelled data to see them."
        )
        return
    if not st.button(
        "Evaluate quality", key="gan.evaluate", help="About 200 samples per class; a few seconds."
    ):
        return
    trainer = entry.run.trainer
    train_images, train_labels = entry.info["train"]
    with st.spinner("Generating samples and fitting the classifiers…"):
        fake, fake_labels = trainer.generate(200 if trainer.config.n_classes else 1000, None, seed=12345)
        memo = memorisation_share(_unit(fake), _unit(train_images), _unit(held[0]))
        cols = st.columns(3)
        cols[0].metric(
            "Memorisation share",
            f"{memo.share:.1%}",
            help=f"Share of samples closer to a training image than all but {memo.quantile:.0%} of held-out "
            "real images are. Fresh samples score about that share; copies of training images, near 100%.",
        )
        if trainer.config.n_classes:
            result = tstr(
                _unit(fake),
                np.asarray(fake_labels),
                _unit(train_images),
                train_labels.numpy(),
                _unit(held[0]),
                held[1].numpy(),
            )
            cols[1].metric(
                "TSTR accuracy",
                f"{result.accuracy_synthetic:.1%}",
                help="A classifier trained on synthetic samples only, scored on held-out real images.",
            )
            cols[2].metric(
                "Same classifier on real",
                f"{result.accuracy_real:.1%}",
                help="Trained on the real training images, scored on the same held-out images.",
            )


def generate_controls(entry: Entry) -> None:
    """Generate N samples (per class when conditional) into the session's synthetic pool."""
    trainer = entry.run.trainer
    classes = entry.info.get("classes") or []
    st.subheader("Generate")
    c1, c2, c3 = st.columns([2, 2, 3], vertical_alignment="bottom")
    per = "per class" if trainer.config.n_classes else "in all"
    n = c1.number_input(f"Samples {per}", 1, 10_000, step=10, key=init("gan.n", 100), persist_state=KEEP)
    seed = c2.number_input(
        "Sampling seed", 0, 2**31 - 1, step=1, key=init("gan.sample_seed", 0), persist_state=KEEP
    )
    if c3.button("Generate into the pool", type="primary", key="gan.generate"):
        with st.spinner("Generating…"):
            images, labels = trainer.generate(int(n), None, int(seed))
            digest = entry.checkpoint_sha256()
            new = [
                SyntheticImage(
                    image, classes[label] if trainer.config.n_classes else None, digest, int(seed), i
                )
                for i, (image, label) in enumerate(zip(images, labels, strict=True))
            ]
        st.session_state.setdefault(SYNTHETIC_IMAGES, []).extend(new)
        record_generation("images", entry.checkpoint_bytes(), digest, int(seed), int(n), {})
        st.success(f"Added {len(new):,} images to the synthetic pool.")
        tiles = [fit_tile(to_rgb(item.array), 48) for item in new[:80]]
        st.image(make_grid(tiles, cols=20, pad=2), caption="The first of the new samples")
