"""Does it help? Train small models with and without augmentation and synthesis, paired, and compare.

Modules:
    recipe: :class:`ExperimentRecipe` (``auglab.experiment/1``), validated, JSON round trip.
    arms: the split, the nested subsets, each arm's training items; the data checks.
    data: items to model input (images at one size and colour mode, or strings), variants cached.
    models: the CNN, pixel logistic regression, fastText-style embedding bag (torch), bag of n-grams.
    training: one fit, to a fixed number of steps, within a time budget, stoppable.
    stats: t-intervals over repeats, paired differences, verdicts, macro-F1, confusion matrices.
    runner: :func:`run_experiment`: the fits in order, progress after each.
    results: the rows from the fits, ``results.json``.
    report: results to the data of the page's charts and table.
    job: the "experiment" job handler (a worker process runs it for the page).
"""

from core.experiment.arms import ExperimentError
from core.experiment.recipe import ARMS, EXPERIMENT_FORMAT, MODELS, ExperimentRecipe
from core.experiment.results import RESULTS_FORMAT, comparable, results_json
from core.experiment.runner import Experiment, Progress, run_experiment

__all__ = [
    "ARMS",
    "EXPERIMENT_FORMAT",
    "MODELS",
    "RESULTS_FORMAT",
    "Experiment",
    "ExperimentError",
    "ExperimentRecipe",
    "Progress",
    "comparable",
    "results_json",
    "run_experiment",
]
