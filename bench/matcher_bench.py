"""Matcher benchmark: prints one table of latency, index build time and CLI cold start.

Measures, with deterministic queries (random.Random(seed)):
  * `Matcher.rank` latency p50/p99 (nearest rank) on the shipped pack, over each entry's
    phrasings plus mutated variants (typos, long posts with the question buried, off-topic);
  * the same on synthetic packs of 1,000 and 10,000 marketplace-like entries;
  * index build time (constructing `Matcher`) for each pack size;
  * `forumbot ask` cold start: wall time of the installed console script, 1 warm-up + N runs.
Targets are printed next to the figures; nothing is asserted.

Run from the repo root:  .venv/bin/python bench/matcher_bench.py [--quick] [--seed N]
"""

from __future__ import annotations

import argparse
from itertools import accumulate
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.knowledge_pack import index_entry, load_pack
from bot.matching import IndexEntry, Matcher, index_entries
from bot.resources import knowledge_dir
from bot.vocabulary import Vocabulary

DOMAIN = """milestone escrow refund dispute client freelancer contract payment pending hourly
invoice review fund submit approve release balance withdraw account profile feedback rating
proposal offer deadline due date revision deliver work project job fee tax bonus tracked hours
weekly limit manual time screenshot verify identity badge message chat support moderator close
end pause hold cancel partial amount money bank card charge dormant expire available""".split()
FILLER = """how do i my the what when why can is a to for was not after before who does will it
if on with there no yet still already but and""".split()
STORY = [
    "I have been freelancing on the site for about two years now.",
    "This is my first big project with a new client from overseas.",
    "We agreed on everything in chat before the contract started.",
    "Last week things got a bit stressful because of the deadline.",
    "Honestly I am not sure who to ask about this.",
    "The client is friendly but replies very slowly.",
    "I read the help pages twice and still could not figure it out.",
    "Sorry for the long post, English is not my first language.",
]
OFF_TOPIC = [
    "what is the best pizza place near the station", "how do i fix a flat bicycle tire",
    "can you recommend a good laptop for video editing", "what's the weather going to be tomorrow",
    "tell me a joke about cats", "who won the football game last night",
    "how long should i boil an egg", "translate good morning into spanish",
    "what is the capital of australia", "my dog keeps barking at night what do i do",
    "best python library for plotting charts", "how do i reset my wifi router",
]
TARGETS = {"pack": 2.0, "syn10000": 10.0}  # p99 ms
BUILD_TARGET_S, COLD_TARGET_S = 2.0, 1.0


def typo(text: str, rng: random.Random) -> str:
    """Swap two adjacent letters inside one word of 4+ letters (unchanged if none)."""
    tokens = text.split()
    spots = [i for i, t in enumerate(tokens) if len(t) >= 4 and t.isalpha()]
    if not spots:
        return text
    i = rng.choice(spots)
    word = tokens[i]
    j = rng.randrange(1, len(word) - 2)
    tokens[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return " ".join(tokens)


def long_post(question: str, rng: random.Random) -> str:
    """A 3-5 sentence story with `question` buried at a random position."""
    story = rng.sample(STORY, rng.randint(2, 4))
    story.insert(rng.randint(1, len(story)), question.rstrip("?.") + rng.choice(["?", "."]))
    return " ".join(story)


def make_queries(phrasings: Sequence[str], n: int, seed: int) -> list[tuple[str, str]]:
    """`n` (kind, query) pairs: phrasings as-is, with a typo, buried in a post, or off-topic."""
    rng = random.Random(seed)
    kinds: dict[str, Callable[[], str]] = {
        "phrasing": lambda: rng.choice(phrasings),
        "typo": lambda: typo(rng.choice(phrasings), rng),
        "long post": lambda: long_post(rng.choice(phrasings), rng),
        "off-topic": lambda: typo(rng.choice(OFF_TOPIC), rng) if rng.random() < 0.5
        else rng.choice(OFF_TOPIC),
    }
    names = rng.choices(list(kinds), weights=[3, 3, 3, 1], k=n)
    return [(k, kinds[k]()) for k in names]


def pseudo_words(n: int, rng: random.Random) -> list[str]:
    """`n` distinct pronounceable non-words, standing in for a pack's long tail."""
    out: set[str] = set()
    while len(out) < n:
        out.add("".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou")
                        for _ in range(rng.randint(2, 4))))
    return sorted(out)


