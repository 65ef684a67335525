"""Text augmentation: EDA's four operations (Wei & Zou 2019) and AEDA's punctuation insertion.

Operations, each on the words of one text:

- ``SR`` synonym replacement: ``n`` words that are not protected become a WordNet synonym;
- ``RI`` random insertion: ``n`` times, a synonym of a random unprotected word is inserted after a
  random word (after, so that no line starts with a lower-case insertion);
- ``RS`` random swap: ``n`` times, two words trade places;
- ``RD`` random deletion: each word is deleted with probability ``p_rd``, never all of them;
- ``PI`` punctuation insertion (AEDA, Karimi et al. 2021): between 1 and ``punct_ratio`` x words marks
  from ``. ; ? : ! ,`` are inserted at random word boundaries.

``n = max(1, round(alpha * words))`` for SR, RI and RS; an alpha of 0 turns the operation off. As in
EDA, each variant applies one operation (variant ``v`` uses the ``v % k``-th of the ``k`` chosen
operations); with ``combine`` every variant applies all of them, in the order above.

What users of the reference implementations miss, kept here: the text outside the edits stays as
written (punctuation, contractions such as "didn't", numbers such as "3.5", spacing and line breaks);
a word is edited at most once per variant; a replacement takes the case pattern of the word it
replaces; a word is never replaced by itself or a case variant; stop words are protected from SR and
RI, and so are single letters ("b" in "<b>" is not boron); words the user protects are never touched
at all. A word is a run of letters, with inner apostrophes or hyphens ("didn't", "well-known");
numbers and punctuation are never edited.

Variant ``variant`` of example ``index`` under ``seed`` depends only on those three numbers: it draws
from its own ``random.Random``, ``core.seeding.python_random(seed, "text", index, variant)``, and
synonym lists are sorted, so results never depend on hash order, other examples or other sessions.
That stream, and the way integers are drawn from it, are new in this version: the variants of a given
seed differ from those of AugLab versions before it (which seeded ``random.Random`` with the string
``"auglab-text:{seed}:{index}:{variant}"``). A configuration file carries no seed and means what it
meant, so its format (``auglab.text_aug/1``) is unchanged; an export recipe carries the seed.

The package: :mod:`.config` holds the settings a user saves (:class:`TextAugConfig`) and EDA's presets,
:mod:`.operations` the operations and the rebuilt text. The HTML that highlights edits is presentation:
:mod:`core.present.highlight`.
"""

from core.augment.text.config import (
    CONFIG_FORMAT,
    EDA_TABLE,
    OPERATION_NAMES,
    OPERATIONS,
    PUNCTUATION,
    WORDNET_OPERATIONS,
    TextAugConfig,
    eda_preset,
    variant_operations,
)
from core.augment.text.operations import (
    WORD_RE,
    Edit,
    Segment,
    TextVariant,
    augment_text,
    augment_text_detailed,
    match_case,
    synonyms,
)

__all__ = [
    "CONFIG_FORMAT",
    "EDA_TABLE",
    "OPERATIONS",
    "OPERATION_NAMES",
    "PUNCTUATION",
    "WORDNET_OPERATIONS",
    "WORD_RE",
    "Edit",
    "Segment",
    "TextAugConfig",
    "TextVariant",
    "augment_text",
    "augment_text_detailed",
    "eda_preset",
    "match_case",
    "synonyms",
    "variant_operations",
]
