"""core.generators.lstm model and trainer: the config's checks, shapes, determinism from the seed's streams,
the engine, sampling, novelty, checkpoints, and learning real prose well below the unigram baseline."""

from __future__ import annotations

import io
import math
import re

import pytest
import torch
from lstm_fixtures import TINY, trained

from core.data.text_io import TextExample
from core.data.texts import pydoc_sentences
from core.errors import ConfigError
from core.generators.checkpoint import CheckpointError, load_checkpoint, save_checkpoint, seal
from core.generators.engine import RunLimits, TrainingRun
from core.generators.lstm import Corpus, LSTMConfig, LSTMModel, LSTMTrainer, build_corpus


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"level": "byte"}, "level"),  # unknown level
        ({"hidden_size": 0}, "hidden_size"),  # no units
        ({"num_layers": 2.5}, "num_layers"),  # not whole
        ({"dropout": 1.0}, "dropout"),  # drops everything
        ({"lr": 0.0}, "lr"),  # no learning
        ({"lr": float("nan")}, "lr"),  # not a number
        ({"val_fraction": 0.0}, "val_fraction"),  # nothing held out
        ({"val_fraction": 0.9}, "val_fraction"),  # almost nothing to train on
        ({"seq_len": 1}, "seq_len"),  # a window needs two tokens
        ({"conditional": "yes"}, "conditional"),  # not a bool
        ({"seed": -1}, "seed"),  # negative seed
        ({"batch_size": True}, "batch_size"),  # a bool is not a count
    ],
)
def test_config_refuses_bad_values(changes, words):
    with pytest.raises(ConfigError, match=words):
        LSTMConfig(**changes)


def test_config_round_trip_and_unknown_key():
    config = LSTMConfig(level="word", hidden_size=128, conditional=True, seed=7)
    assert LSTMConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ConfigError, match="hidden"):
        LSTMConfig.from_dict({"hiden_size": 3})


def test_shapes_dtypes_and_finite_losses(prose):
    corpus = build_corpus(prose, TINY)
    model = LSTMModel(len(corpus.vocab), TINY)
    ids = corpus.train_ids[:30].view(3, 10)
    logits, state = model(ids)
    assert logits.shape == (3, 10, len(corpus.vocab)) and logits.dtype == torch.float32
    assert len(state) == TINY.num_layers
    assert all(h.shape == (1, 3, TINY.hidden_size) and c.shape == h.shape for h, c in state)
    trainer = LSTMTrainer(corpus, TINY)
    x, y, chars = trainer.batch()
    assert x.shape == y.shape == chars.shape == (TINY.batch_size, TINY.seq_len)
    assert torch.equal(x[:, 1:], y[:, :-1])  # targets are the inputs shifted by one
    results = [trainer.step() for _ in range(TINY.val_every)]
    assert all(math.isfinite(v) for r in results for v in r.values())
    assert "val_bpc" not in results[0] and "val_bpc" in results[-1]  # validation every val_every steps
    assert results[-1]["val_bpc"] == pytest.approx(trainer.validate())
    assert trainer.validate() == trainer.validate()  # deterministic
    assert trainer.steps_done == TINY.val_every


def test_global_rng_untouched(reviews):
    before = torch.random.get_rng_state()
    config = LSTMConfig.dry_run(conditional=True, dropout=0.3)
    trainer = LSTMTrainer(build_corpus(reviews, config), config)
    for _ in range(3):
        trainer.step()
    trainer.validate()
    trainer.preview()
    trainer.sample("", 3, 20, 1.0, 5, 0)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_same_seed_same_everything_different_seed_differs(prose):
    a, b = trained(prose, steps=4), trained(prose, steps=4)
    assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True))
    assert a.sample("The ", 4, 40, 1.0, None, 3) == b.sample("The ", 4, 40, 1.0, None, 3)
    assert a.sample("The ", 4, 40, 1.0, None, 3) != a.sample("The ", 4, 40, 1.0, None, 4)  # sampling seed
    other = trained(prose, LSTMConfig.dry_run(seed=1), steps=4)  # config seed: init and batches
    assert not torch.equal(other.model.head.weight, a.model.head.weight)
    assert a.preview() == b.preview() and a.preview() == a.preview()


