"""Text augmentation: EDA's four operations (Wei & Zou 2019), AEDA's punctuation insertion, and noise.

Operations, each on the words of one text:

- ``SR`` synonym replacement: ``n`` words that are not protected become a synonym;
- ``RI`` random insertion: ``n`` times, a synonym of a random unprotected word is inserted after a
  random word (after, so that no line starts with a lower-case insertion);
- ``RS`` random swap: ``n`` times, two words trade places;
- ``RD`` random deletion: each word is deleted with probability ``p_rd``, never all of them;
- ``PI`` punctuation insertion (AEDA, Karimi et al. 2021): between 1 and ``punct_ratio`` x words marks
  from ``. ; ? : ! ,`` are inserted at random word boundaries;
- the noise operations nlpaug users know (:mod:`.noise`): ``KB`` keyboard typos, ``OCR`` OCR errors,
  ``CI`` / ``CS`` / ``CW`` / ``CD`` random character insertion, substitution, swap and deletion, ``SPL``
  word splits, ``SPE`` common misspellings; ``n = max(1, round(alpha_noise * words))`` words each.

``n = max(1, round(alpha * words))`` for SR, RI and RS; an alpha of 0 turns the operation off. As in
EDA, each variant applies one operation (variant ``v`` uses the ``v % k``-th of the ``k`` chosen
operations); with ``combine`` every variant applies all of them, in the order above.

Synonyms are WordNet's, filtered so that a class can see them (:mod:`.filters`: the word's part of
speech, its frequent senses, its form, no much rarer words, names, symbols or offensive words); each
filter can be turned off, and with all off they are WordNet's as EDA takes them.

What users of the reference implementations miss, kept here: the text outside the edits stays as
written (punctuation, contractions such as "didn't", numbers such as "3.5", spacing and line breaks);
a word is edited at most once per variant; a replacement takes the case pattern of the word it
replaces; a word is never replaced by itself or a case variant; stop words are protected from SR and
RI, and so are single letters ("b" in "<b>" is not boron); words the user protects, and words inside
URLs, e-mail addresses, paths, identifiers and numbers, are never touched at all. A word is a run of
letters, with inner apostrophes or hyphens ("didn't", "well-known"); numbers and punctuation are never
edited.

Variant ``variant`` of example ``index`` under ``seed`` depends only on those three numbers
(:mod:`.engine`: one stream per example, one fixed row of it per variant), so results never depend on
hash order, other examples or other sessions; :func:`augment_variants` computes the variants of an
example together, and equals :func:`augment_text` called for each. Configurations are
``auglab.text_aug/2``; an ``auglab.text_aug/1`` file is read with the filters off and ``legacy_draws``
on, and :mod:`.legacy` (AugLab 0.2's engine) makes exactly the variants it made then.

The package: :mod:`.config` holds the settings a user saves (:class:`TextAugConfig`) and EDA's presets,
:mod:`.operations` the public calls, :mod:`.engine` and :mod:`.render` how variants are drawn, sampled
and applied, :mod:`.tokens` the words and edit records both engines share. The HTML that highlights
edits is presentation: :mod:`core.present.highlight`.
"""

from core.augment.text.config import (
    CONFIG_FORMAT,
    EDA_OPERATIONS,
    EDA_TABLE,
    NOISE_OPERATIONS,
    OPERATION_NAMES,
    OPERATIONS,
    PUNCTUATION,
    V1_FORMAT,
    WORDNET_OPERATIONS,
    TextAugConfig,
    eda_preset,
    variant_operations,
)
from core.augment.text.operations import (
    augment_text,
    augment_text_detailed,
    augment_variants,
    augment_variants_detailed,
    synonyms,
)
from core.augment.text.tokens import WORD_RE, Edit, Segment, TextVariant, match_case

__all__ = [
    "CONFIG_FORMAT",
    "EDA_OPERATIONS",
    "EDA_TABLE",
    "NOISE_OPERATIONS",
    "OPERATIONS",
    "OPERATION_NAMES",
    "PUNCTUATION",
    "V1_FORMAT",
    "WORDNET_OPERATIONS",
    "WORD_RE",
    "Edit",
    "Segment",
    "TextAugConfig",
    "TextVariant",
    "augment_text",
    "augment_text_detailed",
    "augment_variants",
    "augment_variants_detailed",
    "eda_preset",
    "match_case",
    "synonyms",
    "variant_operations",
]
