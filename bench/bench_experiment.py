"""Does augmentation help? AugLab's experiment on digits (CNN vs logistic regression) and on text.

Run from the repository root::

    python bench/bench_experiment.py [--quick] [--update-readme] [--threads N] [--rounds N]

One process, all on the CPU:

1. Digits: scikit-learn's digits, 10 training images per class (``per_class: [10]``; the other 20%
   of each class is the test split), mild geometric augmentation (rotation 12 degrees, shifts 0.12,
   zoom 0.9-1.1, black fill, 10 variants of each training image), the small CNN and pixel logistic
   regression, 5 repeats, arms real vs real+augmented: the results table, and the wall time of
   ``run_experiment`` on the recipe (data loading included). Targets: the CNN gains with a paired
   interval above zero, logistic regression does not, the whole experiment in <= 60 s.
2. Overhead: fit by fit, the experiment's own ``Experiment.run_fit`` (building its inputs, augmenting
   included) against a plain loop of the same fit (the same model, initial weights, batches, dropout
   masks and steps on ready-made arrays, a bare ``for`` loop, then the test split), interleaved, the
   fastest of ``--rounds`` each; to the experiment's side is added what ``run_experiment`` spent outside
   its fits in part 1 (loading, planning, statistics). Fit-level interleaving keeps other processes'
   load out of the comparison as far as it can. Target: < 10%.
3. Text: paragraphs of CPython's ``pydoc_data.topics`` labelled by their topic (the 6 topics with the
   most prose paragraphs: paragraphs of at least 8 words, mostly words), written to a CSV as a user's
   upload would be; EDA at alpha 0.1 with the paper's n_aug for the training-set size
   (``variants_per_original: "eda"``), both text models, sizes 25% and 100%, 5 repeats.

Torch runs on ``--threads`` intra-op threads (default 1, as in a worker process). ``--update-readme``
writes the report between ``<!-- bench:experiment:start -->`` and ``<!-- bench:experiment:end -->``.
"""

from __future__ import annotations

import csv
import re
import tempfile
import time
from pathlib import Path

import common  # first: puts the repository root on sys.path for `core`
import numpy as np
import sklearn
import torch

from core.experiment import Experiment, ExperimentRecipe, run_experiment
from core.experiment.models import SETTINGS, build_torch_model, cross_entropy
from core.experiment.runner import FitSpec
from core.experiment.training import image_tensor
from core.seeding import torch_generator

TARGET_SECONDS = 60.0
TARGET_OVERHEAD = 10.0  # percent
DIGITS_AUG = {
    "rotation_range": 12,
    "width_shift_range": 0.12,
    "height_shift_range": 0.12,
    "zoom_range": 0.1,
    "fill_mode": "constant",
    "cval": 0,
}
TEXT_AUG = {"alpha_sr": 0.1, "alpha_ri": 0.1, "alpha_rs": 0.1, "p_rd": 0.1}
TOPICS = 6
MIN_WORDS = 8


def digits_recipe(quick: bool) -> ExperimentRecipe:
    return ExperimentRecipe(
        inputs=("digits",),
        augmentation=DIGITS_AUG,
        variants_per_original=10,
        per_class=(10,),
        models=("cnn", "linear"),
        repeats=2 if quick else 5,
        min_steps=30 if quick else 300,
    )


def text_recipe(path: Path, quick: bool) -> ExperimentRecipe:
    return ExperimentRecipe(
        kind="text",
        inputs=(str(path),),
        augmentation=TEXT_AUG,
        variants_per_original="eda",
        sizes=(0.25, 1.0),
        repeats=2 if quick else 5,
        min_steps=30 if quick else 300,
    )


def topic_paragraphs() -> dict[str, list[str]]:
    """Prose paragraphs of CPython's documentation topics, by topic: the TOPICS topics with the most."""
    from pydoc_data.topics import topics

    by_topic = {}
    for key in sorted(topics):
        kept = []
        for paragraph in topics[key].split("\n\n"):
            flat = " ".join(paragraph.split())
            words = re.findall(r"[A-Za-z]+", flat)
            # Prose, not code: enough words, and most whitespace-separated tokens are words.
            if len(words) >= MIN_WORDS and len(words) > 0.7 * len(flat.split()):
                kept.append(flat)
        by_topic[key] = kept
    largest = sorted(by_topic, key=lambda k: (-len(by_topic[k]), k))[:TOPICS]
    return {k: by_topic[k] for k in sorted(largest)}


def write_topics_csv(folder: Path) -> Path:
    path = folder / "pydoc_topics.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "label"])
        for topic, paragraphs in topic_paragraphs().items():
            writer.writerows([p, topic] for p in paragraphs)
    return path


# ---------------------------------------------------------------------------------------------
# The plain loop


