//! Word and character n-gram TF-IDF vectorizer: fit a pruned vocabulary and IDF on a training
//! corpus, then turn documents into L2-normalised sparse rows (CSR), in parallel.
//!
//! # Features and their hashes (the model format depends on this)
//!
//! Every feature has a **name**, a UTF-8 string, and a **key** `xxh3_64(name bytes)` (XXH3
//! 64-bit, seed 0, `xxhash_rust::xxh3::xxh3_64`). Names are:
//!
//! * word n-gram: `"w:"` + the n tokens joined by one space, e.g. `w:tax cuts`;
//! * char n-gram: `"c:"` + n consecutive chars (Unicode scalar values) of a token padded with
//!   one space on each side, e.g. token `tax` gives `c: t`, `c:ta`, `c:ax`, `c:x `, `c: ta`, … —
//!   like scikit-learn's `char_wb`, but over the tokenizer's tokens instead of
//!   whitespace-separated chunks, and a padded token shorter than n yields no n-gram of
//!   length n (scikit-learn repeats the whole padded word for each such n).
//!
//! Keys are computed incrementally into a reused byte buffer on the hot path; nothing is
//! allocated per token. Only the kept vocabulary's names are saved; keys are recomputed from
//! them on load (and checked for uniqueness).
//!
//! # Fitting
//!
//! Document frequency (df) is counted per key. A feature is kept when `df >= min_df` and
//! `df <= max_df × n_docs`; with `max_features = Some(k)` the `k` features with the highest df
//! are kept (ties: smaller name first). Columns are the kept features **sorted by name**
//! (byte order), so column order is deterministic. If two names ever share a key, the
//! smaller name names the column. IDF is the smooth variant of scikit-learn:
//! `idf = ln((1 + n_docs) / (1 + df)) + 1`, learned from the fit corpus only.
//!
//! # Transforming
//!
//! A row's value for column `j` is `tf × idf[j]`, where `tf` is the raw count, or
//! `1 + ln(count)` with `sublinear_tf`; the row is then scaled to unit L2 norm (a document with
//! no known feature is an empty row). Unknown features are ignored.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use super::key_table::{KeyTable, EMPTY};
use super::tokenize::{Tokenizer, TokenizerKind, Tokens};
use crate::{Error, Result};

/// Namespace prefix of word n-gram feature names.
pub const WORD_PREFIX: &str = "w:";
/// Namespace prefix of character n-gram feature names.
pub const CHAR_PREFIX: &str = "c:";
/// Largest n accepted for word and char n-grams (keeps feature names bounded).
pub const MAX_NGRAM: usize = 16;

/// The key of a feature name: `xxh3_64` (seed 0) of its UTF-8 bytes.
#[inline]
pub fn feature_key(name: &str) -> u64 {
    xxh3_64(name.as_bytes())
}

/// Settings of a [`Vectorizer`]; saved with the model.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct VectorizerConfig {
    /// Tokenizer. Default `Fast { lowercase: true }`.
    pub tokenizer: TokenizerKind,
    /// Inclusive range of word n-gram lengths. Default `(1, 2)`; `(0, 0)` disables word
    /// n-grams.
    pub word_ngrams: (usize, usize),
    /// Inclusive range of char n-gram lengths (within padded tokens), or `None`. Default
    /// `None`: char n-grams cost ~5× more time and features, and help mainly on short,
    /// noisy text such as tweets.
    pub char_ngrams: Option<(usize, usize)>,
    /// Minimum document frequency (absolute count) to keep a feature. Default 2.
    pub min_df: usize,
    /// Maximum document frequency as a fraction of the documents, in (0, 1]. Default 1.0.
    pub max_df: f32,
    /// Keep at most this many features (highest df first). Default `None`.
    pub max_features: Option<usize>,
    /// Use `1 + ln(count)` instead of the raw count. Default true.
    pub sublinear_tf: bool,
}

impl Default for VectorizerConfig {
    fn default() -> Self {
        VectorizerConfig {
            tokenizer: TokenizerKind::default(),
            word_ngrams: (1, 2),
            char_ngrams: None,
            min_df: 2,
            max_df: 1.0,
            max_features: None,
            sublinear_tf: true,
        }
    }
}

fn bad(name: &'static str, value: impl std::fmt::Debug, msg: &str) -> Error {
    Error::InvalidParam {
        name,
        value: format!("{value:?}"),
        msg: msg.to_string(),
    }
}

impl VectorizerConfig {
    /// True when word n-grams are enabled.
    pub fn uses_words(&self) -> bool {
        self.word_ngrams != (0, 0)
    }

    /// Checks ranges; also parses a Hugging Face tokenizer json.
    pub fn validate(&self) -> Result<()> {
        let ok_range = |(lo, hi): (usize, usize)| 1 <= lo && lo <= hi && hi <= MAX_NGRAM;
        if self.uses_words() && !ok_range(self.word_ngrams) {
            return Err(bad(
                "word_ngrams",
                self.word_ngrams,
                "need 1 <= min <= max <= 16, or (0, 0) to disable",
            ));
        }
        if let Some(r) = self.char_ngrams {
            if !ok_range(r) {
                return Err(bad("char_ngrams", r, "need 1 <= min <= max <= 16"));
            }
        }
        if !self.uses_words() && self.char_ngrams.is_none() {
            return Err(bad(
                "word_ngrams",
                self.word_ngrams,
                "word and char n-grams are both disabled: no features",
            ));
        }
        if self.min_df == 0 {
            return Err(bad("min_df", self.min_df, "must be at least 1"));
        }
        if !(self.max_df > 0.0 && self.max_df <= 1.0) {
            return Err(bad("max_df", self.max_df, "must be in (0, 1]"));
        }
        if self.max_features == Some(0) {
            return Err(bad("max_features", self.max_features, "must be at least 1"));
        }
        if let TokenizerKind::HuggingFace(_) = self.tokenizer {
            Tokenizer::new(&self.tokenizer)?;
        }
        Ok(())
    }
}

