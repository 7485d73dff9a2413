//! Stage 4: which configured topics a quote takes up.
//!
//! Topics are configuration, not code: `data/topics.toml` lists each topic's id, the
//! proposition its stance labels refer to, and the keywords and phrases that signal it. The
//! [`TopicLexicon`] built from it finds those cues in a quote and in the sentence that
//! introduces it; the pipeline combines this evidence with the model's learned topic head
//! (see [`crate::pipeline`]), so a one-word quote like “unacceptable” still gets its topic
//! from its sentence, and a quote that paraphrases a topic without its keywords can still be
//! found by the model.
//!
//! Matching is case-insensitive on word boundaries; a pattern word ending in `*` matches any
//! word with that prefix (`sanction*` matches "sanctions", "sanctioned").

use crate::config::{from_toml, TomlConfig};
use crate::error::{Error, Result};
use crate::features::{LowerTokens, Tokenizer, TokenizerKind};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::xxh3_64;

/// The topics shipped with the project (`data/topics.toml`).
pub const BUILTIN_TOPICS_TOML: &str = include_str!("../data/topics.toml");

/// One topic as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Short id used in labels (`nato`, `peacekeepers`, …).
    pub id: String,
    /// The proposition that `favor` supports.
    pub proposition: String,
    /// Single words (or `prefix*`) that signal the topic.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Multi-word expressions that signal the topic.
    #[serde(default)]
    pub phrases: Vec<String>,
}

/// The topic configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicConfig {
    #[serde(rename = "topic")]
    pub topics: Vec<Topic>,
}

impl TopicConfig {
    /// The built-in 13 topics.
    pub fn builtin() -> Self {
        Self::parse(BUILTIN_TOPICS_TOML, Path::new("data/topics.toml"))
            .expect("built-in data/topics.toml is valid (checked by a unit test)")
    }

    /// Adds (or replaces, by id) the topics of `other`.
    pub fn extend(&mut self, other: TopicConfig) {
        for t in other.topics {
            match self.topics.iter_mut().find(|x| x.id == t.id) {
                Some(slot) => *slot = t,
                None => self.topics.push(t),
            }
        }
    }

    /// Topic ids in configuration order.
    pub fn ids(&self) -> Vec<String> {
        self.topics.iter().map(|t| t.id.clone()).collect()
    }

    fn validate(&self, origin: &Path) -> Result<()> {
        let err = |msg: String| Error::Config {
            path: PathBuf::from(origin),
            msg,
        };
        let mut seen = std::collections::BTreeSet::new();
        for t in &self.topics {
            let ok_id = !t.id.is_empty()
                && t.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok_id {
                return Err(err(format!(
                    "topic id {:?} must be lowercase ascii letters, digits or _",
                    t.id
                )));
            }
            if !seen.insert(&t.id) {
                return Err(err(format!("topic {:?} is defined twice", t.id)));
            }
            if t.keywords.is_empty() && t.phrases.is_empty() {
                return Err(err(format!("topic {:?} has no keywords or phrases", t.id)));
            }
        }
        Ok(())
    }
}

impl TomlConfig for TopicConfig {
    fn parse(s: &str, origin: &Path) -> Result<Self> {
        let cfg: TopicConfig = from_toml(s, origin)?;
        cfg.validate(origin)?;
        Ok(cfg)
    }
}

/// One pattern word: exact (matched by its xxh3 hash, then by text) or prefix.
#[derive(Debug, Clone)]
enum PatWord {
    Exact(u64, String),
    Prefix(String),
}

impl PatWord {
    fn exact(w: String) -> Self {
        PatWord::Exact(xxh3_64(w.as_bytes()), w)
    }
    fn matches(&self, hash: u64, word: &str) -> bool {
        match self {
            PatWord::Exact(h, e) => *h == hash && e == word,
            PatWord::Prefix(p) => word.starts_with(p.as_str()),
        }
    }
}

