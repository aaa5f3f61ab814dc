"""Prompts for the riddle pipelines. Every prompt is a fixed prefix followed by the article, so
llama.cpp can keep the prefix's KV cache across articles:
- few-shot (base models): instructions and hand-written examples, then the article;
- zero-shot (instruction models): the model's own chat template around one instruction message;
- service: the same instruction message, sent to an OpenAI-compatible endpoint as a chat."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.articles import Article, one_line
from engine.paths import resource

EXAMPLES_FILE = resource("riddles", "examples.jsonl")
INSTRUCTION = (
    "Each news story below is turned into a short riddle whose answer is the story's subject. "
    "The answer comes first; the riddle never uses the answer's words. Two hints follow, the second "
    "more revealing."
)
SEPARATOR = "###"
# Generation ends at the separator or when the model starts inventing the next story.
STOP = [SEPARATOR, "\nNews:", "\n\n\n"]


# The labelled format, answer first: a model that has named the subject describes it without naming
# it, and a local model can be kept from writing the answer's words at all (engine.guided).
FIELDS = ("Answer", "Riddle", "Hint 1", "Hint 2", "Difficulty")
PRIMER = FIELDS[0] + ":"

# For models that follow instructions: the labelled format is spelled out, since there are no examples.
ZERO_SHOT_INSTRUCTION = (
    "Turn the news story below into a short riddle whose answer is the story's subject (one to three "
    "words). Name the answer first. The riddle must never use the answer or its words. Add two hints, "
    "the second more revealing, and a difficulty. Reply in exactly this format and nothing else:\n"
    "Answer: <the subject>\nRiddle: <two sentences>\nHint 1: <a hint>\nHint 2: <a clearer hint>\n"
    "Difficulty: <easy, medium or hard>"
)


@dataclass(frozen=True)
class Example:
    title: str
    summary: str
    riddle: str
    answer: str
    hints: tuple[str, str]
    difficulty: str


@dataclass(frozen=True)
class Prompt:
    prefix: str  # identical for every article: the part whose KV cache is reused
    suffix: str  # the article
    stop: tuple[str, ...] = tuple(STOP)
    # The label the prompt ends with; the completion is read as if it followed this label.
    primer: str = PRIMER
    # Whether a local model may be guided field by field (engine.guided): the prompt ends with the
    # first label and the model continues the labelled format. A chat service is never guided.
    guided: bool = True

    @property
    def text(self) -> str:
        return self.prefix + self.suffix


def load_examples(path: Path = EXAMPLES_FILE) -> list[Example]:
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            examples.append(
                Example(
                    row["title"],
                    row["summary"],
                    row["riddle"],
                    row["answer"],
                    tuple(row["hints"]),
                    row["difficulty"],
                )
            )
    return examples


def news_line(title: str, summary: str, max_chars: int = 500) -> str:
    summary = one_line(summary)
    if len(summary) > max_chars:
        summary = summary[:max_chars].rsplit(" ", 1)[0] + "…"
    title = one_line(title).rstrip(".")
    return f"News: {title}. {summary}".rstrip()


def format_example(example: Example) -> str:
    return (
        f"{news_line(example.title, example.summary)}\n"
        f"Answer: {example.answer}\n"
        f"Riddle: {example.riddle}\n"
        f"Hint 1: {example.hints[0]}\n"
        f"Hint 2: {example.hints[1]}\n"
        f"Difficulty: {example.difficulty}\n"
        f"{SEPARATOR}\n"
    )


def few_shot_prefix(examples: list[Example], shots: int = 6) -> str:
    return INSTRUCTION + "\n\n" + "\n".join(format_example(e) for e in examples[:shots]) + "\n"


def few_shot_prompt(article: Article, prefix: str) -> Prompt:
    return Prompt(prefix=prefix, suffix=f"{news_line(article.title, article.summary)}\n{PRIMER}")


def instruction_message(article: Article) -> str:
    """The one user message of the zero-shot and service pipelines."""
    return f"{ZERO_SHOT_INSTRUCTION}\n\n{news_line(article.title, article.summary)}"


def service_prompt(article: Article) -> Prompt:
    """For a chat endpoint: the server applies its model's template, so generation cannot be guided
    (parse-and-retry). A reply that skips the first label is still read as the answer (the Riddler
    adds the primer only where it is missing)."""
    return Prompt(prefix="", suffix=instruction_message(article), guided=False)


def zero_shot_prompt(article: Article, chat: Callable[[str], str]) -> Prompt:
    """`chat(message)` renders one user message with the model's template and a generation prompt.
    The reply is primed with the first label ("Answer:") so it starts in the labelled format."""
    marker = "\u0000ARTICLE\u0000"
    framed = chat(f"{ZERO_SHOT_INSTRUCTION}\n\n{marker}")
    news = news_line(article.title, article.summary)
    if framed.count(marker) == 1:
        # Render once with a marker: the part before it is the same for every article (KV reuse).
        prefix, tail = framed.split(marker)
    else:  # a template that rewrites message text: render this article as is
        prefix, tail = "", chat(instruction_message(article))
        news = ""
    return Prompt(prefix=prefix, suffix=f"{news}{tail}{PRIMER}", stop=(SEPARATOR, "\nNews:"))
