"""The statistics of an experiment: means with 95% intervals, paired differences, verdicts, and the
per-fit scores (macro-F1, per-class accuracy, confusion matrix).

Why a t-interval over repeats. The unit of replication is the repeat: each one draws a new train /
test split and new initial weights (and batch order), and every arm of that repeat shares them. So
the honest question is "over splits and initialisations, does this arm beat real-only?", and its
sample is the R per-repeat differences ``d_r = accuracy(arm, r) - accuracy(real, r)``. Pairing removes
the variation the arms share (an easy split, a lucky initialisation), which is most of it; the
interval is then ``mean(d) +- t(0.975, R - 1) * sd(d) / sqrt(R)``. A bootstrap over test examples
would measure only the test set's sampling noise within one split and one initialisation, and miss the
larger seed-to-seed variation of the training itself; with 5 repeats a bootstrap over repeats has too
few distinct resamples to be trusted, while the t-interval is exact if the differences are roughly
normal and is the textbook choice for small paired samples. With one repeat there is no interval.

The verdict reads the paired interval: above zero, ``"gain"``; below zero, ``"hurts"``; containing
zero, ``"no measurable gain"`` (the difference could be nothing at all). The real arm's own row
carries ``"baseline"``.

The t quantile comes from ``scipy.stats.t`` (scipy is installed with scikit-learn, which AugLab
requires); should it be missing, a table of the 97.5% quantiles for 1 to 30 degrees of freedom and a
Cornish-Fisher expansion above (error below 1e-4 there) stand in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

GAIN, NO_GAIN, HURTS, BASELINE = "gain", "no measurable gain", "hurts", "baseline"
TOO_FEW = "too few repeats"  # fewer than two paired repeats: no interval, no verdict
LEVEL = 0.95

# 97.5% quantiles of Student's t, 1 to 30 degrees of freedom (any statistics table).
_T975 = (
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
)  # fmt: skip
_Z975 = 1.959963984540054


def t_quantile_table(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom, without scipy."""
    if df < 1:
        raise ValueError("df must be at least 1")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975  # Cornish-Fisher expansion of t in powers of 1/df
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def t_quantile(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (two-sided 95%)."""
    try:
        from scipy.stats import t
    except ImportError:  # pragma: no cover - scipy comes with scikit-learn
        return t_quantile_table(df)
    return float(t.ppf(0.5 + LEVEL / 2, df))


def mean_ci(values: Sequence[float]) -> tuple[float | None, list[float] | None]:
    """The mean and its 95% t-interval ``[lo, hi]`` (None without two values; None mean when empty)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return None, None
    mean = float(x.mean())
    if x.size < 2:
        return mean, None
    half = t_quantile(x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return mean, [mean - half, mean + half]


def verdict(ci95: Sequence[float] | None) -> str:
    """``"gain"`` (interval above 0), ``"hurts"`` (below 0), ``"no measurable gain"`` (contains 0)."""
    if ci95 is None:
        return TOO_FEW
    lo, hi = ci95
    if lo > 0:
        return GAIN
    if hi < 0:
        return HURTS
    return NO_GAIN


def paired_difference(arm: Sequence[float], real: Sequence[float]) -> dict:
    """``{"mean", "ci95", "verdict", "repeats"}`` of the per-repeat differences ``arm - real``."""
    d = [a - b for a, b in zip(arm, real, strict=True)]
    mean, ci = mean_ci(d)
    return {"mean": mean, "ci95": ci, "verdict": verdict(ci), "repeats": len(d)}


def confusion_matrix(truth: Sequence[int], predicted: Sequence[int], classes: int) -> np.ndarray:
    """``m[i, j]``: test examples of class ``i`` predicted as class ``j`` (int64, classes x classes)."""
    m = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(m, (np.asarray(truth, dtype=np.int64), np.asarray(predicted, dtype=np.int64)), 1)
    return m


def accuracy(m: np.ndarray) -> float:
    """Share of test examples predicted right."""
    total = int(m.sum())
    return float(np.trace(m)) / total if total else 0.0


def per_class_accuracy(m: np.ndarray) -> list[float | None]:
    """Per class, the share of its test examples predicted right (recall); None for an absent class."""
    rows = m.sum(axis=1)
    return [float(m[i, i]) / int(rows[i]) if rows[i] else None for i in range(m.shape[0])]


def macro_f1(m: np.ndarray) -> float:
    """The unweighted mean over classes of F1 = 2 TP / (2 TP + FP + FN) (0 for a class with none)."""
    tp = np.diag(m).astype(np.float64)
    fp = m.sum(axis=0) - tp
    fn = m.sum(axis=1) - tp
    denominator = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
    return float(f1.mean())
