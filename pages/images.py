"""Images: pick or upload images, tune the augmentation and watch every variant change live."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.augment.codegen import snippets
from core.augment.image import (
    ImageAugConfig,
    affine_matrix,
    affine_steps,
    apply_params,
    sample_params,
    variant_rng,
)
from core.present.grids import fit_tile, preview_grid, to_rgb
from ui.common import KEEP, config_loader, ensure_framed, init, literal, user_errors
from ui.image_controls import PREFIX, config_controls, dataset_picker, dataset_summary, seed_controls

ensure_framed()  # first thing: this page runs inside app.py's router

st.title("Image augmentation")
st.caption(
    "Keras ImageDataGenerator's parameters with the meaning its documentation gives, applied as one "
    "OpenCV warp per image. Variant v of image i depends only on (seed, i, v)."
)

config = None
with user_errors("The augmentation settings"):
    config = config_controls()
seed, count = seed_controls()
dataset = dataset_picker()
if dataset is None or config is None:
    st.stop()

with st.expander(f"Dataset summary: {literal(dataset.name)}, {len(dataset.images):,} images"):
    dataset_summary(dataset)


def _latex(matrix: np.ndarray) -> str:
    rows = r" \\ ".join(" & ".join(f"{v:.3f}" for v in row) for row in matrix)
    return r"\begin{bmatrix}" + rows + r"\end{bmatrix}"


def _option(i: int) -> str:
    item = dataset.images[i]
    return f"#{i} {item.name}" + (f" [{item.label}]" if item.label is not None else "")


# Default: the first image of each of the first three classes (or the first two images).
first_of_class: dict[str | None, int] = {}
for i, item in enumerate(dataset.images):
    first_of_class.setdefault(item.label, i)
default = sorted(first_of_class.values())[:3] if dataset.classes else list(range(min(2, len(dataset.images))))
selected = st.multiselect(
    "Images to preview",
    range(len(dataset.images)),
    format_func=_option,
    max_selections=6,
    key=init(f"img.selected.{dataset.name}.{len(dataset.images)}", default),
    persist_state=KEEP,
)

preview_tab, how_tab, save_tab = st.tabs(["Preview", "How it works", "Save & load"])

with preview_tab:
    if not selected:
        st.info("Pick at least one image above to preview its variants.")
    for index in selected:
        item = dataset.images[index]
        grid, params = preview_grid(
            item.array, config, seed, index, count, tile=192, cols=4, with_original=False
        )
        left, right = st.columns([1, 4])
        left.image(
            fit_tile(to_rgb(item.array), 192),
            caption=f"Original: {literal(_option(index))}, {item.width}x{item.height}",
        )
        right.image(grid, caption=f"Variants v0–v{count - 1} (seed {seed})", width="stretch")
        with st.expander(f"Sampled parameters of {literal(item.name)}"):
            table = pd.DataFrame([{"variant": f"v{v}", **p.to_dict()} for v, p in enumerate(params)])
            st.dataframe(table, hide_index=True, width="stretch")

with how_tab:
    st.markdown(
        "Each variant is **one** affine warp. The six steps below act on a source pixel's "
        "coordinates (x right, y down, pixel centres on integers) from top to bottom; their product "
        "is the matrix OpenCV's `warpAffine` receives. For every output pixel, OpenCV inverts it to "
        "find where to sample the source, so the image is resampled once, however many steps there are."
    )
    if selected:
        c1, c2 = st.columns(2)
        index = c1.selectbox("Image", selected, format_func=_option, key="img.how.image")
        variant = c2.number_input("Variant", 0, count - 1, key=init("img.how.variant", 0))
        image = dataset.images[index].array
        h, w = image.shape[:2]
        p = sample_params(config, variant_rng(seed, index, variant), h, w)
        for step in affine_steps(p, h, w):
            st.markdown(f"**{step.name}**: {step.meaning}")
            st.latex(_latex(step.matrix))
        st.markdown("**Composed** (shift · rotate · shear · zoom · flip · centre):")
        st.latex("M = " + _latex(affine_matrix(p, h, w)))
        c1, c2 = st.columns(2)
        c1.image(fit_tile(to_rgb(image), 256), caption="Original")
        c2.image(fit_tile(to_rgb(apply_params(image, p, config)), 256), caption=f"v{variant}")
        if p.brightness != 1.0 or np.any(p.channel_shift):
            st.caption(
                f"After the warp: each colour channel + {', '.join(f'{s:+.1f}' for s in p.channel_shift)}, "
                f"then × {p.brightness:.3f} brightness, rounded and clipped to 0..255."
            )

with save_tab:
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
