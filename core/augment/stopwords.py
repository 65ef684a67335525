"""English stop words: function words that synonym replacement and insertion leave alone.

Shipped here because NLTK's stop-word corpus needs a download. The list covers articles, pronouns,
auxiliaries, prepositions, conjunctions, determiners and their contracted forms; all lower case.
"""

from __future__ import annotations

STOP_WORDS: frozenset[str] = frozenset(
    """
    a about above after again against ain all am an and any are aren aren't as at
    be because been before being below between both but by
    can can't cannot could couldn couldn't
    d did didn didn't do does doesn doesn't doing don don't down during
    each few for from further
    had hadn hadn't has hasn hasn't have haven haven't having he he'd he'll he's her here here's hers
    herself him himself his how how's
    i i'd i'll i'm i've if in into is isn isn't it it'd it'll it's its itself
    just ll let's
    m ma me might mightn mightn't more most must mustn mustn't my myself
    needn needn't no nor not now
    o of off on once only or other ought our ours ourselves out over own
    re s same shall shan shan't she she'd she'll she's should should've shouldn shouldn't so some such
    t than that that'll that's the their theirs them themselves then there there's these they they'd
    they'll they're they've this those through to too
    under until up upon us
    ve very
    was wasn wasn't we we'd we'll we're we've were weren weren't what what's when when's where where's
    which while who who's whom why why's will with won won't would wouldn wouldn't
    y you you'd you'll you're you've your yours yourself yourselves
    """.split()  # noqa: SIM905 (a word list reads best as prose)
)

# Prepositions and conjunctions that are not in STOP_WORDS, which WordNet knows only as other parts of
# speech ("except" as a verb, "past" as a noun): auglab.text_aug/2 keeps SR and RI off them too
# (STOP_WORDS itself is unchanged, so that auglab.text_aug/1 configurations draw as they did).
FUNCTION_WORDS: frozenset[str] = frozenset(
    """
    across along although amongst among around behind beside besides beyond despite except near onto past
    per since than though throughout till toward towards unless unlike versus via whereas whether whilst
    within without
    """.split()  # noqa: SIM905 (a word list reads best as prose)
)
