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

With `--report R.json` (the same run's `stance eval cv --format json -o R.json` report, whose
folds carry each fold's detection rule) and `--groups` (the gold sets' groups.tsv files), it
re-applies the rules of `TopicRule::choose_in_article` (src/model/mod.rs) to the relevance
scores and prints other rules' figures: each fold's own rule (a check: it must give the "as
scored" line), one rule for all folds (the median of the folds' choices, and each fold's rule in
turn), at most one topic per quote, and a lower bar for a quote left without a topic in an
article where another quote has one. Their settings are read off the held-out labels, so these
are ceilings, not results.

    python3 scripts/analysis/topic_ceiling.py P.jsonl \
        [--gold data/gold/seeds.jsonl ../shared/news-dev/gold.jsonl] \
        [--report R.json --groups ../shared/news-dev/groups.tsv]

Standard library only; python/tests/test_topic_ceiling.py checks it on a case worked by hand.
"""
import argparse
import json
import statistics
from collections import Counter, defaultdict


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


def rule_of(detection, topics):
    """A fold's detection rule (the report's `chosen.detection`) in topic order."""
    th = detection["thresholds"]
    return {"thresholds": [th.get(t, detection["default_threshold"]) for t in topics],
            "max_topics": detection["max_topics"],
            "second": detection.get("second_threshold"),
            "article": detection.get("article_threshold")}


def choose(p, rule, in_article=lambda t: False):
    """`TopicRule::choose_with`: topic indices of one quote's P(topic) `p`, in topic order."""
    art = rule["article"]
    chosen = [t for t, x in enumerate(p)
              if x >= rule["thresholds"][t] or (in_article(t) and art is not None and x >= art)]
    chosen.sort(key=lambda t: (-p[t], t))
    chosen = chosen[:max(rule["max_topics"], 1)]
    if rule["second"] is not None:
        chosen = [t for n, t in enumerate(chosen) if n == 0 or p[t] >= rule["second"]]
    return sorted(chosen)


def choose_in_article(ps, rule):
    """`TopicRule::choose_in_article`: each quote alone, then again with the article threshold
    for the topics another quote of the article has."""
    alone = [choose(p, rule) for p in ps]
    if rule["article"] is None or len(ps) < 2:
        return alone
    quotes_with = Counter(t for c in alone for t in c)
    return [choose(p, rule, lambda t, own=own: quotes_with[t] > (t in own))
            for p, own in zip(ps, alone)]


def rule_figures(by_article, gold_topics, n_gold, topics, rule_for, lift=None):
    """P/R/F1 when each article's quotes take the topics of `rule_for(article)`; with `lift`, a
    quote left without a topic in an article where another quote has one takes its most
    relevant topic when P(topic) >= lift."""
    tp = n_pred = 0
    for art, ps in by_article.items():
        chosen = choose_in_article([[p["relevance"][t] for t in topics] for p in ps], rule_for(art))
        if lift is not None:
            has = [bool(c) for c in chosen]
            for i, p in enumerate(ps):
                if not chosen[i] and any(has[:i] + has[i + 1:]):
                    best = max(range(len(topics)), key=lambda t: (p["relevance"][topics[t]], -t))
                    if p["relevance"][topics[best]] >= lift:
                        chosen[i] = [best]
        for i, c in enumerate(chosen):
            n_pred += len(c)
            tp += sum(topics[t] in gold_topics[(art, i)] for t in c)
    return prf(tp, n_pred, n_gold)


def print_rules(report_path, group_files, by_article, gold_topics, n_gold):
    with open(report_path, encoding="utf-8") as fh:
        report = json.load(fh)
    group_of = {}
    for path in group_files:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                cells = line.rstrip("\n").split("\t")
                if len(cells) >= 2 and cells[0] != "article":
                    group_of[cells[0]] = cells[1]
    folds = report["folds"]
    fold_of = {}
    for art in by_article:
        g = group_of.get(art, art)
        hits = [k for k, f in enumerate(folds) if any(x.split("/", 1)[-1] == g for x in f["groups"])]
        if len(hits) != 1:
            raise SystemExit(f"article {art}: group {g} is in {len(hits)} folds of the report")
        fold_of[art] = hits[0]
    topics = sorted(next(iter(by_article.values()))[0]["relevance"])
    rules = [rule_of(f["chosen"]["detection"], topics) for f in folds]
    line = "{:<58} P {:.3f}  R {:.3f}  F1 {:.3f}"

    def figures(rule_for, lift=None):
        return rule_figures(by_article, gold_topics, n_gold, topics, rule_for, lift)

    print(line.format("each fold's own rule (must equal \"as scored\"):",
                      *figures(lambda a: rules[fold_of[a]])))
    median = {
        "thresholds": [statistics.median(r["thresholds"][t] for r in rules) for t in range(len(topics))],
        "max_topics": int(statistics.median(r["max_topics"] for r in rules)),
        "second": statistics.median([r["second"] for r in rules if r["second"] is not None] or [None]),
        "article": statistics.median([r["article"] for r in rules if r["article"] is not None] or [None]),
    }
    print(line.format("one rule for all folds, the median of their choices:", *figures(lambda a: median)))
    for k, r in enumerate(rules):
        print(line.format(f"fold {k + 1}'s rule for all folds:", *figures(lambda a, r=r: r)))
    print(line.format("at most one topic per quote (each fold's rule):",
                      *figures(lambda a: dict(rules[fold_of[a]], max_topics=1))))
    for lift in (0.6, 0.5, 0.4, 0.3, 0.2, 0.1):
        print(line.format(f"a quote without topics takes its top one at P >= {lift}:",
                          *figures(lambda a: rules[fold_of[a]], lift)))


def prf(tp, n_pred, n_gold):
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("predictions")
    ap.add_argument("--gold", nargs="+",
                    default=["data/gold/seeds.jsonl", "../shared/news-dev/gold.jsonl"])
    ap.add_argument("--report", help="the run's `stance eval cv --format json` report")
    ap.add_argument("--groups", nargs="*", default=[], help="groups.tsv files of the gold sets")
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
    gold_topics = {}
    for art, ps in by_article.items():
        gs = gold.get(art, [])
        matched = dict(match(ps, gs))
        for i, p in enumerate(ps):
            gt = (gs[matched[i]].get("topics") or {}) if i in matched else {}
            gold_topics[(art, i)] = gt
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
    if a.report:
        print_rules(a.report, a.groups, by_article, gold_topics, n_gold)


if __name__ == "__main__":
    main()
