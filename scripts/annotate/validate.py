"""Validate the project's annotation data against docs/annotation-guide schema.

Checks data/gold/seeds.jsonl (keys, offsets: text == article[start:end], article order,
fragment == under 3 words, labels), data/train/*.jsonl (training record keys and labels,
unique ids, exact and near duplicates) and data/topics.toml (13+ topics, ids unique,
keywords/phrases present, every topic id used in data is defined).

Usage: python3 scripts/annotate/validate.py      exit 0 = all good, 1 = problems printed
"""
import json, pathlib, re, sys, tomllib
from collections import Counter, defaultdict

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOPICS = ["nato", "peacekeepers", "elections", "eu_membership", "sanctions", "territory",
          "security_guarantees", "peace_talks", "inclusion", "diplomatic_ties",
          "economic_cooperation", "energy_truce", "summit"]
STANCES = {"favor", "against", "neutral"}
SENTS = {"positive", "negative", "neutral"}
GOLD_KEYS = ["article", "start", "end", "text", "speaker", "fragment", "topics", "sentiment"]
TRAIN_KEYS = {"id", "text", "context", "speaker", "topics", "sentiment", "source"}
problems = []


def bad(where, msg):
    problems.append(f"{where}: {msg}")


def words(s):
    return sum(1 for w in s.split() if any(c.isalnum() for c in w))


def check_labels(where, r, known):
    if not isinstance(r.get("topics"), dict):
        bad(where, "topics not an object")
    else:
        for k, v in r["topics"].items():
            if k not in known:
                bad(where, f"unknown topic {k!r}")
            if v not in STANCES:
                bad(where, f"bad stance {v!r} for {k}")
    if r.get("sentiment") not in SENTS:
        bad(where, f"bad sentiment {r.get('sentiment')!r}")
    sp = r.get("speaker")
    if sp is not None and (not isinstance(sp, str) or not sp.strip()):
        bad(where, "speaker must be a non-empty string or null")


def read_jsonl(path):
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            bad(f"{path.name}:{n}", "blank line")
            continue
        try:
            out.append((n, json.loads(line)))
        except json.JSONDecodeError as e:
            bad(f"{path.name}:{n}", f"invalid JSON: {e}")
    return out


def check_topics_toml(path):
    try:
        cfg = tomllib.loads(path.read_text(encoding="utf-8"))
    except Exception as e:  # report, do not crash
        bad(path.name, f"invalid TOML: {e}")
        return set(TOPICS)
    ids = []
    for i, t in enumerate(cfg.get("topic", [])):
        w = f"{path.name} topic #{i}"
        for k in ("id", "proposition", "keywords", "phrases"):
            if k not in t:
                bad(w, f"missing {k}")
        ids.append(t.get("id"))
        kws = t.get("keywords", [])
        for kw in kws:
            if not isinstance(kw, str) or " " in kw.strip() or not kw.strip():
                bad(w, f"keyword must be one word: {kw!r}")
            elif "*" in kw[:-1]:
                bad(w, f"'*' only allowed at the end: {kw!r}")
        for ph in t.get("phrases", []):
            text = ph if isinstance(ph, str) else ph.get("text") if isinstance(ph, dict) else None
            if not text or " " not in text.strip():
                bad(w, f"phrase must be a multi-word string: {ph!r}")
        for lst, name in ((kws, "keywords"), (t.get("phrases", []), "phrases")):
            flat = [x if isinstance(x, str) else json.dumps(x) for x in lst]
            for d, c in Counter(x.lower() for x in flat).items():
                if c > 1:
                    bad(w, f"duplicate in {name}: {d!r}")
    for d, c in Counter(ids).items():
        if c > 1:
            bad(path.name, f"duplicate topic id {d}")
    missing = set(TOPICS) - set(ids)
    if missing:
        bad(path.name, f"missing topics {sorted(missing)}")
    return set(ids)


def check_gold(path, known):
    arts = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "data/articles").glob("*.txt")}
    last = {}
    recs = read_jsonl(path)
    for n, r in recs:
        w = f"{path.name}:{n}"
        if list(r.keys()) != GOLD_KEYS:
            bad(w, f"keys {list(r.keys())} != {GOLD_KEYS}")
            continue
        t = arts.get(r["article"])
        if t is None:
            bad(w, f"unknown article {r['article']}")
            continue
        s, e = r["start"], r["end"]
        if not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(t)):
            bad(w, f"bad offsets {s}-{e}")
            continue
        if t[s:e] != r["text"]:
            bad(w, f"text != article[{s}:{e}] ({t[s:e][:30]!r})")
        if s <= last.get(r["article"], -1):
            bad(w, "records not in article order / overlapping")
        last[r["article"]] = e
        if r["fragment"] != (words(r["text"]) < 3):
            bad(w, f"fragment={r['fragment']} but {words(r['text'])} words")
        check_labels(w, r, known)
    return [r for _, r in recs]


def norm(s):
    return re.sub(r"[^a-z0-9 ]", "", s.lower()).split()


def check_train(paths, known):
    ids, all_recs = Counter(), []
    for path in paths:
        for n, r in read_jsonl(path):
            w = f"{path.name}:{n}"
            if set(r.keys()) - {"article"} != TRAIN_KEYS:
                bad(w, f"keys {sorted(r.keys())} != {sorted(TRAIN_KEYS)}")
                continue
            for k in ("id", "text", "context", "source"):
                if not isinstance(r[k], str) or not r[k].strip():
                    bad(w, f"{k} must be a non-empty string")
            if r["text"] not in r["context"]:
                bad(w, "text does not occur in context")
            check_labels(w, r, known)
            ids[r["id"]] += 1
            all_recs.append((w, r))
    for i, c in ids.items():
        if c > 1:
            bad("train", f"duplicate id {i}")
    # exact and near duplicates (token-set Jaccard >= 0.8 on the quote text)
    seen = {}
    toks = []
    for w, r in all_recs:
        key = " ".join(norm(r["text"]))
        if key in seen:
            bad(w, f"duplicate text of {seen[key]}")
        seen[key] = w
        toks.append((w, set(norm(r["text"]))))
    by_word = defaultdict(list)
    for i, (_, ts) in enumerate(toks):
        for x in ts:
            by_word[x].append(i)
    for i, (w, ts) in enumerate(toks):
        if len(ts) < 4:
            continue
        cands = Counter(j for x in ts for j in by_word[x] if j > i)
        for j, inter in cands.items():
            tj = toks[j][1]
            if len(tj) >= 4 and inter / len(ts | tj) >= 0.8:
                bad(w, f"near-duplicate of {toks[j][0]}")
    return [r for _, r in all_recs]


def main():
    known = check_topics_toml(ROOT / "data/topics.toml") if (ROOT / "data/topics.toml").exists() else set(TOPICS)
    gold = check_gold(ROOT / "data/gold/seeds.jsonl", known)
    train_paths = sorted((ROOT / "data/train").glob("*.jsonl"))
    train = check_train(train_paths, known)
    print(f"gold: {len(gold)} records; train: {len(train)} records in {[p.name for p in train_paths]}")
    if problems:
        print("\n".join(problems))
        print(f"{len(problems)} problem(s)")
        return 1
    print("all valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