def test_dropout_masks_come_from_the_seed(prose):
    config = LSTMConfig.dry_run(dropout=0.5)
    a, b = trained(prose, config, steps=3), trained(prose, config, steps=3)
    assert torch.equal(a.model.head.weight, b.model.head.weight)
    assert not torch.equal(a.model.head.weight, trained(prose, steps=3).model.head.weight)


def test_state_round_trip_gives_identical_next_steps(prose):
    trainer = trained(prose, LSTMConfig.dry_run(dropout=0.2), steps=3)
    saved = trainer.state()
    first = [trainer.step() for _ in range(4)]
    after = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.load_state(saved)
    assert trainer.steps_done == 3
    assert [trainer.step() for _ in range(4)] == first
    assert all(torch.equal(v, after[k]) for k, v in trainer.model.state_dict().items())


def test_stop_and_resume_through_the_engine(prose):
    run = TrainingRun(LSTMTrainer(build_corpus(prose, TINY), TINY))
    run.start(RunLimits(max_steps=7, budget_s=None))
    run.join(60)
    first = run.snapshot()
    assert first.status == "finished" and first.steps == 7
    run.start(RunLimits(max_steps=8, budget_s=None))
    run.join(60)
    snap = run.snapshot()
    assert snap.steps == 15 and snap.run_steps == 8
    assert [step for step, _ in snap.history["train_bpc"]] == list(range(1, 16))
    assert [step for step, _ in snap.history["val_bpc"]] == [5, 10, 15]
    assert isinstance(snap.preview, list) and all(isinstance(s, str) for s in snap.preview)


# --------------------------------------------------------------------------------------------------
# Sampling


def test_samples_start_with_the_prompt_and_end_at_line_end(prose):
    trainer = trained(prose)
    lines = trainer.sample("The ", 5, 30, 0.8, 10, 0)
    assert len(lines) == 5 and all(line.startswith("The ") and "\n" not in line for line in lines)
    assert all(len(line) <= len("The ") + 30 for line in lines)
    assert len(trainer.sample("", 2, 1, 1.0, 1, 0)) == 2


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"prompt": "The ☃ and ✈"}, r"'☃', '✈'"),  # characters never seen in training, named
        ({"temperature": 0.0}, "temperature"),  # would divide by zero
        ({"temperature": -1.0}, "temperature"),  # negative
        ({"temperature": float("nan")}, "temperature"),  # not a number
        ({"top_k": 0}, "top_k"),  # nothing to sample from
        ({"n": 0}, "number of lines"),  # no lines
        ({"max_len": 0}, "maximum length"),  # nothing to write
        ({"label": "positive"}, "not trained on labels"),  # unconditional model
    ],
)
def test_sampling_refuses_bad_arguments(prose, kwargs, words):
    trainer = trained(prose, steps=0)
    args = {"prompt": "The", "n": 2, "max_len": 10, "temperature": 1.0, "top_k": None, "seed": 0, **kwargs}
    with pytest.raises(ConfigError, match=words):
        trainer.sample(**args)


def test_conditional_lines_carry_their_label(reviews):
    config = LSTMConfig.dry_run(conditional=True)
    trainer = trained(reviews, config, steps=5)
    drawn = trainer.sample_labelled("", 20, 20, 1.0, None, 0)
    assert {label for _, label in drawn} == {"negative", "positive"}  # the model draws the label
    assert all(isinstance(line, str) for line, _ in drawn)
    chosen = trainer.sample_labelled("I", 4, 20, 1.0, None, 0, label="negative")
    assert [label for _, label in chosen] == ["negative"] * 4 and all(
        line.startswith("I") for line, _ in chosen
    )
    assert trainer.sample("I", 4, 20, 1.0, None, 0, "negative") == [line for line, _ in chosen]
    with pytest.raises(ConfigError, match="'neutral'"):
        trainer.sample("", 1, 5, 1.0, None, 0, "neutral")
    assert all(p.startswith(("[negative]", "[positive]")) for p in trainer.preview())


