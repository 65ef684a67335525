"""An experiment as a job: what ``python -m core worker`` runs for the kind "experiment".

The page submits ``jobs.submit(store, ws, "experiment", experiment_config(recipe, data))``; the
supervisor starts a worker process, which calls :func:`run_experiment_job`. The page polls the job's
row for progress (rows so far included) and reads ``results.json`` from the workspace when it ends.

Job config (JSON)::

    {"recipe": {...},   # the experiment recipe, exactly as experiment.json holds it
     "data": {...}}     # core.data.inputs.DataSpec: {"builtin": "digits"} or {"files": [...], ...}

The originals are the ``data`` (the recipe's ``inputs`` only record their names, as in an export
job): a built-in sample, or the workspace's own files read by hash, so a worker never opens a path a
user typed. Each synthetic source of the recipe is read from the workspace by its ``sha256`` (which is
therefore required) and sampled again with its seed and settings.

Progress (``job.progress``, after each fit and at most twice a second during one)::

    status "running"; fits_done, fits_total (null until known), fraction (0..1), elapsed_s,
    eta_s (null until a fit ends)
    message     what it is doing, or how it ended
    results     the results so far without the fits and the confusion matrices (:func:`light_results`;
                core.experiment.report draws the table and charts from it; results.json has the rest)
    rows        the same rows as results["rows"] (kept for the page's table)
    last_fit    the record of the latest fit (without its confusion matrix)
    notices     files or entries that were skipped, and unmet wishes (names as the user gave them)
    device      e.g. "CPU (1 thread)"

Result (``job.result``), once finished or stopped with at least one fit: ``results`` (sha256 of the
``results.json`` bytes in the workspace) and ``results_artifact`` (its id among the workspace's
"experiment" artifacts, meta ``{"job", "status", "fits_done", "fits_total"}``).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from core.config import from_mapping
from core.data.inputs import DataSpec, load_images, load_text
from core.errors import ConfigError
from core.experiment.recipe import ExperimentRecipe, uses_synthetic
from core.experiment.results import results_json
from core.experiment.runner import Progress, run_experiment
from core.workspace.worker import JobContext, Outcome

KIND = "experiment"
ARTIFACT = "experiment"  # the workspace's artifact kind of a results.json
REPORT_EVERY_S = 0.5  # progress written at most this often (and a stop looked for)
MAX_NOTICES = 20


@dataclass(frozen=True)
class ExperimentJob:
    """An experiment job's configuration (see the module docstring); JSON round trip."""

    recipe: ExperimentRecipe
    data: DataSpec = field(default_factory=lambda: DataSpec(builtin="digits"))

    def __post_init__(self) -> None:
        if isinstance(self.recipe, dict):
            object.__setattr__(self, "recipe", ExperimentRecipe.from_dict(self.recipe))
        elif not isinstance(self.recipe, ExperimentRecipe):
            raise ConfigError('The job gives no recipe: give "recipe": {...the experiment recipe...}.')
        if isinstance(self.data, dict):
            object.__setattr__(self, "data", from_mapping(DataSpec, self.data, "experiment's data"))
        elif not isinstance(self.data, DataSpec):
            raise ConfigError(
                'The job names no data: give "data": {"builtin": "digits"} or {"files": [...]}.'
            )

    def to_config(self) -> dict[str, Any]:
        """The JSON-ready dict a job is submitted with."""
        data = asdict(self.data)
        data["files"] = [dict(f) for f in data["files"]]
        return {"recipe": self.recipe.to_dict(), "data": data}

    @classmethod
    def from_config(cls, config: Any) -> ExperimentJob:
        """The inverse of :meth:`to_config`.

        Raises:
            ConfigError: Not an object, no recipe or data, an unknown entry or a bad value.
        """
        if isinstance(config, dict) and "recipe" not in config:
            raise ConfigError('The job gives no recipe: give "recipe": {...the experiment recipe...}.')
        if isinstance(config, dict) and "data" not in config:
            raise ConfigError(
                'The job names no data: give "data": {"builtin": "digits"} or {"files": [...]}.'
            )
        return from_mapping(cls, config, "experiment job's configuration")


def experiment_config(recipe: ExperimentRecipe, data: DataSpec | dict[str, Any]) -> dict[str, Any]:
    """The JSON-ready config of an experiment job on ``data`` (what a page submits)."""
    return ExperimentJob(recipe, data).to_config()


def _checkpoint_name(ctx: JobContext, sha256: str, fallback: str) -> str:
    """What the user knows a checkpoint as: its artifact's name, else the recipe's path."""
    for kind in ("pool.checkpoint", "checkpoint"):
        for artifact in ctx.store.artifacts(ctx.ws, kind):
            if artifact["sha256"] == sha256:
                return artifact["name"]
    return fallback


