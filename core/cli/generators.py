"""``python -m core train-gan | sample-gan | train-vae | sample-vae | train-lstm | sample-lstm``: the
generator pages, headless.

Data go through :mod:`core.data.sources` (``--data digits``, ``photos``, ``reviews``, ``sentences``,
``pydoc`` or a path), the defaults a dataset calls for and the GAN's held-out split come from core
(:func:`~core.generators.gan.suggested_settings`, :func:`~core.generators.gan.training_split`), and
training goes through the pages' engine (:class:`~core.generators.engine.TrainingRun`), so a page and
the CLI given the same settings train the same model. Samples become pool items through
:mod:`core.generators.pool`, as on the pages. Checkpoints are the pages' own ``.pt`` files, both ways.

Outputs appear whole or not at all: each is written next to its destination under a temporary name
and moved into place once complete, so a failure never leaves a partial checkpoint or sample folder.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import InputError

FILE_MODE = 0o644  # what a plain `open(path, "w")` gives under the usual umask (never changed here)
FOLDER_MODE = 0o755

# torch-backed modules load inside the commands, so `python -m core augment` never imports torch.


def _note(line: str) -> None:
    print(line, file=sys.stderr)


def _limits(args: argparse.Namespace):
    from core.generators.engine import RunLimits

    return RunLimits(max_steps=args.steps, budget_s=None if args.steps and not args.seconds else args.seconds)


def _train(run, limits) -> None:
    """Run to the limits, printing one progress line a second; Ctrl-C stops gracefully."""
    from core.generators.engine import describe_device, pick_device

    _note(f"training on {describe_device(pick_device())}")
    run.start(limits)
    try:
        while run.running:
            run.join(1.0)  # returns as soon as the run ends
            snap = run.snapshot()
            losses = ", ".join(f"{k} {v[-1][1]:.3f}" for k, v in snap.history.items() if v)
            eta = f", ETA {snap.eta_s:.0f} s" if snap.eta_s is not None and run.running else ""
            _note(f"step {snap.steps:,} ({snap.elapsed_s:.0f} s{eta}): {losses}")
    except KeyboardInterrupt:
        run.stop()
    snap = run.snapshot()
    _note(f"{snap.status}: {snap.message}")


# ---------------------------------------------------------------------------------------------
# Files, whole or not at all


def _existing_ancestor(path: Path) -> Path:
    """The nearest folder above ``path`` that exists (where its temporary twin is written)."""
    parent = path.absolute().parent
    while not parent.is_dir():
        parent = parent.parent
    return parent


@contextmanager
def _staged_folder(out: Path) -> Iterator[Path]:
    """A temporary folder to fill; on success its files move into ``out`` (created if needed).

    Raises:
        InputError: ``out`` exists and is not a folder.
    """
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "exists and is not a folder; give a folder for the samples")
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=_existing_ancestor(out)))
    try:
        yield stage
        stage.chmod(FOLDER_MODE)  # mkdtemp makes it private; the samples are ordinary output
        for item in stage.iterdir():
            item.chmod(FILE_MODE)
        if out.is_dir():
            for item in sorted(stage.iterdir()):
                os.replace(item, out / item.name)
            stage.rmdir()
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _write_file(out: Path, data: bytes) -> None:
    """Write ``data`` to ``out`` through a temporary file in the same folder, then an atomic rename."""
    if out.is_dir():
        raise InputError(str(out), "is a folder; give a file name for the checkpoint, e.g. model.pt")
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=_existing_ancestor(out))
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, FILE_MODE)  # mkstemp makes it private; a checkpoint is ordinary output
        out.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _write_checkpoint(payload: dict, out: str) -> None:
    from core.generators.checkpoint import checkpoint_hash, save_checkpoint

    data = save_checkpoint(payload)
    _write_file(Path(out), data)
    _note(f"wrote {out} (sha256 {checkpoint_hash(data)[:16]}…)")


def _read_checkpoint(path: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise InputError(path, "does not exist or is not a file; give the .pt file that training wrote")
    return p.read_bytes()


def _csv_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


# ---------------------------------------------------------------------------------------------
# GAN


def _gan_config(args: argparse.Namespace, dataset):
    """The GAN config of the flags; every flag left out takes what the data suggests (as on the page)."""
    from core.generators.gan import SIZE_CHOICES, GANConfig, suggested_settings

    suggested = suggested_settings(dataset.images)
    arch = args.arch or suggested.arch
    if args.size is not None:
        size = args.size
    else:
        size = suggested.image_size if suggested.image_size in SIZE_CHOICES[arch] else SIZE_CHOICES[arch][0]
    conditional = suggested.conditional if args.conditional is None else args.conditional
    values = {
        "arch": arch,
        "image_size": size,
        "channels": args.channels or suggested.channels,
        "n_classes": len(dataset.classes) if conditional else 0,
        "loss": args.loss,
        "spectral_norm": args.spectral_norm,
        "diffaugment": suggested.diffaugment if args.diffaugment is None else args.diffaugment,
        "seed": args.seed,
        "ema": GANConfig().ema if (suggested.ema if args.ema is None else args.ema) else 0.0,
    }
    if args.held_out is not None:
        values["held_out"] = args.held_out
    return GANConfig.dry_run(**values) if args.dry_run else GANConfig(**values)


def cmd_train_gan(args: argparse.Namespace) -> int:
    from core.data.sources import resolve_images

    dataset = resolve_images([args.data], notify=lambda line: _note(line))  # before torch loads: fails fast

    from core.errors import ConfigError
    from core.generators.engine import TrainingRun
    from core.generators.gan import MIN_HELD_OUT_IMAGES
    from core.generators.jobs import gan_trainer, resume_gan_trainer

    # The same builders as the app's training jobs: the CLI and the page train the same model.
    if args.resume:
        trainer, data = resume_gan_trainer(_read_checkpoint(args.resume), args.resume, dataset.images)
        config = trainer.config
        _note(f"resuming {args.resume} with its own settings (step {trainer.steps_done})")
    else:
        config = _gan_config(args, dataset)
        trainer, data = gan_trainer(dataset.images, config)
    if args.quality and not data.has_held_out:  # say so before training, not after
        raise ConfigError(
            f"--quality needs a held-out part, and {args.data} gives none (held_out {config.held_out:g}, "
            f"{len(dataset.images):,} images; at least {MIN_HELD_OUT_IMAGES} are needed)."
        )
    kind = f"conditional on {len(data.classes)} classes" if config.conditional else "unconditional"
    held = f", {len(data.held_out_images):,} held out" if data.has_held_out else ", none held out"
    _note(f"{config.arch} GAN, {config.image_size} px, {kind}: {len(data.images):,} training images{held}")
    _train(TrainingRun(trainer), _limits(args))
    if args.quality:
        _quality(trainer, data)
    _write_checkpoint(trainer.checkpoint(), args.out)
    return 0


def _vae_config(args: argparse.Namespace, dataset):
    """The VAE config of the flags; every flag left out takes what the data suggests (as on the page)."""
    from core.generators.gan import suggested_settings
    from core.generators.vae import VAEConfig

    suggested = suggested_settings(dataset.images)
    size = args.size if args.size is not None else suggested.vae_size
    conditional = suggested.conditional if args.conditional is None else args.conditional
    values = {
        "image_size": size,
        "channels": args.channels or suggested.channels,
        "n_classes": len(dataset.classes) if conditional else 0,
        "seed": args.seed,
    }
    if args.beta is not None:
        values["beta"] = args.beta
    if args.latent_dim is not None:
        values["latent_dim"] = args.latent_dim
    if args.held_out is not None:
        values["held_out"] = args.held_out
    return VAEConfig.dry_run(**values) if args.dry_run else VAEConfig(**values)


def _quality(trainer, data) -> None:
    from core.generators.gan import evaluate_quality

    report = evaluate_quality(trainer, data)
    _note(f"memorisation share: {report.memorisation.share:.3f} ({report.samples:,} samples)")
    if report.tstr is not None:
        _note(
            f"TSTR accuracy: {report.tstr.accuracy_synthetic:.3f} "
            f"(the same classifier on real images: {report.tstr.accuracy_real:.3f})"
        )


def cmd_train_vae(args: argparse.Namespace) -> int:
    from core.data.sources import resolve_images

    dataset = resolve_images([args.data], notify=lambda line: _note(line))  # before torch loads

    from core.errors import ConfigError
    from core.generators.engine import TrainingRun
    from core.generators.gan import MIN_HELD_OUT_IMAGES
    from core.generators.jobs import resume_image_trainer, vae_trainer

    if args.resume:
        trainer, data = resume_image_trainer(
            _read_checkpoint(args.resume), args.resume, dataset.images, "vae"
        )
        config = trainer.config
        _note(f"resuming {args.resume} with its own settings (step {trainer.steps_done})")
    else:
        config = _vae_config(args, dataset)
        trainer, data = vae_trainer(dataset.images, config)
    if args.quality and not data.has_held_out:
        raise ConfigError(
            f"--quality needs a held-out part, and {args.data} gives none (held_out {config.held_out:g}, "
            f"{len(dataset.images):,} images; at least {MIN_HELD_OUT_IMAGES} are needed)."
        )
    kind = f"conditional on {len(data.classes)} classes" if config.conditional else "unconditional"
    held = f", {len(data.held_out_images):,} held out" if data.has_held_out else ", none held out"
    _note(f"VAE, {config.image_size} px, {kind}: {len(data.images):,} training images{held}")
    _train(TrainingRun(trainer), _limits(args))
    if args.quality:
        _quality(trainer, data)
    _write_checkpoint(trainer.checkpoint(), args.out)
    return 0


def _sample_images(args: argparse.Namespace, kind: str) -> int:
    import cv2

    from core.generators.pool import samples_from_checkpoint

    items = samples_from_checkpoint(
        _read_checkpoint(args.checkpoint), args.checkpoint, (kind,), args.seed, args.n
    )
    out = Path(args.out)
    rows = []
    with _staged_folder(out) as stage:
        for item in items:
            name = f"{kind}_{item.index:05d}.png"
            pixels = item.array if item.array.ndim == 2 else cv2.cvtColor(item.array, cv2.COLOR_RGB2BGR)
            ok, encoded = cv2.imencode(".png", pixels)
            if not ok:
                raise OSError(f"could not encode {name} as PNG")
            (stage / name).write_bytes(encoded.tobytes())
            rows.append([name, item.label or "", item.seed, item.index, item.checkpoint_sha256])
        header = ["file", "label", "seed", "index", "checkpoint_sha256"]
        (stage / "samples.csv").write_bytes(_csv_bytes(header, rows))
    _note(f"wrote {len(items):,} images and samples.csv to {out}")
    return 0


def cmd_sample_gan(args: argparse.Namespace) -> int:
    return _sample_images(args, "gan")


def cmd_sample_vae(args: argparse.Namespace) -> int:
    return _sample_images(args, "vae")


# ---------------------------------------------------------------------------------------------
# LSTM


def cmd_train_lstm(args: argparse.Namespace) -> int:
    from core.data.sources import resolve_text

    # Before torch loads, so that a bad name fails fast.
    # A corpus keeps its long lines whole (the 10,000-character cap is for augmentation previews).
    dataset = resolve_text(
        [args.data], args.text_column, args.label_column, notify=lambda line: _note(line), max_chars=None
    )

    from core.generators.engine import TrainingRun
    from core.generators.jobs import lstm_trainer, resume_lstm_trainer
    from core.generators.lstm import LSTMConfig, suggested_conditional

    if args.resume:
        trainer = resume_lstm_trainer(_read_checkpoint(args.resume), args.resume, dataset.examples)
        _note(f"resuming {args.resume} with its own settings (step {trainer.steps_done})")
    else:
        conditional = (
            suggested_conditional(dataset.examples) if args.conditional is None else args.conditional
        )
        values = {"level": args.level, "conditional": conditional, "seed": args.seed}
        config = LSTMConfig.dry_run(**values) if args.dry_run else LSTMConfig(**values)
        trainer = lstm_trainer(dataset.examples, config)
    _note(f"unigram baseline: {trainer.unigram_bpc:.3f} bits per character of the held-out text")
    _train(TrainingRun(trainer), _limits(args))
    _note(f"validation: {trainer.validate():.3f} bits per character")
    _write_checkpoint(trainer.checkpoint(), args.out)
    return 0


def cmd_sample_lstm(args: argparse.Namespace) -> int:
    from core.generators.checkpoint import checkpoint_hash, load_checkpoint
    from core.generators.lstm import LSTMTrainer
    from core.generators.pool import text_samples

    data = _read_checkpoint(args.checkpoint)
    trainer = LSTMTrainer.from_checkpoint(
        load_checkpoint(data, args.checkpoint, "lstm"), name=args.checkpoint
    )
    settings = {
        "prompt": args.prompt,
        "max_len": args.max_len,
        "temperature": args.temperature,
        "top_k": args.top_k,
        "label": args.label,
    }
    items = text_samples(trainer, checkpoint_hash(data), args.seed, args.n, settings)
    if args.out:
        header = ["text", "label", "seed", "index", "checkpoint_sha256"]
        rows = [[i.text, i.label or "", i.seed, i.index, i.checkpoint_sha256] for i in items]
        _write_file(Path(args.out), _csv_bytes(header, rows))
    for item in items:
        print(item.text)
    texts = [item.text for item in items]
    known = trainer.known_word_share(texts)
    _note(f"novelty: {trainer.novelty(texts):.0%} not in the training text")
    _note(
        "known words: "
        + ("none written" if known is None else f"{known:.0%} of the words are words of the training text")
        + " (gibberish is novel too: read novelty beside this)"
    )
    if args.out:
        _note(f"wrote {len(items):,} lines to {args.out}")
    return 0


# ---------------------------------------------------------------------------------------------
# Parsers


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the six generator commands on ``python -m core``'s sub-parsers."""
    from core.data.sources import builtin_names

    def budget(p: argparse.ArgumentParser) -> None:
        p.add_argument("--seconds", type=float, default=60.0, help="training time budget (default 60)")
        p.add_argument("--steps", type=int, help="stop after this many steps instead (or as well)")
        p.add_argument("--seed", type=int, default=0, help="every random choice comes from it")
        p.add_argument("--resume", help="a checkpoint to continue from (its own settings are kept)")
        p.add_argument(
            "--dry-run", action="store_true", help="a tiny model that trains in milliseconds (tests)"
        )
        p.add_argument("--out", required=True, help="where to write the checkpoint (.pt)")

    flag = argparse.BooleanOptionalAction
    g = sub.add_parser("train-gan", help="train a GAN on images; writes a checkpoint")
    names = ", ".join(builtin_names("images"))
    g.add_argument("--data", default="digits", help=f"a built-in sample ({names}), an image or a .zip path")
    g.add_argument("--arch", choices=["mlp", "dcgan"], help="default: mlp for images up to 16 px, else dcgan")
    g.add_argument("--size", type=int, help="image size in pixels (mlp: 8..64; dcgan: 16, 28, 32 or 64)")
    g.add_argument("--channels", type=int, choices=[1, 3], help="default: 1 when every image is grayscale")
    g.add_argument(
        "--conditional", action=flag, help="class-conditional (default: when every image is labelled)"
    )
    g.add_argument("--loss", choices=["bce", "hinge"], default="bce")
    g.add_argument("--spectral-norm", action="store_true")
    g.add_argument("--diffaugment", action=flag, help="default: on for small classes, as on the page")
    g.add_argument(
        "--ema", action=flag, help="sample from averaged weights (default: on from 50 images per class)"
    )
    g.add_argument(
        "--held-out",
        type=float,
        help="share of each class kept out of training for the quality checks (default: the page's, 0.2)",
    )
    g.add_argument("--quality", action="store_true", help="print the memorisation share and TSTR at the end")
    budget(g)
    g.set_defaults(func=cmd_train_gan)

    v = sub.add_parser("train-vae", help="train a (conditional) VAE on images; writes a checkpoint")
    v.add_argument("--data", default="digits", help=f"a built-in sample ({names}), an image or a .zip path")
    v.add_argument(
        "--size", type=int, help="image size in pixels: 8, 16, 28, 32 or 64 (default: from the data)"
    )
    v.add_argument("--channels", type=int, choices=[1, 3], help="default: 1 when every image is grayscale")
    v.add_argument(
        "--conditional", action=flag, help="class-conditional (default: when every image is labelled)"
    )
    v.add_argument("--latent-dim", type=int, help="length of the latent vector (default 16)")
    v.add_argument("--beta", type=float, help="weight of the KL term (default 0.5; 1 is the ELBO)")
    v.add_argument("--held-out", type=float, help="share of each class kept out of training (default 0.2)")
    v.add_argument("--quality", action="store_true", help="print the memorisation share and TSTR at the end")
    budget(v)
    v.set_defaults(func=cmd_train_vae)

    for name, func in (("sample-gan", cmd_sample_gan), ("sample-vae", cmd_sample_vae)):
        what = name.split("-")[1].upper()
        s = sub.add_parser(name, help=f"generate PNGs (per class when conditional) from a {what} checkpoint")
        s.add_argument("--checkpoint", required=True)
        s.add_argument("--n", type=int, default=10, help="samples (per class when conditional)")
        s.add_argument("--seed", type=int, default=0)
        s.add_argument("--out", required=True, help="folder for the PNGs and samples.csv")
        s.set_defaults(func=func)

    t = sub.add_parser("train-lstm", help="train an LSTM on text; writes a checkpoint")
    names = ", ".join(builtin_names("text"))
    t.add_argument("--data", default="pydoc", help=f"a built-in sample ({names}) or a .txt/.csv path")
    t.add_argument("--text-column", default="text", help="CSV column with the text")
    t.add_argument("--label-column", help="CSV column with labels")
    t.add_argument("--level", choices=["char", "word"], default="char")
    t.add_argument("--conditional", action=flag, help="prefix lines with their label (default: all labelled)")
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
    m.add_argument(
        "--out", help="also write the lines to this CSV (text, label, seed, index, checkpoint_sha256)"
    )
    m.set_defaults(func=cmd_sample_lstm)
