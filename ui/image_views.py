"""The Images page's views: variants per image, a random batch across the dataset, "How it works" (the
picture strip of one variant and the matrices of its warp), saving and loading, and the preset offer
when the dataset changes between photos and small images.

Names that came from the user (file names, class labels) are shown literally (ui.common.literal).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from core.augment.codegen import snippets
from core.augment.image import (
    PHOTO_PRESET,
    PRESETS,
    SMALL_PRESET,
    SMALL_SIDE,
    ImageAugConfig,
    affine_steps,
    box_matrix,
    geometry_matrix,
)
from core.augment.image.affine import output_size
from core.augment.image.policy import policy_matrix
from core.present.grids import fit_tile, to_rgb
from core.present.image_preview import BATCH_SIZE, image_kind, picture_strip, random_batch, variant_grid
from ui.common import config_loader, init, literal, set_fields
from ui.image_ops_controls import PREFIX

KIND_SEEN = "images.kind_seen"  # "small" or "photos": the kind of the dataset last shown
OFFER = "images.preset_offer"  # the preset offered for a dataset that changed kind, until answered
BATCH = "images.batch_number"  # which random batch is shown (not a setting: a new session starts at 0)
KIND_WORDS = {"small": "small images (digits, characters, icons)", "photos": "photos"}


def option_name(dataset: Any, i: int) -> str:
    """How image ``i`` is named in the page's lists: its number, file name and label."""
    item = dataset.images[i]
    return f"#{i} {item.name}" + (f" [{item.label}]" if item.label is not None else "")


# ----------------------------------------------------------------------------------------------
# Preset offer


def _accept(name: str) -> None:
    set_fields(PREFIX, PRESETS[name])
    st.session_state.pop(OFFER, None)


def _dismiss() -> None:
    st.session_state.pop(OFFER, None)


def preset_offer(dataset: Any, config: ImageAugConfig) -> None:
    """Offer the preset that suits the dataset when it changes from photos to small images or back.

    Settings made for photos (flips, crops, strong zoom) can ruin an 8x8 digit, and the other way
    round; the page says so and offers the preset instead of silently carrying them over.
    """
    kind = image_kind([(item.height, item.width) for item in dataset.images], SMALL_SIDE)
    seen = st.session_state.get(KIND_SEEN)
    st.session_state[KIND_SEEN] = kind
    photo_settings = config.horizontal_flip or config.on["crop"] or config.on["resize"]
    if (seen is not None and kind != seen and kind in KIND_WORDS) or (
        seen is None and kind == "small" and photo_settings
    ):
        st.session_state[OFFER] = SMALL_PRESET if kind == "small" else PHOTO_PRESET
    offer = st.session_state.get(OFFER)
    if offer is None:
        return
    with st.container(border=True):
        st.markdown(
            f"This dataset looks like **{KIND_WORDS.get(kind, kind)}**; the settings were made for other "
            "images. "
            f"The preset `{offer}` suits these better."
        )
        c1, c2, _ = st.columns([2, 2, 4])
        c1.button(f"Apply {literal(offer)}", on_click=_accept, args=(offer,), key="images.offer.apply")
        c2.button("Keep my settings", on_click=_dismiss, key="images.offer.dismiss")


# ----------------------------------------------------------------------------------------------
# Views


def _params_table(params: list, names: list[str]) -> None:
    table = pd.DataFrame([{"variant": name, **p.to_dict()} for name, p in zip(names, params, strict=True)])
    st.dataframe(table.astype(str), hide_index=True, width="stretch")


def preview(dataset: Any, selected: list[int], config: ImageAugConfig, seed: int, count: int) -> None:
    """Each selected image beside its variants v0..count-1, with the sampled parameters."""
    if not selected:
        st.info("Pick at least one image above to preview its variants.")
    for index in selected:
        item = dataset.images[index]
        grid, params = variant_grid(item.array, config, seed, index, count, tile=192, cols=4)
        left, right = st.columns([1, 4])
        left.image(
            fit_tile(to_rgb(item.array), 192),
            caption=f"Original: {literal(option_name(dataset, index))}, {item.width}x{item.height}",
        )
        right.image(grid, caption=f"Variants v0–v{count - 1} (seed {seed})", width="stretch")
        with st.expander(f"Sampled parameters of {literal(item.name)}"):
            _params_table(params, [f"v{v}" for v in range(count)])


