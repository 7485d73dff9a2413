#!/usr/bin/env python3
"""Leave-one-article-out evaluation of the whole labeler on the hand-annotated seeds.

The seeds' gold quotes and reported-speech records are part of the default model's training
data, so scoring the default model on them measures memory, not skill. This script trains one
model per seed article on everything *except* that article's gold and reported records (plus
the authored data and NewsMTSC, as the default model), labels the held-out article with
`stance eval labels`, and pools the counts over the five folds.

    python3 scripts/eval_seeds_loao.py            # release build first
    python3 scripts/eval_seeds_loao.py --json     # machine-readable pooled report

Each fold runs the default model's exact training command (DEFAULT_FLAGS, see
models/README.md), cross-validation grid included, on its own training data only.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NEWSMTSC = ROOT.parent / "shared" / "corpora" / "newsmtsc" / "train.jsonl"
# The flags `models/default` was trained with (keep in sync with models/README.md).
DEFAULT_FLAGS = ["--cv", "5", "--char-ngrams", "none", "--word-ngrams", "1-2,1-3", "--c", "1,10,100", "--min-df", "1,2", "--class-weight", "none"]
LABELS = {"stance": ["favor", "against", "neutral"], "sentiment": ["positive", "negative", "neutral"]}


def prf(tp, pred, gold):
    p = tp / pred if pred else 0.0
    r = tp / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def f1s(matrix, labels):
    out = {}
    for i, l in enumerate(labels):
        tp = matrix[i][i]
        out[l] = prf(tp, sum(row[i] for row in matrix), sum(matrix[i]))[2]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--with-newsmtsc", action="store_true",
                    help="add ../shared/corpora/newsmtsc/train.jsonl to each fold's training data")
    ap.add_argument("--train-flag", action="append", default=[],
                    help="stance train flag replacing DEFAULT_FLAGS (repeat; use --train-flag=--x)")
    a = ap.parse_args()
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    exe = str(ROOT / "target" / "release" / "stance")
    gold = [json.loads(l) for l in open(ROOT / "data/gold/seeds.jsonl") if l.strip()]
    reported = [json.loads(l) for l in open(ROOT / "data/train/reported.jsonl") if l.strip()]
    articles = sorted(p.stem for p in (ROOT / "data/articles").glob("*.txt"))
    pooled = {"quotes": 0, "matched": 0, "speaker_ok": 0, "topic_tp": 0, "topic_pred": 0, "topic_gold": 0,
              "stance_given": [[0] * 3 for _ in range(3)], "stance_detected": [[0] * 3 for _ in range(3)],
              "sentiment": [[0] * 3 for _ in range(3)]}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for art in articles:
            g = tmp / f"gold-{art}.jsonl"
            r = tmp / f"reported-{art}.jsonl"
            g.write_text("".join(json.dumps(x) + "\n" for x in gold if x["article"] != art))
            r.write_text("".join(json.dumps(x) + "\n" for x in reported if not x["id"].startswith(art)))
            model = tmp / f"model-{art}"
            data = [str(g), str(r), str(ROOT / "data/train/authored.jsonl")]
            if a.with_newsmtsc and NEWSMTSC.exists():
                data.append(str(NEWSMTSC))
            flags = a.train_flag if a.train_flag else DEFAULT_FLAGS
            cmd = [exe, "train", "--quiet", "--out", str(model)] + flags
            for d in data:
                cmd += ["--data", d]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            out = subprocess.run([exe, "eval", "labels", "--model", str(model), "--gold",
                                  str(ROOT / "data/gold/seeds.jsonl"), "--articles",
                                  str(ROOT / "data/articles" / f"{art}.txt"), "--format", "json"],
                                 check=True, stdout=subprocess.PIPE)
            rep = json.loads(out.stdout)
            q = rep["quotes"]
            pooled["quotes"] += q["gold"]
            pooled["matched"] += q["overlap"]["matched"]
            pooled["speaker_ok"] += q["speaker"]["correct"]
            t = rep["topic_detection"]
            pooled["topic_tp"] += t["matched"]
            pooled["topic_pred"] += round(t["matched"] / t["precision"]) if t["precision"] else 0
            pooled["topic_gold"] += round(t["matched"] / t["recall"]) if t["recall"] else 0
            for key, rk in (("stance_given", "stance_given_topic"), ("stance_detected", "stance_detected"),
                            ("sentiment", "sentiment")):
                m = rep[rk]["confusion"]["matrix"]
                for i in range(3):
                    for j in range(3):
                        pooled[key][i][j] += m[i][j]
            print(f"fold {art}: topic F1 {t['f1']:.3f}  stance(given) F_avg "
                  f"{rep['stance_given_topic'].get('f_avg', 0):.3f}  sentiment macro-F1 "
                  f"{rep['sentiment']['macro_f1']:.3f}", file=sys.stderr)
    tp, tpred, tgold = pooled["topic_tp"], pooled["topic_pred"], pooled["topic_gold"]
    st = f1s(pooled["stance_given"], LABELS["stance"])
    sd = f1s(pooled["stance_detected"], LABELS["stance"])
    se = f1s(pooled["sentiment"], LABELS["sentiment"])
    result = {
        "folds": len(articles),
        "gold_quotes": pooled["quotes"],
        "speaker_accuracy": pooled["speaker_ok"] / max(1, pooled["matched"]),
        "topic_detection": dict(zip(("precision", "recall", "f1"), prf(tp, tpred, tgold))),
        "stance_given_topic_f_avg": (st["favor"] + st["against"]) / 2,
        "stance_given_topic_macro_f1": sum(st.values()) / 3,
        "stance_detected_f_avg": (sd["favor"] + sd["against"]) / 2,
        "sentiment_macro_f1": sum(se.values()) / 3,
        "confusion": {k: pooled[k] for k in ("stance_given", "stance_detected", "sentiment")},
    }
    if a.json:
        print(json.dumps(result, indent=2))
    else:
        td = result["topic_detection"]
        print(f"leave-one-article-out over {len(articles)} seed articles, {pooled['quotes']} gold quotes")
        print(f"topic detection micro P/R/F1: {td['precision']:.3f} / {td['recall']:.3f} / {td['f1']:.3f}")
        print(f"stance F_avg, gold topic given: {result['stance_given_topic_f_avg']:.3f} "
              f"(macro-F1 {result['stance_given_topic_macro_f1']:.3f})")
        print(f"stance F_avg, detected topics: {result['stance_detected_f_avg']:.3f}")
        print(f"sentiment macro-F1: {result['sentiment_macro_f1']:.3f}")


if __name__ == "__main__":
    main()
