"""Headless AugLab: ``python -m core <command>`` does what the pages do, for scripts and pipelines.

Commands:
    check-data   load the built-in samples offline and say what is there
    wordnet      `status`: does WordNet load? `install`: get it (NLTK's downloader, else Debian's files)
    inspect      decode images or zips and print a summary, with every file that could not be used
    augment      write K augmented variants of each input image as PNG, with their parameters
    train-gan, sample-gan, train-lstm, sample-lstm
                 train the generators and sample from their checkpoints (see core/cli/generators.py)
    export       write a blended, split dataset archive from a recipe.json (see core/cli/export.py)
    experiment   train small models with and without augmentation / synthesis, paired, and compare
                 them (see core/cli/experiment.py)
    worker       run one queued job of a workspace database (started by the app's supervisor; see
                 core/cli/worker.py and core/workspace/supervisor.py)

Exit status: 0 on success, 2 when the user's input cannot be used (the message says why).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from core.errors import AugLabError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="AugLab without the browser.")
    sub = parser.add_subparsers(dest="command", required=True)
    # Each command group registers its own subcommands; torch loads only inside the generator commands.
    from core.cli import data, experiment, export, generators, worker

    data.add_commands(sub)
    generators.add_commands(sub)
    export.add_commands(sub)
    experiment.add_commands(sub)
    worker.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except AugLabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # an unreadable config file or an unwritable output folder
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
