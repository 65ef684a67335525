"""Results to what a page shows: the table, and the data behind each chart. Plain values, no plotly.

Every function reads a results dict as :func:`core.experiment.run_experiment` returns it (or as a
progress report carries it mid-run, or as ``json.loads(results.json)`` gives it back), so a page can
draw partial results while fits finish; rows that have no fit yet are simply absent.
:mod:`core.present.experiment_charts` draws these as plotly figures.
"""

from __future__ import annotations

from typing import Any

from core.experiment.recipe import REAL


def choices(results: dict[str, Any]) -> dict[str, list]:
    """The models, sizes and arms that have rows, in recipe order (for a page's selectors)."""
    rows = results.get("rows", [])
    out: dict[str, list] = {"models": [], "sizes": [], "arms": []}
    for key, name in (("models", "model"), ("sizes", "size"), ("arms", "arm")):
        for row in rows:
            if row[name] not in out[key]:
                out[key].append(row[name])
    out["sizes"].sort()
    return out


def _row(results: dict[str, Any], model: str, size: float | int, arm: str) -> dict[str, Any] | None:
    for row in results.get("rows", []):
        if (row["model"], row["size"], row["arm"]) == (model, size, arm):
            return row
    return None


def size_label(results: dict[str, Any], size: float | int) -> str:
    """How a size is shown: ``"25%"`` for a fraction, ``"10 per class"`` for a count."""
    if results.get("size_unit") == "per_class":
        return f"{size:g} per class"
    return f"{size * 100:g}%"


def table(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat record per row, for a results table: model, size, arm, repeats, accuracy with its
    interval, macro-F1, the paired difference to real-only with its interval, and the verdict."""
    out = []
    for row in results.get("rows", []):
        ci = row["ci95"] or [None, None]
        diff = row["diff_vs_real"]
        dci = diff["ci95"] or [None, None]
        out.append(
            {
                "model": row["model"],
                "size": size_label(results, row["size"]),
                "arm": row["arm"],
                "repeats": len(row["repeats"]),
                "train examples": row["train_examples"],
                "accuracy": row["mean"],
                "accuracy 95% low": ci[0],
                "accuracy 95% high": ci[1],
                "macro-F1": row["macro_f1_mean"],
                "vs real": diff["mean"],
                "vs real 95% low": dci[0],
                "vs real 95% high": dci[1],
                "verdict": diff["verdict"],
            }
        )
    return out


def accuracy_by_arm(results: dict[str, Any], model: str, size: float | int) -> list[dict[str, Any]]:
    """Per arm of one (model, size): mean accuracy, its interval, each repeat's accuracy, and the
    paired difference to real-only with its interval and verdict."""
    out = []
    for arm in results["recipe"]["arms"]:
        row = _row(results, model, size, arm)
        if row is None:
            continue
        ci = row["ci95"] or [row["mean"], row["mean"]]
        diff = row["diff_vs_real"]
        dci = diff["ci95"] or [diff["mean"], diff["mean"]]
        out.append(
            {
                "arm": arm,
                "mean": row["mean"],
                "low": ci[0],
                "high": ci[1],
                "accuracies": list(row["accuracies"]),
                "diff": diff["mean"],
                "diff_low": dci[0],
                "diff_high": dci[1],
                "verdict": diff["verdict"],
            }
        )
    return out


def learning_curves(results: dict[str, Any], model: str) -> dict[str, list[dict[str, Any]]]:
    """Per arm, one point per size that has a row: ``{"size", "mean", "low", "high", "train_examples"}``."""
    curves: dict[str, list[dict[str, Any]]] = {}
    for arm in results["recipe"]["arms"]:
        points = []
        for row in results.get("rows", []):
            if row["model"] == model and row["arm"] == arm:
                ci = row["ci95"] or [row["mean"], row["mean"]]
                points.append(
                    {
                        "size": row["size"],
                        "mean": row["mean"],
                        "low": ci[0],
                        "high": ci[1],
                        "train_examples": row["train_examples"],
                    }
                )
        if points:
            curves[arm] = sorted(points, key=lambda p: p["size"])
    return curves


def per_class_change(
    results: dict[str, Any], model: str, size: float | int, arm: str
) -> list[dict[str, Any]]:
    """Per class: mean accuracy on its test examples under real-only and under ``arm``, and the change
    (None where a row is missing)."""
    real, other = _row(results, model, size, REAL), _row(results, model, size, arm)
    out = []
    for i, name in enumerate(results.get("classes", [])):
        before = real["per_class_accuracy"][i] if real else None
        after = other["per_class_accuracy"][i] if other else None
        change = after - before if before is not None and after is not None else None
        out.append({"class": name, "real": before, "arm": after, "change": change})
    return out


def confusion(results: dict[str, Any], model: str, size: float | int, arm: str) -> dict[str, Any] | None:
    """The confusion matrix of one row, summed over its repeats: ``{"classes", "matrix", "repeats"}``
    (``matrix[i][j]``: test examples of class ``i`` predicted as ``j``); None when the row has no fit
    or no matrix (a job's progress report)."""
    row = _row(results, model, size, arm)
    if row is None or "confusion" not in row:  # a progress report's results carry no matrices
        return None
    return {"classes": list(results["classes"]), "matrix": row["confusion"], "repeats": len(row["repeats"])}