def batch(dataset: Any, config: ImageAugConfig, seed: int) -> None:
    """One variant each of 16 different images across the classes, as a training batch sees them."""
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    number = int(right.number_input("Batch", 0, 10**6, step=1, key=init(BATCH, 0), help="+ for a new batch."))
    images = [item.array for item in dataset.images]
    labels = [item.label for item in dataset.images]
    grid, items, params = random_batch(images, labels, config, seed, number, tile=128, cols=8)
    shown = f"{len(items)} different images" if len(items) == BATCH_SIZE else f"all {len(items)} images"
    left.markdown(
        f"Batch {number}: {shown}, the classes taking turns, each showing variant v{number}. Another "
        "batch draws other images and other variants; both depend only on the seed."
    )
    st.image(grid, caption=f"Random batch {number} (seed {seed})", width="stretch")
    rows = [
        {
            "image": option_name(dataset, it.index),  # a table shows text as it is
            "variant": f"v{it.variant}",
            **{k: str(v) for k, v in p.to_dict().items()},
        }
        for it, p in zip(items, params, strict=True)
    ]
    with st.expander("The batch's images and parameters"):
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def _latex(matrix: np.ndarray) -> str:
    rows = r" \\ ".join(" & ".join(f"{v:.3f}" for v in row) for row in matrix)
    return r"\begin{bmatrix}" + rows + r"\end{bmatrix}"


def how_it_works(dataset: Any, selected: list[int], config: ImageAugConfig, seed: int, count: int) -> None:
    """The picture strip of one variant, then the matrices of its one warp."""
    st.markdown(
        "Each variant is **one** warp (crop, resize, flips, zoom, shear, rotation, shift and the policy's "
        "geometry multiplied into one matrix), then the colour, blur, noise and erasing steps in a fixed "
        "order. The strip shows the image after each step of one variant."
    )
    if not selected:
        st.info("Pick at least one image above.")
        return
    c1, c2 = st.columns(2)
    index = c1.selectbox(
        "Image", selected, format_func=lambda i: option_name(dataset, i), key="images.how.image"
    )
    variant = int(c2.number_input("Variant", 0, max(0, count - 1), key=init("images.how.variant", 0)))
    image = dataset.images[index].array
    steps, p = picture_strip(image, config, seed, index, variant, tile=192)
    for start in range(0, len(steps), 5):
        cols = st.columns(5)
        for col, step in zip(cols, steps[start : start + 5], strict=False):
            col.image(step.tile, caption=f"{step.name}: {step.meaning}")
    with st.expander("Parameters of this variant"):
        _params_table([p], [f"v{variant}"])
    _matrices(image, p)


def _matrices(image: np.ndarray, p: Any) -> None:
    h, w = image.shape[:2]
    out_h, out_w = output_size(p, h, w)
    st.markdown(
        "The matrices act on a source pixel's coordinates (x right, y down, pixel centres on integers) "
        "from top to bottom; their product is the matrix OpenCV's `warpAffine` receives. For every output "
        "pixel, OpenCV inverts it to find where to sample the source, so the image is resampled once."
    )
    if p.crop_box or p.out_size:
        box = p.crop_box or (0, 0, w, h)
        st.markdown(
            f"**crop & size**: the box x {box[0]:g}, y {box[1]:g}, {box[2]:g}x{box[3]:g} px onto "
            f"{out_w}x{out_h} px (pixel areas onto pixel areas)."
        )
        st.latex(_latex(box_matrix(box, out_h, out_w)))
    for step in affine_steps(p, out_h, out_w):
        st.markdown(f"**{step.name}**: {step.meaning}")
        st.latex(_latex(step.matrix))
    policy = policy_matrix(p.policy, out_h, out_w)
    if policy is not None:
        st.markdown("**policy**: the drawn shears, translations and rotation about the centre.")
        st.latex(_latex(policy))
    st.markdown("**Composed** (policy · shift · rotate · shear · zoom · flip · centre · crop):")
    st.latex("M = " + _latex(geometry_matrix(p, h, w)))


def save_and_load(config: ImageAugConfig, seed: int) -> None:
    """The configuration as JSON (download and load) and as code for AugLab and the other libraries."""
    st.download_button(
        "Download configuration (JSON)",
        config.to_json(),
        file_name="auglab_image_config.json",
        mime="application/json",
    )
    config_loader(PREFIX, ImageAugConfig.from_json)
    for snippet in snippets(config, seed):
        st.subheader(snippet.library)
        st.code(snippet.code, language="python")
        for difference in snippet.differences:
            st.markdown(f"- {difference}")