@pytest.mark.parametrize(
    "val_every, val_every_s, slow_pass, expected",
    [
        (0, 1e-9, False, [True] * 4),  # every step trains longer than a nanosecond: validated after each
        (0, 1e-9, True, [False] * 4),  # a pass that took 10 s waits for 200 s of training (5% of the time)
        (0, 3600.0, False, [False] * 4),  # an hour of training between passes: none in four steps
        (2, 3600.0, False, [False, True, False, True]),  # the step count still counts
        (0, 0.0, False, [False] * 4),  # both off
    ],
)
def test_validation_follows_its_schedule_and_changes_nothing_learnt(
    prose, monkeypatch, val_every, val_every_s, slow_pass, expected
):
    import core.generators.lstm.trainer as module

    config = LSTMConfig.dry_run(val_every=val_every, val_every_s=val_every_s)
    trainer = trained(prose, config, steps=0)
    if slow_pass:
        monkeypatch.setattr(trainer, "validate", lambda: 1.0)  # a pass that took...
        trainer._val_s = 10.0  # ... 10 s
    else:
        monkeypatch.setattr(module, "VAL_SHARE", 1e9)  # no stretching: the schedule alone decides
    results = [trainer.step() for _ in range(4)]
    assert ["val_bpc" in r for r in results] == expected
    quiet = trained(prose, LSTMConfig.dry_run(val_every=0, val_every_s=0.0), steps=4)  # never validates
    weights = zip(trainer.model.state_dict().values(), quiet.model.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in weights)


@pytest.mark.parametrize(
    "lines, expected",
    [
        (["The object is returned."], 1.0),  # every word is a word of the documentation
        (["THE Object, is RETURNED!"], 1.0),  # case and punctuation do not matter
        (["the zqxv blorf"], 1 / 3),  # two invented words of three
        (["the 42 zqxv", "blorf"], 1 / 3),  # numbers are not words; counted over all lines
        (["", "123 ..."], None),  # no word at all
    ],
)
def test_known_word_share(prose, lines, expected):
    trainer = trained(prose, steps=0)
    share = trainer.known_word_share(lines)
    assert share == (None if expected is None else pytest.approx(expected))
    loaded = LSTMTrainer.from_checkpoint(load_checkpoint(_bytes(trainer), "m.pt", "lstm"))
    assert loaded.known_word_share(lines) == share  # the checkpoint keeps the words, not the text


def test_novelty(prose):
    trainer = trained(prose, steps=0)
    seen = prose[0].text
    assert trainer.novelty([seen, "  " + seen + " ", "A line nobody wrote.", ""]) == pytest.approx(1 / 3)
    assert trainer.novelty([prose[-1].text]) == 1.0  # the held-out tail is not training text
    assert trainer.novelty([]) == 0.0


# --------------------------------------------------------------------------------------------------
# Checkpoints


def _bytes(trainer: LSTMTrainer) -> bytes:
    return save_checkpoint(trainer.checkpoint())


def test_checkpoint_round_trip_gives_identical_samples(prose):
    trainer = trained(prose, steps=5)
    data = _bytes(trainer)
    payload = torch.load(io.BytesIO(data), weights_only=True)  # plain tensors and JSON-like values only
    assert payload["kind"] == "lstm" and payload["steps"] == 5 and payload["vocab"] == trainer.vocab.tokens
    loaded = LSTMTrainer.from_checkpoint(load_checkpoint(data, "m.pt", "lstm"))
    assert loaded.sample("The", 3, 40, 0.9, 5, 11) == trainer.sample("The", 3, 40, 0.9, 5, 11)
    assert loaded.unigram_bpc == pytest.approx(trainer.unigram_bpc)
    assert loaded.novelty([prose[0].text, "new"]) == 0.5  # works without the text
    with pytest.raises(ConfigError, match="load the text"):
        loaded.step()
    # With the text it continues exactly as the original would.
    resumed = LSTMTrainer.from_checkpoint(load_checkpoint(data, "m.pt", "lstm"), build_corpus(prose, TINY))
    assert resumed.steps_done == 5
    assert [resumed.step() for _ in range(3)] == [trainer.step() for _ in range(3)]


