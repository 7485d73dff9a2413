//! Pretrained static word embeddings: a word → vector table read from a `stance-embeddings`
//! file (format: `docs/embeddings-format.md`; derived offline by `scripts/derive/`), and
//! pooling of a text's fast-tokenizer tokens into one dense, L2-normalised vector.
//!
//! # Lookup
//!
//! A token is looked up by its key `xxh3_64(token bytes)` (the same hash as the vectorizer's
//! feature keys) in an open-addressing table; nothing is allocated per token. A token that is
//! not in the vocabulary but has an apostrophe (`russia's`) or a `#`/`@` prefix falls back to
//! the word before the apostrophe / after the prefix. Tables are lowercase, so texts are
//! tokenized with the fast tokenizer, lowercased (rules: [`mod@super::tokenize`]).
//!
//! # Pooling
//!
//! [`Embeddings::pool_into`] sums the vectors of the known tokens (each token counts every
//! time it occurs), weighted by 1 ([`Pooling::Mean`]) or by the table's per-word SIF weight
//! ([`Pooling::Sif`], `a / (a + p(w))`, low for frequent words), and scales the sum to unit
//! L2 norm. The mean and the sum have the same direction, so this is the normalised mean. A
//! text with no known token gives the zero vector.
//!
//! # Loading
//!
//! The file carries an xxh3 checksum of its body; [`Embeddings::from_bytes`] refuses wrong
//! magic, newer format versions, unknown dtypes, truncated or corrupt data, duplicate words
//! and non-finite values with an [`Error::Model`], and never panics. The matrix stays in its
//! stored form (f16 or int8) and rows are converted to f32 when pooled, so loading does not
//! touch every value twice.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::path::Path;

use half::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use super::key_table::KeyTable;
use super::tokenize::{LowerTokens, Tokens};
use super::vectorize::{prefetch_read, prefetch_slice, PREFETCH_AHEAD};
use crate::{Error, Result};

/// The first bytes of every embeddings file.
pub const EMBEDDINGS_MAGIC: &[u8; 17] = b"stance-embeddings";
/// The format version this build writes and the newest it reads.
pub const EMBEDDINGS_FORMAT_VERSION: u8 = 1;
/// Header length in bytes: magic, 4 single bytes, 4 × u32, 2 × u64.
const HEADER_LEN: usize = 17 + 4 + 16 + 16;
/// Header flag: a per-word f32 weight block is present.
const FLAG_WEIGHTS: u8 = 1;
/// Largest dimension accepted (keeps a hostile header from asking for absurd buffers).
const MAX_DIM: usize = 4096;

/// How the matrix is stored (in the file and in memory).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredDtype {
    /// IEEE half precision, little endian (code 1).
    F16,
    /// Signed 8-bit integers with one f32 scale per row: `value = q × scale` (code 2).
    I8,
}

impl StoredDtype {
    fn code(self) -> u8 {
        match self {
            StoredDtype::F16 => 1,
            StoredDtype::I8 => 2,
        }
    }
}

/// How [`Embeddings::pool_into`] weights the token vectors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pooling {
    /// Every known token weighs 1.
    #[default]
    Mean,
    /// Each known token weighs its word's stored SIF weight (tables without weights: 1).
    Sif,
}

/// A word-embedding table. Cheap to share (`&Embeddings` is `Sync`); pooling uses
/// per-thread buffers.
///
/// The matrix stays in the file's bytes (f16 or int8) and a row is converted to f32 when
/// it is used: loading is a checksum, a validity scan and the vocabulary's key table, with
/// no conversion pass over the matrix (the model's load budget is 50 ms).
#[derive(Clone)]
pub struct Embeddings {
    dim: usize,
    /// The file's bytes; the matrix (and the int8 row scales) are read in place.
    data: Vec<u8>,
    /// Offset in `data` of the f16 matrix, or of the int8 row scales (then the matrix).
    matrix_at: usize,
    /// The vocabulary, each word followed by `\n`; `ends[i]` is the end of word `i`.
    vocab: String,
    ends: Vec<u32>,
    weights: Option<Vec<f32>>,
    meta: String,
    dtype: StoredDtype,
    table: KeyTable,
    pooling: Pooling,
}

impl std::fmt::Debug for Embeddings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embeddings")
            .field("n_words", &self.len())
            .field("dim", &self.dim)
            .field("dtype", &self.dtype)
            .field("weights", &self.weights.is_some())
            .field("pooling", &self.pooling)
            .finish()
    }
}

fn corrupt(msg: impl Into<String>) -> Error {
    Error::model("<embeddings>", msg)
}

/// Little-endian field reader over a byte slice that reports truncation instead of panicking.
struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        match end {
            Some(e) => {
                let s = &self.b[self.at..e];
                self.at = e;
                Ok(s)
            }
            None => Err(corrupt(format!(
                "truncated: {what} needs {n} bytes at offset {}, the data has {}",
                self.at,
                self.b.len()
            ))),
        }
    }
    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }
    fn u32(&mut self, what: &str) -> Result<u32> {
        let s = self.take(4, what)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self, what: &str) -> Result<u64> {
        let s = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
}

