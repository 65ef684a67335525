"""Text the LSTM tests share (real sentences and labelled reviews) and a tiny trained model."""

from __future__ import annotations

from core.data.text_io import TextExample
from core.data.texts import load_reviews, pydoc_sentences
from core.generators.lstm import LSTMConfig, LSTMTrainer, build_corpus

TINY = LSTMConfig.dry_run()


def prose_examples() -> list[TextExample]:
    """300 real English sentences, unlabelled."""
    return [TextExample(s, None, f"sentence {i}") for i, s in enumerate(pydoc_sentences(300))]


def review_examples() -> list[TextExample]:
    """24 labelled product reviews (positive / negative)."""
    return load_reviews().examples


def trained(examples: list[TextExample], config: LSTMConfig = TINY, steps: int = 3) -> LSTMTrainer:
    trainer = LSTMTrainer(build_corpus(examples, config), config)
    for _ in range(steps):
        trainer.step()
    return trainer