def prepare(experiment: Experiment) -> list[tuple]:
    """Per fit, the arrays a plain loop trains and tests on, from the experiment's own plan (untimed)."""
    prepared = []
    for spec in experiment.fits:
        items = experiment.training_items(spec)
        x = image_tensor(experiment.bank.inputs(items))
        y = torch.tensor([experiment.class_index[i.label] for i in items])
        test = experiment.plan(spec.repeat).test
        tx = image_tensor(experiment.bank.inputs([_original(experiment, i) for i in test]))
        ty = np.array([experiment.class_index[experiment.labels[i]] for i in test])
        prepared.append((spec, x, y, tx, ty, experiment.steps(experiment.sizes[spec.size_index])))
    return prepared


def plain_fit(experiment: Experiment, spec: FitSpec, x, y, tx, ty, steps: int) -> float:
    """One fit as a tutorial writes it: the same model, initial weights, batches, dropout masks and
    steps as the experiment's, a bare ``for`` loop, then the test split's accuracy."""
    seed, batch, fmt = experiment.recipe.seed, experiment.recipe.batch_size, experiment.fmt
    r, m = spec.repeat, spec.model
    init = torch_generator(seed, "experiment", "init", r, m)
    model = build_torch_model(m, len(experiment.classes), init, fmt.size, fmt.channels)
    batches = torch_generator(seed, "experiment", "batches", r, m)
    masks = torch_generator(seed, "experiment", "dropout", r, m)
    optimiser = torch.optim.Adam(model.parameters(), lr=SETTINGS[m].lr)
    done, n = 0, len(y)
    model.train()
    while done < steps:
        order = torch.randperm(n, generator=batches)
        for first in range(0, n, batch):
            index = order[first : first + batch]
            loss = cross_entropy(model(x[index], masks), y[index])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            done += 1
            if done >= steps:
                break
    model.eval()
    with torch.no_grad():
        predicted = model(tx).argmax(1).numpy()
    return float(np.mean(predicted == ty))


def overhead_rounds(recipe: ExperimentRecipe, rounds: int) -> dict:
    """Fit by fit, the experiment's own ``run_fit`` (its inputs, augmentation included) and the plain
    loop, interleaved (the order alternates), ``rounds`` times; the fastest time of each fit."""
    experiment = Experiment(recipe, _digits())
    prepared = prepare(experiment)
    best_exp = [float("inf")] * len(prepared)
    best_plain = [float("inf")] * len(prepared)
    same = True
    for _ in range(rounds):
        experiment = Experiment(recipe, _digits())  # a cold variant cache, as in a real run
        for i, (spec, x, y, tx, ty, steps) in enumerate(prepared):
            order = ("exp", "plain") if i % 2 == 0 else ("plain", "exp")
            for which in order:
                start = time.perf_counter()
                if which == "exp":
                    accuracy = experiment.run_fit(spec)["accuracy"]
                    best_exp[i] = min(best_exp[i], time.perf_counter() - start)
                else:
                    plain = plain_fit(experiment, spec, x, y, tx, ty, steps)
                    best_plain[i] = min(best_plain[i], time.perf_counter() - start)
            same = same and plain == accuracy
    return {"experiment_fits": sum(best_exp), "plain": sum(best_plain), "same": "yes" if same else "no"}


def _digits():
    from core.data.sources import load_builtin_images

    return load_builtin_images("digits").images


def _original(experiment: Experiment, index: int):
    from core.experiment.arms import Item

    return Item("original", index, None, experiment.labels[index])


def timed_experiment(recipe: ExperimentRecipe) -> tuple[float, dict]:
    start = time.perf_counter()
    results = run_experiment(recipe, notify=lambda line: print(f"  {line}", flush=True))
    return time.perf_counter() - start, results


# ---------------------------------------------------------------------------------------------
# Report


def _ci(values) -> str:
    return "-" if values is None else f"[{values[0]:.3f}, {values[1]:.3f}]"


def _dci(values) -> str:
    return "-" if values is None else f"[{values[0]:+.4f}, {values[1]:+.4f}]"


def rows_table(results: dict, size_label) -> list[str]:
    lines = [
        "| model | size | arm | accuracy (mean) | 95% CI | vs real (paired) | 95% CI | verdict "
        "| repeats > real |",
        "|---|---|---|---:|---|---:|---|---|---:|",
    ]
    fits = results["fits"]
    for row in results["rows"]:
        diff = row["diff_vs_real"]
        better = "" if row["arm"] == "real" else _wins(fits, row)
        lines.append(
            f"| {row['model']} | {size_label(row['size'])} | {row['arm']} | {row['mean']:.3f} "
            f"| {_ci(row['ci95'])} | {diff['mean']:+.4f} | {_dci(diff['ci95'])} | {diff['verdict']} "
            f"| {better} |"
        )
    return lines


def _wins(fits: list[dict], row: dict) -> str:
    def acc(arm: str) -> dict[int, float]:
        return {
            f["repeat"]: f["accuracy"]
            for f in fits
            if (f["model"], f["size"], f["arm"]) == (row["model"], row["size"], arm)
        }

    real, mine = acc("real"), acc(row["arm"])
    wins = sum(mine[r] > real[r] for r in mine if r in real)
    return f"{wins} of {len(mine)}"


