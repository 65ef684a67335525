"""Image grids: the one grid builder, tiles sized for a screen, and previews of an image's variants.

The preview's tiles are numbered ("orig", "v0", "v1", ...) to match the parameter table beside them.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.augment.image import AffineParams, ImageAugConfig, apply_params, sample_params, variant_rng


def to_rgb(image: np.ndarray) -> np.ndarray:
    """Any HxW, HxWx1, HxWx3 or HxWx4 uint8 image as HxWx3 RGB; alpha is shown over a checkerboard."""
    if image.ndim == 2 or image.shape[2] == 1:
        return np.repeat(image.reshape(image.shape[0], image.shape[1], 1), 3, axis=2)
    if image.shape[2] == 3:
        return image
    yy, xx = np.indices(image.shape[:2])
    board = np.where(((yy // 8 + xx // 8) % 2)[..., None] == 0, 255, 204).astype(np.float32)
    alpha = image[..., 3:4].astype(np.float32) / 255.0
    return np.rint(image[..., :3] * alpha + board * (1.0 - alpha)).astype(np.uint8)


def fit_tile(image: np.ndarray, size: int) -> np.ndarray:
    """Fit an image into a ``size`` x ``size`` box, keeping its aspect ratio.

    Small images are enlarged by a whole factor with nearest-neighbour sampling, so an 8x8 digit
    shows crisp pixels; large ones are reduced with area averaging.
    """
    height, width = image.shape[:2]
    longest = max(height, width)
    if longest <= size:
        factor = size // longest
        if factor <= 1:
            return image
        new, interpolation = (width * factor, height * factor), cv2.INTER_NEAREST
    else:
        scale = size / longest
        new, interpolation = (max(1, round(width * scale)), max(1, round(height * scale))), cv2.INTER_AREA
    out = cv2.resize(image, new, interpolation=interpolation)
    # OpenCV drops a trailing channel axis of length 1; keep the caller's layout.
    return out.reshape(new[1], new[0], *image.shape[2:])


def make_grid(tiles: list[np.ndarray], cols: int, pad: int = 4, background: int = 255) -> np.ndarray:
    """Lay tiles out in rows of ``cols``, each centred in a cell the size of the largest tile.

    The one grid builder of AugLab's pages: image previews, GAN samples, dataset thumbnails.

    Args:
        tiles: uint8 images, HxW, HxWx1, HxWx3 or HxWx4 (shown as by :func:`to_rgb`); sizes may differ.
        cols: Tiles per row; fewer tiles than that make one shorter row, below 1 counts as 1.
        pad: Pixels between cells and around the grid.
        background: Grey level of the padding, 0..255.

    Returns:
        One HxWx3 uint8 image; a single background pixel when there are no tiles.
    """
    if not tiles:
        return np.full((1, 1, 3), background, np.uint8)
    tiles = [to_rgb(t) for t in tiles]  # RGB tiles pass through as they are
    cols = max(1, min(cols, len(tiles)))
    rows = -(-len(tiles) // cols)
    cell_h = max(t.shape[0] for t in tiles)
    cell_w = max(t.shape[1] for t in tiles)
    grid = np.full((pad + rows * (cell_h + pad), pad + cols * (cell_w + pad), 3), background, np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        y = pad + r * (cell_h + pad) + (cell_h - tile.shape[0]) // 2
        x = pad + c * (cell_w + pad) + (cell_w - tile.shape[1]) // 2
        grid[y : y + tile.shape[0], x : x + tile.shape[1]] = tile
    return grid


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    """Write a small number in the tile's top-left corner, white on a dark box."""
    scale = max(0.35, tile.shape[1] / 400)
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    out = tile.copy()
    cv2.rectangle(out, (0, 0), (tw + 6, th + base + 6), (40, 40, 40), thickness=-1)
    cv2.putText(out, text, (3, th + 3), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def preview_variants(
    image: np.ndarray, config: ImageAugConfig, seed: int, index: int, count: int, tile: int = 256
) -> tuple[list[np.ndarray], list[AffineParams]]:
    """The first ``count`` variants of item ``index``, sized for display.

    Parameters are sampled for the image at full size, exactly as :func:`core.augment.image.augment`
    samples them, so the table beside the preview shows what an export would use. An image larger
    than the tile is reduced first and the variant's pixel measures (shifts, crop box, erased boxes, blur)
    scaled with it (:meth:`ImageParams.for_source_scale`): the warp then costs the tile's size, not the
    photo's, and looks the same on screen.

    Returns:
        ``count`` RGB tiles and the full-size parameters of each.
    """
    height, width = image.shape[:2]
    scale = min(1.0, tile / max(height, width))
    small = fit_tile(image, tile) if scale < 1.0 else image
    sy, sx = small.shape[0] / height, small.shape[1] / width
    tiles, params = [], []
    for variant in range(count):
        p = sample_params(config, variant_rng(seed, index, variant), height, width)
        shown = p if scale >= 1.0 else p.for_source_scale(sy, sx)
        tiles.append(fit_tile(to_rgb(apply_params(small, shown, config)), tile))
        params.append(p)
    return tiles, params


def preview_grid(
    image: np.ndarray,
    config: ImageAugConfig,
    seed: int,
    index: int,
    count: int,
    tile: int = 256,
    cols: int = 4,
    with_original: bool = True,
) -> tuple[np.ndarray, list[AffineParams]]:
    """One image: the original (tile "orig") then variants 0..count-1 (tiles "v0", "v1", ...).

    Returns:
        The grid as HxWx3 uint8 and the parameters of each variant, in order.
    """
    tiles, params = preview_variants(image, config, seed, index, count, tile)
    labelled = [_label(t, f"v{i}") for i, t in enumerate(tiles)]
    if with_original:
        labelled.insert(0, _label(fit_tile(to_rgb(image), tile), "orig"))
    return make_grid(labelled, cols), params
