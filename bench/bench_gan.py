"""AugLab's GAN on scikit-learn's digits: engine overhead, time to quality, and memorisation.

Run from the repository root::

    python bench/bench_gan.py [--quick] [--update-readme] [--threads N]

One process, three measurements, all on the CPU:

1. Engine overhead: steps per second of ``TrainingRun`` over a ``GANTrainer``
   (``RunLimits(max_steps=N)``, previews every second and good-state copies every 5 s included)
   against a bare ``for`` loop doing the same D and G updates on the same model, config and data.
   Rounds are interleaved and the best of each is reported. Target: overhead < 10%.
2. Time to quality: class-conditional GANs on an 80/20 stratified split of all 1,797 digits, trained
   in 10-second slices (training time only); after each slice 200 samples per class are scored with
   TSTR (``core.generators.gan.tstr``: LogisticRegression trained on the samples, tested on the held-out
   real digits) beside the same classifier trained on the real training digits. Several configs
   (plain bce, one-sided label smoothing, hinge + spectral norm, DiffAugment) are tried; the first
   that reaches the target is named. Target: TSTR >= 0.90 within 60 s.
3. Small data: the same with only 10 training digits per class; the memorisation share
   (``core.generators.gan.memorisation_share``) of the samples at the best TSTR. Target: < 0.2.

Torch runs on ``--threads`` intra-op threads (default 1: these models are too small to gain from
more, and a second thread spin-waits badly when another process holds a core). ``--update-readme``
writes the report between ``<!-- bench:gan:start -->`` and ``<!-- bench:gan:end -->`` in README.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import common  # first: puts the repository root on sys.path for `core`
import numpy as np
import sklearn
import torch
import torch.nn.functional as F

from core.generators.engine import RunLimits, TrainingRun
from core.generators.gan import GANConfig, GANTrainer, Split, memorisation_share, split_dataset, tstr

SEED = 0
TARGET_OVERHEAD = 10.0  # percent
TARGET_TSTR = 0.90
TARGET_MEMORISATION = 0.2
CLASSES = [str(i) for i in range(10)]

BASE = GANConfig(n_classes=10, seed=SEED)  # the classic conditional MLP GAN, 8x8 digits
VARIANTS: dict[str, GANConfig] = {
    "bce (default)": BASE,
    "bce + label smoothing 0.1": replace(BASE, label_smoothing=0.1),
    "hinge + spectral norm": replace(BASE, loss="hinge", spectral_norm=True),
    "bce + DiffAugment": replace(BASE, diffaugment=True),
}
SMALL_DATA_VARIANTS = ("bce (default)", "bce + DiffAugment")


@dataclass(frozen=True)
class Sizes:
    """How much work one run does."""

    overhead_steps: int  # steps per timed round of part 1
    overhead_rounds: int  # interleaved rounds per contender; the best is reported
    slice_s: float  # training seconds between TSTR evaluations
    slices: int  # evaluations per config
    per_class: int  # samples per class for each evaluation


FULL = Sizes(overhead_steps=1500, overhead_rounds=3, slice_s=10.0, slices=6, per_class=200)
QUICK = Sizes(overhead_steps=60, overhead_rounds=1, slice_s=1.0, slices=2, per_class=20)


# ---------------------------------------------------------------------------------------------
# Data


def digits_split() -> Split:
    """All digits as uint8 8x8 (0..16 scaled to 0..255), split 80/20 stratified with SEED."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.round(bunch.images * 255 / 16).astype(np.uint8)
    return split_dataset(images, bunch.target, 0.2, seed=SEED)


def few_per_class(split: Split, k: int) -> Split:
    """The first ``k`` training digits of each class (held-out part unchanged)."""
    keep = np.concatenate([np.flatnonzero(split.train_labels == c)[:k] for c in range(10)])
    keep.sort()
    train_images, train_labels = split.train_images[keep], split.train_labels[keep]
    return Split(train_images, train_labels, split.held_out_images, split.held_out_labels)


def make_trainer(config: GANConfig, split: Split) -> GANTrainer:
    images = torch.from_numpy(split.train_images).float().div(127.5).sub(1.0).unsqueeze(1)
    return GANTrainer(images, torch.from_numpy(split.train_labels).long(), CLASSES, config, device="cpu")