def render(digits: dict, rounds: dict, text: dict | None, text_s: float, quick: bool, n_rounds: int) -> str:
    mine = rounds["experiment_fits"] + rounds["outside"]
    over = (mine / rounds["plain"] - 1.0) * 100.0
    rows = {(r["model"], r["arm"]): r for r in digits["rows"]}
    cnn, linear = (
        rows[("cnn", "real+augmented")]["diff_vs_real"],
        rows[("linear", "real+augmented")]["diff_vs_real"],
    )
    sizes = digits["sizes"][0]
    lines = [
        f"Experiment: does augmentation help? CPU, torch on {torch.get_num_threads()} thread(s)"
        f"{' (--quick: tiny sizes, figures not meaningful)' if quick else ''}.",
        "",
        f"1. scikit-learn's digits, {sizes['train_per_class']['0']} training images per class "
        f"({sum(sizes['train_per_class'].values())} in all; test: the other 20% of each class, "
        f"{sum(digits['data']['test_per_class'].values())} images), rotation 12 degrees, shifts 0.12, "
        f"zoom 0.9-1.1, black fill, {sizes['variants_per_original']} variants per image, "
        f"{sizes['steps']} Adam steps of 32 per fit, {digits['recipe']['repeats']} repeats (split + "
        "initial weights), 95% t-intervals over repeats:",
        "",
        *rows_table(digits, lambda s: f"{s} per class"),
        "",
        f"- CNN: real+augmented minus real {cnn['mean']:+.4f}, paired 95% interval {_dci(cnn['ci95'])}: "
        f"{cnn['verdict']} (target: gain, interval above 0): **{common.verdict(cnn['verdict'] == 'gain')}**",
        f"- Logistic regression: {linear['mean']:+.4f}, {_dci(linear['ci95'])}: {linear['verdict']} "
        f"(target: no gain): **{common.verdict(linear['verdict'] != 'gain')}**",
        f"- Whole experiment ({digits['fits_total']} fits, `run_experiment` on the recipe, loading "
        f"included): {rounds['wall']:.1f} s (target <= {TARGET_SECONDS:g} s): "
        f"**{common.verdict(rounds['wall'] <= TARGET_SECONDS)}**",
        f"- Overhead vs a plain loop of the same fits on ready-made arrays, fit by fit, interleaved, fastest "
        f"of {n_rounds} rounds each: the experiment's fits {rounds['experiment_fits']:.1f} s (their inputs "
        f"and augmentation included) + {rounds['outside']:.2f} s outside them (loading, planning, "
        f"statistics) vs the plain loop's {rounds['plain']:.1f} s, the same accuracies: {rounds['same']}: "
        f"{over:+.1f}% (target < {TARGET_OVERHEAD:g}%): **{common.verdict(over < TARGET_OVERHEAD)}**",
    ]
    if text is not None:
        t_sizes = text["sizes"]
        described = "; ".join(
            f"{s['size'] * 100:g}%: {sum(s['train_per_class'].values())} paragraphs, "
            f"{s['variants_per_original']} variants each"
            for s in t_sizes
        )
        classes = ", ".join(text["classes"])
        lines += [
            "",
            f"2. Text: {text['data']['originals']:,} prose paragraphs of CPython's pydoc_data.topics "
            f"labelled by topic ({classes}), EDA alpha 0.1 with the paper's n_aug for the size "
            f"({described}), "
            f"{text['recipe']['repeats']} repeats; {text_s:.0f} s in all:",
            "",
            *rows_table(text, lambda s: f"{s * 100:g}%"),
        ]
    lines += [
        "",
        common.machine_line(
            common.machine_info(
                {
                    "torch threads": str(torch.get_num_threads()),
                    "load average at the end": common.load_average(),
                },
                {"torch": torch.__version__, "numpy": np.__version__, "scikit-learn": sklearn.__version__},
            )
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = common.parser(__doc__, "tiny sizes for a smoke check", "write the report into README.md")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds of part 2 (default 2)")
    parser.add_argument("--no-text", action="store_true", help="skip part 3")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    recipe = digits_recipe(args.quick)

    print("warm-up ...", flush=True)
    run_experiment(ExperimentRecipe(inputs=("digits",), per_class=(3,), repeats=1, min_steps=5))
    print("digits: the experiment ...", flush=True)
    wall, digits = timed_experiment(recipe)
    outside = wall - sum(f["fit_s"] for f in digits["fits"])
    print(
        f"  {wall:.1f} s ({outside:.2f} s outside the fits); fit by fit against a plain loop ...", flush=True
    )
    rounds = {"wall": wall, "outside": outside, **overhead_rounds(recipe, args.rounds)}
    print(f"  {rounds['experiment_fits']:.1f} s vs {rounds['plain']:.1f} s", flush=True)

    text, text_s = None, 0.0
    if not args.no_text:
        with tempfile.TemporaryDirectory() as folder:
            path = write_topics_csv(Path(folder))
            print("text ...", flush=True)
            text_s, text = timed_experiment(text_recipe(path, args.quick))
            text["recipe"]["inputs"] = ["pydoc_topics.csv"]

    report = render(digits, rounds, text, text_s, args.quick, args.rounds)
    print()
    common.publish(report, "experiment", args.update_readme)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
