#!/usr/bin/env python3
"""A word table from WordLlama's static token embeddings (PyPI wordllama==0.4.0.post1, MIT;
`l2_supercat`: a projection of the token-embedding tables of several Llama-2-tokenizer models,
trained by its author for sentence similarity, Matryoshka dimensions 64-1024).

WordLlama embeds a text as the mean of its tokens' rows (no transformer). The project looks
vectors up by its own lowercase word tokens, so:

1. vocabulary: the same words as glove.py and minilm.py (no evaluation text is involved);
2. a word's vector is the mean of two surface forms' vectors, the word as written in lowercase
   and capitalised ("nato", "Nato"; news text writes names capitalised and the tokenizer is
   case-sensitive), each the mean of its Llama-2 token rows as WordLlama pools them (no special
   tokens; the tokenizer prepends the word-start marker);
3. the first D dimensions (Matryoshka truncation, as `WordLlama.load(trunc_dim=D)`), centred
   on the vocabulary's mean (`--no-centre` keeps the raw rows): the labeler L2-normalises each
   pooled vector, and the raw rows share a large common component that would then squeeze what
   tells texts apart; the MiniLM table is centred by its PCA;
4. per-word SIF weight a/(a+p(w)), p from Zipf over GloVe ranks, as the other tables.

The package is read as data: its weights file and tokenizer JSON are opened from the installed
package directory without importing it (its imports pull dependencies the venv does not have).

    /work/derived/venv/bin/python scripts/derive/wordllama_words.py [--dims 64,128] [--dtype f16]
"""

import argparse
import importlib.util
from pathlib import Path

import numpy as np

from common import add_table_args, glove_vocab_and_vectors, say, select_vocab, sha256_file, sif_weights, write_table

CONFIG = "l2_supercat"


def load_wordllama():
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("wordllama is not installed (scripts/derive/setup_venv.sh)")
    root = Path(spec.submodule_search_locations[0])
    weights = root / "weights" / f"{CONFIG}_256.safetensors"
    tok_path = root / "tokenizers" / f"{CONFIG}_tokenizer_config.json"
    for p in (weights, tok_path):
        say(f"input  {sha256_file(p)}  {p.name}")
    table = load_file(str(weights))["embedding.weight"].astype(np.float32)
    tok = Tokenizer.from_file(str(tok_path))
    tok.no_padding()
    tok.no_truncation()
    return table, tok


def embed_words(table, tok, words):
    out = np.zeros((len(words), table.shape[1]), dtype=np.float32)
    for i, w in enumerate(words):
        forms = [w, w[:1].upper() + w[1:]]
        vecs = []
        for form in forms:
            ids = tok.encode(form, add_special_tokens=False).ids
            if not ids:
                raise SystemExit(f"no tokens for {form!r}")
            vecs.append(table[ids].mean(axis=0))
        out[i] = np.mean(vecs, axis=0)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_table_args(ap, "64,128")
    ap.add_argument("--no-centre", action="store_true", help="keep the raw (uncentred) rows")
    args = ap.parse_args()

    table, tok = load_wordllama()
    glove_words, _ = glove_vocab_and_vectors()
    vocab, ranks = select_vocab(glove_words, args.n_words)
    say(f"embedding {len(vocab)} words")
    full = embed_words(table, tok, vocab)
    weights = sif_weights(ranks, len(glove_words), args.sif_a)
    for d in (int(d) for d in args.dims.split(",")):
        if d > table.shape[1]:
            raise SystemExit(f"--dims {d}: the table has {table.shape[1]}")
        m = full[:, :d]
        if not args.no_centre:
            m = m - m.mean(axis=0, dtype=np.float64).astype(np.float32)
        meta = {
            "source": f"WordLlama {CONFIG} 256d token embeddings, PyPI wordllama==0.4.0.post1; a word is the mean of its lowercase and capitalised forms' token rows; first {d} dims (Matryoshka){'' if args.no_centre else ', centred'}",
            "license": "MIT (WordLlama); the table is trained from Llama-2-family token embeddings",
            "vocabulary": f"top {args.n_words} GloVe 6B words (frequency order) that are single fast-tokenizer tokens, then {len(vocab) - args.n_words} contractions",
            "weights": f"SIF a/(a+p(w)), a={args.sif_a}, p from Zipf over GloVe ranks (400k words)",
            "derived_by": "scripts/derive/wordllama_words.py",
        }
        raw = "-raw" if args.no_centre else ""
        out = Path(args.out_dir) / f"wordllama{d}{raw}-{args.n_words // 1000}k.{args.dtype}.emb"
        write_table(out, vocab, np.ascontiguousarray(m), weights=weights, meta=meta, dtype=args.dtype)


if __name__ == "__main__":
    main()
