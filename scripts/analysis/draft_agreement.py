#!/usr/bin/env python3
"""How much of a draft needs correcting: labeled quotes (`stance label --format gold` drafts,
`stance label` records, or the predictions of `stance eval cv --predictions P`) against gold
quotes of the same articles, counted per gold quote the way an annotator meets them.

Quotes are matched one to one as `stance eval labels` matches them (overlap of at least half
of each span, largest overlap first). For each gold quote it counts whether the draft has it at
all, with the exact span, the right speaker, exactly the gold topics with their stances, and
the right sentiment; "no edit" is all of these. Drafted quotes that match no gold quote are
the ones to delete.

    python3 scripts/analysis/draft_agreement.py DRAFTS.jsonl GOLD.jsonl [GOLD.jsonl ...]
        [--format json]

Standard library only; python/tests/test_draft_agreement.py checks it on a case worked by hand.
"""
import argparse
import json
from collections import defaultdict

from topic_ceiling import match  # quotes::match_spans's rule, shared with that script


def read_jsonl(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def stances(q):
    """{topic: stance} of a gold record or of a labeled record ({topic: {"stance": ...}})."""
    return {t: (v["stance"] if isinstance(v, dict) else v) for t, v in (q.get("topics") or {}).items()}


def sentiment(q):
    s = q.get("sentiment")
    return s.get("label") if isinstance(s, dict) else s


def agreement(drafts, gold):
    by_article = defaultdict(lambda: ([], []))
    for g in gold:
        by_article[g["article"]][0].append(g)
    for d in drafts:
        if d["article"] in by_article:  # drafts of articles without gold are not scored
            by_article[d["article"]][1].append(d)
    c = dict.fromkeys(["gold", "drafted", "span", "speaker", "topics", "sentiment", "no_edit", "to_delete"], 0)
    for gs, ds in by_article.values():
        pairs = match(ds, gs)
        c["gold"] += len(gs)
        c["drafted"] += len(pairs)
        c["to_delete"] += len(ds) - len(pairs)
        for j, i in pairs:
            d, g = ds[j], gs[i]
            ok = {
                "span": (g["start"], g["end"]) == (d["start"], d["end"]),
                "speaker": g.get("speaker") == d.get("speaker"),
                "topics": stances(g) == stances(d),
                "sentiment": sentiment(g) == sentiment(d),
            }
            for k, v in ok.items():
                c[k] += v
            c["no_edit"] += all(ok.values())
    return c


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("drafts")
    ap.add_argument("gold", nargs="+")
    ap.add_argument("--format", choices=["text", "json"], default="text")
    a = ap.parse_args()
    c = agreement(read_jsonl(a.drafts), [g for p in a.gold for g in read_jsonl(p)])
    if a.format == "json":
        print(json.dumps(c))
        return
    n = c["gold"] or 1
    print(f"gold quotes {c['gold']}, drafted {c['drafted']}, drafted quotes to delete {c['to_delete']}")
    for k, name in [("span", "span exact"), ("speaker", "speaker right"),
                    ("topics", "topics and stances right"), ("sentiment", "sentiment right"),
                    ("no_edit", "no edit needed")]:
        print(f"  {name:<26} {c[k]:>5}  {c[k] / n:.3f}")


if __name__ == "__main__":
    main()
