#!/usr/bin/env python3
"""How far better topic *decisions* alone could take topic detection, from the predictions of
`stance eval cv --predictions P` (every held-out quote with every topic's P(topic)).

Prints, pooled over the folds:
  - the topic P/R/F1 as `stance eval cv` scores them (the same matching: spans overlapping by
    at least half of each, one-to-one, largest overlap first, per article);
  - ranking: of the matched quotes with exactly one gold topic, how many have it as their most
    relevant topic;
  - the ceiling of the decision rule: each matched quote takes as many topics as its gold has,
    the most relevant ones (a rule that always knew *how many* topics, with today's scores).
If the ceiling is close to the figure as scored, better thresholds or counts cannot help much;
the scores (the relevance head) must improve.

    python3 scripts/analysis/topic_ceiling.py P.jsonl \
        [--gold data/gold/seeds.jsonl ../shared/news-dev/gold.jsonl]

Standard library only; python/tests/test_topic_ceiling.py checks it on a case worked by hand.
"""
import argparse
import json
from collections import defaultdict


def read_jsonl(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def match(preds, golds):
    """One-to-one pairs (pred index, gold index) of one article, largest overlap first: the rule
    of `quotes::match_spans` (src/quotes/mod.rs) (the "as scored" line checks that they agree)."""
    cand = []
    for i, p in enumerate(preds):
        for j, g in enumerate(golds):
            o = min(p["end"], g["end"]) - max(p["start"], g["start"])
            if o > 0 and 2 * o >= p["end"] - p["start"] and 2 * o >= g["end"] - g["start"]:
                cand.append((-o, j, i))  # ties: lower gold index first, as in Rust
    used_p, used_g, pairs = set(), set(), []
    for _, j, i in sorted(cand):
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            pairs.append((i, j))
    return pairs


def prf(tp, n_pred, n_gold):
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("predictions")
    ap.add_argument("--gold", nargs="+",
                    default=["data/gold/seeds.jsonl", "../shared/news-dev/gold.jsonl"])
    a = ap.parse_args()
    preds = read_jsonl(a.predictions)
    if preds and "relevance" not in preds[0]:
        raise SystemExit("no `relevance` in the predictions: write them with this version's "
                         "`stance eval cv --predictions` (or `stance label --relevance`)")
    by_article = defaultdict(list)
    for p in preds:
        by_article[p["article"]].append(p)
    gold = defaultdict(list)
    for path in a.gold:
        for g in read_jsonl(path):
            if g["article"] in by_article:  # articles the predictions cover
                gold[g["article"]].append(g)
    n_gold = sum(len(g.get("topics") or {}) for gs in gold.values() for g in gs)
    scored = {"tp": 0, "pred": 0}
    ceiling = {"tp": 0, "pred": 0}
    ranked = {"one": 0, "top_right": 0}
    for art, ps in by_article.items():
        gs = gold.get(art, [])
        matched = dict(match(ps, gs))
        for i, p in enumerate(ps):
            gt = (gs[matched[i]].get("topics") or {}) if i in matched else {}
            scored["pred"] += len(p["topics"])
            scored["tp"] += sum(t in gt for t in p["topics"])
            rel = p["relevance"]
            order = sorted(rel, key=lambda t: (-rel[t], t))
            take = order[:len(gt)]
            ceiling["pred"] += len(take)
            ceiling["tp"] += sum(t in gt for t in take)
            if len(gt) == 1:
                ranked["one"] += 1
                ranked["top_right"] += order[0] in gt
    print(f"gold (quote, topic) pairs: {n_gold}")
    print("as scored:        P {:.3f}  R {:.3f}  F1 {:.3f}".format(*prf(scored["tp"], scored["pred"], n_gold)))
    print("ceiling of the rule (right count, top by relevance): P {:.3f}  R {:.3f}  F1 {:.3f}".format(
        *prf(ceiling["tp"], ceiling["pred"], n_gold)))
    print(f"single-topic matched quotes whose top topic is right: {ranked['top_right']} of {ranked['one']}"
          f" ({ranked['top_right'] / max(ranked['one'], 1):.1%})")


if __name__ == "__main__":
    main()
