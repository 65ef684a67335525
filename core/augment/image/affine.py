"""Geometry: the composed affine warp of Keras' settings, with crops, resizing and the policy's
geometric operations folded into the same single resampling pass.

Coordinates are those of the screen: ``x`` grows to the right, ``y`` grows downwards, pixel centres
sit on integers and the image centre is ``((W - 1) / 2, (H - 1) / 2)``. The forward map that sends a
source pixel to its place in the output is the product, applied right to left, of

0. the crop and resize: the crop box ``(x0, y0, w, h)`` of the source onto the ``H' x W'`` output,
   ``x' = (x - x0 + 1/2) W' / w - 1/2`` (pixel areas map onto pixel areas, as a resize does; a crop
   alone is a plain translation),
1. a translation taking the (output) centre to the origin,
2. the flips (mirror ``x`` and/or ``y``),
3. the zoom (scale ``x`` by ``zx`` and ``y`` by ``zy``; > 1 enlarges the content),
4. the shear (``x += tan(shear) * y``: vertical lines lean by ``shear`` degrees, counter-clockwise),
5. the rotation by ``theta`` degrees (positive turns content counter-clockwise on screen),
6. a translation back to the centre plus the shift ``(tx, ty)`` in pixels (right, down),
7. the policy's shears, translations and rotations about the centre, in the order drawn.

OpenCV's ``warpAffine`` applies the composed 2x3 matrix in a single resampling pass, so flips, crops
and small rotations cost no more than one warp and never blur twice. Two shortcuts give the same
geometry faster: a crop and resize with at most flips after it is a slice, ``cv2.resize`` and
``cv2.flip``; and when a crop or resize shrinks the content below half its size, the source is first
reduced by a whole factor with OpenCV's area averaging, so the warp does not alias (as an antialiased
resize does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from core.augment.image._checks import check_image, restore_shape
from core.augment.image.config import FILL_MODES, INTERPOLATIONS
from core.augment.image.params import ImageParams
from core.augment.image.policy import policy_matrix
from core.config import check_choice

# Keras' fill modes name scipy.ndimage's; these OpenCV borders give the same pixels
# ("reflect" is scipy's half-sample symmetric mode: d c b a | a b c d | d c b a).
BORDERS = {
    "constant": cv2.BORDER_CONSTANT,
    "nearest": cv2.BORDER_REPLICATE,
    "reflect": cv2.BORDER_REFLECT,
    "wrap": cv2.BORDER_WRAP,
}
_INTERPOLATIONS = {"bilinear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST}
_EPS = 1e-9


@dataclass(frozen=True)
class Step:
    """One factor of the composed matrix, for the teaching view."""

    name: str
    matrix: np.ndarray  # 3x3, acting on column vectors (x, y, 1)
    meaning: str


def affine_steps(params: ImageParams, height: int, width: int) -> list[Step]:
    """The factors of :func:`affine_matrix`, in the order they act on a source pixel.

    Args:
        params: Sampled parameters.
        height: Image height in pixels (the output's, when the image is cropped or resized).
        width: Image width in pixels.

    Returns:
        Six steps whose matrices, multiplied last-to-first, give :func:`affine_matrix`.
    """
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    t = math.radians(params.theta)
    c, s = math.cos(t), math.sin(t)
    fx = -1.0 if params.flip_h else 1.0
    fy = -1.0 if params.flip_v else 1.0
    k = math.tan(math.radians(params.shear))
    flips = [n for n, on in (("left-right", params.flip_h), ("top-bottom", params.flip_v)) if on]
    return [
        Step("centre", _m(1, 0, -cx, 0, 1, -cy), f"Move the image centre ({cx:g}, {cy:g}) to the origin."),
        Step("flip", _m(fx, 0, 0, 0, fy, 0), f"Mirror {' and '.join(flips)}." if flips else "No flip."),
        Step(
            "zoom",
            _m(params.zx, 0, 0, 0, params.zy, 0),
            f"Scale x by {params.zx:.3f} and y by {params.zy:.3f} (above 1 enlarges).",
        ),
        Step(
            "shear",
            _m(1, k, 0, 0, 1, 0),
            f"Lean vertical lines {params.shear:.2f} degrees (x += tan(shear) * y).",
        ),
        Step(
            "rotate",
            _m(c, s, 0, -s, c, 0),
            f"Rotate {abs(params.theta):.2f} degrees "
            + ("counter-clockwise." if params.theta >= 0 else "clockwise."),
        ),
        Step(
            "shift",
            _m(1, 0, cx + params.tx, 0, 1, cy + params.ty),
            f"Move back to the centre, then {params.tx:+.2f} px right and {params.ty:+.2f} px down.",
        ),
    ]


def _m(a: float, b: float, c: float, d: float, e: float, f: float) -> np.ndarray:
    return np.array([[a, b, c], [d, e, f], [0.0, 0.0, 1.0]])


def affine_matrix(params: ImageParams, height: int, width: int) -> np.ndarray:
    """The 3x3 forward matrix of steps 1-6, sending pixel ``(x, y, 1)`` to its output position.

    Args:
        params: Sampled parameters.
        height: Image height in pixels (the output's, when the image is cropped or resized).
        width: Image width in pixels.

    Returns:
        A float64 3x3 matrix; the last row is ``(0, 0, 1)``.
    """
    # Closed form of shift @ rotate @ shear @ zoom @ flip @ centre (see affine_steps), written
    # out because this runs once per augmented image and 3x3 numpy products cost more than the maths.
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    t = math.radians(params.theta)
    c, s = math.cos(t), math.sin(t)
    k = math.tan(math.radians(params.shear))
    ax = params.zx * (-1.0 if params.flip_h else 1.0)
    ay = params.zy * (-1.0 if params.flip_v else 1.0)
    # rotate @ shear @ diag(ax, ay)
    a, b = c * ax, (c * k + s) * ay
    d, e = -s * ax, (-s * k + c) * ay
    return np.array(
        [
            [a, b, cx + params.tx - a * cx - b * cy],
            [d, e, cy + params.ty - d * cx - e * cy],
            [0.0, 0.0, 1.0],
        ]
    )


def box_matrix(box: tuple[float, ...], out_height: int, out_width: int) -> np.ndarray:
    """Step 0: the 3x3 map of the source box ``(x0, y0, w, h)`` onto an ``out_height x out_width`` image."""
    x0, y0, w, h = box
    sx, sy = out_width / w, out_height / h
    return _m(sx, 0, (0.5 - x0) * sx - 0.5, 0, sy, (0.5 - y0) * sy - 0.5)


def output_size(params: ImageParams, height: int, width: int) -> tuple[int, int]:
    """The output's (height, width) for a source of ``height x width``."""
    return (int(params.out_size[0]), int(params.out_size[1])) if params.out_size else (height, width)


def geometry_matrix(params: ImageParams, height: int, width: int) -> np.ndarray:
    """The whole forward map of steps 0-7 for a ``height x width`` source (see the module docstring)."""
    out_h, out_w = output_size(params, height, width)
    matrix = affine_matrix(params, out_h, out_w)
    if params.crop_box or params.out_size:
        matrix = matrix @ box_matrix(params.crop_box or (0, 0, width, height), out_h, out_w)
    policy = policy_matrix(params.policy, out_h, out_w)
    return matrix if policy is None else policy @ matrix


def _check_settings(fill_mode: str, interpolation: str) -> None:
    # The plain lookups run per image; the checks only build the message when one fails.
    if type(fill_mode) is not str or fill_mode not in BORDERS:
        check_choice("fill_mode", fill_mode, FILL_MODES)
    if type(interpolation) is not str or interpolation not in _INTERPOLATIONS:
        check_choice("interpolation", interpolation, INTERPOLATIONS)


def apply_affine(
    image: np.ndarray,
    params: ImageParams,
    fill_mode: str = "nearest",
    cval: float = 0,
    interpolation: str = "bilinear",
) -> np.ndarray:
    """Warp an image by the composed flip, zoom, shear, rotation and shift of ``params`` (steps 1-6).

    Args:
        image: ``HxW`` or ``HxWxC`` uint8 array (C = 1, 3 or 4); never modified.
        params: What to apply; see :class:`ImageParams`. Crops, resizing and the policy are left to
            :func:`apply_geometry`.
        fill_mode: How to fill pixels that come from outside the image: ``constant`` (``cval``),
            ``nearest`` (repeat the edge), ``reflect`` (mirror, edge pixel included) or ``wrap``.
        cval: Fill value (0..255) for ``constant``, used on every channel.
        interpolation: ``bilinear`` or ``nearest``.

    Returns:
        A new array with the shape and dtype of ``image``.
    """
    check_image(image)
    _check_settings(fill_mode, interpolation)
    height, width = image.shape[:2]
    if is_identity(params):
        return image.copy()
    return _warp(image, affine_matrix(params, height, width), height, width, fill_mode, cval, interpolation)


def _warp(
    image: np.ndarray,
    matrix: np.ndarray,
    out_h: int,
    out_w: int,
    fill_mode: str,
    cval: float,
    interpolation: str,
) -> np.ndarray:
    out = cv2.warpAffine(
        np.ascontiguousarray(image),
        matrix[:2],
        (out_w, out_h),
        flags=_INTERPOLATIONS[interpolation],
        borderMode=BORDERS[fill_mode],
        borderValue=(float(cval),) * 4,
    )
    return restore_shape(out, image)


def is_identity(params: ImageParams) -> bool:
    """Steps 1-6 (Keras' affine) leave every pixel where it is."""
    p = params
    return not (p.theta or p.tx or p.ty or p.shear or p.flip_h or p.flip_v) and p.zx == 1.0 and p.zy == 1.0


def apply_geometry(
    image: np.ndarray,
    params: ImageParams,
    fill_mode: str = "nearest",
    cval: float = 0,
    interpolation: str = "bilinear",
) -> np.ndarray:
    """Steps 0-7 in one resampling pass (see the module docstring for the two shortcuts).

    Args:
        image: ``HxW`` or ``HxWxC`` uint8 array; never modified.
        params: What to apply.
        fill_mode, cval, interpolation: As :func:`apply_affine`.

    Returns:
        A new array of the output size (``params.out_size``, else the image's), dtype and channels
        of ``image``.
    """
    out = geometry(image, params, fill_mode, cval, interpolation)
    return image.copy() if out is image else out


def geometry(
    image: np.ndarray, params: ImageParams, fill_mode: str, cval: float, interpolation: str
) -> np.ndarray:
    """:func:`apply_geometry`, except that it returns ``image`` itself when nothing moves (the pipeline
    copies once at the end instead of after every step)."""
    check_image(image)
    _check_settings(fill_mode, interpolation)
    height, width = image.shape[:2]
    if not (params.crop_box or params.out_size or params.policy):
        if is_identity(params):
            return image
        return _warp(
            image, affine_matrix(params, height, width), height, width, fill_mode, cval, interpolation
        )
    out_h, out_w = output_size(params, height, width)
    policy = policy_matrix(params.policy, out_h, out_w)
    if policy is None and not (params.crop_box or params.out_size) and is_identity(params):
        return image
    box = params.crop_box or (0, 0, width, height)
    flips_only = (
        not (params.theta or params.tx or params.ty or params.shear) and params.zx == params.zy == 1.0
    )
    if flips_only and policy is None and _inside(box, height, width):
        return _crop_resize_flip(image, box, out_h, out_w, params, interpolation)
    matrix = geometry_matrix(params, height, width)
    if params.crop_box or params.out_size:
        image, matrix = _reduce_first(image, matrix, interpolation)
    return _warp(image, matrix, out_h, out_w, fill_mode, cval, interpolation)


def _inside(box: tuple[float, ...], height: int, width: int) -> bool:
    """A box of whole pixels within the image."""
    x, y, w, h = box
    whole = x == int(x) and y == int(y) and w == int(w) and h == int(h)
    return whole and x >= 0 and y >= 0 and x + w <= width and y + h <= height


def _crop_resize_flip(
    image: np.ndarray, box: tuple[float, ...], out_h: int, out_w: int, params: ImageParams, interpolation: str
) -> np.ndarray:
    """A whole-pixel box: slice, resize when the size changes, then flip (flips commute with step 0)."""
    x, y, w, h = (int(v) for v in box)
    region = image[y : y + h, x : x + w]
    if (h, w) == (out_h, out_w):
        out = region if params.flip_h or params.flip_v else region.copy()  # cv2.flip makes a new array
    else:
        sx, sy = out_w / w, out_h / h
        if interpolation == "nearest":
            flag = cv2.INTER_NEAREST_EXACT  # pixel centres as the warp's, not OpenCV's legacy nearest
        elif max(sx, sy) <= 1.0 and min(sx, sy) < 0.5:
            flag = cv2.INTER_AREA  # shrinking more than twofold: average, do not alias
        else:
            flag = cv2.INTER_LINEAR
        out = restore_shape(cv2.resize(region, (out_w, out_h), interpolation=flag), image)
    if params.flip_h or params.flip_v:
        code = -1 if params.flip_h and params.flip_v else (1 if params.flip_h else 0)
        out = restore_shape(cv2.flip(out, code), image)
    return out


def _reduce_first(image: np.ndarray, matrix: np.ndarray, interpolation: str) -> tuple[np.ndarray, np.ndarray]:
    """When the warp shrinks a source axis below half, average it down by a whole factor first.

    Returns the image to warp and the matrix from its coordinates (``x = (x_small + 1/2) k - 1/2``).
    """
    if interpolation != "bilinear":
        return image, matrix
    stretch_x = math.hypot(matrix[0, 0], matrix[1, 0])  # output pixels per source pixel along x
    stretch_y = math.hypot(matrix[0, 1], matrix[1, 1])
    kx = int(1.0 / stretch_x + _EPS) if stretch_x < 0.5 else 1
    ky = int(1.0 / stretch_y + _EPS) if stretch_y < 0.5 else 1
    if kx == ky == 1:
        return image, matrix
    height, width = image.shape[:2]
    small_w, small_h = max(1, -(-width // kx)), max(1, -(-height // ky))
    small = restore_shape(cv2.resize(image, (small_w, small_h), interpolation=cv2.INTER_AREA), image)
    fx, fy = width / small_w, height / small_h
    return small, matrix @ _m(fx, 0, 0.5 * fx - 0.5, 0, fy, 0.5 * fy - 0.5)