#[derive(Debug, Clone)]
struct Pattern {
    topic: usize,
    words: Vec<PatWord>,
}

thread_local! {
    /// The tokens of the text [`TopicLexicon::count`] matches.
    static TOKENS: RefCell<LowerTokens> = RefCell::new(LowerTokens::default());
    /// Topics already counted at the current start position.
    static MATCHED: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

// The keys are already xxh3 hashes: hashing them again would only cost time.
use crate::features::vectorize::KeyMap;

/// Where a topic cue was found.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct LexiconHits {
    /// Cue matches inside the quote itself.
    pub in_quote: u32,
    /// Cue matches in the introducing context (outside the quote).
    pub in_context: u32,
}

impl LexiconHits {
    /// From the counts in the quote and in its context. The context contains the quote: only
    /// what lies outside it counts as context.
    pub fn from_counts(quote: u32, context: u32) -> LexiconHits {
        LexiconHits {
            in_quote: quote,
            in_context: context.saturating_sub(quote),
        }
    }
}

/// Compiled keyword/phrase matcher over a [`TopicConfig`].
#[derive(Debug, Clone)]
pub struct TopicLexicon {
    ids: Vec<String>,
    patterns: Vec<Pattern>,
    /// Patterns by the hash of their first word when it is exact.
    by_first: KeyMap<Vec<usize>>,
    /// Patterns whose first word is a prefix, by the prefix's first three bytes ([`key3`]).
    prefix_first: KeyMap<Vec<usize>>,
    /// Patterns whose first word is a prefix shorter than three bytes (checked linearly).
    short_prefix_first: Vec<usize>,
    /// Which start positions can begin a match at all, from the words there and after.
    starts: StartFilter,
}

/// A sound filter of start positions: a position where some pattern matches always passes,
/// and most others do not. Keying on the first word alone let a quarter of all tokens
/// through ("the", "a", "in" begin phrases), and each then paid for the map probes and
/// pattern checks; keying phrases on their first *two* words lets 7% through, a quarter of
/// them real matches (PolNeAR news, the built-in lexicon; `benches/README.md`).
///
/// Keys, each kind mixed differently into one bit set of [`START_BITS`] bits:
/// - the first word's hash, for one-word exact patterns (and phrases whose second word is a
///   prefix shorter than 4 bytes);
/// - the first two words' hashes, for phrases whose second word is exact;
/// - the first word's hash and the second word's first 4 bytes ([`key4`]), for phrases whose
///   second word is a prefix of at least 4 bytes;
/// - the first word's first 4 bytes, for prefix patterns of at least 4 bytes, or its first 3
///   bytes ([`key3`]) for 3-byte prefixes. Shorter prefixes pass every position.
#[derive(Debug, Clone)]
struct StartFilter {
    bits: Box<[u64]>,
    /// A phrase's second word is a prefix of at least 4 bytes.
    pair_prefix: bool,
    /// A first word is a prefix of at least 4 bytes.
    prefix4: bool,
    /// A first word is a 3-byte prefix.
    prefix3: bool,
    /// A first word is a prefix shorter than 3 bytes: every position passes.
    all: bool,
}

/// Bits of [`StartFilter::bits`]: 2^18 (32 KiB). With one key per pattern (1,488 in the
/// built-in lexicon), a test of a key that is not there hits a set bit with probability
/// 1,488 / 2^18, about once in 176.
const START_BITS_LOG2: u32 = 18;
const START_BITS: usize = 1 << START_BITS_LOG2;

/// Odd constants that mix each kind of [`StartFilter`] key into the top bits.
const MIX_SOLO: u64 = 0x9E37_79B9_7F4A_7C15;
const MIX_PAIR: u64 = 0xC2B2_AE3D_27D4_EB4F;
const MIX_PAIR_PREFIX: u64 = 0x1656_67B1_9E37_79F9;
const MIX_PREFIX4: u64 = 0xD6E8_FEB8_6659_FD93;
const MIX_PREFIX3: u64 = 0xFF51_AFD7_ED55_8CCD;

