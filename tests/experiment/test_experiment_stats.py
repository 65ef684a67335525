"""The interval maths and the per-fit scores, against scipy, scikit-learn and hand-built cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats
from sklearn.metrics import confusion_matrix as sk_confusion
from sklearn.metrics import f1_score, recall_score

from core.experiment import stats


@pytest.mark.parametrize("df", [1, 2, 4, 9, 29, 30, 31, 40, 100, 1000])
def test_t_quantile_matches_scipy_and_the_table_stands_in_without_it(df: int) -> None:
    expected = scipy_stats.t.ppf(0.975, df)
    assert stats.t_quantile(df) == pytest.approx(expected, abs=1e-12)
    # The table (df <= 30) is printed to 4 decimals; the expansion above it is closer still.
    assert stats.t_quantile_table(df) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(
    "values, expected",
    [
        # hand-built: mean 3, sd sqrt(2.5), se sqrt(0.5), t(0.975, 4) = 2.776445
        (
            [1.0, 2.0, 3.0, 4.0, 5.0],
            (3.0, [3.0 - 2.776445 * math.sqrt(0.5), 3.0 + 2.776445 * math.sqrt(0.5)]),
        ),
        # two values: t(0.975, 1) = 12.706205, sd = |a - b| / sqrt(2), se = |a - b| / 2
        ([0.90, 0.94], (0.92, [0.92 - 12.706205 * 0.02, 0.92 + 12.706205 * 0.02])),
        # all equal: a zero-width interval at the value
        ([0.5, 0.5, 0.5], (0.5, [0.5, 0.5])),
        # one value: a mean, no interval
        ([0.7], (0.7, None)),
        # nothing yet
        ([], (None, None)),
    ],
)
def test_mean_ci_on_hand_built_cases(values, expected) -> None:
    mean, ci = stats.mean_ci(values)
    want_mean, want_ci = expected
    assert mean == pytest.approx(want_mean) if want_mean is not None else mean is None
    if want_ci is None:
        assert ci is None
    else:
        assert ci == pytest.approx(want_ci, abs=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mean_ci_matches_scipys_t_interval(seed: int) -> None:
    values = np.random.default_rng(seed).uniform(0.8, 0.95, size=5)
    expected = scipy_stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=scipy_stats.sem(values))
    mean, ci = stats.mean_ci(values.tolist())
    assert mean == pytest.approx(values.mean())
    assert ci == pytest.approx(list(expected), abs=1e-12)


def test_paired_difference_matches_scipys_paired_t_test_interval() -> None:
    real = [0.886, 0.911, 0.903, 0.903, 0.925]
    arm = [0.911, 0.942, 0.953, 0.950, 0.958]
    expected = scipy_stats.ttest_rel(arm, real).confidence_interval(0.95)
    diff = stats.paired_difference(arm, real)
    assert diff["mean"] == pytest.approx(np.mean(np.subtract(arm, real)))
    assert diff["ci95"] == pytest.approx([expected.low, expected.high], abs=1e-12)
    assert diff["verdict"] == "gain" and diff["repeats"] == 5
    # Pairing matters: the unpaired interval of the same numbers is wider than the paired one.
    unpaired = scipy_stats.ttest_ind(arm, real).confidence_interval(0.95)
    assert diff["ci95"][1] - diff["ci95"][0] < unpaired.high - unpaired.low


@pytest.mark.parametrize(
    "ci, expected",
    [
        ([0.01, 0.05], "gain"),  # wholly above zero
        ([-0.05, -0.01], "hurts"),  # wholly below zero
        ([-0.01, 0.03], "no measurable gain"),  # contains zero
        ([0.0, 0.02], "no measurable gain"),  # touches zero: zero is not excluded
        (None, "too few repeats"),  # one repeat: no interval
    ],
)
def test_verdict_reads_the_interval(ci, expected: str) -> None:
    assert stats.verdict(ci) == expected


def test_scores_match_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 4, 200)
    predicted = np.where(rng.random(200) < 0.7, truth, rng.integers(0, 4, 200))
    m = stats.confusion_matrix(truth, predicted, 4)
    assert m.tolist() == sk_confusion(truth, predicted, labels=[0, 1, 2, 3]).tolist()
    assert stats.accuracy(m) == pytest.approx(np.mean(truth == predicted))
    assert stats.macro_f1(m) == pytest.approx(f1_score(truth, predicted, average="macro"))
    assert stats.per_class_accuracy(m) == pytest.approx(list(recall_score(truth, predicted, average=None)))


def test_a_class_never_predicted_scores_zero_f1_and_an_absent_class_has_no_accuracy() -> None:
    # Class 2 has test examples but is never predicted; class 3 has no test example at all.
    m = stats.confusion_matrix([0, 0, 1, 2], [0, 1, 1, 0], 4)
    assert stats.per_class_accuracy(m) == [0.5, 1.0, 0.0, None]
    # F1: class 0: 2*1/(2+1+1) = 0.5; class 1: 2/(2+1) = 2/3; class 2: 0; class 3: no example, 0.
    assert stats.macro_f1(m) == pytest.approx((0.5 + 2 / 3 + 0 + 0) / 4)
