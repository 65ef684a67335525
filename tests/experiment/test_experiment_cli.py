"""``python -m core experiment``: a real subprocess on a tiny recipe, and the exit status of bad ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli.main import main
from core.experiment import ExperimentRecipe
from core.experiment.results import RESULTS_FORMAT

REPO = Path(__file__).resolve().parents[2]
TINY = ExperimentRecipe(
    inputs=("digits",),
    augmentation={"rotation_range": 10},
    variants_per_original=1,
    per_class=(3,),
    models=("linear",),
    repeats=2,
    min_steps=5,
)


def run_core(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core", *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=180
    )


def test_a_tiny_recipe_writes_results_json_with_a_progress_line_per_fit(tmp_path: Path) -> None:
    recipe = tmp_path / "experiment.json"
    recipe.write_text(TINY.to_json())
    out = tmp_path / "sub" / "results.json"
    done = run_core("experiment", "--recipe", recipe, "--out", out)
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert results["format"] == RESULTS_FORMAT and results["status"] == "finished"
    assert results["fits_done"] == results["fits_total"] == 4  # 2 repeats x 2 arms
    assert ExperimentRecipe.from_dict(results["recipe"]) == TINY
    lines = done.stderr.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("fit ")] == [
        f"fit {i}/4" for i in range(1, 5)
    ]
    assert any(line.split()[:3] == ["linear", "3", "real+augmented"] for line in lines)  # the table
    assert lines[-1].startswith("finished: 4 of 4 fits in ") and lines[-1].endswith(f"wrote {out}")
    assert not list(out.parent.glob(".results.json.*"))  # no temporary file left behind


def test_quiet_prints_only_the_last_line(tmp_path: Path, capsys) -> None:
    recipe = tmp_path / "experiment.json"
    recipe.write_text(TINY.to_json())
    assert main(["experiment", "--recipe", str(recipe), "--out", str(tmp_path / "r.json"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("finished:")


@pytest.mark.parametrize(
    "text, message",
    [
        # an unknown key (a typo of "repeats")
        (
            '{"inputs": ["digits"], "repeat": 3}',
            "experiment.json: Unknown setting(s) repeat in the experiment recipe",
        ),
        # not JSON
        ("{inputs: digits}", "experiment.json: The experiment recipe is not valid JSON"),
        # the data cannot give 50 train digits per class
        ('{"inputs": ["digits"], "per_class": [500]}', "per_class 500 asks for more train originals than"),
        # unlabelled data: CPython's documentation sentences
        ('{"kind": "text", "inputs": ["sentences"]}', "An experiment needs a label on every example"),
        # an export recipe given by mistake
        ('{"format": "auglab.recipe/2", "inputs": ["digits"]}', "This is an export recipe"),
    ],
)
def test_a_recipe_that_cannot_run_exits_2_with_a_sentence(
    tmp_path: Path, capsys, text: str, message: str
) -> None:
    """In-process, through the same ``main`` as ``python -m core`` (the subprocess above covers the rest)."""
    recipe = tmp_path / "experiment.json"
    recipe.write_text(text)
    assert main(["experiment", "--recipe", str(recipe), "--out", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not (tmp_path / "r.json").exists()


def test_a_missing_recipe_file_is_named(tmp_path: Path, capsys) -> None:
    assert (
        main(["experiment", "--recipe", str(tmp_path / "nope.json"), "--out", str(tmp_path / "r.json")]) == 2
    )
    assert "nope.json: does not exist" in capsys.readouterr().err
