"""``python -m core train-gan | sample-gan | train-vae | sample-vae | train-lstm | sample-lstm`` as a user
runs them: subprocesses
from the repository root on tiny settings (``--dry-run``, a few steps), outputs checked on their own.

Error cases that need no fresh process run through ``core.cli.main.main`` in this one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import cv2
import pytest
import torch

from core.cli.generators import _staged_folder
from core.cli.main import main
from core.data.sources import load_builtin_images
from core.generators.checkpoint import load_checkpoint, save_checkpoint
from core.generators.gan import GANConfig, GANTrainer, training_split

ROOT = Path(__file__).resolve().parents[2]


ENV = {**os.environ, "OMP_NUM_THREADS": "1"}  # torch on one thread as in this process: the same sums


def cli(*args: str) -> subprocess.CompletedProcess:
    """``python -m core *args`` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True, timeout=300, env=ENV
    )


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path]:
    """Checkpoints written by the CLI: a conditional GAN, an unconditional GAN, a VAE and an LSTM."""
    folder = tmp_path_factory.mktemp("checkpoints")
    runs = {
        "gan": ["train-gan", "--data", "digits", "--dry-run", "--steps", "5", "--seed", "3"],
        "gan_unconditional": [
            "train-gan",
            "--data",
            "digits",
            "--no-conditional",
            "--dry-run",
            "--steps",
            "3",
        ],
        "lstm": ["train-lstm", "--data", "reviews", "--dry-run", "--steps", "4"],
        "vae": ["train-vae", "--data", "digits", "--dry-run", "--steps", "4", "--seed", "2"],
    }
    out = {name: folder / "deeper" / f"{name}.pt" for name in runs}  # "deeper" is made on success
    started = {
        name: subprocess.Popen(
            [sys.executable, "-m", "core", *args, "--out", str(out[name])],
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in runs.items()
    }  # side by side: most of each run is importing torch on one core
    for process in started.values():
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    return out


def test_train_gan_writes_the_model_the_page_would_train(trained):
    data = trained["gan"].read_bytes()
    payload = load_checkpoint(data, "gan.pt", "gan")
    config = GANConfig.from_dict(payload["config"])
    assert payload["steps"] == 5 and config.n_classes == 10 and config.seed == 3  # digits: conditional
    assert config.held_out == GANConfig().held_out  # the page's held-out share by default
    assert trained["gan"].stat().st_mode & 0o777 == 0o644  # an ordinary file, not a private temporary one
    # The page builds its trainer with training_split + GANTrainer: five steps of that give these weights.
    split = training_split(load_builtin_images("digits").images, config)
    page = GANTrainer(split.images, split.labels, split.classes, config, device="cpu")
    for _ in range(5):
        page.step()
    cli_weights = payload["model"]["generator"]
    assert all(torch.equal(v, cli_weights[k]) for k, v in page.G.state_dict().items())


def test_train_vae_writes_the_model_the_page_would_train(trained):
    from core.generators.vae import VAEConfig, VAETrainer

    payload = load_checkpoint(trained["vae"].read_bytes(), "vae.pt", "vae")
    config = VAEConfig.from_dict(payload["config"])
    assert payload["steps"] == 4 and config.n_classes == 10 and config.seed == 2 and config.image_size == 8
    split = training_split(load_builtin_images("digits").images, config)
    page = VAETrainer(split.images, split.labels, split.classes, config, device="cpu")
    for _ in range(4):
        page.step()
    assert all(torch.equal(v, payload["model"][k]) for k, v in page.model.state_dict().items())


@pytest.mark.parametrize(
    "command, model, n, expected_labels",
    [
        ("sample-gan", "gan", 3, {str(d): 3 for d in range(10)}),  # conditional: 3 per class
        ("sample-gan", "gan_unconditional", 4, {"": 4}),  # unconditional: 4 in all, no label (defect 1)
        ("sample-vae", "vae", 2, {str(d): 2 for d in range(10)}),  # the conditional VAE: 2 per class
    ],
)
def test_sample_gan_writes_pngs_and_their_provenance(trained, tmp_path, command, model, n, expected_labels):
    out = tmp_path / "samples"
    result = cli(
        command, "--checkpoint", str(trained[model]), "--n", str(n), "--seed", "1", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    table = rows(out / "samples.csv")
    assert Counter(r["label"] for r in table) == expected_labels
    digest = hashlib.sha256(trained[model].read_bytes()).hexdigest()
    assert {r["checkpoint_sha256"] for r in table} == {digest}
    assert [int(r["index"]) for r in table] == list(range(len(table))) and {r["seed"] for r in table} == {"1"}
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == sorted(r["file"] for r in table)
    for name in pngs:
        image = cv2.imread(str(out / name), cv2.IMREAD_UNCHANGED)
        assert image.shape == (8, 8) and image.dtype == "uint8"  # 8x8 grayscale, as the model makes them
    assert sorted(p.name for p in tmp_path.iterdir()) == ["samples"]  # no temporary left beside it


def test_train_and_sample_lstm(trained, tmp_path):
    payload = load_checkpoint(trained["lstm"].read_bytes(), "lstm.pt", "lstm")
    assert payload["steps"] == 4 and payload["labels"] == ["negative", "positive"]  # reviews: conditional
    lines_csv = tmp_path / "lines.csv"
    args = ["--n", "3", "--max-len", "20", "--prompt", "I", "--label", "positive", "--out", str(lines_csv)]
    result = cli("sample-lstm", "--checkpoint", str(trained["lstm"]), *args)
    assert result.returncode == 0, result.stderr
    printed = result.stdout.split("\n")[:-1]
    assert len(printed) == 3 and all(line.startswith("I") for line in printed)  # 20 tokens after "I"
    table = rows(lines_csv)
    assert [r["text"] for r in table] == printed and {r["label"] for r in table} == {"positive"}
    assert "novelty" in result.stderr and "known words" in result.stderr


@pytest.mark.parametrize("command", ["train-gan", "train-vae", "train-lstm"])
def test_a_bad_data_name_exits_2_with_a_sentence(tmp_path, command):
    result = cli(command, "--data", "no-such-data", "--steps", "1", "--out", str(tmp_path / "m.pt"))
    assert result.returncode == 2
    assert "no-such-data" in result.stderr and "not a built-in sample" in result.stderr
    assert "Traceback" not in result.stderr and list(tmp_path.iterdir()) == []


def old_format(data: bytes) -> bytes:
    payload = load_checkpoint(data, "x.pt", "gan")
    payload["format_version"] = 1
    return save_checkpoint(payload)


@pytest.mark.parametrize(
    "args, words",
    [
        (["sample-lstm", "--checkpoint", "{gan}"], "is a GAN checkpoint"),  # another kind
        (["sample-vae", "--checkpoint", "{gan}", "--out", "{out}"], "is a GAN checkpoint"),  # not a VAE
        (["train-vae", "--size", "12", "--out", "{out}"], "The VAE makes images of 8, 16, 28, 32, 64"),
        (["sample-gan", "--checkpoint", "{old}", "--out", "{out}"], "older AugLab"),  # format 1
        (
            ["sample-gan", "--checkpoint", "{gan}", "--n", "0", "--out", "{out}"],
            "number of images",
        ),  # bad count
        (["sample-gan", "--checkpoint", "{missing}", "--out", "{out}"], "does not exist"),  # no file
        (["sample-gan", "--checkpoint", "{gan}", "--out", "{file}"], "not a folder"),  # out is a file
        (
            ["train-gan", "--data", "photos", "--quality", "--out", "{out}"],
            "needs a held-out part",
        ),  # 7 photos
        (["train-gan", "--held-out", "0.6", "--out", "{out}"], "held_out must be a number in [0, 0.5)"),
    ],
)
def test_errors_exit_2_and_leave_nothing_behind(trained, tmp_path, capsys, args, words):
    old = tmp_path / "old.pt"
    old.write_bytes(old_format(trained["gan"].read_bytes()))
    (tmp_path / "file.txt").write_text("mine")
    names = {"gan": trained["gan"], "old": old, "out": tmp_path / "out", "missing": tmp_path / "none.pt"}
    names["file"] = tmp_path / "file.txt"
    before = sorted(tmp_path.iterdir())
    assert main([a.format(**names) for a in args]) == 2
    err = capsys.readouterr().err
    assert words in err and err.startswith("error: ")
    assert sorted(tmp_path.iterdir()) == before and (tmp_path / "file.txt").read_text() == "mine"


def test_samples_go_into_an_existing_folder_beside_its_files(trained, tmp_path, capsys):
    out = tmp_path / "samples"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert (
        main(["sample-gan", "--checkpoint", str(trained["gan_unconditional"]), "--n", "2", "--out", str(out)])
        == 0
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "gan_00000.png",
        "gan_00001.png",
        "notes.txt",
        "samples.csv",
    ]
    assert (out / "notes.txt").read_text() == "keep me"


def test_a_failure_while_writing_leaves_no_partial_output(tmp_path):
    out = tmp_path / "new" / "samples"
    with pytest.raises(RuntimeError), _staged_folder(out) as stage:
        (stage / "gan_00000.png").write_bytes(b"half")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its temporary twin


@pytest.mark.parametrize(
    "model, command, data, trained_steps",
    [
        ("gan", "train-gan", "digits", 5),  # the conditional GAN trained above with 5 steps
        ("lstm", "train-lstm", "reviews", 4),  # the LSTM trained above with 4 steps
        ("vae", "train-vae", "digits", 4),  # the VAE trained above with 4 steps
    ],
)
def test_resume_continues_the_step_count(trained, tmp_path, model, command, data, trained_steps):
    out = tmp_path / "resumed.pt"
    done = cli(command, "--data", data, "--resume", str(trained[model]), "--steps", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"(step {trained_steps})" in done.stderr
    payload = load_checkpoint(out.read_bytes(), out.name, model)
    assert payload["steps"] == trained_steps + 3
