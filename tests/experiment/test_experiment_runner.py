"""Running experiments: pairing of the initial weights, determinism, the sanity arm, progress, stops.

Every run is tiny (a few digits or sentences per class, a few steps per fit, two or three repeats), so
the accuracies mean nothing; what is checked is what a fit trains on, what it starts from, and how the
results are assembled.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from experiment_data import IDENTITY_IMAGES, IDENTITY_TEXT, digits, digits_recipe, sentences

from core.experiment import Experiment, ExperimentRecipe, comparable, results_json, run_experiment
from core.experiment.arms import ORIGINAL
from core.experiment.results import RESULTS_FORMAT

DIGITS_PER_CLASS = 20


@pytest.fixture(scope="module")
def observed():
    """One digits run, with every fit's training items and initial weights and every progress report."""
    seen: dict = {"fits": [], "progress": []}

    def observer(spec, items, model) -> None:
        state = {k: v.clone() for k, v in model.state_dict().items()}
        seen["fits"].append((spec, items, state))

    recipe = digits_recipe()
    experiment = Experiment(recipe, digits(DIGITS_PER_CLASS), observer=observer)
    seen["results"] = experiment.run(seen["progress"].append)
    seen["experiment"] = experiment
    return seen


def test_every_arm_and_size_of_a_repeat_starts_from_the_same_weights(observed) -> None:
    starts: dict = {}
    for spec, _, state in observed["fits"]:
        starts.setdefault((spec.repeat, spec.model), []).append(state)
    for (repeat, model), states in starts.items():
        assert len(states) == 4  # 2 sizes x 2 arms
        for state in states[1:]:
            assert all(torch.equal(state[k], states[0][k]) for k in state), (repeat, model)
    # ... and each repeat draws its own.
    first, second = starts[(0, "cnn")][0], starts[(1, "cnn")][0]
    assert not all(torch.equal(first[k], second[k]) for k in first)


def test_the_real_part_of_every_arm_is_the_real_arms_training_set(observed) -> None:
    sets: dict = {}
    for spec, items, _ in observed["fits"]:
        real = [(i.index, i.label) for i in items if i.source == ORIGINAL]
        sets.setdefault((spec.repeat, spec.size_index, spec.model), {})[spec.arm] = (real, len(items))
    for arms in sets.values():
        (real_only, n_real), (with_aug, n_aug) = arms["real"], arms["real+augmented"]
        assert real_only == with_aug and n_aug == 3 * n_real  # 2 variants per original


def test_no_fit_trains_on_an_example_of_its_test_split(observed) -> None:
    experiment = observed["experiment"]
    for spec, items, _ in observed["fits"]:
        test = set(experiment.plan(spec.repeat).test)
        assert not {i.index for i in items if i.source != "synthetic"} & test


def test_the_results_hold_a_row_per_model_size_and_arm_built_from_the_fits(observed) -> None:
    results = observed["results"]
    assert results["format"] == RESULTS_FORMAT and results["status"] == "finished"
    assert results["fits_done"] == results["fits_total"] == 2 * 2 * 2 * 2
    assert results["classes"] == [str(d) for d in range(10)]
    assert [(r["model"], r["size"], r["arm"]) for r in results["rows"]] == [
        (m, s, a) for m in ("cnn", "linear") for s in (0.5, 1.0) for a in ("real", "real+augmented")
    ]
    for row in results["rows"]:
        fits = {
            f["repeat"]: f
            for f in results["fits"]
            if (f["model"], f["size"], f["arm"]) == (row["model"], row["size"], row["arm"])
        }
        assert row["accuracies"] == [fits[0]["accuracy"], fits[1]["accuracy"]]
        assert row["mean"] == pytest.approx(np.mean(row["accuracies"]))
        assert np.sum(row["confusion"]) == 2 * 40  # two repeats x 4 test digits x 10 classes
        real = [
            f["accuracy"]
            for f in results["fits"]
            if (f["model"], f["size"], f["arm"]) == (row["model"], row["size"], "real")
        ]
        expected = np.mean(np.subtract(row["accuracies"], real))
        assert row["diff_vs_real"]["mean"] == pytest.approx(expected, abs=1e-15)
        if row["arm"] == "real":
            assert row["diff_vs_real"] == {
                "mean": 0.0,
                "ci95": [0.0, 0.0],
                "verdict": "baseline",
                "repeats": 2,
            }
        else:
            assert row["diff_vs_real"]["verdict"] in ("gain", "no measurable gain", "hurts")
    for fit in results["fits"]:
        # Same steps for both arms of a size: max(15 min_steps, ceil(1 epoch x originals / 16)).
        assert fit["steps"] == 15 and not fit["cut_short"]
        assert fit["train_examples"] == fit["originals"] + fit["augmented"]


