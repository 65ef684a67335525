"""Side-by-side throughput of AugLab's image augmentation, albumentations and the Keras way.

Run from the repository root::

    python bench/bench_image_aug.py [--quick] [--update-readme] [--cv-threads N]

Part 1, the affine pipeline. One process times three implementations of the same random pipeline on
224x224 RGB photos (rotation +-20 degrees, shift +-0.2 of the size, shear +-10 degrees, zoom 0.8-1.2 on
x and y independently, horizontal and vertical flips with p=0.5, edge-replicate fill, bilinear):

1. AugLab: ``core.augment.image.augment`` per image, parameter sampling included.
2. albumentations: ``A.Compose([A.Affine(...), A.HorizontalFlip, A.VerticalFlip])``.
3. The Keras way: numpy sampling, the 3x3 matrix of Keras' ``apply_affine_transform``,
   ``scipy.ndimage.affine_transform`` per channel (order=1, mode="nearest"), numpy flips.

Each is warmed up, then timed ``REPEATS`` times with ``time.perf_counter``, rounds interleaved so
a slow spell of the machine hits every pipeline; the best round is reported (the median is printed
beside it). It also times a 4x4 preview grid of 256x256 variants (median of 50 repetitions), checks
that every pipeline really warps (counting ``cv2.warpAffine`` and ``cv2.flip`` calls per image)
and prints the machine it ran on.

Part 2, operation by operation: AugLab's ``augment`` with one step on beside the albumentations
transform of the same meaning (RandomResizedCrop, ColorJitter with its four factors, GaussianBlur,
GaussNoise, Erasing, CoarseDropout), then a full pipeline (affine + random resized crop + colour jitter +
blur + erasing), each on the same photos, rounds interleaved, the best of each reported.

``--update-readme`` writes both tables between ``<!-- bench:image_aug:start -->`` and
``<!-- bench:image_aug:end -->`` in README.md.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import albumentations as A
import common  # puts the repository root on sys.path for `core`
import cv2
import numpy as np
import scipy
from scipy import ndimage as ndi

from core.augment.image import ImageAugConfig, augment

SIZE = 224  # side of the benchmark images, pixels
GRID_SIZE = 256  # side of each preview-grid variant, pixels
GRID_PAD = 2  # pixels between (and around) the preview-grid cells
SEED = 1234  # one seed for every pipeline, so reruns draw the same parameters

# Targets: AugLab's throughput over the others', and the preview grid's median time.
TARGET_VS_ALBUMENTATIONS = 1.3  # the affine pipeline
TARGET_OP_VS_ALBUMENTATIONS = 1.0  # each operation, and the full pipeline
TARGET_VS_SCIPY = 8.0
TARGET_GRID_MS = 30.0

# The pipeline, in the vocabulary each implementation speaks.
ROTATION = 20.0  # degrees
SHIFT = 0.2  # fraction of width / height
SHEAR = 10.0  # degrees
ZOOM = (0.8, 1.2)  # independent on x and y

AUGLAB_CONFIG = ImageAugConfig(
    rotation_range=ROTATION,
    width_shift_range=SHIFT,
    height_shift_range=SHIFT,
    shear_range=SHEAR,
    zoom_range=0.2,
    horizontal_flip=True,
    vertical_flip=True,
    fill_mode="nearest",
)


@dataclass(frozen=True)
class Sizes:
    """How much work one run does."""

    images: int  # images per timed round, fast pipelines
    scipy_images: int  # images per timed round, the scipy warp
    warmup: int  # untimed images before the first round of each pipeline
    repeats: int  # timed rounds per pipeline; the best is reported
    grid_reps: int  # preview-grid repetitions; the median is reported


FULL = Sizes(images=3000, scipy_images=300, warmup=50, repeats=3, grid_reps=50)
QUICK = Sizes(images=60, scipy_images=10, warmup=5, repeats=2, grid_reps=5)
OP_IMAGES = {"full": 600, "quick": 20}  # images per timed round of each operation
OP_REPEATS = {"full": 5, "quick": 2}


@dataclass(frozen=True)
class Timing:
    """Timed rounds of one pipeline."""

    name: str
    images: int  # images per round
    seconds: list[float]  # one wall time per round

    @property
    def best_rate(self) -> float:
        """Images per second of the fastest round."""
        return self.images / min(self.seconds)

    @property
    def median_rate(self) -> float:
        """Images per second of the median round."""
        return self.images / statistics.median(self.seconds)


# ---------------------------------------------------------------------------------------------
# Data


def load_photos(size: int) -> list[np.ndarray]:
    """The bundled real photos, RGB uint8, resized to ``size`` x ``size`` with INTER_AREA."""
    from skimage import data
    from sklearn.datasets import load_sample_images

    photos = [getattr(data, name)() for name in ("astronaut", "chelsea", "coffee", "rocket")]
    photos += list(load_sample_images().images)  # china, flower
    out = []
    for photo in photos:
        photo = photo[..., :3] if photo.ndim == 3 else np.dstack([photo] * 3)
        out.append(np.ascontiguousarray(cv2.resize(photo, (size, size), interpolation=cv2.INTER_AREA)))
    return out


def cycle(photos: list[np.ndarray], count: int) -> list[np.ndarray]:
    """``count`` images taken in turn from ``photos`` (the same arrays, not copies)."""
    return [photos[i % len(photos)] for i in range(count)]


# ---------------------------------------------------------------------------------------------
# The three pipelines: each returns ``run(image, index) -> augmented image``


def auglab_pipeline() -> Callable[[np.ndarray, int], np.ndarray]:
    """AugLab: sample from (seed, index, variant 0), then one composed warp."""

    def run(image: np.ndarray, index: int) -> np.ndarray:
        return augment(image, AUGLAB_CONFIG, SEED, index, 0)[0]

    return run


def albumentations_compose(seed: int = SEED) -> A.Compose:
    """The same pipeline in albumentations 2.0.8.

    ``keep_ratio=False`` and ``balanced_scale=False`` (the defaults, spelled out) sample x and y zoom
    independently and uniformly in 0.8..1.2; ``fit_output=False`` keeps the 224x224 frame.
    """
    return A.Compose(
        [
            A.Affine(
                rotate=(-ROTATION, ROTATION),
                translate_percent={"x": (-SHIFT, SHIFT), "y": (-SHIFT, SHIFT)},
                shear={"x": (-SHEAR, SHEAR), "y": (0, 0)},
                scale={"x": ZOOM, "y": ZOOM},
                interpolation=cv2.INTER_LINEAR,
                border_mode=cv2.BORDER_REPLICATE,
                fit_output=False,
                keep_ratio=False,
                balanced_scale=False,
                p=1.0,
            ),
            A.HorizontalFlip(p=0.5),
            A.VerticalFlip(p=0.5),
        ],
        seed=seed,
    )


def albumentations_pipeline() -> Callable[[np.ndarray, int], np.ndarray]:
    """albumentations: Compose seeded once, called per image."""
    pipeline = albumentations_compose()

    def run(image: np.ndarray, index: int) -> np.ndarray:
        return pipeline(image=image)["image"]

    return run


def keras_matrix(theta: float, tx: float, ty: float, shear: float, zx: float, zy: float, h: int, w: int):
    """The 3x3 matrix Keras' ``apply_affine_transform`` hands to scipy (output -> input coordinates).

    Args:
        theta: Rotation, degrees.
        tx: Shift along rows (Keras' axis convention), pixels.
        ty: Shift along columns, pixels.
        shear: Shear, degrees.
        zx: Zoom along rows.
        zy: Zoom along columns.
        h: Image height, pixels.
        w: Image width, pixels.
    """
    t, s = np.deg2rad(theta), np.deg2rad(shear)
    rotation = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    shift = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    shearing = np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
    zoom = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
    matrix = rotation @ shift @ shearing @ zoom
    # Keras' transform_matrix_offset_center
    ox, oy = h / 2 + 0.5, w / 2 + 0.5
    offset = np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]])
    reset = np.array([[1, 0, -ox], [0, 1, -oy], [0, 0, 1]])
    return offset @ matrix @ reset


def scipy_pipeline() -> Callable[[np.ndarray, int], np.ndarray]:
    """The Keras way: ``ImageDataGenerator.random_transform`` with scipy doing the warp."""
    rng = np.random.default_rng(SEED)

    def run(image: np.ndarray, index: int) -> np.ndarray:
        h, w = image.shape[:2]
        # 1. Sample as ImageDataGenerator.get_random_transform does (tx runs along rows).
        theta = rng.uniform(-ROTATION, ROTATION)
        tx = rng.uniform(-SHIFT, SHIFT) * h
        ty = rng.uniform(-SHIFT, SHIFT) * w
        shear = rng.uniform(-SHEAR, SHEAR)
        zx, zy = rng.uniform(ZOOM[0], ZOOM[1], 2)
        flip_h = rng.random() < 0.5
        flip_v = rng.random() < 0.5
        # 2. Warp every channel as apply_affine_transform does (channels last, rolled to the front).
        matrix = keras_matrix(theta, tx, ty, shear, zx, zy, h, w)
        channels = [
            ndi.affine_transform(c, matrix[:2, :2], matrix[:2, 2], order=1, mode="nearest", cval=0.0)
            for c in np.rollaxis(image, 2, 0)
        ]
        out = np.rollaxis(np.stack(channels, axis=0), 0, 3)
        # 3. Flips are numpy views, as in Keras' flip_axis.
        if flip_h:
            out = out[:, ::-1]
        if flip_v:
            out = out[::-1]
        return out

    return run


# ---------------------------------------------------------------------------------------------
# Part 2: operation by operation, and a full pipeline


def operations() -> list[tuple[str, ImageAugConfig, A.BasicTransform | A.Compose]]:
    """(name, AugLab's configuration, the albumentations 2.0.8 transform of the same meaning)."""
    jitter = {"brightness": (0.6, 1.4), "contrast": (0.6, 1.4), "saturation": (0.6, 1.4), "hue": (-0.1, 0.1)}
    full_auglab = ImageAugConfig(
        rotation_range=ROTATION,
        width_shift_range=0.1,
        height_shift_range=0.1,
        shear_range=SHEAR,
        zoom_range=ZOOM,
        horizontal_flip=True,
        fill_mode="nearest",
        crop="random_resized",
        crop_scale=(0.25, 1.0),
        resize_height=SIZE,
        resize_width=SIZE,
        brightness_range=jitter["brightness"],
        contrast_range=jitter["contrast"],
        saturation_range=jitter["saturation"],
        hue_range=jitter["hue"],
        blur_p=0.5,
        blur_sigma=(0.1, 2.0),
        erase_p=0.5,
    )
    full_albumentations = A.Compose(
        [
            A.RandomResizedCrop(size=(SIZE, SIZE), scale=(0.25, 1.0), p=1.0),
            A.Affine(
                rotate=(-ROTATION, ROTATION),
                translate_percent={"x": (-0.1, 0.1), "y": (-0.1, 0.1)},
                shear={"x": (-SHEAR, SHEAR), "y": (0, 0)},
                scale={"x": ZOOM, "y": ZOOM},
                interpolation=cv2.INTER_LINEAR,
                border_mode=cv2.BORDER_REPLICATE,
                p=1.0,
            ),
            A.HorizontalFlip(p=0.5),
            A.ColorJitter(**jitter, p=1.0),
            A.GaussianBlur(blur_limit=0, sigma_limit=(0.1, 2.0), p=0.5),
            A.Erasing(p=0.5),
        ],
        seed=SEED,
    )
    return [
        (
            "RandomResizedCrop to 224x224",
            ImageAugConfig(crop="random_resized", resize_height=SIZE, resize_width=SIZE),
            A.RandomResizedCrop(size=(SIZE, SIZE), p=1.0),
        ),
        (
            "ColorJitter (brightness, contrast, saturation, hue)",
            ImageAugConfig(
                brightness_range=jitter["brightness"],
                contrast_range=jitter["contrast"],
                saturation_range=jitter["saturation"],
                hue_range=jitter["hue"],
            ),
            A.ColorJitter(**jitter, p=1.0),
        ),
        (
            "GaussianBlur, sigma 0.1-2",
            ImageAugConfig(blur_p=1.0, blur_sigma=(0.1, 2.0)),
            A.GaussianBlur(blur_limit=0, sigma_limit=(0.1, 2.0), p=1.0),
        ),
        (
            "GaussNoise, std 10-25 of 255",
            ImageAugConfig(noise_p=1.0, noise_std=(10.0, 25.0)),
            A.GaussNoise(std_range=(10 / 255, 25 / 255), p=1.0),
        ),
        ("Erasing (one box, torchvision's rule)", ImageAugConfig(erase_p=1.0), A.Erasing(p=1.0)),
        (
            "CoarseDropout / erasing, 4 boxes",
            ImageAugConfig(erase_p=1.0, erase_count=(4, 4), erase_scale=(0.01, 0.04), erase_ratio=(0.5, 2.0)),
            A.CoarseDropout(
                num_holes_range=(4, 4), hole_height_range=(0.1, 0.2), hole_width_range=(0.1, 0.2), p=1.0
            ),
        ),
        ("Full pipeline: affine + crop + colour + blur + erasing", full_auglab, full_albumentations),
    ]


def time_operations(photos: list[np.ndarray], images: int, repeats: int) -> list[tuple[str, Timing, Timing]]:
    """Each operation: AugLab's and albumentations' timings, rounds interleaved."""
    out = []
    for name, config, transform in operations():
        pipeline = transform if isinstance(transform, A.Compose) else A.Compose([transform], seed=SEED)

        def auglab(image: np.ndarray, index: int, config: ImageAugConfig = config) -> np.ndarray:
            return augment(image, config, SEED, index, 0)[0]

        def albumentations(image: np.ndarray, index: int, pipeline: A.Compose = pipeline) -> np.ndarray:
            return pipeline(image=image)["image"]

        sizes = Sizes(images=images, scipy_images=0, warmup=20, repeats=repeats, grid_reps=0)
        timings = time_rounds(
            {
                "AugLab": (auglab, cycle(photos, images)),
                "albumentations": (albumentations, cycle(photos, images)),
            },
            sizes,
        )
        out.append((name, timings["AugLab"], timings["albumentations"]))
    return out


def render_operations(rows: list[tuple[str, Timing, Timing]], repeats: int) -> list[str]:
    """The per-operation table and its verdicts."""
    lines = [
        "",
        f"Operation by operation, 224x224 RGB photos, AugLab's `augment` (parameters sampled per image from "
        f"(seed, index, variant)) beside albumentations 2.0.8 (`A.Compose`, seeded once). Best of {repeats} "
        "interleaved rounds (median in brackets).",
        "",
        "| operation | AugLab images/s | albumentations images/s | AugLab / albumentations |",
        "|---|---:|---:|---:|",
    ]
    for name, ours, theirs in rows:
        lines.append(
            f"| {name} | {ours.best_rate:,.0f} ({ours.median_rate:,.0f}) | "
            f"{theirs.best_rate:,.0f} ({theirs.median_rate:,.0f}) "
            f"| {ours.best_rate / theirs.best_rate:.2f}x |"
        )
    lines.append("")
    for name, ours, theirs in rows:
        ratio = ours.best_rate / theirs.best_rate
        ok = ratio >= TARGET_OP_VS_ALBUMENTATIONS
        lines.append(
            f"- {name}: {ratio:.2f}x (target >= {TARGET_OP_VS_ALBUMENTATIONS:g}x): **{common.verdict(ok)}**"
        )
    return lines


# ---------------------------------------------------------------------------------------------
# Timing


def time_rounds(
    pipelines: dict[str, tuple[Callable[[np.ndarray, int], np.ndarray], list[np.ndarray]]],
    sizes: Sizes,
) -> dict[str, Timing]:
    """Warm every pipeline up, then time ``sizes.repeats`` interleaved rounds of each."""
    for run, images in pipelines.values():
        for i in range(sizes.warmup):
            run(images[i % len(images)], 10**6 + i)  # indices apart from the timed ones
    seconds: dict[str, list[float]] = {name: [] for name in pipelines}
    for _ in range(sizes.repeats):
        for name, (run, images) in pipelines.items():
            start = time.perf_counter()
            for index, image in enumerate(images):
                run(image, index)
            seconds[name].append(time.perf_counter() - start)
    return {name: Timing(name, len(pipelines[name][1]), seconds[name]) for name in pipelines}


def assemble_grid(tiles: list[np.ndarray], rows: int, cols: int, pad: int) -> np.ndarray:
    """Tiles side by side with ``pad`` white pixels between and around them."""
    h, w, c = tiles[0].shape
    grid = np.full((rows * h + (rows + 1) * pad, cols * w + (cols + 1) * pad, c), 255, np.uint8)
    for k, tile in enumerate(tiles):
        r, q = divmod(k, cols)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        grid[y : y + h, x : x + w] = tile
    return grid


def augment_grid(photo: np.ndarray) -> np.ndarray:
    """The 4x4 preview the app shows: variants 0..15 of item 0, assembled with numpy."""
    tiles = [augment(photo, AUGLAB_CONFIG, SEED, 0, v)[0] for v in range(16)]
    return assemble_grid(tiles, 4, 4, GRID_PAD)


def median_ms(fn: Callable[[], object], reps: int) -> float:
    """Median wall time of ``fn()`` over ``reps`` calls (after one untimed call), milliseconds."""
    fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def core_preview_grid(photo: np.ndarray) -> tuple[Callable[[], object] | None, str]:
    """A call of ``core.present.grids``'s grid builder with our settings, if that module exists.

    Returns the zero-argument call (or None) and a sentence saying what was found.
    """
    if importlib.util.find_spec("core.present.grids") is None:
        return None, "core/present/grids.py not present: timed the 16 augment calls + numpy assembly only."
    module = importlib.import_module("core.present.grids")
    names = [n for n in ("preview_grid", "make_preview_grid", "build_grid", "grid") if hasattr(module, n)]
    names += [n for n, f in vars(module).items() if "grid" in n.lower() and callable(f) and n not in names]
    names = [n for n in names if not n.startswith("_") and inspect.isfunction(getattr(module, n))]
    if not names:
        return None, "core/present/grids.py has no public *grid* function: not timed."
    name = names[0]
    fn = getattr(module, name)
    # Fill parameters by name; anything required we cannot name is reported, not guessed.
    known = {
        "image": photo, "img": photo, "photo": photo,
        "config": AUGLAB_CONFIG, "cfg": AUGLAB_CONFIG,
        "seed": SEED, "index": 0, "item": 0,
        "rows": 4, "cols": 4, "n_rows": 4, "n_cols": 4, "columns": 4,
        "n": 16, "count": 16, "variants": 16, "n_variants": 16,
        "pad": GRID_PAD, "padding": GRID_PAD, "tile": GRID_SIZE, "size": GRID_SIZE,
    }  # fmt: skip
    kwargs, missing = {}, []
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in known:
            kwargs[p.name] = known[p.name]
        elif p.default is p.empty:
            missing.append(p.name)
    plain = (np.ndarray, ImageAugConfig)  # shown by name only
    shown = ", ".join(k if isinstance(v, plain) else f"{k}={v}" for k, v in kwargs.items())
    call = f"core.present.grids.{name}({shown})"
    if missing:
        return None, f"{call} also needs {', '.join(missing)}, which this bench cannot fill: not timed."
    try:
        fn(**kwargs)
    except Exception as exc:  # report, do not crash the whole benchmark over an API we guessed
        return None, f"{call} failed ({type(exc).__name__}: {exc}): not timed."
    return (lambda: fn(**kwargs)), f"{call}, other arguments left at their defaults"


# ---------------------------------------------------------------------------------------------
# Checks that the pipelines do the same kind of work


def count_calls(run: Callable[[np.ndarray, int], np.ndarray], images: list[np.ndarray]) -> dict[str, float]:
    """Per image: mean ``cv2.warpAffine`` and ``cv2.flip`` calls; share of outputs equal to the input."""
    counts = {"warpAffine": 0, "flip": 0}
    originals = {name: getattr(cv2, name) for name in counts}

    def counted(name: str) -> Callable[..., np.ndarray]:
        def call(*args: object, **kwargs: object) -> np.ndarray:
            counts[name] += 1
            return originals[name](*args, **kwargs)

        return call

    unchanged = 0
    try:
        for name in counts:
            setattr(cv2, name, counted(name))
        for index, image in enumerate(images):
            out = run(image, 2 * 10**6 + index)
            assert out.shape == image.shape and out.dtype == np.uint8, (out.shape, out.dtype)
            unchanged += bool(np.array_equal(out, image))
    finally:
        for name, fn in originals.items():
            setattr(cv2, name, fn)
    n = len(images)
    return {"warpAffine": counts["warpAffine"] / n, "flip": counts["flip"] / n, "unchanged": unchanged / n}


# ---------------------------------------------------------------------------------------------
# Report


def render(
    timings: dict[str, Timing],
    grid_lines: list[str],
    checks: dict[str, dict[str, float]],
    sizes: Sizes,
    quick: bool,
    op_lines: list[str] | None = None,
) -> str:
    """The Markdown report: table, targets, preview grid, work checks and machine."""
    auglab, alb = timings["AugLab"].best_rate, timings["albumentations"].best_rate
    lines = [
        f"Image augmentation throughput, 224x224 RGB photos, one process"
        f"{' (--quick: tiny sizes, figures not meaningful)' if quick else ''}. "
        f"The affine pipeline (Keras' settings); best of {sizes.repeats} rounds (median in brackets).",
        "",
        "| pipeline | images/s | ms/image | ratio vs AugLab | ratio vs albumentations |",
        "|---|---:|---:|---:|---:|",
    ]
    for t in timings.values():
        label = f"{t.name} ({t.images} images/round)"
        lines.append(
            f"| {label} | {t.best_rate:,.0f} ({t.median_rate:,.0f}) | {1e3 / t.best_rate:.3f} "
            f"| {t.best_rate / auglab:.2f}x | {t.best_rate / alb:.2f}x |"
        )
    vs_alb = auglab / alb
    vs_scipy = auglab / timings["Keras way (scipy.ndimage)"].best_rate
    lines += [
        "",
        f"- AugLab / albumentations throughput: {vs_alb:.2f}x "
        f"(target >= {TARGET_VS_ALBUMENTATIONS:g}x): "
        f"**{common.verdict(vs_alb >= TARGET_VS_ALBUMENTATIONS)}**",
        f"- AugLab / scipy warp throughput: {vs_scipy:.1f}x "
        f"(target >= {TARGET_VS_SCIPY:g}x): **{common.verdict(vs_scipy >= TARGET_VS_SCIPY)}**",
        *grid_lines,
        "",
        "Work per image (untimed check; warps and flips counted by wrapping cv2):",
        "",
    ]
    for name, c in checks.items():
        lines.append(
            f"- {name}: {c['warpAffine']:.2f} cv2.warpAffine + {c['flip']:.2f} cv2.flip calls, "
            f"{100 * c['unchanged']:.0f}% of outputs identical to the input"
        )
    lines += op_lines or []
    versions = {"numpy": np.__version__, "opencv": cv2.__version__, "albumentations": A.__version__}
    versions["scipy"] = scipy.__version__
    machine = common.machine_info({"OpenCV threads": str(cv2.getNumThreads())}, versions)
    lines += ["", common.machine_line(machine)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = common.parser(__doc__, "tiny sizes for a smoke check (a few seconds)")
    parser.add_argument("--cv-threads", type=int, default=None, help="cv2.setNumThreads before timing")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.cv_threads is not None:
        cv2.setNumThreads(args.cv_threads)
    threads = cv2.getNumThreads()

    photos = load_photos(SIZE)
    pipelines = {
        "AugLab": (auglab_pipeline(), cycle(photos, sizes.images)),
        "albumentations": (albumentations_pipeline(), cycle(photos, sizes.images)),
        "Keras way (scipy.ndimage)": (scipy_pipeline(), cycle(photos, sizes.scipy_images)),
    }
    checks = {
        name: count_calls(make(), cycle(photos, 20 if args.quick else 200))
        for name, make in (("AugLab", auglab_pipeline), ("albumentations", albumentations_pipeline))
    }
    timings = time_rounds(pipelines, sizes)

    photo = load_photos(GRID_SIZE)[0]  # the astronaut, 256x256
    grid_ms = median_ms(lambda: augment_grid(photo), sizes.grid_reps)
    grid_lines = [
        f"- Preview grid, 16 augment calls on a 256x256 photo + numpy 4x4 assembly (2 px padding): "
        f"{grid_ms:.1f} ms median of {sizes.grid_reps} (target <= {TARGET_GRID_MS:g} ms): "
        f"**{common.verdict(grid_ms <= TARGET_GRID_MS)}**"
    ]
    call, what = core_preview_grid(photo)
    if call is None:
        grid_lines.append(f"- {what}")
    else:
        ms = median_ms(call, sizes.grid_reps)
        grid_lines.append(
            f"- Preview grid, {what}: {ms:.1f} ms median of {sizes.grid_reps} "
            f"(target <= {TARGET_GRID_MS:g} ms): **{common.verdict(ms <= TARGET_GRID_MS)}**"
        )
    if cv2.getNumThreads() != threads:  # every pipeline must have run under the same setting
        now = cv2.getNumThreads()
        grid_lines.append(f"- WARNING: OpenCV threads changed during the run ({threads} -> {now}).")

    mode = "quick" if args.quick else "full"
    op_rows = time_operations(photos, OP_IMAGES[mode], OP_REPEATS[mode])
    report = render(
        timings, grid_lines, checks, sizes, args.quick, render_operations(op_rows, OP_REPEATS[mode])
    )
    common.publish(report, "image_aug", args.update_readme)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
