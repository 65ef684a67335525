"""The data behind the Experiment page's charts and table, and the plotly figures drawn from them."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from experiment_data import digits, digits_recipe

from core.experiment import report, run_experiment
from core.present import experiment_charts as charts


@pytest.fixture(scope="module")
def results():
    """The linear model, three arms' worth of rows: 2 sizes x 2 arms x 2 repeats."""
    return run_experiment(digits_recipe(models=("linear",)), digits(20))


def test_choices_and_table_follow_the_rows(results) -> None:
    assert report.choices(results) == {
        "models": ["linear"],
        "sizes": [0.5, 1.0],
        "arms": ["real", "real+augmented"],
    }
    table = report.table(results)
    assert [(t["size"], t["arm"]) for t in table] == [
        ("50%", "real"),
        ("50%", "real+augmented"),
        ("100%", "real"),
        ("100%", "real+augmented"),
    ]
    for record, row in zip(table, results["rows"], strict=True):
        assert (record["accuracy"], record["accuracy 95% low"]) == (row["mean"], row["ci95"][0])
        assert (record["vs real"], record["verdict"]) == (
            row["diff_vs_real"]["mean"],
            row["diff_vs_real"]["verdict"],
        )


def test_the_accuracy_chart_has_a_bar_per_arm_with_its_interval_and_a_dot_per_repeat(results) -> None:
    figure = charts.accuracy_figure(results, "linear", 1.0)
    bars = [t for t in figure.data if t.type == "bar"]
    dots = [t for t in figure.data if t.type == "scatter"]
    rows = [r for r in results["rows"] if r["size"] == 1.0]
    assert [b.x[0] for b in bars] == ["real", "real+augmented"]
    for bar, dot, row in zip(bars, dots, rows, strict=True):
        assert bar.y[0] == row["mean"]
        assert bar.error_y.array[0] == pytest.approx(row["ci95"][1] - row["mean"])
        assert bar.error_y.arrayminus[0] == pytest.approx(row["mean"] - row["ci95"][0])
        assert list(dot.y) == row["accuracies"]


def test_learning_curves_have_a_line_and_a_band_per_arm(results) -> None:
    figure = charts.learning_curve_figure(results, "linear")
    lines = [t for t in figure.data if t.mode == "lines+markers"]
    assert [t.name for t in lines] == ["real", "real+augmented"]
    for line in lines:
        rows = [r for r in results["rows"] if r["arm"] == line.name]
        assert list(line.x) == [50.0, 100.0] and list(line.y) == [r["mean"] for r in rows]
    bands = [t for t in figure.data if t.fill == "toself"]
    assert len(bands) == 2 and len(bands[0].x) == 4  # up along the highs, back along the lows


def test_per_class_change_is_the_arms_accuracy_minus_real_only(results) -> None:
    figure = charts.per_class_change_figure(results, "linear", 0.5, "real+augmented")
    real, arm = (r["per_class_accuracy"] for r in results["rows"][:2])
    assert list(figure.data[0].x) == [str(d) for d in range(10)]
    assert list(figure.data[0].y) == pytest.approx(list(np.subtract(arm, real)))


def test_the_confusion_matrix_sums_the_repeats(results) -> None:
    figure = charts.confusion_figure(results, "linear", 1.0, "real")
    fits = [f for f in results["fits"] if (f["size"], f["arm"]) == (1.0, "real")]
    assert np.array_equal(np.array(figure.data[0].z), np.add(*[np.array(f["confusion"]) for f in fits]))


def test_class_names_are_shown_as_written_not_as_html(results) -> None:
    renamed = copy.deepcopy(results)
    renamed["classes"] = ["<b>zero</b>", *renamed["classes"][1:]]
    figure = charts.confusion_figure(renamed, "linear", 1.0, "real")
    assert figure.data[0].x[0] == "&lt;b&gt;zero&lt;/b&gt;"
    assert (
        charts.per_class_change_figure(renamed, "linear", 1.0, "real").data[0].x[0]
        == "&lt;b&gt;zero&lt;/b&gt;"
    )


def test_partial_results_draw_what_is_there() -> None:
    """Mid-run, one repeat done: no intervals yet, and the charts still draw (intervals collapse)."""
    partial = run_experiment(digits_recipe(models=("linear",), repeats=1, sizes=(1.0,)), digits(10))
    assert all(r["ci95"] is None for r in partial["rows"])
    figure = charts.accuracy_figure(partial, "linear", 1.0)
    assert [b.error_y.array[0] for b in figure.data if b.type == "bar"] == [0.0, 0.0]
    assert report.confusion(partial, "linear", 1.0, "real+synthetic") is None