impl StartFilter {
    fn slot(key: u64, mix: u64) -> (usize, u64) {
        let b = ((key ^ (key >> 29)).wrapping_mul(mix) >> (64 - START_BITS_LOG2)) as usize;
        (b / 64, 1 << (b % 64))
    }

    fn insert(&mut self, key: u64, mix: u64) {
        let (w, bit) = Self::slot(key, mix);
        self.bits[w] |= bit;
    }

    #[inline]
    fn test(&self, key: u64, mix: u64) -> bool {
        let (w, bit) = Self::slot(key, mix);
        self.bits[w] & bit != 0
    }

    fn new(patterns: &[Pattern]) -> Self {
        let mut f = StartFilter {
            bits: vec![0u64; START_BITS / 64].into_boxed_slice(),
            pair_prefix: false,
            prefix4: false,
            prefix3: false,
            all: false,
        };
        for p in patterns {
            match (&p.words[0], p.words.get(1)) {
                (PatWord::Exact(h, _), None) => f.insert(*h, MIX_SOLO),
                (PatWord::Exact(h, _), Some(PatWord::Exact(h1, _))) => {
                    f.insert(pair_key(*h, *h1), MIX_PAIR)
                }
                (PatWord::Exact(h, _), Some(PatWord::Prefix(pre))) => match key4(pre.as_bytes()) {
                    Some(k) => {
                        f.pair_prefix = true;
                        f.insert(pair_key(*h, k), MIX_PAIR_PREFIX)
                    }
                    None => f.insert(*h, MIX_SOLO),
                },
                (PatWord::Prefix(pre), _) => {
                    if let Some(k) = key4(pre.as_bytes()) {
                        f.prefix4 = true;
                        f.insert(k, MIX_PREFIX4);
                    } else if let Some(k) = key3(pre.as_bytes()) {
                        f.prefix3 = true;
                        f.insert(k, MIX_PREFIX3);
                    } else {
                        f.all = true;
                    }
                }
            }
        }
        f
    }

    /// Whether some pattern may match at token `i` (`word(k)`: token `k`'s bytes).
    #[inline]
    fn may_start<'a>(&self, keys: &[u64], i: usize, word: impl Fn(usize) -> &'a [u8]) -> bool {
        let h = keys[i];
        if self.all || self.test(h, MIX_SOLO) {
            return true;
        }
        if let Some(&next) = keys.get(i + 1) {
            if self.test(pair_key(h, next), MIX_PAIR) {
                return true;
            }
            if self.pair_prefix {
                if let Some(k) = key4(word(i + 1)) {
                    if self.test(pair_key(h, k), MIX_PAIR_PREFIX) {
                        return true;
                    }
                }
            }
        }
        if self.prefix4 || self.prefix3 {
            let w = word(i);
            if self.prefix4 && key4(w).is_some_and(|k| self.test(k, MIX_PREFIX4)) {
                return true;
            }
            if self.prefix3 && key3(w).is_some_and(|k| self.test(k, MIX_PREFIX3)) {
                return true;
            }
        }
        false
    }
}

/// The key of a phrase's first two words (hash and hash, or hash and [`key4`]).
#[inline]
fn pair_key(first: u64, second: u64) -> u64 {
    first.rotate_left(32) ^ second
}

/// A word's first four bytes, when it has that many: every word a prefix of at least four
/// bytes matches shares them.
#[inline]
fn key4(w: &[u8]) -> Option<u64> {
    w.get(..4)
        .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
}

/// The feature pipeline's fast tokenizer, lowercasing, as [`LowerTokens`] uses it: one
/// definition of a word for patterns and texts.
fn lexicon_tokenizer() -> Tokenizer {
    Tokenizer::new(&TokenizerKind::Fast { lowercase: true })
        .expect("the fast tokenizer always builds")
}