def test_progress_is_reported_after_every_fit_with_the_results_so_far(observed) -> None:
    reports = observed["progress"]
    results = observed["results"]
    assert [p.done for p in reports] == list(range(1, 17)) and {p.total for p in reports} == {16}
    assert [p.fit for p in reports] == results["fits"]
    assert reports[-1].eta_s == 0.0 and reports[-1].fraction == 1.0
    # After one repeat (8 fits) every row has a value but no interval; at the end, intervals.
    halfway = reports[7].results
    assert len(halfway["rows"]) == 8 and all(r["ci95"] is None for r in halfway["rows"])
    assert comparable(reports[-1].results)["rows"] == comparable(results)["rows"]


def test_the_same_recipe_gives_the_same_results_json_apart_from_the_times(observed) -> None:
    again = Experiment(digits_recipe(), digits(DIGITS_PER_CLASS)).run()
    first = results_json(comparable(observed["results"]))
    assert results_json(comparable(again)) == first
    assert "fit_s" not in first and '"timing"' not in first
    assert json.loads(results_json(again))["recipe"] == digits_recipe().to_dict()


@pytest.mark.parametrize(
    "recipe, originals",
    [
        # images: an augmentation that changes nothing only repeats the originals; trained to convergence
        # (a few steps would favour the arm whose passes cover more distinct originals)
        (
            digits_recipe(
                augmentation=IDENTITY_IMAGES, models=("linear",), repeats=3, sizes=(1.0,), min_steps=300
            ),
            digits(DIGITS_PER_CLASS),
        ),
        # text, both models
        (
            ExperimentRecipe(
                kind="text", augmentation=IDENTITY_TEXT, variants_per_original=2, repeats=3, min_steps=100
            ),
            sentences(),
        ),
    ],
)
def test_the_sanity_arm_an_augmentation_that_changes_nothing_shows_no_measurable_gain(
    recipe, originals
) -> None:
    results = run_experiment(recipe, originals)
    for row in results["rows"]:
        if row["arm"] == "real+augmented":
            low, high = row["diff_vs_real"]["ci95"]
            assert low <= 0.0 <= high, row
            assert row["diff_vs_real"]["verdict"] == "no measurable gain"


def test_the_bag_model_fits_the_same_model_on_repeated_originals() -> None:
    """Its sample weights and unsmoothed idf make copies weigh what the originals weigh."""
    recipe = ExperimentRecipe(kind="text", augmentation=IDENTITY_TEXT, models=("bag",), repeats=2)
    results = run_experiment(recipe, sentences())
    by_arm = {row["arm"]: row["accuracies"] for row in results["rows"]}
    assert by_arm["real+augmented"] == by_arm["real"]


@pytest.mark.parametrize(
    "calls_after, fits_kept",
    [
        (1, 0),  # asked before the first fit starts: nothing to keep
        (1, 2),  # asked once two fits are done: the next check, between fits, ends the run
        (3, 2),  # the third check after two fits falls inside the third fit: it is abandoned, two kept
    ],
)
def test_a_stop_keeps_the_finished_fits(calls_after: int, fits_kept: int) -> None:
    recipe = digits_recipe(models=("linear",), sizes=(1.0,), min_steps=10, batch_size=200)
    done, calls = [0], [0]

    def should_stop() -> bool:
        if done[0] >= fits_kept:
            calls[0] += 1
        return calls[0] >= calls_after

    results = run_experiment(
        recipe,
        digits(DIGITS_PER_CLASS),
        progress=lambda p: done.__setitem__(0, p.done),
        should_stop=should_stop,
    )
    assert results["status"] == "stopped" and results["fits_done"] == len(results["fits"]) == fits_kept
    assert results["fits_total"] == 4 and len(results["rows"]) == min(fits_kept, 2)


def test_a_fit_over_its_time_budget_is_cut_short_and_named_in_the_notes() -> None:
    recipe = digits_recipe(models=("linear",), sizes=(1.0,), repeats=1, min_steps=10**6, budget_s=0.05)
    results = run_experiment(recipe, digits(DIGITS_PER_CLASS))
    assert all(f["cut_short"] and 0 < f["steps"] < 10**6 for f in results["fits"])
    assert any("2 of 2 fits were cut short by the time budget (0.05 s a fit)" in n for n in results["notes"])


def test_torch_keeps_the_callers_thread_count_and_global_generator() -> None:
    threads, state = torch.get_num_threads(), torch.random.get_rng_state()
    run_experiment(digits_recipe(repeats=1, sizes=(1.0,)), digits(5))
    assert torch.get_num_threads() == threads and torch.equal(torch.random.get_rng_state(), state)