def _synthetic(ctx: JobContext, recipe: ExperimentRecipe, notices: list[str]) -> list[Any]:
    """Samples of the recipe's generator checkpoints, read from the workspace by hash."""
    if not any(uses_synthetic(a) for a in recipe.arms):
        return []
    from core.generators.pool import samples_from_checkpoint

    samples: list[Any] = []
    generator = "gan" if recipe.kind == "images" else "lstm"
    for source in recipe.synthetic:
        if not source.sha256:
            raise ConfigError(
                f"The synthetic source {source.checkpoint} gives no sha256; a job reads checkpoints from the "
                "workspace by their hash."
            )
        sha = source.sha256.lower()
        name = _checkpoint_name(ctx, sha, source.checkpoint)
        batch = samples_from_checkpoint(
            ctx.read(sha, name), name, generator, source.seed, source.n, source.settings
        )
        notices.append(f"sampled {len(batch):,} synthetic examples from {name}")
        samples.extend(batch)
    return samples


def _light(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "confusion"}


def light_results(results: dict[str, Any]) -> dict[str, Any]:
    """The results without the fits and the confusion matrices: what a progress report carries, small
    enough to rewrite twice a second, and enough for :mod:`core.experiment.report`'s table, accuracy,
    learning-curve and per-class charts (the confusion matrices come with results.json at the end)."""
    out = {k: v for k, v in results.items() if k != "fits"}
    out["rows"] = [_light(row) for row in results["rows"]]
    return out


def run_experiment_job(ctx: JobContext) -> Outcome:
    """Handler of "experiment" jobs (see the module docstring for the config and the reports)."""
    import torch

    spec = ExperimentJob.from_config(ctx.config)
    device = f"CPU ({torch.get_num_threads()} thread{'s' if torch.get_num_threads() != 1 else ''})"
    with ctx.busy("Loading the data…"):
        load = load_images if spec.recipe.kind == "images" else load_text
        originals, notices = load(spec.data, ctx.read)
        synthetic = _synthetic(ctx, spec.recipe, notices)
    state: dict[str, Any] = {
        "status": "running",
        "fits_done": 0,
        "fits_total": None,
        "fraction": 0.0,
        "elapsed_s": 0.0,
        "eta_s": None,
        "message": "Preparing the first fit…",
        "rows": [],
        "results": None,
        "last_fit": None,
        "notices": notices[:MAX_NOTICES],
        "device": device,
    }
    start = time.monotonic()
    last = [0.0]

    def write(force: bool = False) -> bool:
        now = time.monotonic()
        if force or now - last[0] >= REPORT_EVERY_S:
            last[0] = now
            state["elapsed_s"] = round(now - start, 3)
            return ctx.report(dict(state))
        return ctx.stop_wanted

    def progress(p: Progress) -> None:
        state.update(
            fits_done=p.done,
            fits_total=p.total,
            fraction=p.fraction,
            eta_s=round(p.eta_s, 1),
            message=f"Fit {p.done:,} of {p.total:,} done.",
            results=light_results(p.results),
            rows=[_light(row) for row in p.results["rows"]],
            last_fit=_light(p.fit),
        )
        write(force=p.done == p.total)

    def notify(line: str) -> None:
        notices.append(line)
        state["notices"] = notices[:MAX_NOTICES]

    if ctx.stop_wanted:
        return Outcome("stopped", "Stopped before the first fit.")
    results = run_experiment(
        spec.recipe, originals, synthetic, progress=progress, should_stop=write, notify=notify
    )
    done, total = results["fits_done"], results["fits_total"]
    state.update(
        status=results["status"],
        fits_done=done,
        fits_total=total,
        fraction=done / total if total else 1.0,
        eta_s=0.0,
        results=light_results(results),
        rows=[_light(row) for row in results["rows"]],
        elapsed_s=round(time.monotonic() - start, 3),
    )
    result: dict[str, Any] = {}
    if done:
        sha = ctx.put(results_json(results).encode("utf-8"), "The experiment's results")
        meta = {"job": ctx.job.id, "status": results["status"], "fits_done": done, "fits_total": total}
        artifact = ctx.store.add_artifact(ctx.ws, ARTIFACT, f"Experiment, job {ctx.job.id}", sha, meta)
        result = {"results": sha, "results_artifact": artifact}
    if results["status"] == "stopped":
        message = f"Stopped after {done:,} of {total:,} fits; the finished fits are kept."
        if ctx.terminate.is_set():
            message += " The worker process was asked to end (SIGTERM)."
    else:
        message = f"{done:,} fits done in {state['elapsed_s']:.0f} s."
    state["message"] = message
    return Outcome(results["status"], message, dict(state), result)
