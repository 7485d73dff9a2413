#!/usr/bin/env python3
"""Finds training statements that repeat real text: any record of data/train/*.jsonl whose
quote or context shares N consecutive words (default 6, lowercased word tokens) with a news-dev
article (../shared/news-dev/articles) or a seed article (data/articles).

Authored statements must not copy real quotes that are used for measuring (news-dev) — a
shared 6-gram is a sign of a copied quote and would inflate cross-validated figures. Reported
statements come from the seed articles by construction, so for them only news-dev is checked.

    python3 scripts/annotate/overlap_check.py            # report; exit 1 if an authored one is found
    python3 scripts/annotate/overlap_check.py --n 5      # stricter
    python3 scripts/annotate/overlap_check.py --near     # paraphrase candidates, for review

`--near` lists authored statements that may paraphrase a gold quote (news-dev or seeds) without
sharing 6 words: two shared word 4-grams, or content-word Jaccard >= 0.3 with >= 3 shared
content words. It has false positives by design (diplomatic boilerplate such as "a just and
lasting peace"), so it only reports (exit 0): each candidate is read by hand, and a paraphrase of
a real quote is removed from the .psv sources. The grouped CV (`stance eval cv`) applies the same
criterion (with this STOP list: a Rust unit test reads this file and compares the two lists)
to every training record's quote text against each fold's held-out gold quotes, and drops the
records it flags (`stance::recipe::CopyGuard`; `--exact-copies-only` turns that off).
"""
import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NEWS_DEV = ROOT.parent / "shared" / "news-dev" / "articles"
WORD = re.compile(r"[\w’']+")
STOP = set("""the a an of to and in on for is are was were be been it that this with as at by from
we they he she i our their his her not no will would can could should has have had do does did but
or if so than then there these those its it's about said says which who what when us you your my
me them all any one more very just also""".split())


def words(text):
    return [x.lower().replace("’", "'") for x in WORD.findall(text)]


def grams(text, n):
    w = words(text)
    return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}


def content_words(text):
    return {w for w in words(text) if w not in STOP and len(w) > 2}


def near(gold_paths):
    """Prints authored statements that may paraphrase a gold quote; returns how many."""
    quotes = [json.loads(l) for p in gold_paths if p.is_file()
              for l in p.open(encoding="utf-8") if l.strip()]
    quotes = [(q, content_words(q["text"]), grams(q["text"], 4)) for q in quotes]
    n = 0
    for line in (ROOT / "data" / "train" / "authored.jsonl").open(encoding="utf-8"):
        r = json.loads(line)
        c, g4 = content_words(r["text"]), grams(r["text"], 4)
        hits = []
        for q, qc, q4 in quotes:
            shared = c & qc
            jac = len(shared) / len(c | qc) if c | qc else 0.0
            if len(g4 & q4) >= 2 or (jac >= 0.3 and len(shared) >= 3):
                hits.append(f"{q['article']}@{q['start']} (Jaccard {jac:.2f}, 4-grams {len(g4 & q4)})")
        if hits:
            n += 1
            print(f"{r['id']}\t{r['text'][:80]}\t{'; '.join(hits)}")
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=6)
    ap.add_argument("--near", action="store_true", help="list paraphrase candidates (report only)")
    a = ap.parse_args()
    if a.near:
        if not NEWS_DEV.is_dir():
            print(f"SKIPPED news-dev: {NEWS_DEV} absent (only the seeds' quotes are read)", file=sys.stderr)
        n = near([NEWS_DEV.parent / "gold.jsonl", ROOT / "data" / "gold" / "seeds.jsonl"])
        print(f"{n} authored statement(s) to read against the gold quote(s) named", file=sys.stderr)
        return
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
          f"any training record that shares 6 words with a held-out quote, or may retell one as --near "
          f"defines)", file=sys.stderr)
    sys.exit(1 if authored else 0)


if __name__ == "__main__":
    main()
