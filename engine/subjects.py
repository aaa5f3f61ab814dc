"""The story's subject candidates: the names and short noun phrases a riddle's answer may be.

Before a local model writes a riddle, its answer is limited to these (guided generation lets the answer
line only continue a candidate, engine.guided), so an answer is never a cut-off sentence or "yes".
Phrases come from YAKE (keyword extraction from the text alone: no model, no download), up to three
words, kept only when they read as a name or noun phrase: no function word at either end and no word
that is only ever a verb ("flattens", "erupts"; lemminflect's dictionary says which), spelled as the
story spells them. Phrases from the headline come first: the headline says what the story is about.

What the blind raters called "not the story's subject" (docs/evaluation/blind-rating.md) shaped three
more rules, measured against the writers' answers and the rated answers (BENCHMARKS.md, "Subject
candidates"): together they keep 178 of the 180 rated answers the raters accepted, drop 13 of the
70 they rejected, and raise the writers' answers found among the candidates from 75.8% to 81.1%:
- a section label before a headline's colon ("Football:", "Ice hockey:") is not the subject;
- no function word inside a phrase but "of" and "and" ("record in Calgary" is two pieces);
- no headline verb before a phrase's last word ("wins world championship": a verb's -s form).
Round C of the ratings added a fourth: a phrase cut inside a name ("speed skater Laurent" of
"speed skater Laurent Dubois") is not one; of 875 rated guided answers it drops 18 rejected, no
accepted one. A fifth, leaving a single word to the longer candidate holding it ("bus" to "bus company"), was
measured and refused: it dropped 83 accepted answers and the writers' share fell to 64.8%.
"""

from __future__ import annotations

import re
from functools import lru_cache

import yake
from lemminflect import getAllLemmas, getInflection

from engine.quality import FUNCTION_WORDS, MAX_ANSWER_WORDS, fold

MAX_CANDIDATES = 16
_PHRASE_WORDS = 3
_EXTRACTED = 60  # YAKE's top phrases looked at; many are dropped as not noun phrases
_VERB_TAGS = {"VERB", "AUX"}
_NOUN_TAGS = {"NOUN", "PROPN"}
_INNER_WORDS = {"of", "and"}  # "Bank of England", "foot and mouth"
_SECTION_LABEL = re.compile(r"^\s*([^:]{1,30}):\s")


def candidates(title: str, summary: str = "", limit: int = MAX_CANDIDATES) -> tuple[str, ...]:
    """Up to `limit` subject candidates, headline phrases first; () when the story has none."""
    story = f"{title.strip().rstrip('.')}. {summary.strip()}"
    section = _section_label(title)
    found: dict[str, tuple[bool, int, str]] = {}
    for rank, (phrase, _score) in enumerate(_extractor().extract_keywords(story)):
        spelled = _as_spelled(phrase, story)
        if spelled is None or not _noun_phrase(spelled) or (section and fold(spelled) in section):
            continue
        if _cut_name(spelled, story):
            continue
        key = fold(spelled)
        if key not in found:
            found[key] = (_as_spelled(phrase, title) is None, rank, spelled)
    return tuple(spelled for _, _, spelled in sorted(found.values())[:limit])


def _section_label(title: str) -> str:
    """The folded label before a headline's colon when it is a section ("Ice hockey: ...", every
    word in the dictionary), not a name speaking ("Mozart: ...", "Biden: ...")."""
    label = _SECTION_LABEL.match(title)
    words = label.group(1).split() if label else []
    if not words or len(words) > 3 or not all(getAllLemmas(w.lower()) for w in words):
        return ""
    return fold(label.group(1))


def _cut_name(phrase: str, text: str) -> bool:
    """A phrase that stops inside a name: YAKE's three words end on a name's first word and the
    story goes on with its second ("Iranian director Reza" of "Iranian director Reza Karimi")."""
    words = phrase.split()
    if len(words) < 2 or not words[-1][:1].isupper():
        return False
    found = re.search(r"(?<![\w-])" + re.escape(phrase) + r"\s+(\w)", text)
    return bool(found) and found.group(1).isupper()


def _noun_phrase(phrase: str) -> bool:
    words = phrase.split()
    if not words or len(words) > MAX_ANSWER_WORDS:
        return False
    if fold(words[0]) in FUNCTION_WORDS or fold(words[-1]) in FUNCTION_WORDS:
        return False
    if any(fold(w) in FUNCTION_WORDS - _INNER_WORDS for w in words[1:-1]):
        return False
    if any(_verb_s_form(w) for w in words[:-1]):
        return False
    return not any(_only_a_verb(w) for w in words) and _head_noun(words[-1])


def _verb_s_form(word: str) -> bool:
    """A lowercase word spelt as a verb's third-person -s form ("wins", "buys"), which before a
    phrase's last word is the headline's verb ("wins world championship"); at a phrase's end it may
    be a plural noun ("heart attacks"), so the last word is not asked."""
    if not word.isalpha() or not word.islower():
        return False
    return any(getInflection(lemma, "VBZ") == (word,) for lemma in getAllLemmas(word).get("VERB", ()))


def _head_noun(word: str) -> bool:
    """An English noun phrase ends on its noun ("nearby spiral galaxy", not "supernova in nearby"):
    the last word can be a noun, or is a name or a word the dictionary does not know."""
    if not word.isalpha():
        return True
    # A capitalised word the dictionary knows only as something else ("Newly", "Tiny" opening a
    # headline) is not a name; one it does not know ("Orsal") is.
    tags = set(getAllLemmas(word.lower()))
    return not tags or bool(tags & _NOUN_TAGS)


def _only_a_verb(word: str) -> bool:
    if word[:1].isupper():
        return False  # a capitalised word is read as (part of) a name
    tags = set(getAllLemmas(word.lower()))
    return bool(tags) and tags <= _VERB_TAGS


def _as_spelled(phrase: str, text: str) -> str | None:
    """The phrase as the text spells it (YAKE may change case), or None if it is not in the text as is."""
    words = [re.escape(w) for w in phrase.split()]
    if not words:
        return None
    match = re.search(r"(?<![\w-])" + r"\s+".join(words) + r"(?![\w-])", text, re.IGNORECASE)
    return " ".join(match.group().split()) if match else None


@lru_cache(maxsize=1)
def _extractor() -> yake.KeywordExtractor:
    return yake.KeywordExtractor(lan="en", n=_PHRASE_WORDS, top=_EXTRACTED, dedupLim=0.9)