/// A sparse row: sorted column indices and their values (L2-normalised by the vectorizer).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SparseRow {
    /// Column indices, strictly increasing.
    pub indices: Vec<u32>,
    /// Values, one per index.
    pub values: Vec<f32>,
}

impl SparseRow {
    /// An empty row.
    pub fn new() -> SparseRow {
        SparseRow::default()
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }
}

/// Hasher for keys that are already xxh3 hashes: passes the u64 through. Deterministic, and
/// the maps using it are never iterated into outputs. Shared by every xxh3-keyed map of the
/// crate (vectorizer, valence lexicons, topic lexicon).
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not used for u64 keys; fold anything else so it still works.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = x;
    }
}

/// A map keyed by xxh3 hashes.
pub(crate) type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

/// Buffers for building feature names: the current name, a padded token, char bounds.
#[derive(Default)]
struct FeatBufs {
    key: Vec<u8>,
    pad: Vec<u8>,
    bounds: Vec<usize>,
}

/// Reused per-thread buffers of the hot path.
#[derive(Default)]
struct Scratch {
    tokens: Tokens,
    bufs: FeatBufs,
    /// Feature or token keys of one document.
    keys: Vec<u64>,
    /// Transform: count per column (all zero between documents) and the columns touched.
    counts: Vec<u32>,
    touched: Vec<u32>,
    /// Bitmap over columns used by [`sort_columns`] (all zero between documents).
    bits: Vec<u64>,
    cache: TokenCache,
}

/// Sorts distinct column indices. When they are dense within their range (long documents),
/// setting bits and reading them back in order beats a comparison sort; `bits` is left all
/// zero.
fn sort_columns(cols: &mut Vec<u32>, bits: &mut Vec<u64>) {
    let n = cols.len();
    if n < 2 {
        return;
    }
    let (mut lo, mut hi) = (u32::MAX, 0u32);
    for &c in cols.iter() {
        lo = lo.min(c);
        hi = hi.max(c);
    }
    let (wlo, whi) = ((lo >> 6) as usize, (hi >> 6) as usize);
    if whi - wlo + 1 > n * 8 {
        cols.sort_unstable();
        return;
    }
    if bits.len() <= whi {
        bits.resize(whi + 1, 0);
    }
    for &c in cols.iter() {
        bits[(c >> 6) as usize] |= 1u64 << (c & 63);
    }
    cols.clear();
    for (w, word) in bits.iter_mut().enumerate().take(whi + 1).skip(wlo) {
        let mut x = std::mem::take(word);
        while x != 0 {
            cols.push(((w as u32) << 6) | x.trailing_zeros());
            x &= x - 1;
        }
    }
}

/// Runs `f` with this thread's scratch space (reused across calls, so the hot path does not
/// allocate in the steady state).
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
    }
    SCRATCH.with(|sc| match sc.try_borrow_mut() {
        Ok(mut sc) => f(&mut sc),
        // Only reachable on re-entrant use; a fresh buffer is correct, just slower.
        Err(_) => f(&mut Scratch::default()),
    })
}

/// Source of [`Vectorizer`] ids, which key the per-thread char n-gram caches.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Calls `emit(key, name_bytes)` for every feature occurrence of the tokens, in order: word
/// n-grams by start token then length, then char n-grams by token, length, start.
#[inline]
fn for_each_feature(
    cfg: &VectorizerConfig,
    tokens: &Tokens,
    bufs: &mut FeatBufs,
    mut emit: impl FnMut(u64, &[u8]),
) {
    word_features(
        cfg,
        tokens,
        tokens.len(),
        &mut bufs.key,
        1,
        usize::MAX,
        &mut emit,
    );
    if let Some(range) = cfg.char_ngrams {
        for t in tokens.iter() {
            char_features(t, range, bufs, &mut emit);
        }
    }
}

/// The word n-grams of `tokens` of `min_n..=max_n` words (within the configured range) that
/// start in its first `starts` tokens (they may run past them; see [`for_each_feature`]).
#[inline]
fn word_features(
    cfg: &VectorizerConfig,
    tokens: &Tokens,
    starts: usize,
    key: &mut Vec<u8>,
    min_n: usize,
    max_n: usize,
    mut emit: impl FnMut(u64, &[u8]),
) {
    if !cfg.uses_words() {
        return;
    }
    let ntok = tokens.len();
    let (lo, hi) = cfg.word_ngrams;
    let (lo, hi) = (lo.max(min_n), hi.min(max_n));
    if lo > hi {
        return;
    }
    for i in 0..starts.min(ntok) {
        key.clear();
        key.extend_from_slice(WORD_PREFIX.as_bytes());
        key.extend_from_slice(tokens.get(i).as_bytes());
        if lo <= 1 {
            emit(xxh3_64(key), key);
        }
        for n in 2..=hi {
            if i + n > ntok {
                break;
            }
            key.push(b' ');
            key.extend_from_slice(tokens.get(i + n - 1).as_bytes());
            if n >= lo {
                emit(xxh3_64(key), key);
            }
        }
    }
}

