"""AugLab's LSTM on CPU: the training engine's overhead, and what the page's 40-second demo gives.

Run from the repository root::

    python bench/bench_lstm.py [--quick] [--update-readme] [--threads N]

One process, in this order:

1. Engine overhead: the same :class:`core.generators.lstm.LSTMTrainer` (default config) trained for ``steps``
   steps through :class:`engine.TrainingRun` (``RunLimits(max_steps=steps)``: validation passes,
   previews and good-state copies included) and through a plain loop of the same model, optimiser and
   batches (``batch()``, forward, backward, clip, Adam: nothing else). Rounds alternate; the best round
   of each is reported, and overhead = plain steps/s / engine steps/s - 1.
2. Time to quality on CPython's ``pydoc_data.topics`` (every topic joined with a newline in sorted key
   order, one example per line, the last 10% of the tokens held out): validation bits per character of
   AugLab's default config after a 40 s ``TrainingRun`` budget (the page's default; validation every
   5 s of training, so the curve has points from the start), next to the previous default (2x256) and
   a plain pytorch-examples loop (2x256 ``nn.LSTM``, 256-wide embedding, Adam 2e-3, 32 windows of 100
   characters, default init) after the same budget, all evaluated on the whole held-out tail by
   :func:`core.generators.lstm.stream_bits`, and the unigram baseline (add-one smoothed training
   frequencies). Then 20 lines sampled from the default model (temperature 0.8, 120 characters): the
   share of their words found in the training text (readable text scores high, gibberish low) beside
   their novelty (the share of lines not in the training text), and three of them.

The machine line records the load average before and after: on a shared 2-core machine other
processes change the figures a lot. ``--update-readme`` writes the report between
``<!-- bench:lstm:start -->`` and ``<!-- bench:lstm:end -->`` in README.md.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import common  # first: puts the repository root on sys.path for `core`
import torch
import torch.nn.functional as F
from torch import nn

from core.data.text_io import TextExample, split_lines
from core.generators.engine import RunLimits, TrainingRun
from core.generators.lstm import LSTMConfig, LSTMTrainer, build_corpus, stream_bits

SEED = 0
TARGET_OVERHEAD = 0.10  # engine steps/s at most 10% below the plain loop's
TARGET_BPC = 1.9  # validation bits per character after the 40 s budget (the unigram baseline: 4.67)
TARGET_KNOWN = 0.8  # share of the sampled words that are words of the training text
PREVIOUS = {
    "embedding_dim": 64,
    "hidden_size": 256,
    "num_layers": 2,
    "seq_len": 64,
    "batch_size": 32,
    "lr": 5e-3,
}


@dataclass(frozen=True)
class Sizes:
    """How much work one run does."""

    steps: int  # steps per overhead round
    rounds: int  # overhead rounds per way; the best is reported
    budget_s: float  # seconds of training for the quality figures
    chars: int | None  # characters of the topics text used (None: all)


FULL = Sizes(steps=200, rounds=2, budget_s=40.0, chars=None)
QUICK = Sizes(steps=10, rounds=1, budget_s=3.0, chars=60_000)


def topics_examples(chars: int | None) -> list[TextExample]:
    """CPython's pydoc topics, joined in sorted key order, one example per line (blank lines kept)."""
    from pydoc_data.topics import topics

    text = "\n".join(topics[key] for key in sorted(topics))
    if chars is not None:
        text = text[:chars]
    return [
        TextExample(line, None, f"pydoc_data.topics line {i + 1}") for i, line in enumerate(split_lines(text))
    ]


# ---------------------------------------------------------------------------------------------
# 1. Engine overhead


def plain_steps(trainer: LSTMTrainer, steps: int) -> float:
    """Seconds for ``steps`` bare steps of the trainer's model, optimiser and batches."""
    model, opt, clip = trainer.model, trainer.optimizer, trainer.config.grad_clip
    start = time.perf_counter()
    for _ in range(steps):
        x, y, _ = trainer.batch()
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        loss.item()  # the engine reads every loss; so does the plain loop
    return time.perf_counter() - start


