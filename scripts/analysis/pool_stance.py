#!/usr/bin/env python3
"""One stance per speaker and topic within an article: a post-processing measured on the
predictions of `stance eval cv --predictions P` (or `stance label` output) and not adopted
(docs/training.md, thirty-sixth session).

In the gold of news-dev and the seeds, 81 (article, speaker, topic) groups hold more than one
quote; 68 give every quote the same stance and none mixes `favor` with `against`. So a
speaker's quotes on one topic in one article might share the evidence: each quote of a group
(same article, same non-null predicted speaker, same detected topic) gets

    p' = (p_own + beta * sum of the others' p) / (1 + beta * (n - 1))

for each of favor / against / neutral, and the stance becomes the most probable of p'
(ties: favor, against, neutral). beta = 1 is the group's plain mean; beta = 0 changes nothing.
Quotes without a speaker, and topics a quote alone has, keep their labels. Topics, relevance,
confidence and sentiment are untouched, so `stance eval compare` of the input and the output
differs only in stance F_avg and the summary.

    python3 scripts/analysis/pool_stance.py P.jsonl POOLED.jsonl [--beta 1]
    stance eval compare --recipe models/default.recipe.toml P.jsonl POOLED.jsonl

Standard library only; python/tests/test_pool_stance.py checks it on a case worked by hand.
"""
import argparse
import json
from collections import defaultdict

SIDES = ("favor", "against", "neutral")


def pool(records, beta):
    """Pools `records` (labeled quotes, as written) in place; returns (groups of two or more
    quotes, (quote, topic) pairs pooled, stances changed)."""
    groups = defaultdict(list)
    for i, r in enumerate(records):
        if not r.get("speaker"):
            continue
        for topic in r.get("topics") or {}:
            groups[(r["article"], r["speaker"], topic)].append(i)
    pooled = changed = n_groups = 0
    for (_, _, topic), members in groups.items():
        if len(members) < 2:
            continue
        n_groups += 1
        probs = [records[i]["topics"][topic]["probs"] for i in members]
        total = {s: sum(p[s] for p in probs) for s in SIDES}
        new = []
        for p in probs:
            q = {s: (p[s] + beta * (total[s] - p[s])) / (1 + beta * (len(members) - 1)) for s in SIDES}
            new.append((max(SIDES, key=lambda s: q[s]), q))
        # Every member's p' is computed from the original probabilities before any is written.
        for i, (stance, q) in zip(members, new):
            label = records[i]["topics"][topic]
            changed += label["stance"] != stance
            label["stance"] = stance
            label["probs"] = {s: round(q[s], 4) for s in SIDES}
            pooled += 1
    return n_groups, pooled, changed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("predictions")
    ap.add_argument("out")
    ap.add_argument("--beta", type=float, default=1.0, help="weight of each other quote of the group (default 1: the mean)")
    a = ap.parse_args()
    with open(a.predictions, encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    n_groups, pooled, changed = pool(records, a.beta)
    with open(a.out, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{n_groups} groups of two or more quotes; {pooled} (quote, topic) labels pooled, {changed} stances changed")


if __name__ == "__main__":
    main()
