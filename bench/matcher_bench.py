"""Matcher benchmark: prints one table of latency, index build time and CLI cold start.

`--matcher lexical` measures the lexical matcher alone; `--matcher fused` (the default) the
lexical matcher fused with the semantic stage, whose latency includes embedding the question
with the real model. On the synthetic packs the phrasings' vectors are random unit vectors
(embedding 120,000 made-up phrasings would take the machine an hour; a vector's values do
not change the time to rank), and the memory the model and the index take is printed.

Measures, with deterministic queries (random.Random(seed)):
  * `Matcher.rank` latency p50/p99 (nearest rank) on the shipped pack, over each entry's
    phrasings plus mutated variants (typos, long posts with the question buried, off-topic);
  * the same on synthetic packs of 1,000 and 10,000 marketplace-like entries;
  * index build time (constructing `Matcher`) for each pack size;
  * `forumbot ask` cold start: wall time of the installed console script, 1 warm-up + N runs.
Targets are printed next to the figures; nothing is asserted.

Run from the repo root:  .venv/bin/python bench/matcher_bench.py [--quick] [--seed N]
                         [--matcher lexical|fused]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from itertools import accumulate
from pathlib import Path

import numpy as np

from bot.app import PACK_VECTORS
from bot.faq.embedding import Encoder, load_encoder, locate_model
from bot.faq.knowledge_pack import index_entry, load_pack
from bot.faq.matching import IndexEntry, Matcher, Ranker, index_entries
from bot.faq.semantic import PhrasingVectors, SemanticMatcher, read_shipped, text_key
from bot.faq.vocabulary import Vocabulary
from bot.resources import knowledge_dir

DOMAIN = """milestone escrow refund dispute client freelancer contract payment pending hourly
invoice review fund submit approve release balance withdraw account profile feedback rating
proposal offer deadline due date revision deliver work project job fee tax bonus tracked hours
weekly limit manual time screenshot verify identity badge message chat support moderator close
end pause hold cancel partial amount money bank card charge dormant expire available""".split()
FILLER = """how do i my the what when why can is a to for was not after before who does will it
if on with there no yet still already but and""".split()
STORY = [
    "I have been freelancing on the site for about two years now.", "Sorry for the long post.",
    "This is my first big project with a new client from overseas.", "Thanks in advance!",
    "We agreed on everything in chat before the contract started.", "Not sure who to ask.",
    "Last week things got a bit stressful because of the deadline, honestly.",
    "I read the help pages twice and still could not figure it out.",
]
OFF_TOPIC = [
    "what is the best pizza place near the station", "how do i fix a flat bicycle tire",
    "can you recommend a good laptop for video editing", "what's the weather going to be tomorrow",
    "tell me a joke about cats", "who won the football game last night",
    "how long should i boil an egg", "translate good morning into spanish",
    "what is the capital of australia", "my dog keeps barking at night what do i do",
    "best python library for plotting charts", "how do i reset my wifi router",
]
P99_PACK_MS, P99_10K_MS, BUILD_10K_S, COLD_S = 2.0, 10.0, 2.0, 1.0  # targets, lexical
FUSED_P99_PACK_MS, FUSED_P99_10K_MS, FUSED_COLD_S = 30.0, 60.0, 1.5  # targets, fused


class MemoryStore:
    """Phrasing vectors held in memory, for the benchmark (no database)."""

    def __init__(self, vectors: Mapping[str, np.ndarray]) -> None:
        self.kept = dict(vectors)

    def vectors(self, model_id: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        return {k: self.kept[k] for k in keys if k in self.kept}

    def save(self, model_id: str, vectors: Mapping[str, np.ndarray]) -> None:
        self.kept.update(vectors)

    def classifier(self, fingerprint: str) -> np.ndarray | None:
        return None  # every build fits: the build time includes the fit

    def save_classifier(self, fingerprint: str, packed: np.ndarray) -> None:
        pass


def random_vectors(entries: list[IndexEntry], seed: int) -> dict[str, np.ndarray]:
    """A random unit vector per phrasing, near its entry's own random direction."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for e in entries:
        centre = rng.standard_normal(384).astype(np.float32)
        for p in e.phrasings:
            v = centre + rng.standard_normal(384).astype(np.float32)
            out[text_key(p)] = v / np.linalg.norm(v)
    return out


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


