//! Tokenizers for the feature pipeline: a hand-written fast tokenizer (the default, and the hot
//! path) and a wrapper around any Hugging Face `tokenizer.json`.
//!
//! # The fast tokenizer's rules
//!
//! 1. **Normalisation.** The right single quotation mark `’` (U+2019) becomes `'`, so that
//!    `don’t` and `don't` are one token. With `lowercase: true`, every other char is replaced
//!    by [`char::to_lowercase`] (char by char, exactly like the Hugging Face `Lowercase`
//!    normalizer; ASCII text takes a byte-wise fast path). No NFKC.
//! 2. **Tokens** are the leftmost-first, non-overlapping matches of
//!    [`FAST_TOKEN_PATTERN`] in the normalised text, where a *word char* is a char that is
//!    alphabetic or numeric ([`char::is_alphanumeric`]) or `_`:
//!    * a run of word chars (`election`, `2016`, `covid19`, `real_donald`);
//!    * optionally prefixed by `#` or `@` when a word char follows (`#semst`, `@potus`);
//!    * joined across an apostrophe between word chars (`don't`, `o'brien`, `it's`);
//!    * joined across `.` or `,` between ASCII digits (`3.5`, `1,000`, `1.5bn`).
//!
//!    Everything else (spaces, punctuation, hyphens, emoji, symbols) separates tokens and is
//!    dropped. `tests/features.rs` checks on real corpora that this equals the Hugging Face
//!    pipeline built by [`super::hf::fast_equivalent`].

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::{Error, Result};

/// The regular expression that defines a fast-tokenizer token (applied to the normalised
/// text). It is only used by the Hugging Face reference pipeline; the fast tokenizer
/// implements it by hand.
pub const FAST_TOKEN_PATTERN: &str = r"[#@]?[\p{Alphabetic}\p{N}_]+(?:'[\p{Alphabetic}\p{N}_]+|(?<=[0-9])[.,](?=[0-9])[\p{Alphabetic}\p{N}_]+)*";

/// Which tokenizer a vectorizer uses. Saved with the model.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum TokenizerKind {
    /// The hand-written fast tokenizer (see the module docs for its rules).
    Fast {
        /// Lowercase the text before splitting it.
        lowercase: bool,
    },
    /// A Hugging Face tokenizer: the full contents of its `tokenizer.json`. Tokens are the
    /// model's tokens (`Encoding::get_tokens`, without special tokens), so normalisation and
    /// lowercasing are whatever the json says. The model carries the json.
    HuggingFace(String),
}

impl Default for TokenizerKind {
    fn default() -> Self {
        TokenizerKind::Fast { lowercase: true }
    }
}

/// The tokens of one document: the normalised text plus byte spans into it. Reuse one value
/// across documents so tokenizing does not allocate in the steady state.
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    text: String,
    spans: Vec<(u32, u32)>,
}

impl Tokens {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The `i`-th token. Panics if `i >= len()`, like slice indexing.
    #[inline]
    pub fn get(&self, i: usize) -> &str {
        let (s, e) = self.spans[i];
        &self.text[s as usize..e as usize]
    }

    /// The `i`-th token's bytes: [`Self::get`] without the char-boundary checks, for readers
    /// of bytes on the hot path. Panics if `i >= len()`.
    #[inline]
    pub fn get_bytes(&self, i: usize) -> &[u8] {
        let (s, e) = self.spans[i];
        &self.text.as_bytes()[s as usize..e as usize]
    }

    /// The tokens in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.spans
            .iter()
            .map(|&(s, e)| &self.text[s as usize..e as usize])
    }

    /// The tokens as owned strings (convenience for tests and tools; not for the hot path).
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }

    fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
    }
}

/// A text's lowercase fast-tokenizer tokens (`Fast { lowercase: true }`) and the
/// `xxh3_64` key of each token. The topic lexicon, the embeddings table and a vectorizer with
/// that tokenizer all read exactly these, so the featurizer tokenizes and hashes each text
/// once for all of them instead of once per part.
#[derive(Clone, Debug, Default)]
pub struct LowerTokens {
    tokens: Tokens,
    keys: Vec<u64>,
}

