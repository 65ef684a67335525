"""Plotly figures the pages show; built here so that scripts can make the same ones."""

from __future__ import annotations

import plotly.graph_objects as go

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
