"""Print label distributions of a gold or training JSONL file as Markdown tables.

Usage: python3 scripts/annotate/stats.py FILE.jsonl [...]
"""
import json, sys
from collections import Counter

TOPICS = ["nato", "peacekeepers", "elections", "eu_membership", "sanctions", "territory",
          "security_guarantees", "peace_talks", "inclusion", "diplomatic_ties",
          "economic_cooperation", "energy_truce", "summit"]


def main(paths):
    recs = [json.loads(l) for p in paths for l in open(p, encoding="utf-8") if l.strip()]
    print(f"records: {len(recs)}")
    if recs and "article" in recs[0]:
        print("\n| article | quotes | fragments | speaker null |\n|---|---|---|---|")
        for a, c in sorted(Counter(r["article"] for r in recs).items()):
            rs = [r for r in recs if r["article"] == a]
            print(f"| {a} | {c} | {sum(r['fragment'] for r in rs)} | {sum(r['speaker'] is None for r in rs)} |")
    print("\n| speaker | n |\n|---|---|")
    for s, c in Counter(r["speaker"] for r in recs).most_common():
        print(f"| {s if s is not None else '(null)'} | {c} |")
    print("\n| topic | favor | against | neutral | total |\n|---|---|---|---|---|")
    tc = {t: Counter() for t in TOPICS}
    for r in recs:
        for t, s in r["topics"].items():
            tc.setdefault(t, Counter())[s] += 1
    for t, c in tc.items():
        print(f"| {t} | {c['favor']} | {c['against']} | {c['neutral']} | {sum(c.values())} |")
    print(f"| (no topic) | | | | {sum(1 for r in recs if not r['topics'])} |")
    sc = Counter(r["sentiment"] for r in recs)
    print("\n| sentiment | n |\n|---|---|")
    for s in ("positive", "negative", "neutral"):
        print(f"| {s} | {sc[s]} |")
    if recs and "source" in recs[0]:
        print("\n| source | n |\n|---|---|")
        for s, c in sorted(Counter(r.get("source", "gold") for r in recs).items()):
            print(f"| {s} | {c} |")


if __name__ == "__main__":
    main(sys.argv[1:])
