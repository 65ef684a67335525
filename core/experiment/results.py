"""The results of an experiment as data: the rows (one per model, size and arm) from the fits, and
``results.json``'s text.

A row gathers the fits of one (model, size, arm) over the repeats done so far: their accuracies and
macro-F1 scores, the mean and 95% t-interval (:mod:`core.experiment.stats`), the paired difference to
the real-only arm over the repeats both have, the mean per-class accuracy and the summed confusion
matrix. Rows are rebuilt from the fits after every fit, so partial results are always consistent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

import core.experiment.stats as stats
from core.experiment.recipe import REAL, ExperimentRecipe

RESULTS_FORMAT = "auglab.experiment-results/1"
TIMING_KEYS = ("fit_s",)  # per-fit entries that are measurements, not results


def rows_of(
    fits: Sequence[dict[str, Any]], recipe: ExperimentRecipe, sizes: Sequence[float | int], classes: int
) -> list[dict[str, Any]]:
    """One row per (model, size, arm) with at least one fit, in recipe order (see the README)."""
    cells: dict[tuple[str, float | int, str], dict[int, dict[str, Any]]] = {}
    for fit in fits:
        cells.setdefault((fit["model"], fit["size"], fit["arm"]), {})[fit["repeat"]] = fit
    rows = []
    for model in recipe.models:
        for size in sizes:
            real = cells.get((model, size, REAL), {})
            for arm in recipe.arms:
                done = cells.get((model, size, arm))
                if not done:
                    continue
                repeats = sorted(done)
                accuracies = [done[r]["accuracy"] for r in repeats]
                f1s = [done[r]["macro_f1"] for r in repeats]
                mean, ci = stats.mean_ci(accuracies)
                f1_mean, f1_ci = stats.mean_ci(f1s)
                paired = [r for r in repeats if r in real]
                if arm == REAL:
                    diff = {
                        "mean": 0.0,
                        "ci95": [0.0, 0.0],
                        "verdict": stats.BASELINE,
                        "repeats": len(paired),
                    }
                else:
                    diff = stats.paired_difference(
                        [done[r]["accuracy"] for r in paired], [real[r]["accuracy"] for r in paired]
                    )
                matrices = np.array([done[r]["confusion"] for r in repeats], dtype=np.int64)
                per_class = np.array(
                    [[np.nan if v is None else v for v in stats.per_class_accuracy(m)] for m in matrices]
                )
                first = done[repeats[0]]
                rows.append(
                    {
                        "arm": arm,
                        "model": model,
                        "size": size,
                        "repeats": repeats,
                        "train_examples": first["train_examples"],
                        "accuracies": accuracies,
                        "macro_f1s": f1s,
                        "mean": mean,
                        "ci95": ci,
                        "macro_f1_mean": f1_mean,
                        "macro_f1_ci95": f1_ci,
                        "diff_vs_real": diff,
                        "per_class_accuracy": [
                            None if np.all(np.isnan(col)) else float(np.nanmean(col)) for col in per_class.T
                        ],
                        "confusion": matrices.sum(axis=0).tolist() if len(matrices) else [],
                    }
                )
    return rows


def comparable(results: dict[str, Any]) -> dict[str, Any]:
    """``results`` without what is measured rather than computed: each fit's ``fit_s`` and ``timing``."""
    out = {k: v for k, v in results.items() if k != "timing"}
    out["fits"] = [{k: v for k, v in fit.items() if k not in TIMING_KEYS} for fit in results.get("fits", [])]
    return out


def results_json(results: dict[str, Any]) -> str:
    """``results.json``'s text: indented JSON, keys in the order built."""
    return json.dumps(results, indent=2, ensure_ascii=False)
