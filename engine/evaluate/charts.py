"""Charts as plain SVG text: no plotting library, and a report stays one self-contained file."""

from __future__ import annotations

from html import escape

from engine.evaluate.summary import CandidateSummary

COLOURS = ("#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477", "#66aa00")
METRICS = (("validity", "valid"), ("leakage", "leaks"), ("grounding", "grounded"), ("solvability", "solved"))
_W, _H, _PAD = 560, 320, 48


def quality_vs_speed(summaries: list[CandidateSummary]) -> str:
    """One point per candidate: riddles per minute across, solvability up; the chance level dashed."""
    top_x = max([s.riddles_per_min for s in summaries] + [1.0]) * 1.15
    x = lambda v: _PAD + (_W - 2 * _PAD) * v / top_x  # noqa: E731
    y = lambda v: _H - _PAD - (_H - 2 * _PAD) * v  # noqa: E731
    parts = [_frame("Quality vs speed", "riddles per minute", "solvability")]
    parts += [
        f'<text x="{_PAD - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="10">{v:.0%}</text>'
        for v in (0, 0.25, 0.5, 0.75, 1.0)
    ]
    parts += [
        f'<text x="{x(v):.1f}" y="{_H - _PAD + 14}" text-anchor="middle" font-size="10">{v:.1f}</text>'
        for v in (0, top_x / 2, top_x)
    ]
    chance = summaries[0].chance if summaries else 0.25
    parts.append(
        f'<line x1="{_PAD}" y1="{y(chance):.1f}" x2="{_W - _PAD}" y2="{y(chance):.1f}" '
        'stroke="#888" stroke-dasharray="4 3"/>'
    )
    parts.append(
        f'<text x="{_W - _PAD}" y="{y(chance) - 4:.1f}" text-anchor="end" font-size="10" fill="#666">'
        "chance</text>"
    )
    for i, s in enumerate(summaries):
        cx, cy, colour = x(s.riddles_per_min), y(s.solvability), COLOURS[i % len(COLOURS)]
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{colour}"/>')
        parts.append(f'<text x="{cx + 9:.1f}" y="{cy + 4:.1f}" font-size="11">{escape(s.label)}</text>')
    return _svg(parts)


def metric_bars(summaries: list[CandidateSummary]) -> str:
    """For each metric, one bar per candidate (all are shares, 0..100%)."""
    group = (_W - 2 * _PAD) / len(METRICS)
    width = group * 0.8 / max(1, len(summaries))
    y = lambda v: _H - _PAD - (_H - 2 * _PAD) * v  # noqa: E731
    parts = [_frame("Per-metric shares", "", "")]
    parts += [
        f'<text x="{_PAD - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="10">{v:.0%}</text>'
        for v in (0, 0.5, 1.0)
    ]
    for g, (field, title) in enumerate(METRICS):
        left = _PAD + g * group + group * 0.1
        parts.append(
            f'<text x="{left + group * 0.4:.1f}" y="{_H - _PAD + 14}" text-anchor="middle" '
            f'font-size="11">{title}</text>'
        )
        for i, s in enumerate(summaries):
            value = getattr(s, field)
            parts.append(
                f'<rect x="{left + i * width:.1f}" y="{y(value):.1f}" width="{width - 2:.1f}" '
                f'height="{y(0) - y(value):.1f}" fill="{COLOURS[i % len(COLOURS)]}">'
                f"<title>{escape(s.label)}: {value:.0%}</title></rect>"
            )
    for i, s in enumerate(summaries):
        parts.append(
            f'<rect x="{_PAD + i * 150}" y="{_H - 18}" width="10" height="10" '
            f'fill="{COLOURS[i % len(COLOURS)]}"/><text x="{_PAD + i * 150 + 14}" y="{_H - 9}" '
            f'font-size="10">{escape(s.label[:24])}</text>'
        )
    return _svg(parts)


def _frame(title: str, x_label: str, y_label: str) -> str:
    return (
        f'<text x="{_W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">{title}</text>'
        f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}" stroke="#333"/>'
        f'<line x1="{_PAD}" y1="{_PAD}" x2="{_PAD}" y2="{_H - _PAD}" stroke="#333"/>'
        f'<text x="{_W / 2}" y="{_H - 22}" text-anchor="middle" font-size="11">{x_label}</text>'
        f'<text x="14" y="{_H / 2}" text-anchor="middle" font-size="11" '
        f'transform="rotate(-90 14 {_H / 2})">{y_label}</text>'
    )


def _svg(parts: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
        f'font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>{"".join(parts)}</svg>'
    )