def synthetic_entries(n: int, seed: int) -> list[IndexEntry]:
    """`n` entries from domain words plus Zipf-drawn pseudo-words (vocabulary ~ 110 n^0.6)."""
    rng = random.Random(seed)
    pool = pseudo_words(int(110 * n**0.6), rng)
    cum = list(accumulate(1.0 / (r + 1) for r in range(len(pool))))
    entries = []
    for i in range(n):
        topic = rng.sample(DOMAIN, 3) + rng.choices(pool, cum_weights=cum, k=3)

        def sentence(k: int) -> str:
            return " ".join(rng.choices(
                [rng.choice(FILLER), rng.choice(topic), rng.choice(DOMAIN),
                 rng.choices(pool, cum_weights=cum)[0]], [4, 4, 2, 1])[0] for _ in range(k))

        phrasings = tuple(sentence(rng.randint(5, 12)) for _ in range(rng.randint(10, 14)))
        entries.append(IndexEntry(f"syn-{i:05d}", (sentence(rng.randint(4, 8)), *phrasings),
                                  tuple(rng.sample(topic, rng.randint(2, 3))),
                                  sentence(rng.randint(60, 120))))
    return entries


def build(entries: list[IndexEntry], vocab: Vocabulary, runs: int) -> tuple[Matcher, float]:
    """The matcher and the best of `runs` build times, in seconds."""
    best, matcher = math.inf, None
    for _ in range(runs):
        t = time.perf_counter()
        matcher = Matcher(index_entries(entries), vocab)
        best = min(best, time.perf_counter() - t)
    assert matcher is not None
    return matcher, best


def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def measure(matcher: Matcher, warmup: list[tuple[str, str]],
            queries: list[tuple[str, str]]) -> dict[str, list[float]]:
    """Per-kind rank() latencies in ms (key "all" too), after a warm-up pass."""
    for _, q in warmup:
        matcher.rank(q)
    out: dict[str, list[float]] = {"all": []}
    for kind, q in queries:
        t = time.perf_counter()
        matcher.rank(q)
        ms = (time.perf_counter() - t) * 1000
        out["all"].append(ms)
        out.setdefault(kind, []).append(ms)
    return out


def cold_start(runs: int) -> list[float]:
    """Wall seconds of `forumbot ask` runs after one warm-up run that seeds the database."""
    script = Path(sys.executable).parent / "forumbot"
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORUMBOT_")}
        env["FORUMBOT_DATA_DIR"] = data
        cmd = [str(script), "ask", "who sets the milestones?"]
        times = []
        for i in range(runs + 1):
            t = time.perf_counter()
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"forumbot ask failed ({done.returncode}): {done.stderr[-500:]}")
            if i:
                times.append(time.perf_counter() - t)
    return times


def verdict(value: float, target: float) -> str:
    """'pass' or 'over'."""
    return "pass" if value <= target else "over"


def main() -> None:
    """Run every measurement and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer queries and runs (< ~60 s)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    q = args.quick
    pack = load_pack(knowledge_dir())
    real = [index_entry(e) for e in pack.entries] + list(pack.out_of_scope)
    cases: list[tuple[str, str, list[IndexEntry], int, int]] = [  # key, label, entries, n, runs
        ("pack", "real pack", real, 500 if q else 2500, 3),
        ("syn1000", "synthetic 1,000", synthetic_entries(1000, args.seed), 300 if q else 1500, 3),
        ("syn10000", "synthetic 10,000", synthetic_entries(10000, args.seed),
         150 if q else 1000, 1 if q else 2),
    ]
    head = f"{'what':34} {'entries':>7} {'queries':>7} {'p50 ms':>8} {'p99 ms':>8} {'build s':>8}  target"
    print(head + "\n" + "-" * (len(head) + 22))
    for key, label, entries, n, runs in cases:
        matcher, built = build(entries, pack.vocabulary, runs)
        phrasings = [p for e in entries if e.in_scope for p in e.phrasings]
        lat = measure(matcher, make_queries(phrasings, max(n // 5, 50), args.seed + 1),
                      make_queries(phrasings, n, args.seed))
        notes = []
        if key in TARGETS:
            p99 = pct(lat["all"], 99)
            notes.append(f"p99 <= {TARGETS[key]:g} ms: {verdict(p99, TARGETS[key])}")
        if key == "syn10000":
            notes.append(f"build <= {BUILD_TARGET_S:g} s: {verdict(built, BUILD_TARGET_S)}")
        for kind in ("all", "phrasing", "typo", "long post", "off-topic"):
            v = lat.get(kind)
            if not v:
                continue
            stats = f"{len(v):>7} {pct(v, 50):>8.3f} {pct(v, 99):>8.3f}"
            if kind == "all":
                print(f"{label + ': rank':34} {len(entries):>7} {stats} {built:>8.3f}  "
                      + "; ".join(notes))
            else:
                print(f"{'  ' + kind:34} {'':>7} {stats}")
    times = cold_start(3 if q else 5)
    med = pct(times, 50)
    print(f"{'forumbot ask cold start (med/max)':34} {len(real):>7} {len(times):>7} "
          f"{med * 1000:>8.0f} {max(times) * 1000:>8.0f} {'-':>8}  "
          f"median <= {COLD_TARGET_S:g} s: {verdict(med, COLD_TARGET_S)}; "
          f"max: {verdict(max(times), COLD_TARGET_S)}")


if __name__ == "__main__":
    main()
