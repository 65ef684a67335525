"""``python -m core train-gan | sample-gan | train-lstm | sample-lstm``: the generator pages, headless.

Training goes through the same engine as the pages (core.generators.engine.TrainingRun); progress is printed
once a second. Checkpoints are the pages' own ``.pt`` files, in both directions.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import cv2

from core.data.images import BUILTIN, DIGITS, ImageDataset
from core.errors import ConfigError

# torch-backed modules load inside the commands, so `python -m core augment` never imports torch.


def _limits(args: argparse.Namespace):
    from core.generators.engine import RunLimits

    return RunLimits(max_steps=args.steps, budget_s=None if args.steps and not args.seconds else args.seconds)


def _train(run, limits) -> None:
    """Run to the limits, printing one progress line a second; Ctrl-C stops gracefully."""
    from core.generators.engine import describe_device, pick_device

    print(f"training on {describe_device(pick_device())}", file=sys.stderr)
    run.start(limits)
    try:
        while run.running:
            time.sleep(1.0)
            snap = run.snapshot()
            losses = ", ".join(f"{k} {v[-1][1]:.3f}" for k, v in snap.history.items() if v)
            eta = f", ETA {snap.eta_s:.0f} s" if snap.eta_s is not None else ""
            print(f"step {snap.steps:,} ({snap.elapsed_s:.0f} s{eta}): {losses}", file=sys.stderr)
    except KeyboardInterrupt:
        run.stop()
    snap = run.snapshot()
    print(f"{snap.status}: {snap.message}", file=sys.stderr)


def _write_checkpoint(payload: dict, out: str) -> None:
    from core.generators.checkpoint import checkpoint_hash, save_checkpoint

    data = save_checkpoint(payload)
    Path(out).write_bytes(data)
    print(f"wrote {out} (sha256 {checkpoint_hash(data)[:16]}…)", file=sys.stderr)


def _read_checkpoint(path: str, kind: str) -> tuple[dict, str]:
    from core.generators.checkpoint import checkpoint_hash, load_checkpoint

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{path} does not exist; give the .pt file that training wrote.")
    data = p.read_bytes()
    return load_checkpoint(data, p.name, kind), checkpoint_hash(data)


def _image_data(source: str) -> ImageDataset:
    if source == "digits":
        return BUILTIN[DIGITS]()
    from core.cli.data import _load_inputs

    result = _load_inputs([source])
    for problem in result.problems:
        print(f"skipped {problem.name}: {problem.reason}", file=sys.stderr)
    if not result.images:
        raise ConfigError(f"{source}: no image could be used; see the reasons above.")
    return ImageDataset(name=Path(source).name, images=result.images, problems=result.problems)


def cmd_train_gan(args: argparse.Namespace) -> int:
    from core.generators.engine import TrainingRun
    from core.generators.gan import GANConfig, GANTrainer, prepare_images

    dataset = _image_data(args.data)
    config = GANConfig(
        arch=args.arch,
        image_size=args.size,
        channels=args.channels,
        n_classes=len(dataset.classes) if args.conditional else 0,
        loss=args.loss,
        spectral_norm=args.spectral_norm,
        diffaugment=args.diffaugment,
        seed=args.seed,
    )
    if args.resume:
        payload, _ = _read_checkpoint(args.resume, "gan")
        images, labels, classes = prepare_images(dataset.images, GANConfig.from_dict(payload["config"]))
        trainer = GANTrainer.from_checkpoint(payload, images, labels)
    else:
        images, labels, classes = prepare_images(dataset.images, config)
        trainer = GANTrainer(images, labels, classes, config)
    _train(TrainingRun(trainer), _limits(args))
    _write_checkpoint(trainer.checkpoint(), args.out)
    return 0


def cmd_sample_gan(args: argparse.Namespace) -> int:
    from core.generators.gan import GANTrainer

    payload, digest = _read_checkpoint(args.checkpoint, "gan")
    trainer = GANTrainer.from_checkpoint(payload)
    images, labels = trainer.generate(args.n, None, args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    classes = trainer.classes
    with (out / "samples.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "label", "seed", "index", "checkpoint_sha256"])
        for i, (image, label) in enumerate(zip(images, labels, strict=True)):
            name = f"gan_{i:05d}.png"
            cv2.imwrite(str(out / name), image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            writer.writerow([name, classes[label] if trainer.config.n_classes else "", args.seed, i, digest])
    print(f"wrote {len(images)} images and samples.csv to {out}", file=sys.stderr)
    return 0


def _text_data(args: argparse.Namespace):
    from core.data.text_io import load_csv, load_txt
    from core.data.texts import PYDOC, PYDOC_TOPICS, REVIEWS, TEXT_SAMPLES

    named = {"pydoc": PYDOC_TOPICS, "sentences": PYDOC, "reviews": REVIEWS}
    if args.data in named:
        return TEXT_SAMPLES[named[args.data]]()
    path = Path(args.data)
    if not path.is_file():
        raise ConfigError(f"{args.data} is neither a file nor one of {', '.join(named)}.")
    if path.suffix.lower() in (".csv", ".tsv"):
        return load_csv(path.read_bytes(), path.name, args.text_column, args.label_column)
    return load_txt(path.read_bytes(), path.name)


def cmd_train_lstm(args: argparse.Namespace) -> int:
    from core.generators.engine import TrainingRun
    from core.generators.lstm import LSTMConfig, LSTMTrainer, build_corpus

    dataset = _text_data(args)
    values = LSTMConfig().to_dict()
    values.update(level=args.level, conditional=args.conditional, seed=args.seed)
    config = LSTMConfig.from_dict(values)
    corpus = build_corpus(dataset.examples, config)
    if args.resume:
        payload, _ = _read_checkpoint(args.resume, "lstm")
        trainer = LSTMTrainer.from_checkpoint(payload, corpus)
    else:
        trainer = LSTMTrainer(corpus, config)
    print(f"unigram baseline: {trainer.unigram_bpc:.3f} bits per character", file=sys.stderr)
    _train(TrainingRun(trainer), _limits(args))
    print(f"validation: {trainer.validate():.3f} bits per character", file=sys.stderr)
    _write_checkpoint(trainer.checkpoint(), args.out)
    return 0


def cmd_sample_lstm(args: argparse.Namespace) -> int:
    from core.generators.lstm import LSTMTrainer

    payload, _ = _read_checkpoint(args.checkpoint, "lstm")
    trainer = LSTMTrainer.from_checkpoint(payload)
    lines = trainer.sample(
        args.prompt, args.n, args.max_len, args.temperature, args.top_k, args.seed, args.label
    )
    for line in lines:
        print(line)
    print(f"novelty: {trainer.novelty(lines):.0%} not in the training text", file=sys.stderr)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the four generator commands on ``python -m core``'s sub-parsers."""

    def budget(p: argparse.ArgumentParser) -> None:
        p.add_argument("--seconds", type=float, default=60.0, help="training time budget (default 60)")
        p.add_argument("--steps", type=int, help="stop after this many steps instead (or as well)")
        p.add_argument("--seed", type=int, default=0, help="every random choice comes from it")
        p.add_argument("--resume", help="a checkpoint to continue from")
        p.add_argument("--out", required=True, help="where to write the checkpoint (.pt)")

    g = sub.add_parser("train-gan", help="train a GAN on images; writes a checkpoint")
    g.add_argument("--data", default="digits", help="'digits' or an image/zip path (one folder per class)")
    g.add_argument("--arch", choices=["mlp", "dcgan"], default="mlp")
    g.add_argument("--size", type=int, default=8, help="image size in pixels (mlp: 8..64; dcgan: 32 or 64)")
    g.add_argument("--channels", type=int, choices=[1, 3], default=1)
    g.add_argument("--conditional", action="store_true", help="class-conditional (labelled data)")
    g.add_argument("--loss", choices=["bce", "hinge"], default="bce")
    g.add_argument("--spectral-norm", action="store_true")
    g.add_argument("--diffaugment", action="store_true")
    budget(g)
    g.set_defaults(func=cmd_train_gan)

    s = sub.add_parser("sample-gan", help="generate PNGs (per class when conditional) from a checkpoint")
    s.add_argument("--checkpoint", required=True)
    s.add_argument("--n", type=int, default=10, help="samples (per class when conditional)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True, help="folder for the PNGs and samples.csv")
    s.set_defaults(func=cmd_sample_gan)

    t = sub.add_parser("train-lstm", help="train an LSTM on text; writes a checkpoint")
    t.add_argument("--data", default="pydoc", help="'pydoc', 'sentences', 'reviews', or a .txt/.csv path")
    t.add_argument("--text-column", default="text", help="CSV column with the text")
    t.add_argument("--label-column", help="CSV column with labels")
    t.add_argument("--level", choices=["char", "word"], default="char")
    t.add_argument("--conditional", action="store_true", help="prefix lines with their label")
    budget(t)
    t.set_defaults(func=cmd_train_lstm)

    m = sub.add_parser("sample-lstm", help="print lines sampled from a checkpoint")
    m.add_argument("--checkpoint", required=True)
    m.add_argument("--prompt", default="")
    m.add_argument("--n", type=int, default=5)
    m.add_argument("--max-len", type=int, default=200)
    m.add_argument("--temperature", type=float, default=0.8)
    m.add_argument("--top-k", type=int)
    m.add_argument("--label", help="the label to condition on (conditional models)")
    m.add_argument("--seed", type=int, default=0)
    m.set_defaults(func=cmd_sample_lstm)