/// The file bytes of a table (format: `docs/embeddings-format.md`).
fn encode(
    dim: usize,
    vocab: &str,
    n: usize,
    matrix: &[f32],
    weights: Option<&[f32]>,
    meta: &str,
    dtype: StoredDtype,
) -> Vec<u8> {
    let mut body = Vec::with_capacity(meta.len() + vocab.len() + matrix.len() * 2 + n * 8);
    body.extend_from_slice(meta.as_bytes());
    body.extend_from_slice(vocab.as_bytes());
    if let Some(w) = weights {
        w.iter()
            .for_each(|x| body.extend_from_slice(&x.to_le_bytes()));
    }
    match dtype {
        StoredDtype::F16 => {
            let mut h = vec![f16::ZERO; matrix.len()];
            h.convert_from_f32_slice(matrix);
            for x in h {
                body.extend_from_slice(&x.to_bits().to_le_bytes());
            }
        }
        StoredDtype::I8 => {
            // Scale = max |value| / 127, as in scripts/derive/common.py.
            let scales: Vec<f32> = matrix
                .chunks_exact(dim)
                .map(|r| {
                    let m = r.iter().fold(0f32, |a, x| a.max(x.abs())) / 127.0;
                    if m > 0.0 {
                        m
                    } else {
                        1.0
                    }
                })
                .collect();
            scales
                .iter()
                .for_each(|s| body.extend_from_slice(&s.to_le_bytes()));
            for (r, s) in matrix.chunks_exact(dim).zip(&scales) {
                body.extend(
                    r.iter()
                        .map(|x| (x / s).round().clamp(-127.0, 127.0) as i8 as u8),
                );
            }
        }
    }
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(EMBEDDINGS_MAGIC);
    out.push(EMBEDDINGS_FORMAT_VERSION);
    out.push(dtype.code());
    out.push(if weights.is_some() { FLAG_WEIGHTS } else { 0 });
    out.push(0);
    for v in [dim, n, meta.len(), vocab.len()] {
        out.extend_from_slice(&(v as u32).to_le_bytes());
    }
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&xxh3_64(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

impl Embeddings {
    /// Builds a table from its parts. `matrix` is row-major `words.len() × dim` and is
    /// stored as `dtype` at once (what is pooled is what is saved); `weights`, when given,
    /// has one finite weight per word; `meta` is free-form provenance (JSON by convention).
    /// Words must be unique, non-empty and free of `\n`; values finite (also after f16
    /// rounding).
    pub fn from_parts(
        words: &[&str],
        dim: usize,
        matrix: Vec<f32>,
        weights: Option<Vec<f32>>,
        meta: &str,
        dtype: StoredDtype,
    ) -> Result<Embeddings> {
        let bad = |msg: String| Error::InvalidParam {
            name: "embeddings",
            value: format!("{} words × {dim}", words.len()),
            msg,
        };
        if dim == 0 || dim > MAX_DIM {
            return Err(bad(format!("dim must be in 1..={MAX_DIM}")));
        }
        if words.len().checked_mul(dim) != Some(matrix.len()) {
            return Err(bad(format!(
                "matrix has {} values, expected {}",
                matrix.len(),
                words.len() * dim
            )));
        }
        if weights.as_ref().is_some_and(|w| w.len() != words.len()) {
            return Err(bad("one weight per word".into()));
        }
        if let Some(i) = matrix.iter().position(|x| !x.is_finite()) {
            return Err(bad(format!("matrix value {i} is not finite")));
        }
        let mut vocab = String::new();
        for w in words {
            if w.is_empty() || w.contains('\n') {
                return Err(bad(format!("bad word {w:?} (empty or with a newline)")));
            }
            vocab.push_str(w);
            vocab.push('\n');
        }
        let bytes = encode(
            dim,
            &vocab,
            words.len(),
            &matrix,
            weights.as_deref(),
            meta,
            dtype,
        );
        Self::from_vec(bytes).map_err(|e| match e {
            Error::Model { msg, .. } => bad(msg),
            other => other,
        })
    }

    /// Reads a table from the bytes of an embeddings file (copies them; see
    /// [`Self::from_vec`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Embeddings> {
        Self::from_vec(bytes.to_vec())
    }

    /// Reads a table from the bytes of an embeddings file, keeping them as its storage.
    pub fn from_vec(data: Vec<u8>) -> Result<Embeddings> {
        let mut c = Cursor { b: &data, at: 0 };
        let magic = c.take(EMBEDDINGS_MAGIC.len(), "magic")?;
        if magic != EMBEDDINGS_MAGIC {
            return Err(corrupt("not a stance-embeddings file (bad magic)"));
        }
        let version = c.u8("format version")?;
        if version == 0 || version > EMBEDDINGS_FORMAT_VERSION {
            return Err(corrupt(format!(
                "embeddings format version {version}; this build reads versions 1..={EMBEDDINGS_FORMAT_VERSION}"
            )));
        }
        let dtype = match c.u8("dtype")? {
            1 => StoredDtype::F16,
            2 => StoredDtype::I8,
            d => return Err(corrupt(format!("unknown dtype code {d}"))),
        };
        let flags = c.u8("flags")?;
        if flags & !FLAG_WEIGHTS != 0 {
            return Err(corrupt(format!("unknown flags {flags:#04x}")));
        }
        let _reserved = c.u8("reserved")?;
        let dim = c.u32("dim")? as usize;
        let n = c.u32("n_words")? as usize;
        let meta_len = c.u32("meta length")? as usize;
        let vocab_len = c.u32("vocabulary length")? as usize;
        let body_len = c.u64("body length")?;
        let checksum = c.u64("checksum")?;
        if dim == 0 || dim > MAX_DIM {
            return Err(corrupt(format!("dim {dim} out of range 1..={MAX_DIM}")));
        }
        let rest = data.len() - HEADER_LEN;
        if body_len != rest as u64 {
            return Err(corrupt(format!(
                "truncated or padded: header says {body_len} body bytes, found {rest}"
            )));
        }
        let body = &data[HEADER_LEN..];
        if xxh3_64(body) != checksum {
            return Err(corrupt("checksum mismatch: the file is corrupt"));
        }
        // Sizes implied by the header must add up to the body exactly.
        let has_w = flags & FLAG_WEIGHTS != 0;
        let cells = n
            .checked_mul(dim)
            .ok_or_else(|| corrupt("n_words × dim overflows"))?;
        let matrix_len = match dtype {
            StoredDtype::F16 => cells.checked_mul(2),
            StoredDtype::I8 => cells.checked_add(n * 4),
        };
        let expected = matrix_len
            .and_then(|m| m.checked_add(meta_len))
            .and_then(|m| m.checked_add(vocab_len))
            .and_then(|m| m.checked_add(if has_w { n * 4 } else { 0 }));
        if expected != Some(body.len()) {
            return Err(corrupt(format!(
                "section sizes do not add up: {n} words × {dim} ({dtype:?}), meta {meta_len}, \
                 vocabulary {vocab_len} bytes, body {} bytes",
                body.len()
            )));
        }
        let mut c = Cursor { b: body, at: 0 };
        let meta = std::str::from_utf8(c.take(meta_len, "meta")?)
            .map_err(|_| corrupt("meta is not UTF-8"))?
            .to_owned();
        let vocab = std::str::from_utf8(c.take(vocab_len, "vocabulary")?)
            .map_err(|_| corrupt("vocabulary is not UTF-8"))?
            .to_owned();
        let weights = if has_w {
            let w = f32s(c.take(n * 4, "weights")?);
            if let Some(i) = w.iter().position(|x| !x.is_finite()) {
                return Err(corrupt(format!("weight {i} is not finite")));
            }
            Some(w)
        } else {
            None
        };
        let matrix_at = HEADER_LEN + c.at;
        match dtype {
            StoredDtype::F16 => {
                // f16 infinities and NaNs have all exponent bits set (0x7C in the high,
                // second byte). A fast scan first, the position only when there is one.
                let m = c.take(cells * 2, "matrix")?;
                let non_finite = |p: &[u8]| p[1] & 0x7C == 0x7C;
                let any = has_non_finite_f16(m);
                if let Some(i) = any
                    .then(|| m.chunks_exact(2).position(non_finite))
                    .flatten()
                {
                    return Err(corrupt(format!(
                        "matrix value {i} (word {}) is not finite",
                        i / dim
                    )));
                }
            }
            StoredDtype::I8 => {
                let scales = f32s(c.take(n * 4, "row scales")?);
                if let Some(i) = scales.iter().position(|x| !x.is_finite()) {
                    return Err(corrupt(format!("row scale {i} is not finite")));
                }
            }
        }
        let mut ends = Vec::with_capacity(n);
        for (i, b) in vocab.bytes().enumerate() {
            if b == b'\n' {
                ends.push(i as u32);
            }
        }
        if ends.len() != n || !(vocab.is_empty() || vocab.ends_with('\n')) {
            return Err(corrupt(format!(
                "header says {n} words, the vocabulary has {} newline-terminated words",
                ends.len()
            )));
        }
        let mut e = Embeddings {
            dim,
            data,
            matrix_at,
            vocab,
            ends,
            weights,
            meta,
            dtype,
            table: KeyTable::default(),
            pooling: Pooling::Mean,
        };
        // Load factor <= 1/2, so a lookup usually touches one cache line.
        let mut table = KeyTable::with_min_slots(n * 2 + 1);
        for i in 0..n {
            let w = e.word(i);
            if w.is_empty() {
                return Err(corrupt(format!("word {i} is empty")));
            }
            if let Err(j) = table.insert(xxh3_64(w.as_bytes()), i as u32) {
                return Err(corrupt(format!(
                    "words {:?} ({j}) and {w:?} ({i}) have the same key (duplicate word?)",
                    e.word(j as usize)
                )));
            }
        }
        e.table = table;
        Ok(e)
    }

    /// Reads a table from any reader (the whole stream is read).
    pub fn read(mut r: impl Read) -> Result<Embeddings> {
        let mut bytes = Vec::new();
        r.read_to_end(&mut bytes)
            .map_err(|e| Error::io("<embeddings>", e))?;
        Self::from_vec(bytes)
    }

    /// Reads a table from a file; errors name the file.
    pub fn load(path: impl AsRef<Path>) -> Result<Embeddings> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_vec(bytes).map_err(|e| match e {
            Error::Model { msg, .. } => Error::model(path, msg),
            other => other,
        })
    }

    /// The file bytes of this table: exactly the bytes it was read from or built into.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.data.clone()
    }

    /// The file bytes of this table without a copy.
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    /// Writes the table (see [`Self::to_bytes`]).
    pub fn write(&self, mut w: impl Write) -> Result<()> {
        w.write_all(&self.data)
            .map_err(|e| Error::io("<embeddings>", e))
    }

    /// Writes the table to a file atomically (temp file + rename).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let tmp = path.with_extension("emb.tmp");
        std::fs::write(&tmp, &self.data).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True for a table without words.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Vector dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// How the matrix is stored.
    pub fn dtype(&self) -> StoredDtype {
        self.dtype
    }

    /// The provenance text stored with the table.
    pub fn meta(&self) -> &str {
        &self.meta
    }

    /// True when the table has per-word weights.
    pub fn has_weights(&self) -> bool {
        self.weights.is_some()
    }

    /// The pooling used by [`Self::pool_into`].
    pub fn pooling(&self) -> Pooling {
        self.pooling
    }

    /// Sets the pooling used by [`Self::pool_into`]. [`Pooling::Sif`] needs stored weights.
    pub fn with_pooling(mut self, pooling: Pooling) -> Result<Embeddings> {
        self.check_pooling(pooling)?;
        self.pooling = pooling;
        Ok(self)
    }

    /// Word `i` (panics if `i >= len()`, like slice indexing).
    pub fn word(&self, i: usize) -> &str {
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] as usize + 1
        };
        &self.vocab[start..self.ends[i] as usize]
    }

    /// Row `i` of the matrix as f32 (panics if `i >= len()`). Allocates: for inspection;
    /// pooling converts rows into reused buffers.
    pub fn row(&self, i: usize) -> Vec<f32> {
        let mut out = vec![0f32; self.dim];
        let mut bits = vec![0u16; self.dim];
        self.row_into(i, &mut bits, &mut out);
        out
    }

    /// Converts row `i` into `out` (`bits` is scratch space); both have length `dim`.
    #[inline]
    fn row_into(&self, i: usize, bits: &mut [u16], out: &mut [f32]) {
        let d = self.dim;
        match self.dtype {
            StoredDtype::F16 => {
                let at = self.matrix_at + i * d * 2;
                let raw = &self.data[at..at + d * 2];
                for (b, p) in bits.iter_mut().zip(raw.chunks_exact(2)) {
                    *b = u16::from_le_bytes([p[0], p[1]]);
                }
                // Hardware f16 conversion (F16C) when the CPU has it, detected at run time.
                bits.reinterpret_cast::<f16>().convert_to_f32_slice(out);
            }
            StoredDtype::I8 => {
                let n = self.len();
                let s = &self.data[self.matrix_at + i * 4..self.matrix_at + i * 4 + 4];
                let scale = f32::from_le_bytes([s[0], s[1], s[2], s[3]]);
                let at = self.matrix_at + n * 4 + i * d;
                for (o, &q) in out.iter_mut().zip(&self.data[at..at + d]) {
                    *o = f32::from(q as i8) * scale;
                }
            }
        }
    }

    /// The stored weight of word `i` (1 when the table has none).
    pub fn weight(&self, i: usize) -> f32 {
        self.weights.as_ref().map_or(1.0, |w| w[i])
    }

    /// The row of `word` (exact match, no fallback).
    pub fn index_of(&self, word: &str) -> Option<usize> {
        self.table
            .get(xxh3_64(word.as_bytes()))
            .map(|i| i as usize)
            .filter(|&i| self.word(i) == word)
    }

    /// The vector of `word` (exact match, no fallback).
    pub fn vector(&self, word: &str) -> Option<Vec<f32>> {
        self.index_of(word).map(|i| self.row(i))
    }

    /// The row for a token: the token itself, else the part before an apostrophe
    /// (`putin's` → `putin`), else the part after a `#`/`@` prefix. The hot path trusts the
    /// 64-bit key (no string comparison), like the vectorizer.
    /// `key` is the token's key, `xxh3_64(t)`.
    #[inline]
    fn token_row(&self, t: &str, key: u64) -> Option<u32> {
        if let Some(i) = self.table.get(key) {
            return Some(i);
        }
        let b = t.as_bytes();
        if let Some(p) = b.iter().position(|&c| c == b'\'') {
            return self.table.get(xxh3_64(&b[..p]));
        }
        if b.len() > 1 && (b[0] == b'#' || b[0] == b'@') {
            return self.table.get(xxh3_64(&b[1..]));
        }
        None
    }

    /// Pools `text` (fast tokenizer, lowercased) into `out` (length [`Self::dim`]): the
    /// L2-normalised weighted mean of its known tokens' vectors, or zeros when no token is
    /// known. Returns the number of known tokens. No allocation in the steady state.
    pub fn pool_into(&self, text: &str, out: &mut [f32]) -> Result<usize> {
        self.pool_with_into(self.pooling, text, out)
    }

    /// [`Self::pool_into`] with `pooling` instead of the table's own (a head can read SIF
    /// vectors while the others read the mean). [`Pooling::Sif`] needs stored weights.
    pub fn pool_with_into(&self, pooling: Pooling, text: &str, out: &mut [f32]) -> Result<usize> {
        self.check_out(out)?;
        self.check_pooling(pooling)?;
        SCRATCH.with(|s| {
            let s = &mut *s.borrow_mut();
            s.tokens.tokenize(text);
            Ok(self.pool_known(
                pooling,
                s.tokens.tokens(),
                s.tokens.keys(),
                &mut s.pool,
                out,
            ))
        })
    }

    /// Like [`Self::pool_into`] for a text already tokenized ([`LowerTokens::tokenize`]; the
    /// featurizer's other parts read the same tokens, so each text is tokenized once).
    pub fn pool_lower_into(&self, tokens: &LowerTokens, out: &mut [f32]) -> Result<usize> {
        self.pool_lower_with_into(self.pooling, tokens, out)
    }

    /// [`Self::pool_lower_into`] with `pooling` instead of the table's own.
    pub fn pool_lower_with_into(
        &self,
        pooling: Pooling,
        tokens: &LowerTokens,
        out: &mut [f32],
    ) -> Result<usize> {
        self.check_out(out)?;
        self.check_pooling(pooling)?;
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            Ok(self.pool_known(pooling, tokens.tokens(), tokens.keys(), &mut s.pool, out))
        })
    }

    fn check_pooling(&self, pooling: Pooling) -> Result<()> {
        if pooling == Pooling::Sif && self.weights.is_none() {
            return Err(Error::InvalidParam {
                name: "pooling",
                value: "Sif".into(),
                msg: "this embeddings table has no per-word weights".into(),
            });
        }
        Ok(())
    }

    fn check_out(&self, out: &[f32]) -> Result<()> {
        if out.len() != self.dim {
            return Err(Error::InvalidParam {
                name: "out",
                value: out.len().to_string(),
                msg: format!("the output slice must have the table's dim {}", self.dim),
            });
        }
        Ok(())
    }

    /// Pools `tokens` (with `keys[i] = xxh3_64(token i)`) into `out`.
    fn pool_known(
        &self,
        pooling: Pooling,
        tokens: &Tokens,
        keys: &[u64],
        b: &mut PoolBufs,
        out: &mut [f32],
    ) -> usize {
        let PoolBufs { rows, bits, row } = b;
        bits.resize(self.dim, 0);
        row.resize(self.dim, 0.0);
        out.fill(0.0);
        // Two passes, so that the memory reads (mostly cache misses: the key table and the
        // matrix outgrow the caches) are requested a few tokens before they are needed.
        // First every token's row, in token order...
        rows.clear();
        for (k, t) in tokens.iter().enumerate() {
            if let Some(&ahead) = keys.get(k + PREFETCH_AHEAD) {
                self.table.prefetch(ahead);
            }
            if let Some(i) = self.token_row(t, keys[k]) {
                rows.push(i);
            }
        }
        // ... then the weighted sum, in the same order as one pass would add them.
        let sif = pooling == Pooling::Sif;
        let n = self.len();
        for (r, &i) in rows.iter().enumerate() {
            if let Some(&ahead) = rows.get(r + PREFETCH_AHEAD) {
                self.prefetch_row(ahead as usize, sif);
            }
            let i = i as usize;
            let w = if sif { self.weight(i) } else { 1.0 };
            if self.dtype == StoredDtype::I8 {
                // Scale and weight folded into one factor, no row buffer: the hot path
                // of the shipped int8 table.
                let s = &self.data[self.matrix_at + i * 4..self.matrix_at + i * 4 + 4];
                let f = w * f32::from_le_bytes([s[0], s[1], s[2], s[3]]);
                let at = self.matrix_at + n * 4 + i * self.dim;
                add_scaled_i8(out, &self.data[at..at + self.dim], f);
            } else {
                self.row_into(i, bits, row);
                for (o, v) in out.iter_mut().zip(row.iter()) {
                    *o += w * v;
                }
            }
        }
        let norm = out.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            out.iter_mut().for_each(|x| *x /= norm);
        }
        rows.len()
    }

    /// Prefetches what pooling reads of row `i`: its stored values, scale and weight.
    #[inline]
    fn prefetch_row(&self, i: usize, sif: bool) {
        let d = self.dim;
        let (n, at) = (self.len(), self.matrix_at);
        let span = match self.dtype {
            StoredDtype::F16 => at + i * d * 2..at + (i + 1) * d * 2,
            StoredDtype::I8 => {
                if let Some(scale) = self.data.get(at + i * 4) {
                    prefetch_read(scale);
                }
                at + n * 4 + i * d..at + n * 4 + (i + 1) * d
            }
        };
        if let Some(b) = self.data.get(span) {
            prefetch_slice(b);
        }
        if let Some(w) = self.weights.as_ref().and_then(|w| w.get(i)) {
            if sif {
                prefetch_read(w);
            }
        }
    }

    /// The `k` words most similar to `word` by cosine (brute force; for inspection and
    /// sanity checks, not the hot path). `None` when `word` is not in the table.
    pub fn nearest(&self, word: &str, k: usize) -> Option<Vec<(&str, f32)>> {
        let q = self.index_of(word)?;
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        let qv = self.row(q);
        let qn = norm(&qv).max(f32::MIN_POSITIVE);
        let (mut bits, mut r) = (vec![0u16; self.dim], vec![0f32; self.dim]);
        let mut sims: Vec<(usize, f32)> = (0..self.len())
            .filter(|&i| i != q)
            .map(|i| {
                self.row_into(i, &mut bits, &mut r);
                let dot: f32 = r.iter().zip(&qv).map(|(a, b)| a * b).sum();
                (i, dot / (qn * norm(&r).max(f32::MIN_POSITIVE)))
            })
            .collect();
        // Highest similarity first; ties by row for determinism.
        sims.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Some(
            sims.into_iter()
                .take(k)
                .map(|(i, s)| (self.word(i), s))
                .collect(),
        )
    }
}

