"""Guided generation: a local model fills the labelled riddle one field at a time.

We write the labels, the model writes only the values. The prompt ends with the first label
("Answer:"); the model writes one line, we append the next label ("\\nRiddle:") to the same sequence,
and so on until the difficulty. Because the answer comes first, every token of the riddle and hints
is checked against it as it is drawn: a token that would write the answer (or one of its key words or
their inflections, exactly as engine.riddles.leaks reads them) is refused and the model draws again.
So a guided riddle can be missing nothing and leak nothing; what remains is a field that runs past
its token budget, which the bounded retries handle.

This module is the per-sequence state machine only: plain text in, decisions out, no llama.cpp. The
decoding loop (engine.inference.batch) draws tokens and asks `allows` before keeping one, `take`
after; both the batch and the one-by-one Riddler run through that loop, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.prompts import FIELDS
from engine.quality import FUNCTION_WORDS, has_markup
from engine.riddles import DIFFICULTIES, MAX_ANSWER_WORDS, MAX_RIDDLE_CHARS, fold, may_leak


@dataclass(frozen=True)
class Field:
    label: str
    max_tokens: int  # a value still going at this many tokens is runaway output
    guarded: bool = False  # may not contain the answer
    fresh: bool = False  # may not repeat an earlier field's value (a hint that adds nothing)
    max_chars: int = 0  # past this, only the end of the line is allowed (0: no limit)
    choices: tuple[str, ...] = ()  # the value must be one of these


# Budgets measured on the starter model's examples: answers take 2-6 tokens, riddles 25-60, hints 8-20.
# The answer's is larger: a subject candidate (engine.subjects, up to 5 words) spelled in a tokenizer
# that does not know its name can take a token per letter, and a candidate bounds it anyway.
GUIDED_FIELDS = (
    Field(FIELDS[0], 40),
    Field(FIELDS[1], 110, guarded=True, max_chars=MAX_RIDDLE_CHARS),
    Field(FIELDS[2], 40, guarded=True, max_chars=200, fresh=True),
    Field(FIELDS[3], 40, guarded=True, max_chars=200, fresh=True),
    Field(FIELDS[4], 4, choices=DIFFICULTIES),
)
# Label tokens are few ("\n", "R", "iddle", ":"); this bounds them for the KV-cache plan.
LABEL_TOKENS = 8


def token_budget(fields: tuple[Field, ...] = GUIDED_FIELDS) -> int:
    """The most tokens one guided attempt can add after its prompt: values and the labels we feed."""
    return sum(f.max_tokens for f in fields) + LABEL_TOKENS * (len(fields) - 1)


@dataclass
class GuidedRiddle:
    """One attempt's progress through the fields. The text it builds reads exactly like a free
    completion after the prompt's primer (" lantern\\nRiddle: …\\nHint 1: …"), so the same parser
    and validation judge both."""

    fields: tuple[Field, ...] = GUIDED_FIELDS
    # The story's subject candidates (engine.subjects): the answer may only continue one and end at a
    # whole one. None: any answer that does not stop mid-phrase.
    candidates: tuple[str, ...] | None = None
    values: list[str] = field(default_factory=lambda: [""])
    tokens_in_field: int = 0
    failure: str = ""  # why the attempt stopped early ("" while going or when complete)

    @property
    def current(self) -> Field:
        return self.fields[len(self.values) - 1]

    @property
    def finished(self) -> bool:
        return bool(self.failure) or len(self.values) > len(self.fields)

    @property
    def answer(self) -> str:
        return self.values[0].strip()

    def allows(self, piece: str) -> bool:
        """Whether the current field may take a token with this text (None-free: an end-of-generation
        token is never allowed inside a field; the caller does not ask about it)."""
        spec, value = self.current, self.values[-1]
        ends = "\n" in piece
        head = piece.split("\n", 1)[0]
        candidate = value + head
        if ends and not candidate.strip():
            return False  # no empty fields: the line may not end before it has a value
        if "#" in head and "###" in candidate:
            return False  # the example separator inside a value
        if spec.max_chars and len(candidate.strip()) > spec.max_chars:
            return False  # too long: only the end of the line may come now
        if spec.choices:
            word = candidate.strip().lower()
            fits = [c for c in spec.choices if c.startswith(word)]
            return bool(fits) and (not ends or word in spec.choices)
        if spec is self.fields[0]:
            return self._answer_allows(candidate, ends)
        if spec.guarded and (may_leak(self.answer, candidate) or has_markup(candidate)):
            return False
        if ends and spec.fresh and _plain(candidate) in {_plain(v) for v in self.values[1:-1]}:
            return False  # the line may not end as a copy of the riddle or the first hint
        return True

    def _answer_allows(self, value: str, ends: bool) -> bool:
        """The answer so far with this token: a prefix of a candidate, ending only at a whole one
        (without candidates: at most MAX_ANSWER_WORDS words, not ending on a function word or as a
        bare yes/no, and no markup)."""
        said = _spaced(value)
        if self.candidates is not None:
            whole = {_spaced(c) for c in self.candidates}
            return said in whole if ends else any(c.startswith(said) for c in whole)
        words = value.split()
        if len(words) > MAX_ANSWER_WORDS or has_markup(value):
            return False
        last = fold(words[-1]).strip(".,;:!?") if words else ""
        return not ends or (last not in FUNCTION_WORDS and _spaced(value).strip(".") not in ("yes", "no"))

    def take(self, piece: str) -> tuple[bool, str]:
        """Keep an allowed token. Returns whether the token itself goes into the sequence, and the
        text to feed after it: "" while the field goes on, else the rest of the line and the next
        label ("\nRiddle:"), because a token that ends the line is replaced by what we write."""
        spec = self.current
        head, ends, _ = piece.partition("\n")
        self.values[-1] += head
        self.tokens_in_field += 1
        done = bool(ends) or (bool(spec.choices) and self.values[-1].strip().lower() in spec.choices)
        if not done:
            if self.tokens_in_field >= spec.max_tokens:
                self.failure = f"runaway {spec.label.lower()} cut at {spec.max_tokens} tokens"
            return True, ""
        self.values.append("")
        self.tokens_in_field = 0
        if self.finished:
            return not ends, ""
        label = f"\n{self.current.label}:"
        return (False, head + label) if ends else (True, label)

    def refuse(self) -> None:
        """No token the model offered was allowed: the attempt ends here (the retries take over)."""
        self.failure = f"no allowed token for the {self.current.label.lower()}"

    def text(self) -> str:
        """The labelled text so far, as it follows the prompt's primer."""
        parts = [self.values[0]]
        for spec, value in zip(self.fields[1:], self.values[1:], strict=False):
            parts.append(f"\n{spec.label}:{value}")
        return "".join(parts)


def _spaced(value: str) -> str:
    """Folded, leading space dropped and inner spaces single (a trailing one kept: "Mount " may
    still become "Mount Orsal")."""
    trailing = " " if value[-1:].isspace() and value.strip() else ""
    return " ".join(fold(value).split()) + trailing


def _plain(value: str) -> str:
    return " ".join(fold(value).split()).strip(" .!?")