/// The first three bytes of a word, the key of prefix patterns (in `prefix_first` and the
/// [`StartFilter`]): packed and multiplied by an odd constant (a bijection), so that the
/// identity-hashed [`KeyMap`] sees spread-out keys.
#[inline]
fn key3(w: &[u8]) -> Option<u64> {
    w.get(..3).map(|b| {
        u64::from_le_bytes([b[0], b[1], b[2], 0, 0, 0, 0, 0]).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    })
}

impl TopicLexicon {
    /// Compiles the lexicon.
    pub fn new(cfg: &TopicConfig) -> Self {
        let tokenizer = lexicon_tokenizer();
        let mut patterns = Vec::new();
        for (ti, t) in cfg.topics.iter().enumerate() {
            for p in t.keywords.iter().chain(&t.phrases) {
                let mut words: Vec<PatWord> = tokenizer
                    .tokenize(p)
                    .into_iter()
                    .map(PatWord::exact)
                    .collect();
                // The tokenizer drops a trailing `*`: the last word is then a prefix.
                if p.trim_end().ends_with('*') {
                    if let Some(PatWord::Exact(_, last)) = words.pop() {
                        words.push(PatWord::Prefix(last));
                    }
                }
                if !words.is_empty() {
                    patterns.push(Pattern { topic: ti, words });
                }
            }
        }
        let mut by_first: KeyMap<Vec<usize>> = KeyMap::default();
        let mut prefix_first: KeyMap<Vec<usize>> = KeyMap::default();
        let mut short_prefix_first = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            match &p.words[0] {
                PatWord::Exact(h, _) => by_first.entry(*h).or_default().push(i),
                PatWord::Prefix(pre) => match key3(pre.as_bytes()) {
                    Some(k) => prefix_first.entry(k).or_default().push(i),
                    None => short_prefix_first.push(i),
                },
            }
        }
        let starts = StartFilter::new(&patterns);
        TopicLexicon {
            ids: cfg.ids(),
            patterns,
            by_first,
            prefix_first,
            short_prefix_first,
            starts,
        }
    }

    /// Topic ids, in the order of the counts [`Self::count`] returns.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// Counts cue matches per topic in `text` (index = topic position in [`Self::ids`]).
    /// Allocation-free in steady state: this runs for every quote and its context.
    pub fn count(&self, text: &str, out: &mut [u32]) {
        TOKENS.with(|t| {
            let mut t = t.borrow_mut();
            t.tokenize(text);
            self.count_tokens(&t, out);
        })
    }

    /// Like [`Self::count`] for a text already tokenized ([`LowerTokens::tokenize`], the
    /// lexicon's own tokenization), so the featurizer tokenizes a text once for all its parts.
    pub fn count_tokens(&self, tokens: &LowerTokens, out: &mut [u32]) {
        debug_assert_eq!(out.len(), self.ids.len());
        let (hashes, toks) = (tokens.keys(), tokens.tokens());
        let word = |k: usize| (hashes[k], toks.get(k));
        MATCHED.with(|m| {
            let matched = &mut *m.borrow_mut();
            for i in 0..hashes.len() {
                if !self.starts.may_start(hashes, i, |k| toks.get_bytes(k)) {
                    continue;
                }
                matched.clear();
                let cands = self
                    .by_first
                    .get(&hashes[i])
                    .into_iter()
                    .flatten()
                    .chain(
                        key3(toks.get_bytes(i))
                            .and_then(|k| self.prefix_first.get(&k))
                            .into_iter()
                            .flatten(),
                    )
                    .chain(self.short_prefix_first.iter());
                for &pi in cands {
                    let p = &self.patterns[pi];
                    if i + p.words.len() <= hashes.len()
                        && p.words.iter().enumerate().all(|(k, pw)| {
                            let (h, w) = word(i + k);
                            pw.matches(h, w)
                        })
                        && !matched.contains(&p.topic)
                    {
                        // One hit per topic per start position, however many patterns overlap.
                        matched.push(p.topic);
                        out[p.topic] += 1;
                    }
                }
            }
        })
    }

    /// Cue hits per topic for a quote and its introducing context.
    pub fn hits(&self, quote: &str, context: &str) -> Vec<LexiconHits> {
        let mut q = vec![0u32; self.ids.len()];
        let mut c = vec![0u32; self.ids.len()];
        self.count(quote, &mut q);
        self.count(context, &mut c);
        q.into_iter()
            .zip(c)
            .map(|(q, c)| LexiconHits::from_counts(q, c))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> TopicConfig {
        TopicConfig::from_toml_str(
            r#"
[[topic]]
id = "sanctions"
proposition = "sanctions on Russia should be kept or tightened"
keywords = ["sanction*", "embargo"]
phrases = ["price cap"]

[[topic]]
id = "peacekeepers"
proposition = "foreign troops should be deployed in Ukraine"
keywords = ["peacekeepers"]
phrases = ["troops on the ground", "European troops"]
"#,
        )
        .unwrap()
    }

    #[test]
    fn builtin_topics_parse_and_hold_the_guide_topics() {
        let ids = TopicConfig::builtin().ids();
        for id in [
            "nato",
            "peacekeepers",
            "elections",
            "eu_membership",
            "sanctions",
            "territory",
            "security_guarantees",
            "peace_talks",
            "inclusion",
            "diplomatic_ties",
            "economic_cooperation",
            "energy_truce",
            "summit",
        ] {
            assert!(ids.iter().any(|x| x == id), "missing topic {id}");
        }
    }

    #[test]
    fn matches_words_prefixes_and_phrases_case_insensitively() {
        let lex = TopicLexicon::new(&cfg());
        let mut out = vec![0; 2];
        lex.count(
            "New SANCTIONS and an oil price cap; no European troops on the ground.",
            &mut out,
        );
        assert_eq!(out, vec![2, 2]);
        let mut out = vec![0; 2];
        lex.count("The sanctuary was quiet. Troops on the move.", &mut out);
        assert_eq!(out, vec![0, 0], "prefix must not match 'sanctuary'");
    }

    #[test]
    fn apostrophes_and_hyphens_match_either_spelling() {
        let cfg = TopicConfig::from_toml_str("[[topic]]\nid = \"nato\"\nproposition = \"p\"\nkeywords = [\"non-aligned\"]\nphrases = [\"nato's door\", \"peace-keep*\"]\n")
        .unwrap();
        let lex = TopicLexicon::new(&cfg);
        let mut out = vec![0];
        lex.count("NATO’s door stays open for a non-aligned state", &mut out);
        assert_eq!(out, vec![2]);
        let mut out = vec![0];
        lex.count("peace-keeping troops", &mut out);
        assert_eq!(out, vec![1]);
    }

    #[test]
    fn context_hits_exclude_the_quote() {
        let lex = TopicLexicon::new(&cfg());
        let h = lex.hits(
            "unacceptable",
            "Lavrov said deploying peacekeepers was “unacceptable”.",
        );
        assert_eq!(
            h[1],
            LexiconHits {
                in_quote: 0,
                in_context: 1
            }
        );
        assert_eq!(h[0], LexiconHits::default());
    }

    /// Every pattern tried at every position: what [`TopicLexicon::count_tokens`] must count.
    fn count_by_trying_every_pattern(lex: &TopicLexicon, tokens: &LowerTokens) -> Vec<u32> {
        let (keys, toks) = (tokens.keys(), tokens.tokens());
        let mut want = vec![0; lex.ids().len()];
        for i in 0..keys.len() {
            let mut seen = Vec::new();
            for p in &lex.patterns {
                let fits = i + p.words.len() <= keys.len()
                    && p.words
                        .iter()
                        .enumerate()
                        .all(|(k, w)| w.matches(keys[i + k], toks.get(i + k)));
                if fits && !seen.contains(&p.topic) {
                    seen.push(p.topic);
                    want[p.topic] += 1;
                }
            }
        }
        want
    }

    /// The indexed matcher (the start filter, then the first-word maps) counts what trying
    /// every pattern at every position counts: the built-in lexicon over the seed articles.
    #[test]
    fn indexed_matching_equals_trying_every_pattern() {
        let lex = TopicLexicon::new(&TopicConfig::builtin());
        let mut texts = crate::test_support::seed_texts();
        texts.push("Peace-keeping troops, sanctions' price caps and NATO’s door.".into());
        let (mut tokens, mut total) = (LowerTokens::default(), 0);
        for text in &texts {
            tokens.tokenize(text);
            let mut got = vec![0; lex.ids().len()];
            lex.count_tokens(&tokens, &mut got);
            let want = count_by_trying_every_pattern(&lex, &tokens);
            assert_eq!(got, want);
            total += want.iter().sum::<u32>();
        }
        assert!(total > 100, "only {total} hits: the check would say little");
    }

    /// Every kind of start key — one exact word, two exact words, a word and a long or short
    /// prefix, a first-word prefix of 4+, 3 and fewer bytes, non-ASCII words — over every
    /// sequence of up to three words from a small vocabulary that hits and near-misses them.
    #[test]
    fn start_filter_never_drops_a_match() {
        let toml = r#"
[[topic]]
id = "a"
proposition = "p"
keywords = ["peace", "sanction*", "ele*", "ö*"]
phrases = ["the two", "new sanc*", "in ex*", "the big red", "über alles", "é*"]

[[topic]]
id = "b"
proposition = "p"
keywords = ["war", "ele*"]
phrases = ["the two leaders", "a seat"]
"#;
        let short = TopicConfig::from_toml_str(toml).unwrap();
        let long =
            TopicConfig::from_toml_str(&toml.replace(", \"ö*\"", "").replace(", \"é*\"", ""))
                .unwrap();
        let vocab = [
            "the",
            "two",
            "leaders",
            "new",
            "sanctions",
            "sanc",
            "san",
            "in",
            "ex",
            "exit",
            "e",
            "election",
            "el",
            "ele",
            "peace",
            "war",
            "a",
            "seat",
            "big",
            "red",
            "über",
            "alles",
            "öl",
            "é",
            "ét",
            "x",
        ];
        for cfg in [&short, &long] {
            let lex = TopicLexicon::new(cfg);
            let (mut tokens, mut total) = (LowerTokens::default(), 0);
            for a in vocab {
                for b in vocab {
                    for c in vocab {
                        tokens.tokenize(&format!("{a} {b} {c}"));
                        let mut got = vec![0; 2];
                        lex.count_tokens(&tokens, &mut got);
                        let want = count_by_trying_every_pattern(&lex, &tokens);
                        assert_eq!(got, want, "{a} {b} {c}");
                        total += want.iter().sum::<u32>();
                    }
                }
            }
            assert!(total > 1_000, "only {total} hits");
        }
        // The configuration without the short prefixes sets no pass-everything flag: the
        // filter is exercised, not bypassed.
        assert!(!TopicLexicon::new(&long).starts.all);
        assert!(TopicLexicon::new(&short).starts.all);
    }

    #[test]
    fn rejects_bad_config() {
        let dup = "[[topic]]\nid='a'\nproposition='p'\nkeywords=['x']\n[[topic]]\nid='a'\nproposition='p'\nkeywords=['y']\n";
        assert!(TopicConfig::from_toml_str(dup).is_err());
        let bad_id = "[[topic]]\nid='A b'\nproposition='p'\nkeywords=['x']\n";
        assert!(TopicConfig::from_toml_str(bad_id).is_err());
        let unknown = "[[topic]]\nid='a'\nproposition='p'\nkeywords=['x']\ncolour='red'\n";
        assert!(TopicConfig::from_toml_str(unknown).is_err());
    }
}