# ---------------------------------------------------------------------------------------------
# 1. Engine overhead


def engine_round(config: GANConfig, split: Split, steps: int) -> float:
    """Seconds for ``steps`` steps through TrainingRun (thread start to join)."""
    run = TrainingRun(make_trainer(config, split))
    start = time.perf_counter()
    run.start(RunLimits(max_steps=steps, budget_s=None))
    run.join()
    seconds = time.perf_counter() - start
    assert run.snapshot().steps == steps, run.snapshot()
    return seconds


def plain_round(config: GANConfig, split: Split, steps: int) -> float:
    """Seconds for ``steps`` steps of a bare loop over the same networks, as a tutorial writes it."""
    trainer = make_trainer(config, split)
    G, D, opt_g, opt_d, rng = trainer.G, trainer.D, trainer.opt_g, trainer.opt_d, trainer.rng
    images, labels = trainer.images, trainer.labels
    n, b, z_dim = images.shape[0], config.batch_size, config.z_dim
    start = time.perf_counter()
    for _ in range(steps):
        index = torch.randint(n, (b,), generator=rng)
        real, real_labels = images[index], labels[index]
        fake_labels = torch.randint(10, (b,), generator=rng)
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
    return time.perf_counter() - start


def overhead(split: Split, sizes: Sizes) -> dict[str, list[float]]:
    """Interleaved rounds of both; one warm-up round of each first."""
    engine_round(BASE, split, 20)
    plain_round(BASE, split, 20)
    seconds: dict[str, list[float]] = {"engine": [], "plain": []}
    for _ in range(sizes.overhead_rounds):
        seconds["engine"].append(engine_round(BASE, split, sizes.overhead_steps))
        seconds["plain"].append(plain_round(BASE, split, sizes.overhead_steps))
    return seconds


# ---------------------------------------------------------------------------------------------
# 2, 3. Time to quality and memorisation


@dataclass
class Point:
    """One evaluation: after ``seconds`` of training."""

    seconds: float
    steps: int
    tstr: float
    memorisation: float


@dataclass
class Curve:
    name: str
    points: list[Point]
    real: float  # the classifier trained on real training images

    @property
    def best(self) -> Point:
        return max(self.points, key=lambda p: p.tstr)

    def first_reaching(self, target: float) -> Point | None:
        return next((p for p in self.points if p.tstr >= target), None)


def train_curve(name: str, config: GANConfig, split: Split, sizes: Sizes) -> Curve:
    """Train in slices of ``sizes.slice_s`` seconds; score TSTR and memorisation after each."""
    trainer = make_trainer(config, split)
    run = TrainingRun(trainer)
    points, real, trained = [], float("nan"), 0.0
    for _ in range(sizes.slices):
        run.start(RunLimits(budget_s=sizes.slice_s, preview_every_s=5.0))
        run.join()
        snap = run.snapshot()
        if snap.status not in ("finished",):
            print(f"  {name}: run {snap.status}: {snap.message}", flush=True)
        trained += snap.elapsed_s
        samples, labels = trainer.generate(sizes.per_class, None, seed=SEED + 1)
        real_parts = (split.train_images, split.train_labels, split.held_out_images, split.held_out_labels)
        result = tstr(samples, labels, *real_parts)
        mem = memorisation_share(samples, split.train_images, split.held_out_images)
        real = result.accuracy_real
        points.append(Point(trained, trainer.steps_done, result.accuracy_synthetic, mem.share))
        print(
            f"  {name}: {trained:5.1f} s, {trainer.steps_done:6,} steps, "
            f"TSTR {result.accuracy_synthetic:.3f} "
            f"(real {real:.3f}), memorisation {mem.share:.3f}",
            flush=True,
        )
        if snap.status == "failed":
            break
    return Curve(name, points, real)


# ---------------------------------------------------------------------------------------------
# Report


def curve_cells(curve: Curve) -> str:
    return " / ".join(f"{p.tstr:.2f}" for p in curve.points)


