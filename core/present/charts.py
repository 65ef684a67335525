"""Plotly figures the pages show (loss curves, images per class, examples per label, lengths); built here so
that scripts can make the same ones."""

from __future__ import annotations

import html
from collections.abc import Sequence

import plotly.graph_objects as go

from core.data.images import DatasetSummary
from core.data.labels import UNLABELLED
from core.data.text_io import TextExample, TextSummary, word_count

_COLOURS = ("#1f5fbf", "#e07b00", "#2e8b47", "#a33", "#7b4bb7")


def loss_figure(
    history: dict[str, list[tuple[int, float]]],
    baselines: dict[str, float] | None = None,
    y_title: str = "loss",
) -> go.Figure:
    """One line per named loss against the step, plus dashed horizontal baselines.

    Args:
        history: Loss name -> (step, value) points, as core.generators.engine snapshots hold them.
        baselines: Name -> constant value (e.g. the unigram model's bits per character).
        y_title: The y axis title.
    """
    figure = go.Figure()
    for colour, (name, points) in zip(_COLOURS, history.items(), strict=False):
        if not points:
            continue
        steps, values = zip(*points, strict=True)
        smooth = len(points) > 50
        figure.add_trace(
            go.Scatter(
                x=steps,
                y=values,
                mode="lines",
                name=name,
                line={"color": colour},
                opacity=0.3 if smooth else 1.0,
                showlegend=not smooth,
            )
        )
        if smooth:  # an exponential moving average over about 2% of the points, drawn on top
            weight, average, trend = 2.0 / (len(points) / 50 + 1), values[0], []
            for value in values:
                average += weight * (value - average)
                trend.append(average)
            figure.add_trace(go.Scatter(x=steps, y=trend, mode="lines", name=name, line={"color": colour}))
    for name, value in (baselines or {}).items():
        figure.add_hline(y=value, line_dash="dash", annotation_text=f"{name} {value:.2f}", line_color="#888")
    figure.update_layout(
        xaxis_title="step",
        yaxis_title=y_title,
        height=320,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": 1.12},
        uirevision="keep",
    )
    return figure


def _count_bars(counts: dict[str, int], noun: str, title: str, axis: str) -> go.Figure:
    """One bar per category (labels stay categories: ``"10"`` and ``"9"`` are names, not numbers).

    Labels come from the user's folders and files, and plotly reads a little HTML in its texts
    (``<a href>``, ``<b>``): they are HTML-escaped, which plotly shows as written.
    """
    names, values = [html.escape(name, quote=False) for name in counts], list(counts.values())
    figure = go.Figure(
        go.Bar(x=names, y=values, text=values, textposition="auto", hovertemplate=f"%{{x}}: %{{y}} {noun}"),
    )
    figure.update_layout(
        title=title, xaxis_title=axis, yaxis_title=f"Number of {noun}", xaxis_type="category", bargap=0.2
    )
    return figure


def class_count_figure(summary: DatasetSummary) -> go.Figure:
    """Bar chart of images per class (unlabelled images as their own bar).

    Args:
        summary: A summary from :func:`core.data.images.summarize`.

    Returns:
        A plotly figure; class names are categories, so ``"0"``..``"9"`` are not treated as numbers.
    """
    classes = sum(name != UNLABELLED for name in summary.class_counts)
    title = f"Images per class ({summary.total:,} images, {classes} classes)"
    return _count_bars(summary.class_counts, "images", title, "Class")


def label_count_figure(summary: TextSummary) -> go.Figure:
    """Bar chart of examples per label (unlabelled examples as their own bar).

    Args:
        summary: A summary from :func:`core.data.text_io.summarize_text`.

    Returns:
        A plotly figure; labels are categories, so ``"1"``..``"5"`` star ratings are not treated as numbers.
    """
    labels = sum(name != UNLABELLED for name in summary.label_counts)
    title = f"Examples per label ({summary.total:,} examples, {labels} labels)"
    return _count_bars(summary.label_counts, "examples", title, "Label")


def length_figure(examples: Sequence[TextExample]) -> go.Figure:
    """Histogram of words per example.

    Args:
        examples: The examples to describe.

    Returns:
        A plotly figure whose x values are the word counts, in example order.
    """
    counts = [word_count(ex.text) for ex in examples]
    figure = go.Figure(go.Histogram(x=counts, hovertemplate="%{x} words: %{y} examples"))
    figure.update_layout(
        title=f"Words per example ({len(counts):,} examples)",
        xaxis_title="Words per example",
        yaxis_title="Number of examples",
        bargap=0.05,
    )
    return figure
