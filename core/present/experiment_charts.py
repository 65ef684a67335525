"""Plotly figures of an experiment's results (the Experiment page's charts), from
:mod:`core.experiment.report`'s data, so that scripts can make the same ones.

Class names come from the user's folders and files, and plotly reads a little HTML in its texts: they
are HTML-escaped, which plotly shows as written (as :mod:`core.present.charts` does).
"""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go

import core.experiment.report as report
from core.experiment.recipe import MODEL_NAMES

ARM_COLOURS = {
    "real": "#555555",
    "real+augmented": "#1f5fbf",
    "real+synthetic": "#e07b00",
    "real+augmented+synthetic": "#2e8b47",
}
_MARGIN = {"l": 10, "r": 10, "t": 50, "b": 10}


def _name(model: str) -> str:
    return MODEL_NAMES.get(model, model)


def _band_colour(hex_colour: str, alpha: float = 0.18) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def accuracy_figure(results: dict[str, Any], model: str, size: float | int) -> go.Figure:
    """Accuracy per arm: a bar at the mean, error bars for the 95% interval, a dot per repeat; the
    hover text gives the paired difference to real-only and its verdict."""
    points = report.accuracy_by_arm(results, model, size)
    figure = go.Figure()
    for p in points:
        colour = ARM_COLOURS.get(p["arm"], "#777777")
        hover = f"{p['arm']}: %{{y:.3f}}"
        if p["arm"] != "real":
            hover += (
                f"<br>vs real {p['diff']:+.3f} [{p['diff_low']:+.3f}, {p['diff_high']:+.3f}]: {p['verdict']}"
            )
        figure.add_trace(
            go.Bar(
                x=[p["arm"]],
                y=[p["mean"]],
                marker_color=colour,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [p["high"] - p["mean"]],
                    "arrayminus": [p["mean"] - p["low"]],
                },
                name=p["arm"],
                hovertemplate=hover + "<extra></extra>",
                showlegend=False,
            )
        )
        figure.add_trace(
            go.Scatter(
                x=[p["arm"]] * len(p["accuracies"]),
                y=p["accuracies"],
                mode="markers",
                marker={"color": "#222222", "size": 6},
                name="repeats",
                hovertemplate="one repeat: %{y:.3f}<extra></extra>",
                showlegend=False,
            )
        )
    lows = [p["low"] for p in points] + [a for p in points for a in p["accuracies"]]
    floor = max(0.0, min(lows, default=0.0) - 0.05)
    figure.update_layout(
        title=f"{_name(model)}, {report.size_label(results, size)}: accuracy by arm (mean, 95% CI, repeats)",
        yaxis_title="test accuracy",
        yaxis_range=[floor, 1.0],
        xaxis_type="category",
        height=360,
        margin=_MARGIN,
    )
    return figure


def learning_curve_figure(results: dict[str, Any], model: str) -> go.Figure:
    """Accuracy against training-set size, one line per arm with its 95% band."""
    figure = go.Figure()
    per_class = results.get("size_unit") == "per_class"
    for arm, points in report.learning_curves(results, model).items():
        colour = ARM_COLOURS.get(arm, "#777777")
        xs = [p["size"] if per_class else p["size"] * 100 for p in points]
        figure.add_trace(
            go.Scatter(
                x=xs + xs[::-1],
                y=[p["high"] for p in points] + [p["low"] for p in points][::-1],
                mode="lines",  # plotly's default adds markers in its own colours to short traces
                fill="toself",
                fillcolor=_band_colour(colour),
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
            )
        )
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=[p["mean"] for p in points],
                mode="lines+markers",
                line={"color": colour},
                name=arm,
                customdata=[[p["low"], p["high"], p["train_examples"]] for p in points],
                hovertemplate=f"{arm}: %{{y:.3f}} [%{{customdata[0]:.3f}}, %{{customdata[1]:.3f}}]"
                "<br>%{customdata[2]} training examples<extra></extra>",
            )
        )
    figure.update_layout(
        title=f"{_name(model)}: learning curves (mean and 95% band over repeats)",
        xaxis_title="train originals per class"
        if per_class
        else "share of the train originals per class (%)",
        yaxis_title="test accuracy",
        height=360,
        margin=_MARGIN,
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def per_class_change_figure(results: dict[str, Any], model: str, size: float | int, arm: str) -> go.Figure:
    """Per class, the change in accuracy on its test examples from real-only to ``arm``."""
    points = report.per_class_change(results, model, size, arm)
    names = [html.escape(p["class"], quote=False) for p in points]
    changes = [p["change"] for p in points]
    colours = ["#2e8b47" if (c or 0) >= 0 else "#a33" for c in changes]
    figure = go.Figure(
        go.Bar(
            x=names,
            y=changes,
            marker_color=colours,
            customdata=[[p["real"], p["arm"]] for p in points],
            hovertemplate="class %{x}: %{customdata[0]:.3f} -> %{customdata[1]:.3f} (%{y:+.3f})"
            "<extra></extra>",
        )
    )
    figure.update_layout(
        title=f"{_name(model)}, {report.size_label(results, size)}: per-class accuracy, {arm} minus real",
        xaxis_title="class",
        yaxis_title="change in accuracy",
        xaxis_type="category",
        height=340,
        margin=_MARGIN,
    )
    return figure


def confusion_figure(results: dict[str, Any], model: str, size: float | int, arm: str) -> go.Figure:
    """The confusion matrix of one arm, summed over its repeats, as a heat map (rows: true class)."""
    data = report.confusion(results, model, size, arm)
    figure = go.Figure()
    if data is not None:
        names = [html.escape(c, quote=False) for c in data["classes"]]
        figure.add_trace(
            go.Heatmap(
                z=data["matrix"],
                x=names,
                y=names,
                colorscale="Blues",
                hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>",
            )
        )
        figure.update_yaxes(autorange="reversed")
    figure.update_layout(
        title=f"{_name(model)}, {report.size_label(results, size)}, {arm}: confusion matrix (all repeats)",
        xaxis_title="predicted class",
        yaxis_title="true class",
        xaxis_type="category",
        yaxis_type="category",
        height=420,
        margin=_MARGIN,
    )
    return figure