def test_gan_checkpoint_refused(prose):
    payload = trained(prose, steps=1).checkpoint()
    payload["kind"] = "gan"
    with pytest.raises(CheckpointError, match="'gan'"):
        load_checkpoint(save_checkpoint(payload), "g.pt", "lstm")
    with pytest.raises(CheckpointError, match="'gan'"):
        LSTMTrainer.from_checkpoint(payload)


def test_edited_payload_fails_its_digest(prose):
    payload = trained(prose, steps=1).checkpoint()
    payload["model"]["head.bias"][0] += 1.0
    with pytest.raises(CheckpointError, match="digest"):
        LSTMTrainer.from_checkpoint(payload)


def _redigest(payload: dict) -> dict:
    """An edited payload with a fresh digest, as a careless tool (not a damaged file) would make it."""
    return seal(dict(payload))


def test_mismatched_checkpoints_are_refused(prose, reviews):
    payload = trained(prose, steps=1).checkpoint()
    with pytest.raises(CheckpointError, match="vocabulary"):
        LSTMTrainer.from_checkpoint(payload, build_corpus(reviews, TINY))  # other text, other vocabulary
    bigger = _redigest(dict(payload, config={**payload["config"], "hidden_size": 32}))
    with pytest.raises(CheckpointError, match="weights do not match"):
        LSTMTrainer.from_checkpoint(bigger)
    shorter = _redigest(dict(payload, vocab=payload["vocab"][:-1]))
    with pytest.raises(CheckpointError, match="embedding has shape"):
        LSTMTrainer.from_checkpoint(shorter)
    with pytest.raises(CheckpointError, match="config"):
        LSTMTrainer.from_checkpoint(_redigest(dict(payload, config={"level": "bytes"})))


# --------------------------------------------------------------------------------------------------
# Word level


def test_word_level_end_to_end(prose):
    config = LSTMConfig.dry_run(level="word", max_vocab=200)
    corpus = build_corpus(prose, config)
    assert isinstance(corpus, Corpus) and len(corpus.vocab) == 3 + 200  # <eol>, <unk>, " <unk>"
    text = "".join(ex.text + "\n" for ex in prose)
    assert int(corpus.train_chars.sum() + corpus.val_chars.sum()) == len(text)  # tokens cover the text
    trainer = LSTMTrainer(corpus, config)
    results = [trainer.step() for _ in range(5)]
    assert all(math.isfinite(v) for r in results for v in r.values()) and "val_bpc" in results[-1]
    # Bits per character: the validation bits over the tail's characters.
    assert trainer.unigram_bpc == pytest.approx(corpus.unigram_bpc())
    lines = trainer.sample("The", 3, 12, 1.0, None, 0)
    assert all(line.startswith("The") for line in lines)
    assert all(len(re.findall(r" ?\w+| ?[^\w\s]|\s", line[3:])) <= 12 + 12 for line in lines)
    with pytest.raises(ConfigError, match="words the model never saw"):
        trainer.sample("The zyzzyva", 1, 5, 1.0, None, 0)
    loaded = LSTMTrainer.from_checkpoint(load_checkpoint(_bytes(trainer), "w.pt", "lstm"))
    assert loaded.sample("The", 3, 12, 1.0, None, 0) == lines


# --------------------------------------------------------------------------------------------------
# Learning on real prose

QUALITY_STEPS = 400  # fixed step count: the result does not depend on the machine's speed
QUALITY_CONFIG = LSTMConfig(
    embedding_dim=32, hidden_size=128, num_layers=1, seq_len=64, batch_size=32, lr=5e-3, val_every_s=0.0
)


def test_learns_real_prose_well_below_unigram():
    """A fixed step count, so the figure does not depend on the machine's speed or load."""
    examples = [TextExample(s) for s in pydoc_sentences(2000)]
    trainer = LSTMTrainer(build_corpus(examples, QUALITY_CONFIG), QUALITY_CONFIG)
    for _ in range(QUALITY_STEPS):
        trainer.step()
    val = trainer.validate()
    print(f"validation {val:.3f} bits/char, unigram {trainer.unigram_bpc:.3f}")
    assert val <= trainer.unigram_bpc - 1.0, (val, trainer.unigram_bpc)