/// The char n-grams of one token (see [`for_each_feature`]).
#[inline]
fn char_features(
    t: &str,
    (lo, hi): (usize, usize),
    bufs: &mut FeatBufs,
    mut emit: impl FnMut(u64, &[u8]),
) {
    let p = CHAR_PREFIX.len();
    let FeatBufs { key, pad, bounds } = bufs;
    key.clear();
    key.extend_from_slice(CHAR_PREFIX.as_bytes());
    pad.clear();
    pad.push(b' ');
    pad.extend_from_slice(t.as_bytes());
    pad.push(b' ');
    if t.is_ascii() {
        let m = pad.len();
        for n in lo..=hi.min(m) {
            for s in 0..=(m - n) {
                key.truncate(p);
                key.extend_from_slice(&pad[s..s + n]);
                emit(xxh3_64(key), key);
            }
        }
    } else {
        // Char starts of the padded token, plus its end.
        bounds.clear();
        bounds.push(0);
        bounds.extend(t.char_indices().map(|(i, _)| i + 1));
        bounds.push(pad.len() - 1);
        bounds.push(pad.len());
        let m = bounds.len() - 1; // chars in the padded token
        for n in lo..=hi.min(m) {
            for s in 0..=(m - n) {
                key.truncate(p);
                key.extend_from_slice(&pad[bounds[s]..bounds[s + n]]);
                emit(xxh3_64(key), key);
            }
        }
    }
}

/// Feature names in column order, back to back in one string: a vocabulary is ~100k short
/// names, and allocating and freeing one `String` each was a sixth of parsing it (`perf`).
/// Serialized as a list of strings.
#[derive(Clone, Default, PartialEq)]
pub(crate) struct Names {
    text: String,
    /// End byte of each name in `text`.
    ends: Vec<u32>,
}

impl Names {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Name `i`. Panics if out of range.
    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Appends `name`; errors when the names outgrow 4 GiB.
    fn push(&mut self, name: &str) -> std::result::Result<(), String> {
        self.text.push_str(name);
        let end = u32::try_from(self.text.len()).map_err(|_| "feature names too long")?;
        self.ends.push(end);
        Ok(())
    }
}

impl Serialize for Names {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Names, D::Error> {
        use serde::de::{DeserializeSeed, SeqAccess, Visitor};
        /// One name, appended to the list as it is read (no `String` per name).
        struct Append<'a>(&'a mut Names);
        impl<'de> DeserializeSeed<'de> for Append<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> std::result::Result<(), D::Error> {
                d.deserialize_str(self)
            }
        }
        impl Visitor<'_> for Append<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a feature name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<(), E> {
                self.0.push(v).map_err(E::custom)
            }
        }
        struct List;
        impl<'de> Visitor<'de> for List {
            type Value = Names;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of feature names")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Names, A::Error> {
                let mut names = Names::default();
                names.ends.reserve(seq.size_hint().unwrap_or(0));
                while seq.next_element_seed(Append(&mut names))?.is_some() {}
                Ok(names)
            }
        }
        d.deserialize_seq(List)
    }
}

/// Scales `row` to unit L2 norm (a zero row stays zero).
fn normalize(row: &mut [f32]) {
    let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        let inv = 1.0 / norm;
        row.iter_mut().for_each(|v| *v *= inv);
    }
}

/// Per column of `names`: the words of a word n-gram (`w:a b` → 2; tokens hold no spaces),
/// 0 for a char n-gram.
fn column_words(names: &Names) -> Vec<u8> {
    // Over the names' bytes (every model load runs this on ~100k names).
    let text = names.text.as_bytes();
    let mut start = 0;
    names
        .ends
        .iter()
        .map(|&end| {
            let name = &text[start..end as usize];
            start = end as usize;
            match name.strip_prefix(WORD_PREFIX.as_bytes()) {
                Some(words) => {
                    let spaces = words.iter().filter(|&&b| b == b' ').count();
                    u8::try_from(1 + spaces).unwrap_or(u8::MAX)
                }
                None => 0,
            }
        })
        .collect()
}

/// The feature-key → column table for `names` (column = position); errors on a key collision.
fn column_table(names: &Names) -> std::result::Result<KeyTable, String> {
    if names.len() >= EMPTY as usize {
        return Err("too many features".into());
    }
    // Load factor <= 2/3 keeps linear probes short.
    let mut t = KeyTable::with_min_slots(names.len() * 3 / 2 + 1);
    // Keys are hashed a few ahead of their insertion, so that the slots they land in (each a
    // cache miss in a vocabulary-sized table) are fetched from memory in parallel.
    let mut keys = [0u64; PREFETCH_AHEAD];
    for first in (0..names.len()).step_by(PREFETCH_AHEAD) {
        let cols = first..(first + PREFETCH_AHEAD).min(names.len());
        for (key, col) in keys.iter_mut().zip(cols.clone()) {
            *key = feature_key(names.get(col));
            t.prefetch(*key);
        }
        for (&key, col) in keys.iter().zip(cols) {
            if let Err(c) = t.insert(key, col as u32) {
                return Err(format!(
                    "features {:?} and {:?} have the same key",
                    names.get(col),
                    names.get(c as usize)
                ));
            }
        }
    }
    Ok(t)
}