def engine_steps(trainer: LSTMTrainer, steps: int) -> float:
    """Seconds for ``steps`` steps through TrainingRun (thread, previews, validation, good states)."""
    run = TrainingRun(trainer)
    start = time.perf_counter()
    run.start(RunLimits(max_steps=steps, budget_s=None))
    run.join()
    elapsed = time.perf_counter() - start
    snap = run.snapshot()
    assert snap.run_steps == steps, snap.message
    return elapsed


# ---------------------------------------------------------------------------------------------
# 2. Time to quality


class PlainLSTM(nn.Module):
    """The pytorch-examples word_language_model shape: embedding, 2x256 nn.LSTM, linear."""

    def __init__(self, vocab: int, width: int = 256, layers: int = 2) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, width)
        self.lstm = nn.LSTM(width, width, layers, batch_first=True)
        self.head = nn.Linear(width, vocab)

    def forward(self, ids, state=None):
        out, state = self.lstm(self.embedding(ids), state)
        return self.head(out), state


def plain_quality(corpus, budget_s: float) -> tuple[float, int]:
    """Validation bpc and steps of a plain 2x256 loop trained for ``budget_s`` seconds."""
    generator = torch.Generator().manual_seed(SEED)
    state = torch.random.get_rng_state()
    torch.manual_seed(SEED)  # nn's default init draws from the global RNG; this script owns it
    model = PlainLSTM(len(corpus.vocab))
    torch.random.set_rng_state(state)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    data, batch, seq = corpus.train_ids, 32, 100
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < budget_s:
        starts = torch.randint(0, data.numel() - seq - 1, (batch,), generator=generator)
        ids = data[starts[:, None] + torch.arange(seq + 1)]
        logits, _ = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        steps += 1
    inputs = torch.cat([corpus.train_ids[-1:], corpus.val_ids[:-1]])
    bits = stream_bits(model, inputs, corpus.val_ids)
    return bits / int(corpus.val_chars.sum()), steps


def auglab_quality(
    corpus, config: LSTMConfig, budget_s: float
) -> tuple[float, int, list[tuple[int, float]], LSTMTrainer]:
    """Validation bpc, steps and curve of AugLab's trainer after a ``budget_s`` run, and the trainer."""
    trainer = LSTMTrainer(corpus, config)
    run = TrainingRun(trainer)
    run.start(RunLimits(budget_s=budget_s))
    run.join()
    return trainer.validate(), trainer.steps_done, run.snapshot().history.get("val_bpc", []), trainer


# ---------------------------------------------------------------------------------------------
# Report


