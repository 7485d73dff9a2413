#!/usr/bin/env python3
"""Lists the authored statements closest in meaning to a gold quote (news-dev or seeds), for
review: a retelling that shares neither word 4-grams nor most content words with the quote it
retells escapes `overlap_check.py --near`.

Each text is the mean of the shipped MiniLM static table's vectors
(data/embeddings/minilm-static128-50k.i8.emb, SIF-weighted) over its words outside
overlap_check.py's stopword list, scaled to unit length; each authored statement is paired with
its most similar gold quote of at least 6 words, and the K most similar pairs are printed. It
only reports (exit 0): cosine over static word vectors measures shared subject more than shared
claim, so each pair is read by hand. Needs numpy and xxhash (the derivation venv):

    scripts/derive/setup_venv.sh
    /work/derived/venv/bin/python scripts/annotate/similar_check.py --top 45
"""
import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1].parent
sys.path.insert(0, str(ROOT / "scripts" / "derive"))
sys.path.insert(0, str(ROOT / "scripts" / "annotate"))

from overlap_check import STOP, words  # noqa: E402

try:
    import numpy as np
    from common import read_table
except ImportError as e:
    sys.exit(f"similar_check.py needs numpy and xxhash ({e}): run it with the venv of "
             "scripts/derive/setup_venv.sh")

TABLE = ROOT / "data" / "embeddings" / "minilm-static128-50k.i8.emb"
GOLD = [ROOT.parent / "shared" / "news-dev" / "gold.jsonl", ROOT / "data" / "gold" / "seeds.jsonl"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--top", type=int, default=45, help="pairs to print")
    args = ap.parse_args()
    vocab, matrix, weights, _, _ = read_table(TABLE)
    row = {w: i for i, w in enumerate(vocab)}

    def vector(text):
        v = np.zeros(matrix.shape[1], np.float32)
        for w in words(text):
            if w in STOP:
                continue
            i = row.get(w, row.get(w.split("'")[0]))
            if i is not None:
                v += matrix[i] * (weights[i] if weights is not None else 1.0)
        n = np.linalg.norm(v)
        return v / n if n > 0 else v

    if not GOLD[0].is_file():
        print(f"note: {GOLD[0]} not found; comparing with the seeds only", file=sys.stderr)
    gold = [json.loads(l) for p in GOLD if p.is_file()
            for l in p.open(encoding="utf-8") if l.strip()]
    gold = [q for q in gold if len(words(q["text"])) >= 6]
    authored = [json.loads(l) for l in
                (ROOT / "data" / "train" / "authored.jsonl").open(encoding="utf-8")]
    sim = np.stack([vector(a["text"]) for a in authored]) @ np.stack(
        [vector(q["text"]) for q in gold]).T
    best = sim.argmax(axis=1)
    order = sorted(range(len(authored)), key=lambda i: (-sim[i, best[i]], i))
    for i in order[:args.top]:
        q = gold[best[i]]
        print(f"{sim[i, best[i]]:.3f} {authored[i]['id']} | {authored[i]['text'][:160]}\n"
              f"      {q['article']} {q.get('speaker')} | {q['text'][:160]}\n")


if __name__ == "__main__":
    main()
