#!/usr/bin/env python3
"""Re-stores a stance-embeddings table: another dtype (f16 / int8 with per-row scales) and/or
a smaller vocabulary (the first N words in frequency order, keeping the contractions that
glove.py/minilm.py append after them), to trade size for coverage.

    /work/derived/venv/bin/python scripts/derive/convert.py IN OUT [--dtype i8] [--n-words 30000]
"""

import argparse

from common import CONTRACTIONS, read_table, say, sha256_file, write_table


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--dtype", choices=["f16", "i8"], default=None, help="default: keep")
    ap.add_argument("--n-words", type=int, default=None, help="keep the first N non-contraction words")
    args = ap.parse_args()
    say(f"input  {sha256_file(args.input)}  {args.input}")
    words, matrix, weights, meta, dtype = read_table(args.input)
    keep = list(range(len(words)))
    if args.n_words is not None:
        plain = [i for i, w in enumerate(words) if w not in CONTRACTIONS][: args.n_words]
        keep = plain + [i for i, w in enumerate(words) if w in CONTRACTIONS]
        meta = dict(meta, vocabulary=meta.get("vocabulary", "") + f"; reduced to the first {args.n_words} words + contractions")
    meta = dict(meta, converted_by="scripts/derive/convert.py")
    write_table(
        args.output,
        [words[i] for i in keep],
        matrix[keep],
        weights=None if weights is None else weights[keep],
        meta=meta,
        dtype=args.dtype or dtype,
    )


if __name__ == "__main__":
    main()