/// Per-thread buffers of pooling: tokens, their keys, and [`PoolBufs`].
#[derive(Default)]
struct Scratch {
    tokens: LowerTokens,
    pool: PoolBufs,
}

/// Buffers of [`Embeddings::pool_known`]: the known tokens' rows and one converted row.
#[derive(Default)]
struct PoolBufs {
    rows: Vec<u32>,
    bits: Vec<u16>,
    row: Vec<f32>,
}

/// `out[d] += f * (q[d] as i8)` for every `d`: the inner loop of int8 pooling.
///
/// On x86-64 CPUs with AVX2 the same loop is compiled for 8 lanes (picked at run time; the
/// default target only has SSE2's 4). Each lane does the multiply and then the add, as the
/// scalar loop does (Rust never fuses them into an FMA), so the sums are bit-identical on
/// every CPU: `add_scaled_i8_reference` is the differential test's reference.
#[inline]
fn add_scaled_i8(out: &mut [f32], q: &[u8], f: f32) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above; std caches the answer).
        unsafe { add_scaled_i8_avx2(out, q, f) };
        return;
    }
    add_scaled_i8_reference(out, q, f)
}

#[inline(always)]
fn add_scaled_i8_reference(out: &mut [f32], q: &[u8], f: f32) {
    for (o, &q) in out.iter_mut().zip(q) {
        *o += f * f32::from(q as i8);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn add_scaled_i8_avx2(out: &mut [f32], q: &[u8], f: f32) {
    add_scaled_i8_reference(out, q, f)
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// True when the little-endian f16 values in `m` include an infinity or NaN (all five
/// exponent bits set). SWAR over u64 words, four values at a time: with `z = (x & E) ^ E`
/// a lane is non-finite iff it is 0, and `z + 0x7FFF` sets the lane's top bit iff it is not
/// (`z <= 0x7C00`, so no carry crosses lanes). Branch-free, so it vectorises; loading
/// checks every value of the matrix with it.
fn has_non_finite_f16(m: &[u8]) -> bool {
    const E: u64 = 0x7C00_7C00_7C00_7C00;
    const ONES: u64 = 0x7FFF_7FFF_7FFF_7FFF;
    const TOP: u64 = 0x8000_8000_8000_8000;
    let words = m.chunks_exact(8);
    let tail = words.remainder();
    let mut acc = 0u64;
    for w in words {
        let x = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        let z = (x & E) ^ E;
        acc |= !(z + ONES) & TOP;
    }
    acc != 0 || tail.chunks_exact(2).any(|p| p[1] & 0x7C == 0x7C)
}

fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|p| f32::from_le_bytes([p[0], p[1], p[2], p[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small table with exactly representable f16 values.
    fn table(weights: bool) -> Embeddings {
        let words = ["peace", "talks", "war", "troops", "russia", "nato"];
        let dim = 4;
        let mut m = Vec::new();
        for i in 0..words.len() {
            for j in 0..dim {
                m.push(((i * dim + j) % 7) as f32 * 0.25 - 0.75);
            }
        }
        let w = weights.then(|| vec![0.5, 0.25, 1.0, 1.0, 0.75, 0.125]);
        Embeddings::from_parts(&words, dim, m, w, r#"{"test":true}"#, StoredDtype::F16).unwrap()
    }

    /// The dispatched int8 accumulation (AVX2 where the CPU has it) gives the scalar
    /// loop's sums bit for bit: lengths around the vector widths, random byte values, running
    /// sums that round.
    #[test]
    fn int8_accumulation_equals_the_scalar_loop_bit_for_bit() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for len in [0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 64, 127, 128, 129, 300] {
            let mut fast: Vec<f32> = (0..len).map(|_| (next() % 1000) as f32 / 7.0).collect();
            let mut reference = fast.clone();
            for _ in 0..20 {
                let q: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                let f = ((next() % 100_000) as f32 - 50_000.0) / 3.3e4;
                add_scaled_i8(&mut fast, &q, f);
                add_scaled_i8_reference(&mut reference, &q, f);
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&fast), bits(&reference), "length {len}");
        }
    }

    fn expect_err(bytes: &[u8], needle: &str) {
        match Embeddings::from_bytes(bytes) {
            Err(Error::Model { msg, .. }) => {
                assert!(msg.contains(needle), "message {msg:?} lacks {needle:?}")
            }
            Err(e) => panic!("wrong error kind: {e}"),
            Ok(_) => panic!("accepted bad data (expected {needle:?})"),
        }
    }

    #[test]
    fn round_trip_is_byte_identical_and_lookups_work() {
        let e = table(true);
        let bytes = e.to_bytes();
        let back = Embeddings::from_bytes(&bytes).unwrap();
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(back.len(), 6);
        assert_eq!(back.dim(), 4);
        assert_eq!(back.word(3), "troops");
        assert_eq!(back.index_of("nato"), Some(5));
        assert_eq!(back.index_of("ceasefire"), None);
        assert_eq!(back.vector("war"), e.vector("war"));
        assert_eq!(back.weight(1), 0.25);
        assert_eq!(back.meta(), r#"{"test":true}"#);
        // Through Read/Write too.
        let mut buf = Vec::new();
        back.write(&mut buf).unwrap();
        assert_eq!(buf, bytes);
        let again = Embeddings::read(&buf[..]).unwrap();
        assert_eq!(again.to_bytes(), bytes);
    }

    #[test]
    fn int8_tables_round_trip_approximately() {
        let e = table(false);
        let words: Vec<&str> = (0..e.len()).map(|i| e.word(i)).collect();
        let m: Vec<f32> = (0..e.len()).flat_map(|i| e.row(i)).collect();
        let q = Embeddings::from_parts(&words, 4, m, None, "", StoredDtype::I8).unwrap();
        let back = Embeddings::from_bytes(&q.to_bytes()).unwrap();
        assert_eq!(back.dtype(), StoredDtype::I8);
        for i in 0..e.len() {
            for (a, b) in e.row(i).iter().zip(back.row(i)) {
                assert!((a - b).abs() <= 0.75 / 127.0 + 1e-6, "{a} vs {b}");
            }
        }
        // Re-quantising the dequantised values gives the same integers.
        let m2: Vec<f32> = (0..back.len()).flat_map(|i| back.row(i)).collect();
        let q2 = Embeddings::from_parts(&words, 4, m2, None, "", StoredDtype::I8).unwrap();
        let ints = |e: &Embeddings| e.as_bytes()[e.as_bytes().len() - e.len() * 4..].to_vec();
        assert_eq!(ints(&q2), ints(&back));
    }

    #[test]
    fn pooling_is_normalised_mean_with_fallbacks() {
        let e = table(true);
        let mut out = vec![0f32; 4];
        let known = e
            .pool_into("Peace TALKS, about Russia's troops!", &mut out)
            .unwrap();
        assert_eq!(known, 4, "peace, talks, russia (via russia's), troops");
        let mut want = vec![0f32; 4];
        for w in ["peace", "talks", "russia", "troops"] {
            for (a, b) in want.iter_mut().zip(e.vector(w).unwrap()) {
                *a += b;
            }
        }
        let n = want.iter().map(|x| x * x).sum::<f32>().sqrt();
        for (a, b) in out.iter().zip(&want) {
            assert!((a - b / n).abs() < 1e-6);
        }
        assert!((out.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-5);
        // Nothing known: zeros, and the stale buffer is overwritten.
        assert_eq!(e.pool_into("ceasefire?", &mut out).unwrap(), 0);
        assert_eq!(out, vec![0.0; 4]);
        // #hashtag / @mention fallbacks.
        assert_eq!(e.pool_into("#nato @troops", &mut out).unwrap(), 2);
        // Wrong output length is an error, not a panic.
        assert!(e.pool_into("peace", &mut [0f32; 3]).is_err());
    }

    #[test]
    fn sif_pooling_uses_weights_and_needs_them() {
        let e = table(true).with_pooling(Pooling::Sif).unwrap();
        let mut out = vec![0f32; 4];
        e.pool_into("nato war", &mut out).unwrap();
        let mut want = vec![0f32; 4];
        for (w, s) in [("nato", 0.125f32), ("war", 1.0)] {
            for (a, b) in want.iter_mut().zip(e.vector(w).unwrap()) {
                *a += s * b;
            }
        }
        let n = want.iter().map(|x| x * x).sum::<f32>().sqrt();
        for (a, b) in out.iter().zip(&want) {
            assert!((a - b / n).abs() < 1e-6);
        }
        assert!(table(false).with_pooling(Pooling::Sif).is_err());
        // The explicit pooling gives the same vector from a mean-pooled table, and the
        // table's own pooling stays the mean.
        let mean = table(true);
        let mut explicit = vec![0f32; 4];
        mean.pool_with_into(Pooling::Sif, "nato war", &mut explicit)
            .unwrap();
        assert_eq!(explicit, out);
        let mut toks = LowerTokens::default();
        toks.tokenize("nato war");
        mean.pool_lower_with_into(Pooling::Sif, &toks, &mut explicit)
            .unwrap();
        assert_eq!(explicit, out);
        let mut plain = vec![0f32; 4];
        mean.pool_into("nato war", &mut plain).unwrap();
        assert_ne!(plain, out);
        assert!(table(false)
            .pool_with_into(Pooling::Sif, "nato war", &mut explicit)
            .is_err());
        assert!(table(false)
            .pool_lower_with_into(Pooling::Sif, &toks, &mut explicit)
            .is_err());
    }

    #[test]
    fn pooling_is_deterministic_across_calls_and_threads() {
        let e = table(true);
        let text = "NATO troops and peace talks; war, war, war.";
        let mut a = vec![0f32; 4];
        e.pool_into(text, &mut a).unwrap();
        let b = std::thread::scope(|s| {
            s.spawn(|| {
                let mut b = vec![0f32; 4];
                e.pool_into(text, &mut b).unwrap();
                b
            })
            .join()
            .unwrap()
        });
        assert_eq!(a, b);
        let mut toks = LowerTokens::default();
        toks.tokenize(text);
        let mut c = vec![0f32; 4];
        e.pool_lower_into(&toks, &mut c).unwrap();
        assert_eq!(a, c);
    }

    #[test]
    fn refuses_corrupt_truncated_and_newer_files() {
        let good = table(true).to_bytes();
        expect_err(&[], "truncated");
        expect_err(&good[..10], "truncated");
        expect_err(&good[..HEADER_LEN - 1], "truncated");
        expect_err(&good[..good.len() - 1], "truncated or padded");
        let mut padded = good.clone();
        padded.push(0);
        expect_err(&padded, "truncated or padded");
        let mut bad = good.clone();
        bad[0] = b'X';
        expect_err(&bad, "bad magic");
        let mut bad = good.clone();
        bad[17] = EMBEDDINGS_FORMAT_VERSION + 1;
        expect_err(&bad, "format version");
        let mut bad = good.clone();
        bad[18] = 9;
        expect_err(&bad, "dtype");
        let mut bad = good.clone();
        bad[19] = 0x80;
        expect_err(&bad, "flags");
        let mut bad = good.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x40; // flip a bit in the matrix
        expect_err(&bad, "checksum");
        // A header whose sizes lie (with a matching checksum) is refused too.
        let mut bad = good.clone();
        bad[25] = bad[25].wrapping_add(1); // n_words + 1
        expect_err(&bad, "do not add up");
        let mut bad = good.clone();
        bad[21] = 0; // dim 0
        bad[22] = 0;
        expect_err(&bad, "dim");
        // Non-finite values (with a valid checksum) are refused.
        let f = StoredDtype::F16;
        let inf = encode(2, "a\nb\n", 2, &[1.0, f32::INFINITY, 0.0, 0.0], None, "", f);
        expect_err(&inf, "not finite");
        let mut w = encode(2, "a\nb\n", 2, &[1.0; 4], Some(&[1.0, f32::NAN]), "", f);
        expect_err(&w, "weight 1 is not finite");
        w.truncate(HEADER_LEN);
        expect_err(&w, "truncated or padded");
        // Every truncation point is refused without a panic.
        for cut in 0..good.len() {
            assert!(
                Embeddings::from_bytes(&good[..cut]).is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn refuses_bad_parts() {
        let m = vec![0.0; 8];
        let f = StoredDtype::F16;
        assert!(Embeddings::from_parts(&["a", "a"], 4, m.clone(), None, "", f).is_err());
        assert!(Embeddings::from_parts(&["a", "b\nc"], 4, m.clone(), None, "", f).is_err());
        assert!(Embeddings::from_parts(&["a", ""], 4, m.clone(), None, "", f).is_err());
        assert!(Embeddings::from_parts(&["a"], 4, m.clone(), None, "", f).is_err());
        assert!(Embeddings::from_parts(&["a", "b"], 4, m.clone(), Some(vec![1.0]), "", f).is_err());
        let mut nan = m.clone();
        nan[3] = f32::NAN;
        assert!(Embeddings::from_parts(&["a", "b"], 4, nan, None, "", f).is_err());
        assert!(Embeddings::from_parts(&["a", "b"], 4, m, None, "", f).is_ok());
    }

    #[test]
    fn f16_scan_finds_every_non_finite_value() {
        // Edge values: ±max finite, subnormal, zero, one; ±inf and NaNs; at every position
        // of buffers whose length is not a multiple of the 8-byte word.
        let finite = [0x7BFFu16, 0xFBFF, 0x0001, 0x0000, 0x3C00, 0x8400];
        let non_finite = [0x7C00u16, 0xFC00, 0x7E00, 0x7C01, 0xFFFF];
        for len in 1..=11 {
            for &f in &finite {
                let ok: Vec<u8> = (0..len).flat_map(|_| f.to_le_bytes()).collect();
                assert!(!has_non_finite_f16(&ok), "{f:x} × {len}");
                for pos in 0..len {
                    for &bad in &non_finite {
                        let bytes: Vec<u8> = (0..len)
                            .flat_map(|i| if i == pos { bad } else { f }.to_le_bytes())
                            .collect();
                        assert!(has_non_finite_f16(&bytes), "{bad:x} at {pos} of {len}");
                    }
                }
            }
        }
    }

    #[test]
    fn nearest_ranks_by_cosine() {
        let words = ["a", "b", "c"];
        let m = vec![1.0, 0.0, 0.9, 0.1, 0.0, 1.0];
        let e = Embeddings::from_parts(&words, 2, m, None, "", StoredDtype::F16).unwrap();
        let nn = e.nearest("a", 2).unwrap();
        assert_eq!(nn[0].0, "b");
        assert_eq!(nn[1].0, "c");
        assert!(e.nearest("zzz", 2).is_none());
    }
}
