"""Tolerant answer matching, the way a person judges: a guess counts when it names the answer, whatever
its case, accents, leading article, punctuation, hyphens or spacing, singular or plural (irregular
ones too: wolf/wolves, mouse/mice), word order, or a small typo. A guess that names part of the
answer is "close"; a guess that names all of it is always "right".

Inflection comes from lemminflect (an English dictionary of lemmas with the irregular forms, and
rules for words it does not know) and typos from rapidfuzz's optimal string alignment distance:
maintained libraries, rather than suffix rules and an edit distance of our own."""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache

from rapidfuzz.distance import OSA

from engine.riddles import fold, key_words

# Leading articles a person may add or drop ("the Moon" = "moon"). Only the first word is ever
# removed. German ones are left out: "die" and "das" are English words too ("Die Hard").
_ARTICLES = frozenset("the a an le la les l un une el los las".split())
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
# Parts of speech whose lemmas make two words one: nouns (plurals) and verbs (tenses). Adjectives
# are left out on purpose: "better" is not a guess of "good".
_LEMMA_POS = ("NOUN", "PROPN", "VERB")
MAX_GUESS_CHARS = 200
MAX_WORDS = 8  # longer answers are compared as written (word order is tried only within this)


class Verdict(Enum):
    RIGHT = "right"
    CLOSE = "close"  # names a key word of the answer, but not all of it
    WRONG = "wrong"


def normalise(text: str) -> str:
    """Folded, punctuation (hyphens too) as spaces, one leading article dropped: the form two answers
    are compared in."""
    words = _NON_WORD.sub(" ", fold(text.replace("&", " and "))).split()
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(words)


def judge(guess: str, answer: str) -> Verdict:
    guess_form, answer_form = normalise(guess[:MAX_GUESS_CHARS]), normalise(answer)
    if not guess_form or not answer_form:
        return Verdict.WRONG
    guess_words, answer_words = guess_form.split(), answer_form.split()
    if _same_words(guess_words, answer_words) or _same_joined(guess_words, answer_words):
        return Verdict.RIGHT
    if any(_same_word(word, key) for key in key_words(answer) for word in guess_words):
        return Verdict.CLOSE
    return Verdict.WRONG


def lemmas(word: str) -> frozenset[str]:
    """The word and every noun or verb lemma it may be a form of ("leaves": leave, leaf)."""
    return _lemmas(word)


@lru_cache(maxsize=4096)
def _lemmas(word: str) -> frozenset[str]:
    if not word.isalpha():
        return frozenset((word,))
    # Imported on the first guess, not at start-up: lemminflect and its dictionaries take ~0.4 s.
    from lemminflect import getAllLemmas, getAllLemmasOOV

    known = getAllLemmas(word)
    found = {lemma for pos in _LEMMA_POS for lemma in known.get(pos, ())}
    if not known:  # not in the dictionary: lemminflect's rules for unknown nouns ("exoplanets")
        found.update(getAllLemmasOOV(word, "NOUN").get("NOUN", ()))
    return frozenset({word, *(lemma.lower() for lemma in found)})


def _base(word: str) -> str:
    """One lemma to stand for the word when words are joined ("batteries" -> "battery")."""
    forms = sorted(_lemmas(word) - {word}, key=lambda lemma: (len(lemma), lemma))
    return forms[0] if forms else word


def _same_word(guess: str, answer: str) -> bool:
    """One word for another: a shared lemma, or a typo within the answer word's budget."""
    if _lemmas(guess) & _lemmas(answer):
        return True
    return any(_near(g, a) for g in (guess, _base(guess)) for a in (answer, _base(answer)))


def _same_words(guess: list[str], answer: list[str]) -> bool:
    """The same words, each matched to one of the answer's, in any order ("tower eiffel")."""
    if len(guess) != len(answer):
        return False
    if guess == answer or all(_same_word(g, a) for g, a in zip(guess, answer, strict=True)):
        return True
    if len(answer) > MAX_WORDS:
        return False
    return _matches_all(guess, answer)


def _matches_all(guess: list[str], answer: list[str]) -> bool:
    """A perfect matching between the words (augmenting paths; answers have a handful of words)."""
    partner: dict[int, int] = {}  # answer word -> guess word

    def place(g: int, seen: set[int]) -> bool:
        for a, word in enumerate(answer):
            if a in seen or not _same_word(guess[g], word):
                continue
            seen.add(a)
            if a not in partner or place(partner[a], seen):
                partner[a] = g
                return True
        return False

    return all(place(g, set()) for g in range(len(guess)))


def _same_joined(guess: list[str], answer: list[str]) -> bool:
    """Spacing and hyphens: "newyork" for "New York", "solidstate batteries" for "solid-state battery".
    Only where the words are split differently: joined, two different words of the same count would
    share one typo budget ("olympic flame" is not "olympic games")."""
    if len(guess) == len(answer):
        return False
    plain = ("".join(guess), "".join(answer))
    based = ("".join(map(_base, guess)), "".join(map(_base, answer)))
    return _near(*plain) or _near(*based)


def allowed_typos(length: int) -> int:
    """Short answers must be exact; a typo in a long one is still a solve."""
    if length <= 3:
        return 0
    return 1 if length <= 7 else 2


def _near(guess: str, answer: str) -> bool:
    limit = allowed_typos(len(answer))
    if abs(len(guess) - len(answer)) > limit:
        return False
    return edit_distance(guess, answer, limit) <= limit


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap two neighbours), limit + 1
    for anything further apart than limit."""
    return min(OSA.distance(a, b, score_cutoff=limit), limit + 1)
