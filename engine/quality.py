"""Quality checks: what players hate in a riddle, found without a model.

Every riddle is judged against its story (headline and summary) and the few-shot examples it was
prompted with. Each problem is a short phrase; most refuse the riddle (the Riddler and the worker's
batch loop retry), a few are only flagged and stored with it (`FLAGGED`), so the history and the
evaluation can show them:
- the answer must name the story's subject: 1-5 words found in the headline or summary, not ending
  on a function word (a cut-off sentence: "The US has not signed a"), never "yes" or "no";
- no markup and no labels ("Riddle:", "Hint 1:") inside the riddle or hints;
- no copy of the headline in the riddle or a hint (a run of 4+ of its words, or 3+ of its content
  words): flagged, since the story then is identifiable only by its own words (docs/evaluation/rubric.md);
- no near leak: a word sharing a long stem with an answer word ("volcano" for "Volcanologists");
- no copy of a few-shot example's riddle (or most of one).

Word forms: each word is lemmatized (simplemma: "wolves" -> "wolf", "horses" -> "horse") and then
stemmed (Snowball English: "elections" -> "elect"). Measured on the pairs in tests/engine/test_quality.py:
neither library alone puts "volcano" and "volcanologists" together (lemmas "volcano"/"volcanologist",
stems "volcano"/"volcanologist"), and a Snowball stem alone misses irregular plurals (wolf/"wolv"),
so two words are near when their keys are equal or the shorter key (5+ letters) begins the longer.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import simplemma
import snowballstemmer

MAX_ANSWER_WORDS = 5
# A long shared beginning, not a chance one: "Paris"/"parish" share 4 letters, "volcano"/"volcanologist" 7.
NEAR_PREFIX = 5
HEADLINE_RUN = 4  # consecutive headline words that make a copy
HEADLINE_CONTENT_WORDS = 3  # distinct content words of the headline that make a copy
EXAMPLE_RUN = 8  # consecutive words shared with a few-shot riddle that make a copy
EXAMPLE_SIMILARITY = 0.6  # difflib ratio over words: "most of" an example's riddle

# Words a subject never ends on: a phrase ending here was cut off mid-sentence.
FUNCTION_WORDS = frozenset(
    "a an the of to in on at for with from by and or but nor as its it is are was were be been being "
    "has have had do does did will would could should may might must can this that these those their "
    "his her our your my which who whom whose what when where than then into over under after before "
    "about not no yes so if up out new yet also just very".split()
)
STOPWORDS = FUNCTION_WORDS | frozenset("they them there more most".split())
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Markup is a handful of literal characters and shapes (HTML tags, Markdown emphasis, links, code);
# a regular expression says exactly that, a parser would need a whole document.
_MARKUP = re.compile(r"</?[a-zA-Z][^<>]*>|\*\*|__|`|#|\[[^\]\n]*\]\(|https?://|www\.|\{|\}|&[a-z]+;")
_LABEL = re.compile(r"\b(riddle|answer|hint\s*\d?|difficulty|news|headline)\s*[:：]", re.IGNORECASE)

CUT_OFF = "cut-off answer"
YES_NO = "yes/no answer"
LONG_ANSWER = "answer too long"
NOT_IN_STORY = "answer not in the story"
MARKUP = "markup"
LABEL = "label inside the text"
HEADLINE_COPY = "headline copy"
NEAR_LEAK = "near leak"
EXAMPLE_COPY = "copy of an example"
# Stored with the riddle but not refused: the riddle still plays, the rater and the report see it.
FLAGGED = frozenset({HEADLINE_COPY})
_STEMMER = snowballstemmer.stemmer("english")


@dataclass(frozen=True)
class Story:
    title: str
    summary: str = ""
    examples: tuple[str, ...] = ()  # the few-shot riddles the model was shown

    @property
    def text(self) -> str:
        return f"{self.title}. {self.summary}"


@dataclass(frozen=True)
class Quality:
    problems: tuple[str, ...] = ()

    @property
    def refused(self) -> tuple[str, ...]:
        return tuple(p for p in self.problems if p not in FLAGGED)

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(p for p in self.problems if p in FLAGGED)

    def stored(self) -> str:
        """As the history keeps it: the problems, comma-separated ("" for none)."""
        return ", ".join(self.problems)


def judge(answer: str, text: str, hints: tuple[str, ...], story: Story) -> Quality:
    """Every check on one riddle."""
    problems = answer_problems(answer, story)
    fields = (text, *hints)
    if any(_MARKUP.search(f) for f in fields):
        problems.append(MARKUP)
    if any(_LABEL.search(f) for f in fields):
        problems.append(LABEL)
    if any(near_leak(answer, f) for f in fields):
        problems.append(NEAR_LEAK)
    # The riddle may not use 3+ of the headline's content words; a hint, which is meant to be more
    # direct, only may not copy a run of 4+ of its words (the hand-written hints often name a place).
    if copies_headline(text, story.title, answer) or any(copies_run(h, story.title) for h in hints):
        problems.append(HEADLINE_COPY)
    if copies_example(text, story.examples):
        problems.append(EXAMPLE_COPY)
    return Quality(tuple(problems))


def answer_problems(answer: str, story: Story | None = None) -> list[str]:
    words = words_of(answer)
    if not words:
        return [CUT_OFF]
    if len(words) == 1 and words[0] in ("yes", "no"):
        return [YES_NO]
    problems = []
    if len(words) > MAX_ANSWER_WORDS:
        problems.append(LONG_ANSWER)
    if words[-1] in FUNCTION_WORDS:
        problems.append(CUT_OFF)
    if story is not None and not in_story(answer, story.text):
        problems.append(NOT_IN_STORY)
    return problems


def in_story(answer: str, story_text: str) -> bool:
    """The answer's words, in order, in the story, each in any form of the same word ("honeybees"
    for "honeybee colonies")."""
    wanted = [word_key(w) for w in words_of(answer)]
    have = [word_key(w) for w in words_of(story_text)]
    n = len(wanted)
    return any(have[i : i + n] == wanted for i in range(len(have) - n + 1))


def near_leak(answer: str, text: str) -> bool:
    keys = {word_key(w) for w in key_words(answer)}
    return any(near(word_key(w), k) for w in words_of(text) for k in keys)


def near(a: str, b: str) -> bool:
    """Two word keys of one word: equal, or the shorter (long enough) begins the longer."""
    short, long_ = sorted((a, b), key=len)
    return short == long_ or (len(short) >= NEAR_PREFIX and long_.startswith(short))


def copies_run(text: str, title: str) -> bool:
    """A run of HEADLINE_RUN consecutive headline words in the text."""
    said, head = words_of(text), words_of(title)
    runs = {tuple(head[i : i + HEADLINE_RUN]) for i in range(len(head) - HEADLINE_RUN + 1)}
    return any(tuple(said[i : i + HEADLINE_RUN]) in runs for i in range(len(said) - HEADLINE_RUN + 1))


def copies_headline(text: str, title: str, answer: str = "") -> bool:
    """A run of the headline, or HEADLINE_CONTENT_WORDS of its content words (the answer's aside)."""
    if copies_run(text, title):
        return True
    said, head = words_of(text), words_of(title)
    answer_keys = {word_key(w) for w in words_of(answer)}
    content = {word_key(w) for w in head if len(w) >= 3 and w not in STOPWORDS} - answer_keys
    return len(content & {word_key(w) for w in said}) >= HEADLINE_CONTENT_WORDS


def copies_example(text: str, examples: tuple[str, ...]) -> bool:
    said = words_of(text)
    for example in examples:
        theirs = words_of(example)
        matcher = difflib.SequenceMatcher(None, said, theirs, autojunk=False)
        longest = matcher.find_longest_match(0, len(said), 0, len(theirs)).size
        if longest >= min(EXAMPLE_RUN, len(theirs)) or matcher.ratio() >= EXAMPLE_SIMILARITY:
            return True
    return False


def examples_in(prompt: str) -> tuple[str, ...]:
    """The few-shot riddles a prompt shows (its "Riddle: ..." lines)."""
    return tuple(
        line.split(":", 1)[1].strip() for line in prompt.splitlines() if line.lower().startswith("riddle:")
    )


def has_markup(text: str) -> bool:
    return bool(_MARKUP.search(text) or _LABEL.search(text))


def key_words(answer: str) -> list[str]:
    """The answer's words that would give it away: not stopwords, at least 3 letters."""
    return [w for w in words_of(answer) if len(w) >= 3 and w not in STOPWORDS]


def words_of(text: str) -> list[str]:
    return _WORD.findall(fold(text))


@lru_cache(maxsize=65536)
def word_key(word: str) -> str:
    """One form for the forms of a word: its lemma, stemmed (cached: guided generation asks per token)."""
    return _STEMMER.stemWord(simplemma.lemmatize(word, lang="en").casefold())


def fold(text: str) -> str:
    """Case- and accent-insensitive form for comparisons."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