def make_queries(
    phrasings: Sequence[str], n: int, seed: int, *, all_phrasings: bool = False
) -> list[tuple[str, str]]:
    """`n` (kind, query) pairs: phrasings as-is (every one first if `all_phrasings`), with a
    typo, buried in a long post, or off-topic lines."""
    rng = random.Random(seed)
    exact = [("phrasing", p) for p in phrasings] if all_phrasings else []
    kinds: dict[str, Callable[[], str]] = {
        "phrasing": lambda: rng.choice(phrasings),
        "typo": lambda: typo(rng.choice(phrasings), rng),
        "long post": lambda: long_post(rng.choice(phrasings), rng),
        "off-topic": lambda: typo(rng.choice(OFF_TOPIC), rng) if rng.random() < 0.5
        else rng.choice(OFF_TOPIC),
    }
    names = rng.choices(list(kinds), weights=[3, 3, 3, 1], k=max(n - len(exact), 0))
    return exact + [(k, kinds[k]()) for k in names]


def pseudo_words(n: int, rng: random.Random) -> list[str]:
    """`n` distinct pronounceable non-words, standing in for a pack's long tail."""
    out: set[str] = set()
    while len(out) < n:
        out.add("".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou")
                        for _ in range(rng.randint(2, 4))))
    return sorted(out)


def phrase(rng: random.Random, k: int, topic: list[str], tail: list[str]) -> str:
    """`k` words: fillers and the entry's topic words, some domain words, a rare tail word."""
    sources = rng.choices([FILLER, topic, DOMAIN, tail], weights=[4, 4, 2, 1], k=k)
    return " ".join(rng.choice(source) for source in sources)


def synthetic_entries(n: int, seed: int) -> list[IndexEntry]:
    """`n` entries from domain words plus Zipf-drawn pseudo-words (vocabulary ~ 110 n^0.6)."""
    rng = random.Random(seed)
    pool = pseudo_words(int(110 * n**0.6), rng)
    cum = list(accumulate(1.0 / (r + 1) for r in range(len(pool))))
    entries = []
    for i in range(n):
        topic = rng.sample(DOMAIN, 3) + rng.choices(pool, cum_weights=cum, k=3)
        tail = rng.choices(pool, cum_weights=cum, k=20)
        title = phrase(rng, rng.randint(4, 8), topic, tail)
        count = rng.randint(9, 13)  # alternates; with the title, 10-14 phrasings
        alternates = [phrase(rng, rng.randint(5, 12), topic, tail) for _ in range(count)]
        tags = tuple(rng.sample(topic, rng.randint(2, 3)))
        answer = phrase(rng, rng.randint(60, 120), topic, tail)
        entries.append(IndexEntry(f"syn-{i:05d}", (title, *alternates), tags, answer))
    return entries


def build(entries: list[IndexEntry], vocab: Vocabulary, runs: int,
          vectors: PhrasingVectors | None = None) -> tuple[Ranker, float, float]:
    """The matcher, the best of `runs` build times in seconds, and the MB its build kept
    allocated (the phrasing vectors it read are counted before: see `main`)."""
    def one() -> Ranker:
        indexed = index_entries(entries)
        lexical = Matcher(indexed, vocab)
        return lexical if vectors is None else SemanticMatcher(indexed, vectors, lexical)

    times = []
    for _ in range(runs):
        t = time.perf_counter()
        matcher = one()
        times.append(time.perf_counter() - t)
    kept = 0.0
    if vectors is not None:  # one more build, traced (tracing slows it: not timed)
        del matcher
        tracemalloc.start()
        matcher = one()
        kept = tracemalloc.get_traced_memory()[0] / 2**20
        tracemalloc.stop()
    return matcher, min(times), kept


