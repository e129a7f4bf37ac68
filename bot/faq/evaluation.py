"""Measuring the matcher on labelled questions (`forumbot eval`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.errors import UserError
from bot.faq.policy import Decision, Outcome
from bot.strict_json import NotJson, load_json


@dataclass(frozen=True)
class Labelled:
    """A question and the entry id that answers it (None: off-topic, must be declined), and
    other entries that answer it acceptably (`also`)."""

    q: str
    topic: str | None
    also: tuple[str, ...] = ()

    def answered_by(self, entry_id: str | None) -> bool:
        """Whether answering with `entry_id` is right."""
        return self.topic is not None and entry_id in (self.topic, *self.also)


@dataclass(frozen=True)
class Prediction:
    """What the assistant decided for one question."""

    q: str
    decision: Decision
    seconds: float

    def to_json(self) -> dict[str, object]:
        """The `--predictions` line for this question."""
        d = self.decision
        return {
            "q": self.q,
            "decision": d.outcome.value,
            "topic": d.entry_id if d.outcome is Outcome.ANSWER else None,
            "score": round(d.score, 4),
            "suggestions": list(d.suggestions),
        }


@dataclass(frozen=True)
class Report:
    """The quality and latency figures of one evaluation run."""

    questions: int
    in_scope: int
    off_topic: int
    answered_right: float
    wrong_answers: float
    declined_off_topic: float
    right_among_choices: float
    p50_ms: float
    p99_ms: float


def read_labelled(lines: Iterable[str], source: str) -> list[Labelled]:
    """Parse JSON lines `{"q": ..., "topic": id or null, "also": [ids]}` (`also` optional);
    extra keys are ignored."""
    rows: list[Labelled] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = load_json(line)
        except NotJson as exc:
            raise UserError(f"{source}:{number}: not JSON ({exc.reason})") from None
        if not isinstance(data, dict) or not isinstance(data.get("q"), str):
            raise UserError(f"{source}:{number}: needs a string \"q\"")
        topic = data.get("topic")
        if topic is not None and not isinstance(topic, str):
            raise UserError(f"{source}:{number}: \"topic\" must be an id or null")
        also = data.get("also", [])
        if not isinstance(also, list) or not all(isinstance(a, str) for a in also):
            raise UserError(f"{source}:{number}: \"also\" must be a list of ids")
        rows.append(Labelled(data["q"], topic, tuple(also) if topic is not None else ()))
    return rows


def predict(rows: Sequence[Labelled], decide: Callable[[str], Decision]) -> list[Prediction]:
    """Run every question through `decide`, timing each."""
    out: list[Prediction] = []
    for row in rows:
        start = time.perf_counter()
        decision = decide(row.q)
        out.append(Prediction(row.q, decision, time.perf_counter() - start))
    return out


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def score(rows: Sequence[Labelled], predictions: Sequence[Prediction]) -> Report:
    """The figures the quality bar is stated in."""
    in_scope = [(r, p) for r, p in zip(rows, predictions, strict=True) if r.topic is not None]
    off = [(r, p) for r, p in zip(rows, predictions, strict=True) if r.topic is None]
    answered = [(r, p) for r, p in zip(rows, predictions, strict=True)
                if p.decision.outcome is Outcome.ANSWER]

    def rate(hits: int, total: int) -> float:
        return hits / total if total else 0.0

    right = sum(1 for r, p in in_scope if p.decision.outcome is Outcome.ANSWER
                and r.answered_by(p.decision.entry_id))
    wrong = sum(1 for r, p in answered if not r.answered_by(p.decision.entry_id))
    declined = sum(1 for _, p in off if p.decision.outcome is Outcome.DECLINE)
    among = sum(1 for r, p in in_scope
                if any(r.answered_by(e) for e in (p.decision.entry_id, *p.decision.suggestions)))
    ms = [p.seconds * 1000 for p in predictions]
    return Report(
        questions=len(rows),
        in_scope=len(in_scope),
        off_topic=len(off),
        answered_right=rate(right, len(in_scope)),
        wrong_answers=rate(wrong, len(rows)),
        declined_off_topic=rate(declined, len(off)),
        right_among_choices=rate(among, len(in_scope)),
        p50_ms=percentile(ms, 0.50),
        p99_ms=percentile(ms, 0.99),
    )