impl LowerTokens {
    /// Tokenizes `text` with the lowercasing fast tokenizer and keys every token.
    pub fn tokenize(&mut self, text: &str) {
        fast(true).tokenize_into(text, &mut self.tokens);
        self.hash();
    }

    /// The tokens.
    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// The tokens of `prefix` followed by those of `rest` (a text ending with `rest`'s text).
    /// They are [`Self::tokenize`] of the joined text when `prefix` is empty or ends with
    /// whitespace, as no token spans whitespace (see [`joins_cleanly`]).
    pub fn tokenize_before(&mut self, prefix: &str, rest: &LowerTokens) {
        self.tokenize(prefix);
        let shift = self.tokens.text.len() as u32;
        self.tokens.text.push_str(&rest.tokens.text);
        self.tokens.spans.extend(
            rest.tokens
                .spans
                .iter()
                .map(|&(s, e)| (s + shift, e + shift)),
        );
        self.keys.extend_from_slice(&rest.keys);
    }

    /// `xxh3_64` (seed 0) of each token's bytes, in token order.
    pub fn keys(&self) -> &[u64] {
        &self.keys
    }

    fn hash(&mut self) {
        self.keys.clear();
        self.keys
            .extend(self.tokens.iter().map(|t| xxh3_64(t.as_bytes())));
    }
}

/// True when the fast tokenizer's tokens of `prefix + rest` are those of `prefix` followed by
/// those of `rest`, for any `rest`: `prefix` is empty or ends with whitespace. A token never
/// contains whitespace, and its joiners (apostrophes, digit separators, `#`/`@`) look only at
/// the chars beside them.
pub fn joins_cleanly(prefix: &str) -> bool {
    prefix.chars().next_back().is_none_or(char::is_whitespace)
}

/// A text's case-preserving fast-tokenizer tokens (`Fast { lowercase: false }`), each also
/// lowercased char by char (with [`char::to_lowercase`], keyed as in [`LowerTokens`]), and
/// whether each is ALL CAPS: what the valence scorer reads.
///
/// For almost every text the lowercased tokens *are* the lowercase tokenization of the text
/// ([`CasedTokens::as_lowercase`]), so one tokenizer pass serves the valence scorer and every
/// lowercase reader. They differ only when lowercasing changes how a char tokenizes (`İ`
/// lowercases to two chars, `i` and a combining dot that is not a word char); such texts are
/// detected and must be tokenized again for the lowercase readers.
#[derive(Clone, Debug, Default)]
pub struct CasedTokens {
    tokens: Tokens,
    lower: LowerTokens,
    upper: Vec<bool>,
    lower_is_tokenization: bool,
}

impl CasedTokens {
    /// Tokenizes `text` with the case-preserving fast tokenizer and derives the rest.
    pub fn tokenize(&mut self, text: &str) {
        fast(false).tokenize_into(text, &mut self.tokens);
        let lower = &mut self.lower.tokens;
        lower.clear();
        self.upper.clear();
        for t in self.tokens.iter() {
            let start = lower.text.len();
            if t.is_ascii() {
                lower.text.push_str(t);
                lower.text[start..].make_ascii_lowercase();
            } else {
                lower.text.extend(t.chars().flat_map(char::to_lowercase));
            }
            lower.spans.push((start as u32, lower.text.len() as u32));
            // Python's str.isupper: some cased char, and no lowercase char.
            self.upper
                .push(t.chars().any(char::is_uppercase) && !t.chars().any(char::is_lowercase));
        }
        self.lower.hash();
        self.lower_is_tokenization = lowercase_keeps_tokens(&self.tokens.text);
    }

    /// The tokens as written (after the `’` → `'` normalisation).
    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// Each token lowercased, with keys (always one per token of [`Self::tokens`]).
    pub fn lower(&self) -> &LowerTokens {
        &self.lower
    }

