"""A character- or word-level LSTM language model that writes new lines of text like the training ones.

Three parts, in the nanoGPT / pytorch-examples shape:

- :mod:`.corpus`: :func:`tokenize`, :class:`Vocab`, and :func:`build_corpus`: examples -> a sorted
  vocabulary and encoded training and validation ids (the *tail* of the text is held out, so
  validation measures how well the model writes text it never saw);
- :mod:`.model`: :class:`LSTMConfig` (a frozen dataclass with a comment per default) and
  :class:`LSTMModel` (embedding -> stacked LSTM -> linear, with :meth:`LSTMModel.generate`);
- :mod:`.trainer`: :class:`LSTMTrainer`, which implements :class:`core.generators.engine.Trainer`, samples,
  and saves checkpoints in the :mod:`core.generators.checkpoint` format.

Units: losses are reported in **bits per character** (bpc): the summed cross-entropy of the predicted
tokens in bits (nats / ln 2) divided by the number of characters of text those tokens stand for. A
character token stands for 1 character, the line-end token for 1 (the newline), a label token for 0,
a word-level token for its own length (``" the"`` is 4: the space it carries is text) and an unknown
token for the length of the text it replaced. At character level without labels this is exactly bits
per token.
"""

from core.generators.lstm.corpus import (
    EOL,
    LABEL_PREFIX,
    LEVELS,
    UNK,
    UNK_SPACE,
    Corpus,
    Vocab,
    build_corpus,
    label_token,
    line_hash,
    suggested_conditional,
    tokenize,
    words_of,
)
from core.generators.lstm.model import LSTMConfig, LSTMModel, stream_bits
from core.generators.lstm.trainer import LSTMTrainer

__all__ = [
    "EOL",
    "LABEL_PREFIX",
    "LEVELS",
    "UNK",
    "UNK_SPACE",
    "Corpus",
    "LSTMConfig",
    "LSTMModel",
    "LSTMTrainer",
    "Vocab",
    "build_corpus",
    "label_token",
    "line_hash",
    "stream_bits",
    "suggested_conditional",
    "tokenize",
    "words_of",
]
