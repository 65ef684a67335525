"""AugLab's image generators (GAN, VAE) on CPU: engine overhead, and what 60 s of training gives on
three small labelled sets, digits and two that are not.

Run from the repository root::

    python bench/bench_gan.py [--quick] [--update-readme] [--threads N] [--only digits|shapes|textures]

One process, all on the CPU:

1. Engine overhead: steps per second of ``TrainingRun`` over a ``GANTrainer`` (the MLP GAN on the
   digits; ``RunLimits(max_steps=N)``, previews every second and good-state copies every 5 s included)
   against a bare ``for`` loop doing the same D and G updates on the same networks and data. Rounds are
   interleaved and the best of each is reported. Target: overhead < 10%.
2. Time to quality on three sets, each split 80/20 by class with the page's held-out split
   (:func:`core.generators.gan.training_split`, seed 0): scikit-learn's digits (8x8, 10 classes,
   1,797), drawn shapes (16x16, circles / squares / triangles, 200 each) and texture patches (32x32,
   scikit-image's brick / grass / gravel, 256 each; both from :mod:`core.generators.small_sets`).
   Each generator trains for the budget in a ``TrainingRun`` (training time only), built as the page
   and ``python -m core train-gan`` / ``train-vae`` build it (the trainer on
   :func:`~core.generators.gan.training_split`), with the settings the data suggests
   (:func:`core.generators.gan.suggested_settings`) unless the row says otherwise. After each third of
   the budget :func:`core.generators.gan.evaluate_quality` scores 200 samples per class, as the page's
   Evaluate button does: TSTR (a classifier trained on the samples, tested on the held-out real images)
   beside TRTR (the same classifier trained on the real training images), and the memorisation share.
   Target, for the default GAN of the two sets that are not digits: TSTR >= 0.85 x TRTR and
   memorisation share < 0.2 at the end of the 60 s.
3. Small data: the MLP GAN on ten training digits per class, with and without DiffAugment (sampling
   from its own weights, not their average, as suggested below 50 per class): the memorisation share
   at the end of the budget. Target: < 0.2 with DiffAugment (the default there).

Torch runs on ``--threads`` intra-op threads (default 1, as the app's worker processes). The figures
depend on the load of the machine; the machine line records it. ``--update-readme`` writes the report
between ``<!-- bench:gan:start -->`` and ``<!-- bench:gan:end -->`` in README.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import common  # first: puts the repository root on sys.path for `core`
import numpy as np
import sklearn
import torch
import torch.nn.functional as F

from core.data.images import ImageDataset, load_digits
from core.generators.engine import RunLimits, TrainingRun
from core.generators.gan import (
    GANConfig,
    GANTrainer,
    TrainingData,
    evaluate_quality,
    suggested_settings,
    training_split,
)
from core.generators.jobs import gan_trainer
from core.generators.small_sets import drawn_shapes, texture_patches
from core.generators.vae import VAEConfig, VAETrainer

SEED = 0
TARGET_OVERHEAD = 10.0  # percent
TARGET_RATIO = 0.85  # TSTR / TRTR
TARGET_MEMORISATION = 0.2


@dataclass(frozen=True)
class Sizes:
    """How much work one run does."""

    overhead_steps: int  # steps per timed round of part 1
    overhead_rounds: int  # interleaved rounds per contender; the best is reported
    budget_s: float  # training seconds per generator
    evaluations: int  # evaluations per run, evenly spread over the budget


FULL = Sizes(overhead_steps=1500, overhead_rounds=3, budget_s=60.0, evaluations=3)
QUICK = Sizes(overhead_steps=60, overhead_rounds=1, budget_s=3.0, evaluations=1)


# ---------------------------------------------------------------------------------------------
# The rows: (set, what, how the config is made)


def default_gan(dataset: ImageDataset, **changes: Any) -> GANConfig:
    """The GAN the page and the CLI start from for ``dataset`` (``changes`` on top)."""
    s = suggested_settings(dataset.images)
    values = {
        "arch": s.arch,
        "image_size": s.image_size,
        "channels": s.channels,
        "n_classes": len(dataset.classes),
        "diffaugment": s.diffaugment,
        "ema": GANConfig().ema if s.ema else 0.0,
        "seed": SEED,
    }
    return GANConfig(**{**values, **changes})


def default_vae(dataset: ImageDataset, **changes: Any) -> VAEConfig:
    """The VAE the page and the CLI start from for ``dataset``."""
    s = suggested_settings(dataset.images)
    values = {"image_size": s.vae_size, "channels": s.channels, "n_classes": len(dataset.classes)}
    return VAEConfig(**{**values, "seed": SEED, **changes})


Row = tuple[str, str, Callable[[ImageDataset], Any], bool]  # set, label, config, judged
ROWS: list[Row] = [
    ("digits", "MLP GAN, 8 px (default)", default_gan, False),
    ("digits", "conv GAN, enlarged to 16 px", lambda d: default_gan(d, arch="dcgan", image_size=16), False),
    ("digits", "VAE, 8 px (default)", default_vae, False),
    ("shapes", "conv GAN, 16 px (default)", default_gan, True),
    ("shapes", "MLP GAN, 16 px", lambda d: default_gan(d, arch="mlp", lr=2e-4), False),
    ("shapes", "VAE, 16 px (default)", default_vae, False),
    ("textures", "conv GAN, 32 px (default)", default_gan, True),
    ("textures", "VAE, 32 px (default)", default_vae, False),
]
SETS: dict[str, tuple[str, Callable[[], ImageDataset]]] = {
    "digits": ("scikit-learn's digits, 8x8, 10 classes, 1,797 images", load_digits),
    "shapes": ("drawn shapes, 16x16, circle / square / triangle, 200 each", drawn_shapes),
    "textures": ("texture patches, 32x32, brick / grass / gravel, 256 each", texture_patches),
}


# ---------------------------------------------------------------------------------------------
# 1. Engine overhead


def engine_round(dataset: ImageDataset, steps: int) -> float:
    """Seconds for ``steps`` steps through TrainingRun (thread start to join)."""
    trainer, _ = gan_trainer(dataset.images, default_gan(dataset))
    run = TrainingRun(trainer)
    start = time.perf_counter()
    run.start(RunLimits(max_steps=steps, budget_s=None))
    run.join()
    seconds = time.perf_counter() - start
    assert run.snapshot().steps == steps, run.snapshot()
    return seconds


def plain_round(dataset: ImageDataset, steps: int) -> float:
    """Seconds for ``steps`` steps of a bare loop over the same networks, as a tutorial writes it."""
    config = default_gan(dataset)
    trainer, _ = gan_trainer(dataset.images, config)
    G, D, opt_g, opt_d, rng = trainer.G, trainer.D, trainer.opt_g, trainer.opt_d, trainer.rng
    images, labels, k = trainer.images, trainer.labels, config.n_classes
    n, b, z_dim = images.shape[0], config.batch_size, config.z_dim
    start = time.perf_counter()
    for _ in range(steps):
        index = torch.randint(n, (b,), generator=rng)
        real, real_labels = images[index], labels[index]
        fake_labels = torch.randint(k, (b,), generator=rng)
        fake = G(torch.randn(b, z_dim, generator=rng), fake_labels)
        d_real, d_fake = D(real, real_labels, rng), D(fake.detach(), fake_labels, rng)
        loss_d = F.binary_cross_entropy_with_logits(
            d_real, torch.ones_like(d_real)
        ) + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        d_fake = D(fake, fake_labels, rng)
        loss_g = F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        trainer._update_ema()  # the engine's trainer averages its generator too: the same work
        trainer.steps_done += 1
    return time.perf_counter() - start


def overhead(dataset: ImageDataset, sizes: Sizes) -> dict[str, list[float]]:
    """Interleaved rounds of both; one warm-up round of each first."""
    engine_round(dataset, 20)
    plain_round(dataset, 20)
    seconds: dict[str, list[float]] = {"engine": [], "plain": []}
    for _ in range(sizes.overhead_rounds):
        seconds["engine"].append(engine_round(dataset, sizes.overhead_steps))
        seconds["plain"].append(plain_round(dataset, sizes.overhead_steps))
    return seconds


# ---------------------------------------------------------------------------------------------
# 2, 3. Time to quality


@dataclass
class Point:
    """One evaluation, after ``seconds`` of training."""

    seconds: float
    steps: int
    tstr: float
    trtr: float
    memorisation: float

    @property
    def ratio(self) -> float:
        return self.tstr / self.trtr if self.trtr else float("nan")


@dataclass
class Curve:
    set_name: str
    label: str
    judged: bool
    points: list[Point]

    @property
    def last(self) -> Point:
        return self.points[-1]

    @property
    def passed(self) -> bool:
        return self.last.ratio >= TARGET_RATIO and self.last.memorisation < TARGET_MEMORISATION


def train_curve(set_name: str, label: str, data: TrainingData, config: Any, sizes: Sizes) -> list[Point]:
    """Train ``config`` on ``data`` (a :func:`training_split`) for the budget, evaluating after each slice.

    The trainer is built as :func:`core.generators.jobs.gan_trainer` / ``vae_trainer`` build it.
    """
    trainer_type = VAETrainer if isinstance(config, VAEConfig) else GANTrainer
    trainer = trainer_type(data.images, data.labels, data.classes, config)
    run = TrainingRun(trainer)
    points, trained = [], 0.0
    for _ in range(sizes.evaluations):
        run.start(RunLimits(budget_s=sizes.budget_s / sizes.evaluations, preview_every_s=3.0))
        run.join()
        snap = run.snapshot()
        if snap.status != "finished":
            print(f"  {set_name} / {label}: run {snap.status}: {snap.message}", flush=True)
        trained += snap.elapsed_s
        report = evaluate_quality(trainer, data)
        point = Point(
            trained,
            trainer.steps_done,
            report.tstr.accuracy_synthetic,
            report.tstr.accuracy_real,
            report.memorisation.share,
        )
        points.append(point)
        print(
            f"  {set_name} / {label}: {trained:5.1f} s, {trainer.steps_done:6,} steps, TSTR {point.tstr:.3f} "
            f"(TRTR {point.trtr:.3f}, ratio {point.ratio:.2f}), memorisation {point.memorisation:.3f}",
            flush=True,
        )
        if snap.status == "failed":
            break
    return points


def first_per_class(data: TrainingData, k: int) -> TrainingData:
    """``data`` with only the first ``k`` training images of each class (the held-out part unchanged)."""
    labels = data.labels.numpy()
    keep = np.sort(np.concatenate([np.flatnonzero(labels == c)[:k] for c in np.unique(labels)]))
    index = torch.from_numpy(keep)
    return replace(data, images=data.images[index], labels=data.labels[index])


# ---------------------------------------------------------------------------------------------
# Report


def curve_cells(points: list[Point]) -> str:
    return " / ".join(f"{p.tstr:.2f}" for p in points)


def render(
    seconds: dict[str, list[float]] | None,
    curves: list[Curve],
    small: list[Curve],
    sizes: Sizes,
    quick: bool,
) -> str:
    lines = [
        f"Image generators on CPU (GAN and VAE), {sizes.budget_s:g} s of training per row"
        f"{' (--quick: tiny sizes, figures not meaningful)' if quick else ''}.",
        "",
    ]
    if seconds is not None:
        steps = sizes.overhead_steps
        engine, plain = steps / min(seconds["engine"]), steps / min(seconds["plain"])
        over = (plain / engine - 1.0) * 100.0
        lines += [
            f"1. Engine overhead (the MLP GAN on the digits), {steps:,} steps per round, best of "
            f"{sizes.overhead_rounds} interleaved rounds:",
            "",
            "| loop | steps/s | ms/step |",
            "|---|---:|---:|",
            f"| AugLab `TrainingRun` over `GANTrainer` | {engine:,.1f} | {1e3 / engine:.2f} |",
            f"| bare `for` loop, same updates | {plain:,.1f} | {1e3 / plain:.2f} |",
            "",
            f"- Overhead: {over:+.1f}% (target < {TARGET_OVERHEAD:g}%): "
            f"**{common.verdict(over < TARGET_OVERHEAD)}**",
            "",
        ]
    thirds = " / ".join(f"{sizes.budget_s * (i + 1) / sizes.evaluations:g}" for i in range(sizes.evaluations))
    lines += [
        f"2. TSTR / TRTR on the 20% held-out part of each set (200 samples per class; TSTR after {thirds} s "
        "of training; TRTR: the same classifier trained on the real training images):",
        "",
        "| set | generator | steps | TSTR curve | TSTR | TRTR | TSTR / TRTR | memorisation | target |",
        "|---|---|---:|---|---:|---:|---:|---:|---|",
    ]
    for c in curves:
        p = c.last
        verdict = f"**{common.verdict(c.passed)}**" if c.judged else ""
        lines.append(
            f"| {c.set_name} | {c.label} | {p.steps:,} | {curve_cells(c.points)} | {p.tstr:.3f} "
            f"| {p.trtr:.3f} | {p.ratio:.2f} | {p.memorisation:.3f} | {verdict} |"
        )
    judged = [c for c in curves if c.judged]
    if judged:
        shown = "; ".join(f"{c.set_name} {c.last.ratio:.2f} / {c.last.memorisation:.3f}" for c in judged)
        lines += [
            "",
            f"- Default GAN on the sets that are not digits, TSTR / TRTR >= {TARGET_RATIO:g} and "
            f"memorisation < {TARGET_MEMORISATION:g} after {sizes.budget_s:g} s ({shown}): "
            f"**{common.verdict(all(c.passed for c in judged))}**",
        ]
    sets = "; ".join(f"{name}: {SETS[name][0]}" for name in dict.fromkeys(c.set_name for c in curves))
    lines += ["", f"Sets: {sets}."]
    if small:
        lines += [
            "",
            "3. Ten training digits per class (100 images), the same held-out digits and budget:",
            "",
            "| generator | TSTR curve | TSTR / TRTR | memorisation |",
            "|---|---|---:|---:|",
        ]
        lines += [
            f"| {c.label} | {curve_cells(c.points)} | {c.last.ratio:.2f} | {c.last.memorisation:.3f} |"
            for c in small
        ]
        remedy = next((c for c in small if c.judged), None)
        if remedy is not None:
            ok = remedy.last.memorisation < TARGET_MEMORISATION
            lines += [
                "",
                "- Memorisation with DiffAugment (the default below 50 per class): "
                f"{remedy.last.memorisation:.3f} (target < {TARGET_MEMORISATION:g}): "
                f"**{common.verdict(ok)}**",
            ]
    lines += [
        "",
        common.machine_line(
            common.machine_info(
                {
                    "torch threads": str(torch.get_num_threads()),
                    "load average at the end": common.load_average(),
                },
                {"torch": torch.__version__, "numpy": np.__version__, "scikit-learn": sklearn.__version__},
            )
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = common.parser(
        __doc__, "tiny sizes for a smoke check (about a minute)", "write the report into README.md"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    parser.add_argument("--only", choices=list(SETS), help="one set only (no overhead, no small data)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    torch.set_num_threads(args.threads)
    datasets = {name: loader() for name, (_, loader) in SETS.items() if args.only in (None, name)}

    seconds = None
    if args.only is None:
        print("1. engine overhead ...", flush=True)
        seconds = overhead(datasets["digits"], sizes)
    print("2. time to quality ...", flush=True)
    curves = []
    for name, label, make, judged in ROWS:
        if name in datasets:
            config = make(datasets[name])
            data = training_split(datasets[name].images, config)
            curves.append(Curve(name, label, judged, train_curve(name, label, data, config, sizes)))
    small = []
    if args.only is None:
        print("3. ten digits per class ...", flush=True)
        # the settings the page suggests for 100 digits: no averaged generator below 50 per class
        config = replace(default_gan(datasets["digits"]), ema=0.0)
        few = first_per_class(training_split(datasets["digits"].images, config), 10)
        for label, diffaugment in (("MLP GAN, bce", False), ("MLP GAN, bce + DiffAugment (default)", True)):
            points = train_curve("10 per class", label, few, replace(config, diffaugment=diffaugment), sizes)
            small.append(Curve("digits", label, diffaugment, points))

    report = render(seconds, curves, small, sizes, args.quick)
    print()
    common.publish(report, "gan", args.update_readme)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