    /// Per token: it has a cased char and no lowercase char (Python's `str.isupper`).
    pub fn upper(&self) -> &[bool] {
        &self.upper
    }

    /// The lowercased tokens when they equal [`LowerTokens::tokenize`] of the same text
    /// (almost always), else `None`.
    pub fn as_lowercase(&self) -> Option<&LowerTokens> {
        self.lower_is_tokenization.then_some(&self.lower)
    }
}

/// Whether lowercasing the (case-preserving, normalised) text `s` leaves its token boundaries
/// where they are. The splitter looks only at char classes (word char, `#`/`@`, `'`, `.`/`,`,
/// ASCII digit), and lowercasing is char by char, so it is enough that each char lowercases
/// to one char of the same class. ASCII always does; a non-ASCII char never lowercases to an
/// ASCII digit or separator, so for it "same class" means "word char iff its lowercase is".
fn lowercase_keeps_tokens(s: &str) -> bool {
    s.is_ascii()
        || s.chars().filter(|c| !c.is_ascii()).all(|c| {
            let mut l = c.to_lowercase();
            match (l.next(), l.next()) {
                (Some(x), None) => {
                    is_word(x) == is_word(c) && (!x.is_ascii() || x.is_ascii_alphabetic())
                }
                _ => false,
            }
        })
}

/// The fast tokenizer (building one is free).
fn fast(lowercase: bool) -> Tokenizer {
    Tokenizer {
        inner: Inner::Fast { lowercase },
    }
}

/// A ready-to-use tokenizer built from a [`TokenizerKind`]. Cheap to clone for the fast kind.
#[derive(Clone)]
pub struct Tokenizer {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Fast { lowercase: bool },
    // Boxed: the HF tokenizer is large and the fast variant is the common one.
    Hf(Box<tokenizers::Tokenizer>),
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Inner::Fast { lowercase } => write!(f, "Tokenizer::Fast {{ lowercase: {lowercase} }}"),
            Inner::Hf(_) => write!(f, "Tokenizer::HuggingFace"),
        }
    }
}

impl Tokenizer {
    /// Builds the tokenizer; fails with [`Error::InvalidParam`] when a Hugging Face json
    /// cannot be parsed.
    pub fn new(kind: &TokenizerKind) -> Result<Tokenizer> {
        let inner = match kind {
            TokenizerKind::Fast { lowercase } => Inner::Fast {
                lowercase: *lowercase,
            },
            TokenizerKind::HuggingFace(json) => {
                let tk: tokenizers::Tokenizer = json.parse().map_err(|e| Error::InvalidParam {
                    name: "tokenizer",
                    value: format!("<tokenizer.json, {} bytes>", json.len()),
                    msg: format!("not a usable Hugging Face tokenizer.json: {e}"),
                })?;
                Inner::Hf(Box::new(tk))
            }
        };
        Ok(Tokenizer { inner })
    }

    /// Tokenizes `text` into `out` (cleared first). A Hugging Face tokenizer that fails on
    /// this text yields no tokens rather than a panic; [`Tokenizer::try_tokenize_into`]
    /// reports the error instead.
    pub fn tokenize_into(&self, text: &str, out: &mut Tokens) {
        if self.try_tokenize_into(text, out).is_err() {
            out.clear();
        }
    }