def main(argv: list[str] | None = None) -> int:
    parser = common.parser(__doc__, "tiny sizes for a smoke check (seconds)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch intra-op threads (default 1, as the app)"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    load_before = common.load_average()

    config = LSTMConfig(seed=SEED)
    corpus = build_corpus(topics_examples(sizes.chars), config)
    chars = int(corpus.train_chars.sum() + corpus.val_chars.sum())

    # 1. Overhead: two trainers with the same seed, rounds alternating.
    plain_trainer, engine_trainer = LSTMTrainer(corpus, config), LSTMTrainer(corpus, config)
    plain_trainer.step(), engine_trainer.step()  # warm-up
    plain_s, engine_s = [], []
    for _ in range(sizes.rounds):
        plain_s.append(plain_steps(plain_trainer, sizes.steps))
        engine_s.append(engine_steps(engine_trainer, sizes.steps))
    plain_rate, engine_rate = sizes.steps / min(plain_s), sizes.steps / min(engine_s)
    overhead = plain_rate / engine_rate - 1.0

    # 2. Quality after the budget.
    auglab_bpc, auglab_steps, curve, trainer = auglab_quality(corpus, config, sizes.budget_s)
    lines_out = trainer.sample("", 20, 120, 0.8, None, SEED)
    known, novelty = trainer.known_word_share(lines_out) or 0.0, trainer.novelty(lines_out)
    previous = LSTMConfig(**{**config.to_dict(), **PREVIOUS})
    previous_bpc, previous_steps, _, _ = auglab_quality(corpus, previous, sizes.budget_s)
    plain_bpc, plain_steps_done = plain_quality(corpus, sizes.budget_s)
    unigram = corpus.unigram_bpc()
    load_after = common.load_average()

    c = config
    lines = [
        f"LSTM on CPU{' (--quick: tiny sizes, figures not meaningful)' if args.quick else ''}: "
        f"CPython's pydoc_data.topics ({chars:,} characters, {len(corpus.vocab)} tokens in the vocabulary), "
        f"last {c.val_fraction:.0%} held out ({corpus.val_ids.numel():,} characters).",
        "",
        f"| | steps/s | steps | validation bits/char after {sizes.budget_s:g} s |",
        "|---|---:|---:|---:|",
        f"| AugLab engine (TrainingRun, {sizes.steps} steps/round, best of {sizes.rounds}) "
        f"| {engine_rate:.2f} | | |",
        f"| plain loop, same model and batches | {plain_rate:.2f} | | |",
        f"| AugLab default config: {c.num_layers}x{c.hidden_size} LSTM, embedding {c.embedding_dim}, "
        f"{c.batch_size}x{c.seq_len} windows, Adam {c.lr:g} | {auglab_steps / sizes.budget_s:.2f} "
        f"| {auglab_steps:,} | {auglab_bpc:.3f} |",
        f"| the previous default: 2x256 LSTM, embedding 64, 32x64 windows, Adam 0.005 "
        f"| {previous_steps / sizes.budget_s:.2f} | {previous_steps:,} | {previous_bpc:.3f} |",
        f"| plain 2x256 LSTM loop (embedding 256, 32x100 windows, Adam 0.002) "
        f"| {plain_steps_done / sizes.budget_s:.2f} | {plain_steps_done:,} | {plain_bpc:.3f} |",
        f"| unigram baseline (add-one smoothed training frequencies) | | | {unigram:.3f} |",
        "",
        f"- Engine overhead: {overhead:+.1%} steps/s vs the plain loop (target < {TARGET_OVERHEAD:.0%}): "
        f"**{common.verdict(overhead < TARGET_OVERHEAD)}**",
        f"- AugLab validation after {sizes.budget_s:g} s: {auglab_bpc:.3f} bits/char "
        f"(target <= {TARGET_BPC}): "
        f"**{common.verdict(auglab_bpc <= TARGET_BPC)}**",
        "- AugLab validation curve, every 5 s of training (step: bits/char): "
        + (", ".join(f"{s}: {v:.2f}" for s, v in curve[:: max(1, len(curve) // 8)]) or "none"),
        f"- 20 sampled lines (temperature 0.8): {known:.0%} of their words are words of the training text "
        f"(target >= {TARGET_KNOWN:.0%}): **{common.verdict(known >= TARGET_KNOWN)}**; novelty "
        f"{novelty:.0%} (lines not in the training text). Three of them:",
        "",
        "```text",
        *(line.replace("`", "'") for line in lines_out[:3]),
        "```",
        "",
        common.machine_line(
            common.machine_info(
                {"torch threads": str(torch.get_num_threads())},
                {
                    "torch": torch.__version__,
                    "load average (1/5/15 min)": f"{load_before} before, {load_after} after",
                },
            )
        ),
    ]
    report = "\n".join(lines)
    common.publish(report, "lstm", args.update_readme)
    return 0 if math.isfinite(auglab_bpc) else 1


if __name__ == "__main__":
    raise SystemExit(main())