def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def measure(matcher: Ranker, warmup: list[tuple[str, str]],
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


def cold_start(runs: int, matcher: str) -> list[float]:
    """Wall seconds of `forumbot ask` runs after one warm-up run that seeds the database."""
    script = Path(sys.executable).parent / "forumbot"
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORUMBOT_")}
        env["FORUMBOT_DATA_DIR"] = data
        env["FORUMBOT_MATCHER"] = matcher
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


def row(what: str, entries: object, n: object, p50: str, p99: str, build: str, note: str) -> None:
    """Print one aligned table row."""
    print(f"{what:34} {entries:>7} {n:>7} {p50:>8} {p99:>8} {build:>8}  {note}".rstrip())


def check(label: str, value: float, target: float | None) -> str:
    """'<label> <= target: pass|over', or nothing without a target."""
    if target is None:
        return ""
    return f"{label} <= {target:g}: {'pass' if value <= target else 'over'}"


def main() -> None:
    """Run every measurement and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer queries and runs (< ~60 s)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--matcher", choices=("lexical", "fused"), default="fused")
    args = ap.parse_args()
    quick, seed, fused = args.quick, args.seed, args.matcher == "fused"
    pack = load_pack(knowledge_dir())
    real = [index_entry(e) for e in pack.entries] + list(pack.out_of_scope)
    pack_p99, big_p99 = (FUSED_P99_PACK_MS, FUSED_P99_10K_MS) if fused else (P99_PACK_MS,
                                                                            P99_10K_MS)
    # label, entries, measured queries, build runs, p99 target (ms), build target (s)
    cases: list[tuple[str, list[IndexEntry], int, int, float | None, float | None]] = [
        ("real pack", real, 1000 if quick else 2500, 3, pack_p99, None),
        ("synthetic 1,000", synthetic_entries(1000, seed), 500 if quick else 1500, 3, None, None),
        ("synthetic 10,000", synthetic_entries(10000, seed), 200 if quick else 1000,
         1 if quick else 2, big_p99, None if fused else BUILD_10K_S),
    ]
    encoder: Encoder | None = None
    if fused:
        tracemalloc.start()
        encoder = load_encoder(locate_model())
        model_mb = tracemalloc.get_traced_memory()[0] / 2**20
        tracemalloc.stop()
        print(f"model: {model_mb:.1f} MB allocated by Python and numpy while loading; "
              "onnxruntime's own memory is in the process's peak RSS below")
    row("what", "entries", "queries", "p50 ms", "p99 ms", "build s", "target")
    print("-" * 110)
    for label, entries, n, runs, p99_target, build_target in cases:
        vectors = None
        if encoder is not None:
            known = (read_shipped(knowledge_dir() / PACK_VECTORS, encoder.model_id).vectors
                     if entries is real else random_vectors(entries, seed))
            vectors = PhrasingVectors(encoder, MemoryStore(known))
            count = len(vectors.of([p for e in entries for p in e.phrasings]))
            print(f"{label}: {count} phrasing vectors, {count * 384 * 4 / 2**20:.1f} MB "
                  "(float32, kept for refits after an edit, as the rows the matcher reads)")
        matcher, built, kept = build(entries, pack.vocabulary, runs, vectors)
        if encoder is not None:
            print(f"{label}: matcher {kept:.1f} MB (lexical index, classifier, and the "
                  "phrasing vectors above: one copy)")
        phrasings = [p for e in entries if e.in_scope for p in e.phrasings]
        warmup = make_queries(phrasings, max(n // 5, 50), seed + 1)
        queries = make_queries(phrasings, n, seed, all_phrasings=entries is real)
        lat = measure(matcher, warmup, queries)
        for kind in ("all", "phrasing", "typo", "long post", "off-topic"):
            v = lat.get(kind, [0.0])
            p50, p99 = f"{pct(v, 50):.3f}", f"{pct(v, 99):.3f}"
            if kind != "all":
                row("  " + kind, "", len(v), p50, p99, "", "")
                continue
            notes = [check("p99 ms", pct(v, 99), p99_target), check("build s", built, build_target)]
            row(label + ": rank", len(entries), len(v), p50, p99, f"{built:.3f}",
                "; ".join(x for x in notes if x))
    times = cold_start(3 if quick else 5, args.matcher)
    cold = FUSED_COLD_S if fused else COLD_S
    row("forumbot ask cold start (med/max)", len(real), len(times),
        f"{pct(times, 50) * 1000:.0f}", f"{max(times) * 1000:.0f}", "-",
        f"{check('median s', pct(times, 50), cold)}; {check('max s', max(times), cold)}")
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this benchmark process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