    /// Like [`Tokenizer::tokenize_into`] but returns the Hugging Face encoding error.
    pub fn try_tokenize_into(&self, text: &str, out: &mut Tokens) -> Result<()> {
        out.clear();
        // Spans are u32 byte offsets (half the memory of usize on the hot path).
        if text.len() >= u32::MAX as usize / 2 {
            return Err(Error::BadInput {
                origin: "tokenizer".into(),
                reason: format!("document too large to tokenize ({} bytes)", text.len()),
            });
        }
        match &self.inner {
            Inner::Fast { lowercase } => {
                normalize_into(text, *lowercase, &mut out.text);
                split_fast(&out.text, &mut out.spans);
                Ok(())
            }
            Inner::Hf(tk) => {
                // Not `encode_fast`: in tokenizers 0.23.2 it leaves the token strings empty.
                let enc = tk.encode(text, false).map_err(|e| Error::BadInput {
                    origin: "tokenizer".into(),
                    reason: format!("Hugging Face tokenizer failed: {e}"),
                })?;
                for t in enc.get_tokens() {
                    let s = out.text.len() as u32;
                    out.text.push_str(t);
                    out.spans.push((s, out.text.len() as u32));
                }
                Ok(())
            }
        }
    }

    /// Convenience: the tokens of `text` as owned strings.
    pub fn tokenize(&self, text: &str) -> Vec<String> {
        let mut t = Tokens::default();
        self.tokenize_into(text, &mut t);
        t.to_vec()
    }
}

/// Convenience: tokenizes `text` with a tokenizer of the given kind.
pub fn tokenize(kind: &TokenizerKind, text: &str) -> Result<Vec<String>> {
    Ok(Tokenizer::new(kind)?.tokenize(text))
}

/// Applies the fast tokenizer's normalisation (rule 1 in the module docs) into `out`.
fn normalize_into(text: &str, lowercase: bool, out: &mut String) {
    out.clear();
    out.reserve(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // News text is mostly ASCII: copy ASCII runs in bulk.
        let start = i;
        while i < b.len() && b[i] < 0x80 {
            i += 1;
        }
        if i > start {
            let from = out.len();
            out.push_str(&text[start..i]);
            if lowercase {
                out[from..].make_ascii_lowercase();
            }
        }
        if let Some(c) = text[i..].chars().next() {
            i += c.len_utf8();
            if c == '\u{2019}' {
                out.push('\'');
            } else if lowercase {
                out.extend(c.to_lowercase());
            } else {
                out.push(c);
            }
        }
    }
}

/// Word char per rule 2: alphabetic, numeric or `_`.
#[inline]
fn is_word(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        c.is_alphanumeric()
    }
}

/// The char starting at byte `i` of `s` and its UTF-8 length (`i` must be a char boundary).
#[inline]
fn char_at(s: &str, i: usize) -> (char, usize) {
    let b = s.as_bytes()[i];
    if b < 0x80 {
        (b as char, 1)
    } else {
        // Non-ASCII: decode one char. `i` is always a char boundary here.
        let c = s[i..].chars().next().unwrap_or('\u{FFFD}');
        (c, c.len_utf8())
    }
}

/// Is there a word char at byte `i`?
#[inline]
fn word_at(s: &str, i: usize) -> bool {
    i < s.len() && is_word(char_at(s, i).0)
}

/// ASCII byte classes for the scanner: word chars, and `#`/`@` (a possible token prefix).
const WORD: u8 = 1;
const PREFIX: u8 = 2;
static ASCII_CLASS: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        if c.is_ascii_alphanumeric() || c == b'_' {
            t[i] = WORD;
        } else if c == b'#' || c == b'@' {
            t[i] = PREFIX;
        }
        i += 1;
    }
    t
};

/// Bit 7 of each byte lane of `x`: set where the lane is not an ASCII word char
/// (`[0-9A-Za-z_]`), including non-ASCII bytes. SWAR: with 7-bit lanes `v`, `v + (0x80 - a)`
/// has bit 7 set iff `v >= a`, and no lane carries into the next.
#[inline]
fn non_word_lanes(x: u64) -> u64 {
    const L: u64 = 0x0101_0101_0101_0101;
    const H: u64 = 0x8080_8080_8080_8080;
    let v = x & !H;
    let ge = |a: u8| (v + L * u64::from(0x80 - a)) & H;
    let gt = |b: u8| (v + L * u64::from(0x7F - b)) & H;
    let digit = ge(b'0') & !gt(b'9');
    let upper = ge(b'A') & !gt(b'Z');
    let lower = ge(b'a') & !gt(b'z');
    let under = ge(b'_') & !gt(b'_');
    let word = (digit | upper | lower | under) & !(x & H);
    !word & H
}

