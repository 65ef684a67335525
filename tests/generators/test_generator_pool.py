"""core.generators.pool: the one conversion of generator samples into pool items (pages, CLI, export).

Defect 1 at the core: an unconditional GAN's samples have no labels, and that must give items labelled
None, not a crash.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from generator_helpers import make_trainer
from lstm_fixtures import review_examples, trained

from core.errors import ConfigError
from core.generators.checkpoint import CheckpointError, save_checkpoint
from core.generators.gan import GANConfig
from core.generators.lstm import LSTMConfig
from core.generators.pool import image_samples, samples_from_checkpoint, text_samples


@pytest.mark.parametrize(
    "n_classes, n, expected_labels",
    [
        (0, 5, [None] * 5),  # unconditional: n in all, no label (crashed the CLI and the page before)
        (3, 2, ["c0", "c0", "c1", "c1", "c2", "c2"]),  # conditional: n per class, class by class
    ],
)
def test_image_samples(n_classes, n, expected_labels):
    trainer = make_trainer(GANConfig.dry_run(n_classes=n_classes))
    items = image_samples(trainer, "ab" * 32, 7, n)
    assert [item.label for item in items] == expected_labels
    assert [item.index for item in items] == list(range(len(expected_labels)))
    assert all(item.seed == 7 and item.checkpoint_sha256 == "ab" * 32 for item in items)
    assert all(item.array.shape == (8, 8) and item.array.dtype == np.uint8 for item in items)
    arrays, _ = trainer.generate(n, None, 7)
    assert all(np.array_equal(item.array, array) for item, array in zip(items, arrays, strict=True))
    assert not np.shares_memory(items[0].array, items[1].array)  # each item owns its pixels


@pytest.mark.parametrize("conditional", [False, True])
def test_samples_from_checkpoint_carry_the_file_hash(conditional):
    trainer = make_trainer(GANConfig.dry_run(n_classes=3 if conditional else 0))
    trainer.step()
    data = save_checkpoint(trainer.checkpoint())
    items = samples_from_checkpoint(data, "g.pt", "gan", 3, 2)
    assert len(items) == (6 if conditional else 2)
    assert {item.checkpoint_sha256 for item in items} == {hashlib.sha256(data).hexdigest()}
    assert np.array_equal(items[0].array, trainer.generate(2, None, 3)[0][0])
    with pytest.raises(CheckpointError, match=r"g\.pt is a GAN checkpoint"):
        samples_from_checkpoint(data, "g.pt", "lstm", 3, 2)


def test_text_samples_record_the_label_each_line_was_written_with():
    trainer = trained(review_examples(), LSTMConfig.dry_run(conditional=True), steps=3)
    drawn = text_samples(trainer, "cd" * 32, 0, 20, {"max_len": 10})  # no label asked: the model draws one
    assert {item.label for item in drawn} == {"negative", "positive"}
    assert all(item.settings["label"] is None and item.settings["max_len"] == 10 for item in drawn)
    expected = trainer.sample_labelled("", 20, 10, 0.8, None, 0, None)
    assert [(item.text, item.label) for item in drawn] == expected
    chosen = text_samples(trainer, "cd" * 32, 0, 3, {"label": "positive", "prompt": "I"})
    assert [item.label for item in chosen] == ["positive"] * 3 and all(i.text.startswith("I") for i in chosen)
    with pytest.raises(ConfigError, match="temprature"):
        text_samples(trainer, "cd" * 32, 0, 3, {"temprature": 0.5})  # a typo is not silently ignored
