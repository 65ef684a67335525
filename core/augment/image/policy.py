"""Policies: RandAugment (N operations at magnitude M) and TrivialAugmentWide (one operation, any
magnitude), over AugLab's own operations, with torchvision's operation lists and magnitude tables.

Per variant the operations are drawn as torchvision draws them: each uniformly from the list, its
magnitude from the table (RandAugment: bin M of 31; TrivialAugment: a uniform bin), negated with
probability 1/2 for signed operations. The drawn ``(operation, magnitude)`` pairs are the variant's
``policy`` parameter. Applying them differs from torchvision in two documented ways:

- the geometric operations (shears, translations, rotation) act about the image centre and are folded
  into the variant's one warp, after Keras' affine steps, with the configuration's fill mode
  (torchvision shears about the top-left corner, warps once per operation and fills with 0);
- the colour operations run in the drawn order after the colour jitter, with the kernels of
  :mod:`core.augment.image.colour` (torchvision's definitions, within one grey level).
"""

from __future__ import annotations

import math

import numpy as np

import core.augment.image.colour as C
from core.augment.image.config import POLICY_LEVELS, ImageAugConfig

GEOMETRIC = ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate")
SIGNED = (
    "ShearX",
    "ShearY",
    "TranslateX",
    "TranslateY",
    "Rotate",
    "Brightness",
    "Color",
    "Contrast",
    "Sharpness",
)
OPERATIONS = (
    "Identity",
    "ShearX",
    "ShearY",
    "TranslateX",
    "TranslateY",
    "Rotate",
    "Brightness",
    "Color",
    "Contrast",
    "Sharpness",
    "Posterize",
    "Solarize",
    "AutoContrast",
    "Equalize",
)
DRAWS_PER_OP = 3  # the operation, its magnitude bin (TrivialAugment), its sign


def magnitudes(op: str, policy: str, height: int, width: int) -> list[float] | None:
    """The 31 magnitudes of ``op`` under ``policy`` for an image of this size (None: no magnitude)."""
    wide = policy == "trivialaugment"

    def linspace(high: float) -> list[float]:
        return [float(v) for v in np.linspace(0.0, high, POLICY_LEVELS, dtype=np.float32)]

    if op in ("ShearX", "ShearY"):
        return linspace(0.99 if wide else 0.3)
    if op == "TranslateX":
        return linspace(32.0 if wide else 150.0 / 331.0 * width)
    if op == "TranslateY":
        return linspace(32.0 if wide else 150.0 / 331.0 * height)
    if op == "Rotate":
        return linspace(135.0 if wide else 30.0)
    if op in ("Brightness", "Color", "Contrast", "Sharpness"):
        return linspace(0.99 if wide else 0.9)
    if op == "Posterize":
        levels = 6 if wide else 4
        return [float(round(8 - k / ((POLICY_LEVELS - 1) / levels))) for k in range(POLICY_LEVELS)]
    if op == "Solarize":
        return linspace(1.0)[::-1]
    return None


def sample_policy(
    config: ImageAugConfig, u: list[float], height: int, width: int
) -> tuple[tuple[str, float], ...]:
    """The drawn operations of one variant from ``MAX_POLICY_OPS * DRAWS_PER_OP`` uniforms."""
    count = 1 if config.policy == "trivialaugment" else config.policy_ops
    drawn = []
    for k in range(count):
        pick, level, sign = u[DRAWS_PER_OP * k : DRAWS_PER_OP * (k + 1)]
        op = OPERATIONS[min(len(OPERATIONS) - 1, int(pick * len(OPERATIONS)))]
        table = magnitudes(op, config.policy, height, width)
        if table is None:
            drawn.append((op, 0.0))
            continue
        if config.policy == "trivialaugment":
            index = min(POLICY_LEVELS - 1, int(level * POLICY_LEVELS))
        else:
            index = config.policy_magnitude
        magnitude = table[index]
        if op in ("TranslateX", "TranslateY"):
            magnitude = float(int(magnitude))  # torchvision translates by whole pixels
        if op in SIGNED and sign <= 0.5:
            magnitude = -magnitude
        drawn.append((op, magnitude + 0.0))
    return tuple(drawn)


def policy_matrix(policy: tuple[tuple[str, float], ...], height: int, width: int) -> np.ndarray | None:
    """The 3x3 product of the geometric operations about the centre, in order; None when there are none."""
    matrix = None
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    for op, m in policy:
        if op not in GEOMETRIC:
            continue
        if op == "ShearX":
            step = np.array([[1.0, m, -m * cy], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        elif op == "ShearY":
            step = np.array([[1.0, 0.0, 0.0], [m, 1.0, -m * cx], [0.0, 0.0, 1.0]])
        elif op == "TranslateX":
            step = np.array([[1.0, 0.0, m], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        elif op == "TranslateY":
            step = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, m], [0.0, 0.0, 1.0]])
        else:  # Rotate: counter-clockwise on screen for positive degrees, as torchvision's rotate
            t = math.radians(m)
            c, s = math.cos(t), math.sin(t)
            step = np.array([[c, s, cx - c * cx - s * cy], [-s, c, cy + s * cx - c * cy], [0.0, 0.0, 1.0]])
        matrix = step if matrix is None else step @ matrix
    return matrix


def apply_policy_colour(chain: C.Chain, policy: tuple[tuple[str, float], ...]) -> None:
    """Run the colour operations of ``policy``, in order, on the chain's image."""
    for op, m in policy:
        if op == "Brightness":
            chain.then(C.brightness_op(1.0 + m))
        elif op == "Contrast":
            chain.then(C.contrast_op(1.0 + m, C.grey_mean(chain.image())))
        elif op == "Color":
            chain.then(C.saturation_op(1.0 + m))
        elif op == "Sharpness":
            chain.set(C.sharpness_blend(chain.image(), 1.0 + m))
        elif op == "Posterize":
            chain.then(C.table_op(C.posterize_lut(int(m))))
        elif op == "Solarize":
            chain.then(C.table_op(C.solarize_lut(255.0 * m)))
        elif op == "AutoContrast":
            chain.then(C.table_op(C.autocontrast_luts(chain.image())))
        elif op == "Equalize":
            chain.then(C.table_op(C.equalize_luts(chain.image())))
