"""Check data/topics.toml against labelled data: which labelled topics the lexicon misses.

Implements the documented matching rule (case-insensitive, word boundaries, trailing `*`
prefix wildcard) on `context` (or `text`), and reports per topic the recall of the lexicon
on records labelled with that topic, and how often it fires on records without the topic.
Usage: python3 scripts/annotate/lexicon_check.py [--misses TOPIC]
"""
import json, pathlib, re, sys, tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def norm(s):
    return s.replace("’", "'").replace("‘", "'").lower()


def compile_topic(t):
    pats = []
    for term in t["keywords"] + t["phrases"]:
        term = norm(term)
        star = term.endswith("*")
        body = re.escape(term.rstrip("*")).replace(r"\ ", r"\s+")
        pats.append(r"(?<!\w)" + body + (r"\w*" if star else r"(?!\w)"))
    return re.compile("|".join(pats))


def main():
    cfg = tomllib.loads((ROOT / "data/topics.toml").read_text(encoding="utf-8"))
    rx = {t["id"]: compile_topic(t) for t in cfg["topic"]}
    recs = []
    for p in list((ROOT / "data/train").glob("*.jsonl")) + [ROOT / "data/gold/seeds.jsonl"]:
        recs += [json.loads(l) for l in open(p, encoding="utf-8")]
    show = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--misses" else None
    print("| topic | labelled | lexicon hits | recall | fires on unlabelled |")
    print("|---|---|---|---|---|")
    for tid, r in rx.items():
        pos = [x for x in recs if tid in x["topics"]]
        hit = [x for x in pos if r.search(norm(x.get("context") or x["text"]))]
        neg = [x for x in recs if tid not in x["topics"]]
        fp = sum(1 for x in neg if r.search(norm(x.get("context") or x["text"])))
        print(f"| {tid} | {len(pos)} | {len(hit)} | {len(hit)/max(1,len(pos)):.2f} | {fp}/{len(neg)} |")
        if show == tid:
            for x in pos:
                if x not in hit:
                    print("   MISS:", x.get("context") or x["text"])


if __name__ == "__main__":
    main()