def render(
    seconds: dict[str, list[float]],
    curves: list[Curve],
    small: list[Curve],
    sizes: Sizes,
    quick: bool,
) -> str:
    steps = sizes.overhead_steps
    engine, plain = steps / min(seconds["engine"]), steps / min(seconds["plain"])
    over = (plain / engine - 1.0) * 100.0
    budget = sizes.slice_s * sizes.slices
    lines = [
        f"GAN on scikit-learn's digits (8x8, conditional MLP GAN, CPU)"
        f"{' (--quick: tiny sizes, figures not meaningful)' if quick else ''}.",
        "",
        f"1. Engine overhead, {steps:,} steps per round, best of {sizes.overhead_rounds} interleaved rounds:",
        "",
        "| loop | steps/s | ms/step |",
        "|---|---:|---:|",
        f"| AugLab `TrainingRun` over `GANTrainer` | {engine:,.1f} | {1e3 / engine:.2f} |",
        f"| bare `for` loop, same updates | {plain:,.1f} | {1e3 / plain:.2f} |",
        "",
        f"- Overhead: {over:+.1f}% (target < {TARGET_OVERHEAD:g}%): "
        f"**{common.verdict(over < TARGET_OVERHEAD)}**",
        "",
        f"2. TSTR on the 20% held-out digits ({len(curves[0].points)} evaluations, every "
        f"{sizes.slice_s:g} s of training, {sizes.per_class} samples per class); the classifier on real "
        f"training digits scores "
        f"{curves[0].real:.3f}:",
        "",
        "| config | steps in budget | TSTR curve | best TSTR (at s) | first >= target "
        "| memorisation at best |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for c in curves:
        first = c.first_reaching(TARGET_TSTR)
        lines.append(
            f"| {c.name} | {c.points[-1].steps:,} | {curve_cells(c)} "
            f"| {c.best.tstr:.3f} ({c.best.seconds:.0f}) "
            f"| {f'{first.seconds:.0f} s' if first else '-'} | {c.best.memorisation:.3f} |"
        )
    reached = [(c.first_reaching(TARGET_TSTR), c) for c in curves]
    reached = [(p, c) for p, c in reached if p is not None]
    best = max(curves, key=lambda c: c.best.tstr)
    if reached:
        p, c = min(reached, key=lambda pc: pc[0].seconds)
        lines.append(
            f"\n- Target TSTR >= {TARGET_TSTR:.2f} within {budget:g} s: **PASS** (first: {c.name}, "
            f"{p.tstr:.3f} after {p.seconds:.0f} s)"
        )
    else:
        lines.append(
            f"\n- Target TSTR >= {TARGET_TSTR:.2f} within {budget:g} s: **MISS** (best {best.name}, "
            f"{best.best.tstr:.3f}: short by {TARGET_TSTR - best.best.tstr:.3f})"
        )
    lines += [
        "",
        "3. Ten training digits per class (100 images), same held-out set and budget:",
        "",
        "| config | TSTR curve | best TSTR (at s) | memorisation share at best | real classifier on 100 |",
        "|---|---|---:|---:|---:|",
    ]
    for c in small:
        lines.append(
            f"| {c.name} | {curve_cells(c)} | {c.best.tstr:.3f} ({c.best.seconds:.0f}) "
            f"| {c.best.memorisation:.3f} | {c.real:.3f} |"
        )
    ok = [c for c in small if c.best.memorisation < TARGET_MEMORISATION]
    shares = "; ".join(f"{c.name} {c.best.memorisation:.3f}" for c in small)
    lines += [
        "",
        f"- Memorisation share at the reported TSTR (target < {TARGET_MEMORISATION:g}): {shares}: "
        f"**{common.verdict(bool(ok))}**{f' with {ok[0].name}' if ok else ''}",
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
        __doc__, "tiny sizes for a smoke check (under a minute)", "write the report into README.md"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    torch.set_num_threads(args.threads)
    split = digits_split()

    print("1. engine overhead ...", flush=True)
    seconds = overhead(split, sizes)
    print("2. time to quality ...", flush=True)
    names = list(VARIANTS)[:2] if args.quick else list(VARIANTS)
    curves = [train_curve(name, VARIANTS[name], split, sizes) for name in names]
    print("3. ten digits per class ...", flush=True)
    small_split = few_per_class(split, 10)
    small_names = SMALL_DATA_VARIANTS[:1] if args.quick else SMALL_DATA_VARIANTS
    small = [train_curve(name, VARIANTS[name], small_split, sizes) for name in small_names]

    report = render(seconds, curves, small, sizes, args.quick)
    print()
    common.publish(report, "gan", args.update_readme)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