/// Advances over a run of word chars starting at `i`.
#[inline]
fn skip_word(s: &str, mut i: usize) -> usize {
    let b = s.as_bytes();
    loop {
        // Eight ASCII bytes at a time: finding a word's end without a branch per byte
        // avoids a mispredicted branch per token.
        if let Some(chunk) = b.get(i..i + 8) {
            let mut lanes = [0u8; 8];
            lanes.copy_from_slice(chunk);
            let stop = non_word_lanes(u64::from_le_bytes(lanes));
            if stop == 0 {
                i += 8;
                continue;
            }
            i += (stop.trailing_zeros() / 8) as usize;
        } else {
            while i < b.len() && b[i] < 0x80 && ASCII_CLASS[b[i] as usize] == WORD {
                i += 1;
            }
        }
        // At the end, an ASCII non-word byte, or a non-ASCII char.
        if i < b.len() && b[i] >= 0x80 {
            let (c, l) = char_at(s, i);
            if c.is_alphanumeric() {
                i += l;
                continue;
            }
        }
        return i;
    }
}

/// Splits normalised text into token spans (rule 2 in the module docs).
fn split_fast(s: &str, spans: &mut Vec<(u32, u32)>) {
    let b = s.as_bytes();
    let n = b.len();
    let mut i = 0;
    while i < n {
        // Skip ASCII separators in a tight loop (the common case between words).
        while i < n && b[i] < 0x80 && ASCII_CLASS[b[i] as usize] == 0 {
            i += 1;
        }
        if i >= n {
            break;
        }
        let start = i;
        let x = b[i];
        let body = if x < 0x80 {
            if ASCII_CLASS[x as usize] == WORD {
                i
            } else if word_at(s, i + 1) {
                i + 1 // `#` or `@` before a word
            } else {
                i += 1;
                continue;
            }
        } else {
            let (c, l) = char_at(s, i);
            if c.is_alphanumeric() {
                i
            } else {
                i += l;
                continue;
            }
        };
        let mut j = skip_word(s, body);
        while j < n {
            let x = b[j];
            // Joiners: an apostrophe between word chars, `.`/`,` between ASCII digits.
            let apostrophe = x == b'\'' && word_at(s, j + 1);
            let number = (x == b'.' || x == b',')
                && b[j - 1].is_ascii_digit()
                && j + 1 < n
                && b[j + 1].is_ascii_digit();
            if apostrophe || number {
                j = skip_word(s, j + 1);
            } else {
                break;
            }
        }
        spans.push((start as u32, j as u32));
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast(text: &str) -> Vec<String> {
        tokenize(&TokenizerKind::Fast { lowercase: true }, text).unwrap()
    }

    #[test]
    fn keeps_hashtags_mentions_numbers_contractions() {
        assert_eq!(
            fast("@POTUS said: Don’t cut 1,000.5 jobs! #SemST ## @ it's 3.5bn U.S. well-known"),
            vec![
                "@potus", "said", "don't", "cut", "1,000.5", "jobs", "#semst", "it's", "3.5bn",
                "u", "s", "well", "known"
            ]
        );
    }

    #[test]
    fn unicode_words_and_case() {
        assert_eq!(fast("Ärger über Straße"), vec!["ärger", "über", "straße"]);
        let kept = tokenize(&TokenizerKind::Fast { lowercase: false }, "Ärger ÜBER").unwrap();
        assert_eq!(kept, vec!["Ärger", "ÜBER"]);
    }

    #[test]
    fn separators_at_edges() {
        assert_eq!(
            fast("'quoted' 1. 2,x ,3 a'"),
            vec!["quoted", "1", "2", "x", "3", "a"]
        );
        assert!(fast("").is_empty());
        assert!(fast(" -- ... ").is_empty());
    }

    #[test]
    fn swar_classes_match_the_byte_table() {
        for lane in 0..8 {
            for byte in 0..=255u8 {
                let mut lanes = [b'a'; 8];
                lanes[lane] = byte;
                let stop = non_word_lanes(u64::from_le_bytes(lanes));
                let word = byte < 0x80 && ASCII_CLASS[byte as usize] == WORD;
                assert_eq!(stop == 0, word, "byte {byte:#x} in lane {lane}");
                if !word {
                    assert_eq!(stop.trailing_zeros() / 8, lane as u32);
                }
            }
        }
    }

    /// Texts where lowercasing is not plain ASCII: multi-char lowercase (`İ`), a non-ASCII
    /// capital that lowercases to ASCII (Kelvin sign), final sigma, titlecase digraphs,
    /// circled letters (alphabetic but not letters), Roman numerals, Georgian Mtavruli.
    const TRICKY: &[&str] = &[
        "İstanbul’s MAYOR said: “We’ll see.” #Ankara @TRT İİ",
        "200 \u{212A} and \u{212B}ngström; ΣΟΦΟΣ ΟΔΟΣ σοφός",
        "ǅemal ǈubica ǋ Ⓐⓑ Ⅻ ᲐᲑ Ꭰ AB'İ x'İ İ'x #İ @İ 3.İ",
        "Don’t CUT 1,000.5 jobs! it's 3.5bn U.S. well-known ÄRGER über STRASSE",
        "",
    ];

    #[test]
    fn cased_tokens_lowercase_to_the_lowercase_tokenization() {
        let mut cased = CasedTokens::default();
        let mut lower = LowerTokens::default();
        let mut compared = 0;
        for text in TRICKY {
            cased.tokenize(text);
            lower.tokenize(text);
            let want = tokenize(&TokenizerKind::Fast { lowercase: false }, text).unwrap();
            assert_eq!(cased.tokens().to_vec(), want);
            assert_eq!(cased.lower().tokens().len(), want.len());
            let keys: Vec<u64> = lower
                .tokens()
                .iter()
                .map(|t| xxh3_64(t.as_bytes()))
                .collect();
            assert_eq!(lower.keys(), keys.as_slice());
            assert_eq!(lower.tokens().to_vec(), fast(text));
            if let Some(l) = cased.as_lowercase() {
                compared += 1;
                assert_eq!(l.tokens().to_vec(), lower.tokens().to_vec(), "{text:?}");
                assert_eq!(l.keys(), lower.keys(), "{text:?}");
            }
        }
        assert!(compared >= 3);
        // `İ` lowercases to `i` + U+0307, which is not a word char: the tokens differ, and
        // the shared path must notice.
        cased.tokenize("İstanbul");
        assert!(cased.as_lowercase().is_none());
        assert_ne!(cased.lower().tokens().to_vec(), fast("İstanbul"));
    }

    proptest::proptest! {
        #[test]
        fn cased_lowercase_equals_lowercase_tokenization_when_claimed(
            text in "[a-zA-Z0-9 '’#@.,_\\-İıΣσςǅǄⒶⓐⅫ\u{212A}\u{0307}ÄäẞßᲐა]{0,40}"
        ) {
            let mut cased = CasedTokens::default();
            cased.tokenize(&text);
            let mut lower = LowerTokens::default();
            lower.tokenize(&text);
            if let Some(l) = cased.as_lowercase() {
                proptest::prop_assert_eq!(l.tokens().to_vec(), lower.tokens().to_vec());
                proptest::prop_assert_eq!(l.keys(), lower.keys());
            } else {
                // Of these chars only `İ` lowercases to something that tokenizes otherwise.
                proptest::prop_assert!(text.contains('İ'));
            }
        }
    }

    #[test]
    fn bad_hf_json_is_an_error() {
        assert!(Tokenizer::new(&TokenizerKind::HuggingFace("{not json".into())).is_err());
    }
}
