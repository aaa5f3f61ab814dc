"""Prompts for the riddle pipelines. The few-shot prompt is a fixed prefix (instructions + examples)
followed by the article, so llama.cpp can keep the prefix's KV cache across articles."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from engine.articles import Article
from engine.feeds.text import one_line
from engine.paths import resource

EXAMPLES_FILE = resource("riddles", "examples.jsonl")
INSTRUCTION = (
    "Each news story below is turned into a short riddle whose answer is the story's subject. "
    "The riddle never uses the answer's words. Two hints follow, the second more revealing."
)
SEPARATOR = "###"
# Generation ends at the separator or when the model starts inventing the next story.
STOP = [SEPARATOR, "\nNews:", "\n\n\n"]


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
    primer: str = "Riddle:"

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
                    row["title"], row["summary"], row["riddle"], row["answer"],
                    tuple(row["hints"]), row["difficulty"],
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
        f"Riddle: {example.riddle}\n"
        f"Answer: {example.answer}\n"
        f"Hint 1: {example.hints[0]}\n"
        f"Hint 2: {example.hints[1]}\n"
        f"Difficulty: {example.difficulty}\n"
        f"{SEPARATOR}\n"
    )


def few_shot_prefix(examples: list[Example], shots: int = 6) -> str:
    return INSTRUCTION + "\n\n" + "\n".join(format_example(e) for e in examples[:shots]) + "\n"


def few_shot_prompt(article: Article, prefix: str) -> Prompt:
    return Prompt(prefix=prefix, suffix=f"{news_line(article.title, article.summary)}\nRiddle:")
