"""Run an experiment: every (repeat, size, model, arm) fit in a fixed order, results after each one.

Fits run repeat by repeat (then size, model, arm), so after the first repeat every row has a value,
after the second every row has an interval, and a stop keeps whole repeats' worth of paired results.
After each fit ``progress`` receives a :class:`Progress` with the results so far (the same dict
:func:`run_experiment` returns at the end), so a page can draw them as they come.

Pairing: within one repeat every arm (and every size) of a model starts from the same initial weights
and the same batch-order and dropout streams, ``(seed, "experiment", "init" | "batches" | "dropout",
repeat, model)``, never derived from the arm; the arms differ only in what they add to the same real
training originals. Every arm of one (model, size) also takes the same number of optimiser steps.

``results.json`` (format ``auglab.experiment-results/1``) is the returned dict as JSON; its schema is in
the README's "Experiment" section. The same recipe and data give the same file on the same machine
(same library versions and torch thread count), except the measured times, which are kept apart: each
fit's ``fit_s`` and the top-level ``timing``; :func:`core.experiment.results.comparable` drops exactly
those. A fit cut short by ``budget_s`` depends on the machine's speed; it is flagged (``cut_short``) and
named in ``notes``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import core.experiment.stats as stats
from core.experiment.arms import (
    ExperimentError,
    Item,
    RepeatPlan,
    SizePlan,
    check_labels,
    plan_repeat,
    size_plans,
    split_counts,
    synthetic_shortfall,
    training_items,
)
from core.experiment.data import Bank, ImageFormat, Stopped, image_format
from core.experiment.recipe import ExperimentRecipe, uses_synthetic
from core.experiment.results import RESULTS_FORMAT, rows_of
from core.seeding import torch_generator

Notify = Callable[[str], None]
Observer = Callable[["FitSpec", list[Item], Any], None]


@dataclass(frozen=True)
class FitSpec:
    """One fit: a repeat, a size (its index in the recipe's sizes), a model, an arm."""

    repeat: int
    size_index: int
    model: str
    arm: str


@dataclass(frozen=True)
class Progress:
    """What a progress callback receives after each fit.

    Attributes:
        done: Fits done so far.
        total: Fits in the experiment.
        fit: The record of the fit just done (an entry of ``results["fits"]``).
        results: The results so far, as :func:`run_experiment` returns them (status ``"running"``).
        elapsed_s: Seconds since the experiment started (data preparation included).
        eta_s: Seconds still to go, from the mean time per fit so far.
    """

    done: int
    total: int
    fit: dict[str, Any]
    results: dict[str, Any]
    elapsed_s: float
    eta_s: float

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


class Experiment:
    """An experiment on given data: the plans, the fits in order, and running them.

    Args:
        recipe: The recipe.
        originals: ``LoadedImage`` items (images) or ``TextExample`` items (text), in input order.
        synthetic: Pool items (``SyntheticImage`` / ``SyntheticText``); only the synthetic arms use them.
        notify: Receives sentences about what was left out or could not be met.
        should_stop: Asked between fits, every few steps of a fit and every few hundred augmented
            items (so it can double as a heartbeat); True ends the run, keeping the finished fits.
        observer: Called before each fit with its spec, its training items and its initial model
            (None for the bag model): for tests that check the pairing.

    Raises:
        ExperimentError: The data cannot support the experiment (see :mod:`core.experiment.arms`).
    """

    def __init__(
        self,
        recipe: ExperimentRecipe,
        originals: Sequence[Any],
        synthetic: Sequence[Any] = (),
        notify: Notify | None = None,
        should_stop: Callable[[], bool] | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.recipe = recipe
        self.notes: list[str] = []
        self._notify = notify
        self.should_stop = should_stop
        self.observer = observer
        names = [  # images have a name, text examples an origin ("reviews.csv, line 3")
            getattr(o, "name", None) or getattr(o, "origin", None) or f"example {i + 1}"
            for i, o in enumerate(originals)
        ]
        self.classes = check_labels([o.label for o in originals], names)
        self.labels = [str(o.label) for o in originals]
        self.class_index = {c: i for i, c in enumerate(self.classes)}
        self.train_counts, self.test_counts = split_counts(self.labels, recipe)
        self.sizes: list[SizePlan] = size_plans(self.train_counts, recipe)
        self.synthetic, synthetic_labels = self._usable_synthetic(synthetic)
        self.fmt: ImageFormat | None = None
        if recipe.kind == "images":
            self.fmt = image_format([o.array for o in originals], recipe.image_size)
        self.bank = Bank(
            recipe.kind, originals, self.synthetic, recipe.aug_config(), recipe.seed, self.fmt, should_stop
        )
        self._synthetic_labels = synthetic_labels
        self.fits = [
            FitSpec(r, s, model, arm)
            for r in range(recipe.repeats)
            for s in range(len(self.sizes))
            for model in recipe.models
            for arm in recipe.arms
        ]
        self._plan: RepeatPlan | None = None
        self._test: tuple[int, Any, np.ndarray] | None = None
        self._tokens: dict[str, np.ndarray] = {}  # text -> hashed tokens, for the repeat's fits
        if any(uses_synthetic(a) for a in recipe.arms):
            for line in synthetic_shortfall(self.plan(0), self.sizes):
                self.note(line)

    # ------------------------------------------------------------------------------------------
    # Plans

    def note(self, line: str) -> None:
        self.notes.append(line)
        if self._notify is not None:
            self._notify(line)

    def _usable_synthetic(self, synthetic: Sequence[Any]) -> tuple[list[Any], list[str]]:
        arms = [a for a in self.recipe.arms if uses_synthetic(a)]
        if not arms:
            return [], []
        usable = [s for s in synthetic if s.label is not None and str(s.label) in self.class_index]
        left_out = len(synthetic) - len(usable)
        if left_out:
            self.note(
                f"{left_out:,} synthetic samples have no label or a class the real data lacks; not used."
            )
        if not usable:
            raise ExperimentError(
                f"The arm(s) {', '.join(arms)} need labelled synthetic samples of the data's classes, and "
                'there are none: list generator checkpoints under "synthetic" in the recipe (a '
                "class-conditional GAN, or an LSTM trained on labels), or drop those arms."
            )
        return usable, [str(s.label) for s in usable]

    def plan(self, repeat: int) -> RepeatPlan:
        """The split and orders of ``repeat`` (kept while its fits run)."""
        if self._plan is None or self._plan.repeat != repeat:
            self._plan = plan_repeat(self.labels, self.recipe, repeat, self._synthetic_labels)
            self.bank.new_repeat()
            self._tokens.clear()
            self._test = None
        return self._plan

    def training_items(self, spec: FitSpec) -> list[Item]:
        """The training set of a fit (see :func:`core.experiment.arms.training_items`)."""
        return training_items(self.plan(spec.repeat), self.sizes[spec.size_index], spec.arm, self.labels)

    def steps(self, size: SizePlan) -> int:
        """Optimiser steps of every fit at ``size``: ``max(min_steps, ceil(epochs * originals / batch))``."""
        r = self.recipe
        return max(r.min_steps, math.ceil(r.epochs * size.originals / r.batch_size))

    def streams(self, spec: FitSpec):
        """The init, batch-order and dropout generators of a fit: of its repeat and model, not its arm."""
        from core.experiment.training import Streams

        seed, r, m = self.recipe.seed, spec.repeat, spec.model
        return Streams(
            init=torch_generator(seed, "experiment", "init", r, m),
            batches=torch_generator(seed, "experiment", "batches", r, m),
            dropout=torch_generator(seed, "experiment", "dropout", r, m),
        )

    # ------------------------------------------------------------------------------------------
    # Fits

    def _test_set(self, repeat: int, tokens: dict[str, np.ndarray]) -> tuple[Any, np.ndarray]:
        if self._test is None or self._test[0] != repeat:
            from core.experiment.training import torch_inputs

            test = self.plan(repeat).test
            inputs = self.bank.inputs([Item("original", i, None, self.labels[i]) for i in test])
            truth = np.array([self.class_index[self.labels[i]] for i in test], dtype=np.int64)
            self._test = (repeat, (inputs, torch_inputs(self.recipe.kind, inputs, tokens)), truth)
        return self._test[1], self._test[2]

    def run_fit(self, spec: FitSpec) -> dict[str, Any]:
        """Train and test one fit; its record for ``results["fits"]``.

        Raises:
            Stopped: ``should_stop`` answered True during the fit.
        """
        from core.experiment.training import fit_bag, fit_torch, initial_model, torch_inputs

        size = self.sizes[spec.size_index]
        items = self.training_items(spec)
        (test_raw, test_torch), truth = self._test_set(spec.repeat, self._tokens)
        inputs = self.bank.inputs(items)
        targets = np.array([self.class_index[item.label] for item in items], dtype=np.int64)
        if spec.model == "bag":
            if self.observer is not None:
                self.observer(spec, items, None)
            outcome = fit_bag(inputs, targets, test_raw, size.originals)
        else:
            streams = self.streams(spec)
            fmt = self.fmt or ImageFormat(0, 0)
            model = initial_model(spec.model, len(self.classes), streams, fmt.size, fmt.channels)
            if self.observer is not None:
                self.observer(spec, items, model)
            train = torch_inputs(self.recipe.kind, inputs, self._tokens)
            r = self.recipe
            steps = self.steps(size)
            outcome = fit_torch(
                model, spec.model, train, targets, test_torch, steps, r.batch_size, streams, r.budget_s,
                self.should_stop,
            )  # fmt: skip
        m = stats.confusion_matrix(truth, outcome.predictions, len(self.classes))
        return {
            "repeat": spec.repeat,
            "size": size.value,
            "model": spec.model,
            "arm": spec.arm,
            "train_examples": len(items),
            "originals": sum(item.source == "original" for item in items),
            "augmented": sum(item.source == "augmented" for item in items),
            "synthetic": sum(item.source == "synthetic" for item in items),
            "steps": outcome.steps,
            "epochs": round(outcome.epochs, 6),
            "cut_short": outcome.cut_short,
            "accuracy": stats.accuracy(m),
            "macro_f1": stats.macro_f1(m),
            "confusion": m.tolist(),
            "fit_s": round(outcome.fit_s, 4),
        }

    def run(self, progress: Callable[[Progress], None] | None = None) -> dict[str, Any]:
        """Every fit in order (or until a stop); the results."""
        start = time.perf_counter()
        fits: list[dict[str, Any]] = []
        status = "finished"
        for spec in self.fits:
            if self.should_stop is not None and self.should_stop():
                status = "stopped"
                break
            try:
                record = self.run_fit(spec)
            except Stopped:
                status = "stopped"
                break
            fits.append(record)
            if progress is not None:
                elapsed = time.perf_counter() - start
                eta = elapsed / len(fits) * (len(self.fits) - len(fits))
                partial = self.results(fits, "running", elapsed)
                progress(Progress(len(fits), len(self.fits), record, partial, elapsed, eta))
        cut = [f for f in fits if f["cut_short"]]
        if cut:
            self.note(
                f"{len(cut):,} of {len(fits):,} fits were cut short by the time budget "
                f"({self.recipe.budget_s:g} s a fit): their results depend on this machine's speed. Raise "
                "budget_s, or lower epochs / min_steps."
            )
        return self.results(fits, status, time.perf_counter() - start)

    # ------------------------------------------------------------------------------------------
    # Results

    def results(self, fits: list[dict[str, Any]], status: str, elapsed_s: float = 0.0) -> dict[str, Any]:
        """The results dict of ``fits`` (see the README's "Experiment" section for the schema)."""
        import torch

        return {
            "format": RESULTS_FORMAT,
            "status": status,
            "recipe": self.recipe.to_dict(),
            "classes": list(self.classes),
            "size_unit": self.recipe.size_unit,
            "data": {
                "originals": len(self.labels),
                "train_per_class": dict(self.train_counts),
                "test_per_class": dict(self.test_counts),
                "image_format": None if self.fmt is None else self.fmt.describe(),
                "synthetic_pool": len(self.synthetic),
            },
            "sizes": [
                {
                    "size": s.value,
                    "train_per_class": dict(s.per_class),
                    "variants_per_original": s.variants,
                    "synthetic_per_class": dict(s.synthetic_per_class) if self._synthetic_labels else {},
                    "steps": self.steps(s),
                }
                for s in self.sizes
            ],
            "fits_total": len(self.fits),
            "fits_done": len(fits),
            "rows": rows_of(fits, self.recipe, [s.value for s in self.sizes], len(self.classes)),
            "fits": fits,
            "notes": list(self.notes),
            "timing": {"total_s": round(elapsed_s, 3), "torch_threads": torch.get_num_threads()},
        }


def load_data(recipe: ExperimentRecipe, notify: Notify) -> list[Any]:
    """The recipe's originals, resolved as an export resolves them
    (:func:`core.dataset.replay.load_originals`)."""
    from core.dataset.replay import load_originals

    return load_originals(recipe.kind, recipe.inputs, recipe.text_column, recipe.label_column, notify)


def load_synthetic(recipe: ExperimentRecipe, notify: Notify) -> list[Any]:
    """Samples of the recipe's generator checkpoints, when an arm uses them (none otherwise)."""
    if not any(uses_synthetic(a) for a in recipe.arms) or not recipe.synthetic:
        return []
    from core.dataset.replay import samples_from_sources

    samples, _ = samples_from_sources(recipe.kind, recipe.synthetic, notify)
    return samples


def run_experiment(
    recipe: ExperimentRecipe,
    originals: Sequence[Any] | None = None,
    synthetic: Sequence[Any] | None = None,
    *,
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    notify: Notify | None = None,
) -> dict[str, Any]:
    """Run ``recipe``: the results dict that ``results.json`` holds.

    Args:
        recipe: The recipe.
        originals: The data, if already loaded (a page); None: resolve ``recipe.inputs``.
        synthetic: Pool items, if already sampled (a page); None: sample ``recipe.synthetic``.
        progress: Called after each fit with a :class:`Progress` (results so far included).
        should_stop: See :class:`Experiment`; a stop returns the finished fits, status ``"stopped"``.
        notify: Receives sentences about skipped files and unmet wishes (they are also in ``notes``).

    Raises:
        ConfigError, InputError: Inputs or checkpoints missing or unusable.
        ExperimentError: The data cannot support the experiment (no labels, one class, a class too
            small for the split or a size, no synthetic samples for a synthetic arm).
    """
    loading: list[str] = []  # sentences from loading, kept in the results' notes

    def note(line: str) -> None:
        loading.append(line)
        if notify is not None:
            notify(line)

    if originals is None:
        originals = load_data(recipe, note)
    if synthetic is None:
        synthetic = load_synthetic(recipe, note)
    experiment = Experiment(recipe, originals, synthetic, notify, should_stop)
    experiment.notes[:0] = loading
    return experiment.run(progress)
