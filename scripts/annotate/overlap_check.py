#!/usr/bin/env python3
"""Finds training statements that repeat real text: any record of data/train/*.jsonl whose
quote or context shares N consecutive words (default 6, lowercased word tokens) with a news-dev
article (../shared/news-dev/articles) or a seed article (data/articles).

Authored statements must not copy real quotes that are used for measuring (news-dev) — a
shared 6-gram is a sign of a copied quote and would inflate cross-validated figures. Reported
statements come from the seed articles by construction, so for them only news-dev is checked.

    python3 scripts/annotate/overlap_check.py            # report; exit 1 if an authored one is found
    python3 scripts/annotate/overlap_check.py --n 5      # stricter
"""
import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NEWS_DEV = ROOT.parent / "shared" / "news-dev" / "articles"
WORD = re.compile(r"[\w’']+")


def grams(text, n):
    w = [x.lower().replace("’", "'") for x in WORD.findall(text)]
    return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=6)
    a = ap.parse_args()
    sources = {}
    if NEWS_DEV.is_dir():
        for p in sorted(NEWS_DEV.glob("*.txt")):
            sources[f"news-dev/{p.stem}"] = grams(p.read_text(encoding="utf-8"), a.n)
    else:
        print(f"SKIPPED news-dev: {NEWS_DEV} absent", file=sys.stderr)
    seeds = {f"seeds/{p.stem}": grams(p.read_text(encoding="utf-8"), a.n)
             for p in sorted((ROOT / "data" / "articles").glob("*.txt"))}
    found = authored = 0
    for f in sorted((ROOT / "data" / "train").glob("*.jsonl")):
        for line in f.open(encoding="utf-8"):
            r = json.loads(line)
            g = grams(r["text"], a.n) | grams(r.get("context") or "", a.n)
            check = dict(sources)
            if r.get("source") == "authored":
                check.update(seeds)
            hits = sorted(k for k, s in check.items() if g & s)
            if hits:
                found += 1
                authored += r.get("source") == "authored"
                print(f"{f.name}\t{r['id']}\t{', '.join(hits)}")
    print(f"{found} record(s) share {a.n} consecutive words with a real article "
          f"({authored} authored; reported ones are seed sentences, and the grouped CV drops "
          f"any training record that shares {a.n} words with a held-out quote)", file=sys.stderr)
    sys.exit(1 if authored else 0)


if __name__ == "__main__":
    main()