/// Issues a prefetch of the cache line holding `x` (no-op off x86-64).
#[inline(always)]
pub(crate) fn prefetch_read<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` only needs SSE, which every x86-64 CPU has; a prefetch never
    // faults and does not change memory, and the pointer comes from a valid reference.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// Prefetches every cache line of `s` (its first and last element and each 64 bytes
/// between).
#[inline(always)]
pub(crate) fn prefetch_slice<T>(s: &[T]) {
    let step = (64 / std::mem::size_of::<T>().max(1)).max(1);
    for x in s.iter().step_by(step) {
        prefetch_read(x);
    }
    if let Some(x) = s.last() {
        prefetch_read(x);
    }
}

/// How many probes ahead to prefetch (also used by the embeddings and the model's blocks).
pub(crate) const PREFETCH_AHEAD: usize = 8;

/// Longest token (bytes) kept in a [`TokenCache`] entry; longer tokens are recomputed.
const CACHED_TOKEN_MAX: usize = 27;

/// One direct-mapped [`TokenCache`] entry; `len == 0` means empty.
#[derive(Clone, Copy)]
struct TokenEntry {
    len: u8,
    bytes: [u8; CACHED_TOKEN_MAX],
    /// Column of the word unigram, or `EMPTY`.
    unigram: u32,
    /// The token's known char n-gram columns: `cols[start..start + count]` of the cache.
    start: u32,
    count: u32,
}

const EMPTY_ENTRY: TokenEntry = TokenEntry {
    len: 0,
    bytes: [0; CACHED_TOKEN_MAX],
    unigram: EMPTY,
    start: 0,
    count: 0,
};

/// Per-thread memo of what a token contributes on its own (its word unigram column and its
/// known char n-gram columns) for one vectorizer. Tokens follow Zipf's law, so most lookups
/// hit, saving ~25 hash-table probes per token with char 2–5 grams. A cached value is a pure
/// function of the token, so results never depend on the cache's state.
#[derive(Default)]
struct TokenCache {
    /// Id of the vectorizer the entries belong to (0: none).
    owner: u64,
    entries: Vec<TokenEntry>,
    cols: Vec<u32>,
}

/// Direct-mapped entries in a [`TokenCache`] (a power of two).
const CACHE_ENTRIES: usize = 1 << 16;
/// The column arena is emptied (with all entries) past this size, bounding memory.
const CACHE_MAX_COLS: usize = 1 << 22;

impl TokenCache {
    fn reset_for(&mut self, owner: u64) {
        if self.owner != owner || self.cols.len() >= CACHE_MAX_COLS || self.entries.is_empty() {
            self.owner = owner;
            self.entries.clear();
            self.entries.resize(CACHE_ENTRIES, EMPTY_ENTRY);
            self.cols.clear();
        }
    }
}

/// A document's raw feature counts, kept by one [`Vectorizer`] so that a longer text ending
/// with the document is vectorized without counting it again
/// ([`Vectorizer::transform_tokens_before`]).
#[derive(Clone, Debug, Default)]
pub struct FeatureCounts {
    /// The id of the vectorizer that counted (0: none).
    owner: u64,
    /// (column, count) in no particular order.
    cells: Vec<(u32, u32)>,
}

impl FeatureCounts {
    /// Forgets the counts (they then belong to no vectorizer).
    pub fn clear(&mut self) {
        self.owner = 0;
        self.cells.clear();
    }

    /// True when `v` kept these counts.
    pub fn is_of(&self, v: &Vectorizer) -> bool {
        self.owner != 0 && self.owner == v.id
    }
}

/// A fitted vectorizer: config, kept vocabulary (names in column order) and IDF per column.
///
/// Serde form (`VectorizerFile`): `{format, hash, config, n_docs, names, idf}`; the key →
/// column map is rebuilt on load.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "VectorizerFile", into = "VectorizerFile")]
pub struct Vectorizer {
    config: VectorizerConfig,
    tokenizer: Tokenizer,
    names: Names,
    idf: Vec<f32>,
    n_docs: usize,
    index: KeyTable,
    /// Per column: the words of a word n-gram, 0 for a char n-gram (not saved; derived from
    /// the names), so that one counting pass can also give a row without longer n-grams.
    words: Vec<u8>,
    /// Identifies this vocabulary for the per-thread caches (not saved).
    id: u64,
}

impl std::fmt::Debug for Vectorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vectorizer")
            .field("config", &self.config)
            .field("n_features", &self.names.len())
            .field("n_docs", &self.n_docs)
            .finish()
    }
}

/// Format tag written into saved vectorizers.
pub const VECTORIZER_FORMAT: &str = "stance-vectorizer/1";
/// Hash description written into saved vectorizers.
pub const VECTORIZER_HASH: &str = "xxh3_64(utf8 feature name), seed 0";

/// The on-disk form of a [`Vectorizer`].
#[derive(Serialize, Deserialize)]
struct VectorizerFile {
    format: String,
    hash: String,
    config: VectorizerConfig,
    n_docs: usize,
    names: Names,
    idf: Vec<f32>,
}

impl From<Vectorizer> for VectorizerFile {
    fn from(v: Vectorizer) -> Self {
        VectorizerFile {
            format: VECTORIZER_FORMAT.into(),
            hash: VECTORIZER_HASH.into(),
            config: v.config,
            n_docs: v.n_docs,
            names: v.names,
            idf: v.idf,
        }
    }
}

impl TryFrom<VectorizerFile> for Vectorizer {
    type Error = String;
    fn try_from(f: VectorizerFile) -> std::result::Result<Self, String> {
        if f.format != VECTORIZER_FORMAT {
            return Err(format!(
                "unsupported vectorizer format {:?} (expected {VECTORIZER_FORMAT:?})",
                f.format
            ));
        }
        if f.hash != VECTORIZER_HASH {
            return Err(format!("unsupported feature hash {:?}", f.hash));
        }
        f.config.validate().map_err(|e| e.to_string())?;
        if f.names.len() != f.idf.len() {
            return Err(format!(
                "{} feature names but {} idf values",
                f.names.len(),
                f.idf.len()
            ));
        }
        if f.names.is_empty() {
            return Err("empty vocabulary".into());
        }
        if let Some(i) = (1..f.names.len()).find(|&i| f.names.get(i - 1) >= f.names.get(i)) {
            return Err(format!(
                "feature names not strictly sorted near {:?}",
                f.names.get(i)
            ));
        }
        if let Some(x) = f.idf.iter().find(|x| !x.is_finite() || **x <= 0.0) {
            return Err(format!("bad idf value {x}"));
        }
        let tokenizer = Tokenizer::new(&f.config.tokenizer).map_err(|e| e.to_string())?;
        let index = column_table(&f.names)?;
        let words = column_words(&f.names);
        Ok(Vectorizer {
            config: f.config,
            tokenizer,
            names: f.names,
            idf: f.idf,
            n_docs: f.n_docs,
            index,
            words,
            id: next_id(),
        })
    }
}

/// Documents per parallel task: big enough to amortise scheduling, small enough to balance.
const CHUNK: usize = 64;

impl Vectorizer {
    /// Learns the vocabulary and IDF from `docs` (see the module docs).
    ///
    /// Errors: invalid config, no documents, or no feature surviving the df pruning.
    pub fn fit(config: &VectorizerConfig, docs: &[&str]) -> Result<Vectorizer> {
        config.validate()?;
        if docs.is_empty() {
            return Err(Error::Training("vectorizer: no documents to fit".into()));
        }
        let tokenizer = Tokenizer::new(&config.tokenizer)?;
        let n = docs.len();

        // Pass 1: document frequency per key.
        let df: KeyMap<u32> = docs
            .par_chunks(CHUNK)
            .fold(
                || (KeyMap::<u32>::default(), Scratch::default()),
                |(mut df, mut sc), chunk| {
                    for doc in chunk {
                        let Scratch {
                            tokens, bufs, keys, ..
                        } = &mut sc;
                        tokenizer.tokenize_into(doc, tokens);
                        keys.clear();
                        for_each_feature(config, tokens, bufs, |h, _| keys.push(h));
                        keys.sort_unstable();
                        keys.dedup();
                        for &h in keys.iter() {
                            *df.entry(h).or_insert(0) += 1;
                        }
                    }
                    (df, sc)
                },
            )
            .map(|(df, _)| df)
            .reduce(KeyMap::default, merge_add);

        let max_count = f64::from(config.max_df) * n as f64;
        let kept: KeyMap<u32> = df
            .into_iter()
            .filter(|&(_, d)| d as usize >= config.min_df && f64::from(d) <= max_count)
            .collect();
        if kept.is_empty() {
            return Err(Error::Training(format!(
                "vectorizer: no feature occurs in at least min_df = {} of {} documents (max_df = {})",
                config.min_df, n, config.max_df
            )));
        }

        // Pass 2: names of the kept keys (smallest name wins should two names share a key).
        let named: KeyMap<String> = docs
            .par_chunks(CHUNK)
            .fold(
                || (KeyMap::<String>::default(), Scratch::default()),
                |(mut names, mut sc), chunk| {
                    for doc in chunk {
                        let Scratch { tokens, bufs, .. } = &mut sc;
                        tokenizer.tokenize_into(doc, tokens);
                        for_each_feature(config, tokens, bufs, |h, name| {
                            if !kept.contains_key(&h) {
                                return;
                            }
                            // Names are built from &str pieces and ASCII separators.
                            let name = String::from_utf8_lossy(name);
                            match names.get_mut(&h) {
                                Some(old) if **old <= *name => {}
                                Some(old) => *old = name.into_owned(),
                                None => {
                                    names.insert(h, name.into_owned());
                                }
                            }
                        });
                    }
                    (names, sc)
                },
            )
            .map(|(names, _)| names)
            .reduce(KeyMap::default, merge_min);

        let mut feats: Vec<(String, u32)> = named
            .into_iter()
            .map(|(h, name)| (name, kept[&h]))
            .collect();
        if let Some(k) = config.max_features {
            if feats.len() > k {
                feats.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                feats.truncate(k);
            }
        }
        feats.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let idf = feats
            .iter()
            .map(|&(_, d)| (((1.0 + n as f64) / (1.0 + f64::from(d))).ln() + 1.0) as f32)
            .collect();
        let mut names = Names::default();
        for (name, _) in &feats {
            names.push(name).map_err(Error::Training)?;
        }
        let index = column_table(&names).map_err(Error::Training)?;
        let words = column_words(&names);
        Ok(Vectorizer {
            config: config.clone(),
            tokenizer,
            names,
            idf,
            n_docs: n,
            index,
            words,
            id: next_id(),
        })
    }

    /// Transforms documents into an `n_docs × n_features` CSR matrix with L2-normalised rows,
    /// in parallel over documents (rayon's current pool).
    pub fn transform(&self, docs: &[&str]) -> sprs::CsMat<f32> {
        let parts: Vec<(Vec<usize>, Vec<usize>, Vec<f32>)> = docs
            .par_chunks(CHUNK)
            .map(|chunk| {
                with_scratch(|sc| {
                    let mut lens = Vec::with_capacity(chunk.len());
                    let mut idx32 = Vec::new();
                    let mut vals = Vec::new();
                    for doc in chunk {
                        let before = idx32.len();
                        self.row_into(doc, usize::MAX, sc, &mut idx32, &mut vals);
                        lens.push(idx32.len() - before);
                    }
                    let idx = idx32.into_iter().map(|c| c as usize).collect();
                    (lens, idx, vals)
                })
            })
            .collect();
        let nnz: usize = parts.iter().map(|p| p.1.len()).sum();
        let mut indptr = Vec::with_capacity(docs.len() + 1);
        let mut indices = Vec::with_capacity(nnz);
        let mut data = Vec::with_capacity(nnz);
        indptr.push(0);
        for (lens, idx, vals) in parts {
            for l in lens {
                indptr.push(indptr[indptr.len() - 1] + l);
            }
            indices.extend_from_slice(&idx);
            data.extend_from_slice(&vals);
        }
        sprs::CsMat::new((docs.len(), self.n_features()), indptr, indices, data)
    }

    /// Transforms one document into `row` (cleared first). Buffers are reused: no allocation
    /// in the steady state once `row` and this thread's scratch space have grown.
    pub fn transform_one(&self, doc: &str, row: &mut SparseRow) {
        row.indices.clear();
        row.values.clear();
        with_scratch(|sc| self.row_into(doc, usize::MAX, sc, &mut row.indices, &mut row.values));
    }

    /// Like [`Self::transform_one`] for a document already tokenized, so that a text read by
    /// several feature parts is tokenized once. `tokens` must come from this vectorizer's
    /// tokenizer ([`Self::tokenizer`]; for the default `Fast { lowercase: true }`,
    /// [`super::LowerTokens::tokenize`] gives the same tokens), or the row means nothing.
    pub fn transform_tokens(&self, tokens: &Tokens, row: &mut SparseRow) {
        row.indices.clear();
        row.values.clear();
        with_scratch(|sc| {
            self.tokens_row_into(tokens, usize::MAX, sc, &mut row.indices, &mut row.values)
        });
    }

    /// Like [`Self::transform_tokens`] without the word n-grams longer than `max_words` words
    /// (char n-grams are kept): the row the same vocabulary gives when a part reads single
    /// words only (`text_unigrams`, `context_unigrams`), L2-normalised over what it keeps.
    pub fn transform_tokens_upto(&self, tokens: &Tokens, max_words: usize, row: &mut SparseRow) {
        row.indices.clear();
        row.values.clear();
        with_scratch(|sc| {
            self.tokens_row_into(tokens, max_words, sc, &mut row.indices, &mut row.values)
        })
    }

    /// [`Self::transform_tokens`] into `full` and [`Self::transform_tokens_upto`] into
    /// `upto`, bit for bit, from one counting pass: a part read with and without its longer
    /// n-grams (`text` and `text_unigrams`) hashes and looks up each n-gram once. For tokens
    /// of the fast tokenizer (no spaces inside a token, so a column's words are its name's).
    pub fn transform_tokens_and_upto(
        &self,
        tokens: &Tokens,
        max_words: usize,
        full: &mut SparseRow,
        upto: &mut SparseRow,
    ) {
        for row in [&mut *full, &mut *upto] {
            row.indices.clear();
            row.values.clear();
        }
        with_scratch(|sc| {
            self.start_counts(sc);
            self.count_words_into(tokens, tokens.len(), usize::MAX, sc);
            let SparseRow { indices, values } = full;
            self.finish_split_into(sc, indices, values, Some((max_words, upto)));
        })
    }

    /// [`Self::transform_tokens_upto`] of a document tokenized by this vectorizer.
    pub fn transform_one_upto(&self, doc: &str, max_words: usize, row: &mut SparseRow) {
        row.indices.clear();
        row.values.clear();
        with_scratch(|sc| self.row_into(doc, max_words, sc, &mut row.indices, &mut row.values));
    }

    /// The raw feature counts of a tokenized document (for [`Self::transform_counts`] and
    /// [`Self::transform_tokens_before`]).
    pub fn count_tokens(&self, tokens: &Tokens, counts: &mut FeatureCounts) {
        with_scratch(|sc| {
            self.start_counts(sc);
            self.count_into(tokens, tokens.len(), sc);
            self.keep_counts(sc, counts);
            // Zero the scratch counts again.
            for &c in &sc.touched {
                sc.counts[c as usize] = 0;
            }
            sc.touched.clear();
        })
    }

    /// The row of the document whose counts `counts` keeps: exactly
    /// [`Self::transform_tokens`] of its tokens. Counts kept by another vectorizer give an
    /// empty row.
    pub fn transform_counts(&self, counts: &FeatureCounts, row: &mut SparseRow) {
        row.indices.clear();
        row.values.clear();
        if !counts.is_of(self) {
            return;
        }
        with_scratch(|sc| {
            self.start_counts(sc);
            self.add_counts(counts, sc);
            self.finish_into(sc, &mut row.indices, &mut row.values);
        })
    }

    /// The row of `tokens` when `rest` keeps the counts of `tokens[starts..]`: only the
    /// features that start in the first `starts` tokens are counted again (a text that ends
    /// with one already vectorized, like a quote's wide context and its context). Exactly
    /// [`Self::transform_tokens`]`(tokens)`; when `rest` was kept by another vectorizer, all
    /// of `tokens` is counted.
    pub fn transform_tokens_before(
        &self,
        tokens: &Tokens,
        starts: usize,
        rest: &FeatureCounts,
        row: &mut SparseRow,
    ) {
        row.indices.clear();
        row.values.clear();
        with_scratch(|sc| {
            self.start_counts(sc);
            if rest.is_of(self) && starts <= tokens.len() {
                self.count_into(tokens, starts, sc);
                self.add_counts(rest, sc);
            } else {
                self.count_into(tokens, tokens.len(), sc);
            }
            self.finish_into(sc, &mut row.indices, &mut row.values);
        })
    }

    /// Appends one document's row (word n-grams of at most `max_words` words) to
    /// `indices`/`values`.
    fn row_into(
        &self,
        doc: &str,
        max_words: usize,
        sc: &mut Scratch,
        indices: &mut Vec<u32>,
        values: &mut Vec<f32>,
    ) {
        // Moved out and back (no copy) so the rest of the scratch stays borrowable.
        let mut tokens = std::mem::take(&mut sc.tokens);
        self.tokenizer.tokenize_into(doc, &mut tokens);
        self.tokens_row_into(&tokens, max_words, sc, indices, values);
        sc.tokens = tokens;
    }

    /// Appends the row of a tokenized document (word n-grams of at most `max_words` words)
    /// to `indices`/`values`.
    fn tokens_row_into(
        &self,
        tokens: &Tokens,
        max_words: usize,
        sc: &mut Scratch,
        indices: &mut Vec<u32>,
        values: &mut Vec<f32>,
    ) {
        self.start_counts(sc);
        self.count_words_into(tokens, tokens.len(), max_words, sc);
        self.finish_into(sc, indices, values);
    }

    /// Clears the per-document counts of `sc` for a new row.
    fn start_counts(&self, sc: &mut Scratch) {
        if sc.counts.len() < self.names.len() {
            sc.counts.resize(self.names.len(), 0);
        }
        sc.touched.clear();
    }

    /// Counts the features that start in the first `starts` tokens of `tokens` (word n-grams
    /// may run past them) into `sc.counts` / `sc.touched`.
    fn count_into(&self, tokens: &Tokens, starts: usize, sc: &mut Scratch) {
        self.count_words_into(tokens, starts, usize::MAX, sc)
    }

    /// [`Self::count_into`] without the word n-grams longer than `max_words` words.
    fn count_words_into(&self, tokens: &Tokens, starts: usize, max_words: usize, sc: &mut Scratch) {
        let Scratch {
            bufs,
            keys,
            counts,
            touched,
            cache,
            ..
        } = sc;
        let index = &self.index;
        let mut add = |c: u32| {
            let k = &mut counts[c as usize];
            if *k == 0 {
                touched.push(c);
            }
            *k += 1;
        };
        let cfg = &self.config;
        // With char n-grams, per-token features (unigram, char n-grams) go through the
        // token cache and longer word n-grams are probed directly. Without, all word n-grams
        // are probed directly: one probe per unigram either way, and the cache's memory
        // would only compete with the column table for the CPU caches.
        let cached = cfg.char_ngrams.is_some();
        let unigrams = cached && cfg.uses_words() && cfg.word_ngrams.0 <= 1 && max_words >= 1;
        if cached {
            cache.reset_for(self.id);
            // Hash first, probe after: independent probes let the CPU overlap cache misses.
            keys.clear();
            keys.extend(tokens.iter().take(starts).map(|t| xxh3_64(t.as_bytes())));
            for (i, (t, &h)) in tokens.iter().zip(keys.iter()).enumerate() {
                if let Some(&ahead) = keys.get(i + PREFETCH_AHEAD) {
                    prefetch_read(&cache.entries[(ahead as usize) & (CACHE_ENTRIES - 1)]);
                }
                let tb = t.as_bytes();
                let slot = (h as usize) & (CACHE_ENTRIES - 1);
                let e = cache.entries[slot];
                // Fixed-size compare (the stored bytes are zero-padded) beats a memcmp call.
                let mut padded = [0u8; CACHED_TOKEN_MAX];
                let fits = tb.len() <= CACHED_TOKEN_MAX;
                if fits {
                    padded[..tb.len()].copy_from_slice(tb);
                }
                let entry = if fits && e.len as usize == tb.len() && e.bytes == padded {
                    e
                } else {
                    let mut e = EMPTY_ENTRY;
                    if unigrams {
                        let key = &mut bufs.key;
                        key.clear();
                        key.extend_from_slice(WORD_PREFIX.as_bytes());
                        key.extend_from_slice(tb);
                        e.unigram = index.get(xxh3_64(key)).unwrap_or(EMPTY);
                    }
                    e.start = cache.cols.len() as u32;
                    if let Some(range) = cfg.char_ngrams {
                        let cols = &mut cache.cols;
                        char_features(t, range, bufs, |h, _| {
                            if let Some(c) = index.get(h) {
                                cols.push(c);
                            }
                        });
                    }
                    e.count = cache.cols.len() as u32 - e.start;
                    // First come, first kept: no eviction, so frequent tokens (which come
                    // early) keep their slots and the arena never thrashes. A token that
                    // is not stored gives its arena space back below.
                    if fits && cache.entries[slot].len == 0 {
                        e.len = tb.len() as u8;
                        e.bytes = padded;
                        cache.entries[slot] = e;
                    }
                    e
                };
                if entry.unigram != EMPTY {
                    add(entry.unigram);
                }
                let (s, n) = (entry.start as usize, entry.count as usize);
                for &c in &cache.cols[s..s + n] {
                    add(c);
                }
                if entry.len == 0 {
                    cache.cols.truncate(s);
                }
            }
        }
        // Remaining word n-grams: again all keys first, then the (mostly cache-missing) probes.
        keys.clear();
        let min_n = if unigrams { 2 } else { 1 };
        word_features(
            cfg,
            tokens,
            starts,
            &mut bufs.key,
            min_n,
            max_words,
            |h, _| keys.push(h),
        );
        for (i, &h) in keys.iter().enumerate() {
            if let Some(&ahead) = keys.get(i + PREFETCH_AHEAD) {
                index.prefetch(ahead);
            }
            if let Some(c) = index.get(h) {
                add(c);
            }
        }
    }

    /// Adds counts kept from another text to `sc`'s.
    fn add_counts(&self, kept: &FeatureCounts, sc: &mut Scratch) {
        for &(c, k) in &kept.cells {
            let n = &mut sc.counts[c as usize];
            if *n == 0 {
                sc.touched.push(c);
            }
            *n += k;
        }
    }

    /// Copies `sc`'s counts into `out` (for [`Self::count_tokens`]).
    fn keep_counts(&self, sc: &Scratch, out: &mut FeatureCounts) {
        out.owner = self.id;
        out.cells.clear();
        out.cells
            .extend(sc.touched.iter().map(|&c| (c, sc.counts[c as usize])));
    }

    /// Appends the row of `sc`'s counts (TF-IDF, L2-normalised) to `indices`/`values`, and
    /// zeroes the counts for the next document.
    fn finish_into(&self, sc: &mut Scratch, indices: &mut Vec<u32>, values: &mut Vec<f32>) {
        self.finish_split_into(sc, indices, values, None)
    }

    /// [`Self::finish_into`], and with `upto = Some((max_words, row))` also `row` := the
    /// columns of at most `max_words` words: the same products, each row normalised over its
    /// own columns in column order, as a second counting pass would give.
    fn finish_split_into(
        &self,
        sc: &mut Scratch,
        indices: &mut Vec<u32>,
        values: &mut Vec<f32>,
        mut upto: Option<(usize, &mut SparseRow)>,
    ) {
        let Scratch {
            counts,
            touched,
            bits,
            ..
        } = sc;
        sort_columns(touched, bits);
        let start = indices.len();
        let sublinear = self.config.sublinear_tf;
        for &c in touched.iter() {
            let k = &mut counts[c as usize];
            let count = *k as f32;
            *k = 0;
            // Most counts are 1, where both formulas give exactly 1.
            let tf = if count == 1.0 || !sublinear {
                count
            } else {
                1.0 + count.ln()
            };
            let v = tf * self.idf[c as usize];
            indices.push(c);
            values.push(v);
            if let Some((max_words, row)) = upto.as_mut() {
                if usize::from(self.words[c as usize]) <= *max_words {
                    row.indices.push(c);
                    row.values.push(v);
                }
            }
        }
        normalize(&mut values[start..]);
        if let Some((_, row)) = upto {
            normalize(&mut row.values);
        }
    }

    /// Number of columns.
    pub fn n_features(&self) -> usize {
        self.names.len()
    }

    /// Name of column `col` (`w:…` or `c:…`, see the module docs). Panics if out of range.
    pub fn feature_name(&self, col: usize) -> &str {
        self.names.get(col)
    }

    /// All feature names in column order.
    pub fn feature_names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.names.iter()
    }

    /// IDF per column.
    pub fn idf(&self) -> &[f32] {
        &self.idf
    }

    /// Column of a feature name, if it is in the vocabulary.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.index
            .get(feature_key(name))
            .map(|c| c as usize)
            .filter(|&c| self.names.get(c) == name)
    }

    /// Number of documents the vectorizer was fitted on.
    pub fn n_docs(&self) -> usize {
        self.n_docs
    }

    /// The configuration it was fitted with.
    pub fn config(&self) -> &VectorizerConfig {
        &self.config
    }

    /// The tokenizer in use.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Writes the vectorizer as JSON to `path`.
    pub fn save(&self, path: &Path) -> Result<()> {
        let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
        let mut w = std::io::BufWriter::new(file);
        serde_json::to_writer(&mut w, self)?;
        std::io::Write::flush(&mut w).map_err(|e| Error::io(path, e))
    }

    /// Reads a vectorizer written by [`Vectorizer::save`].
    pub fn load(path: &Path) -> Result<Vectorizer> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        serde_json::from_slice(&bytes).map_err(|e| Error::model(path, e.to_string()))
    }
}

fn merge_add(mut a: KeyMap<u32>, mut b: KeyMap<u32>) -> KeyMap<u32> {
    if a.len() < b.len() {
        std::mem::swap(&mut a, &mut b);
    }
    for (h, d) in b {
        *a.entry(h).or_insert(0) += d;
    }
    a
}

fn merge_min(mut a: KeyMap<String>, mut b: KeyMap<String>) -> KeyMap<String> {
    if a.len() < b.len() {
        std::mem::swap(&mut a, &mut b);
    }
    for (h, name) in b {
        match a.get_mut(&h) {
            Some(old) if *old <= name => {}
            Some(old) => *old = name,
            None => {
                a.insert(h, name);
            }
        }
    }
    a
}
