//! The guard of grouped cross-validation against training on a held-out gold quote: a
//! [`CopyGuard`] is built once per fold from the held-out quotes' texts and tells which
//! training records are copies of one of them ([`RecipeData::training_records`] drops them).
//!
//! - **Exact copy**: the record's text, context or wide context shares `copy_ngram`
//!   consecutive words ([`word_ngrams`]) with a held-out quote — the same quote reported by
//!   several outlets, or a statement copied from it.
//! - **Near copy** (optional): the record's quote text alone may retell a held-out quote in
//!   other words — they share two or more word 4-grams, or their content words
//!   ([`content_words`]) have a Jaccard similarity of at least 0.3 with at least 3 shared. This
//!   is the criterion of `scripts/annotate/overlap_check.py --near`, with the same lowercased
//!   word tokens (except that the script's `\w` also keeps `_` inside a word) and the same
//!   [`STOP_WORDS`]; like the script, it has false positives by design (diplomatic
//!   boilerplate such as "a just and lasting peace"), which here only cost a fold a few
//!   training records.
//!
//! [`RecipeData::training_records`]: super::RecipeData::training_records

use crate::dataset::Record;
use std::collections::{HashMap, HashSet};

/// Words that never count as content words: the `STOP` list of
/// `scripts/annotate/overlap_check.py`, word for word (a unit test compares them).
pub const STOP_WORDS: &[&str] = &[
    "the", "a", "an", "of", "to", "and", "in", "on", "for", "is", "are", "was", "were", "be",
    "been", "it", "that", "this", "with", "as", "at", "by", "from", "we", "they", "he", "she", "i",
    "our", "their", "his", "her", "not", "no", "will", "would", "can", "could", "should", "has",
    "have", "had", "do", "does", "did", "but", "or", "if", "so", "than", "then", "there", "these",
    "those", "its", "it's", "about", "said", "says", "which", "who", "what", "when", "us", "you",
    "your", "my", "me", "them", "all", "any", "one", "more", "very", "just", "also",
];

/// Word n-grams of the near check (two shared ones make a near copy).
const NEAR_GRAM: usize = 4;
/// Shared word 4-grams that make a near copy.
const NEAR_SHARED_GRAMS: usize = 2;
/// Content-word Jaccard similarity that makes a near copy, with at least
/// [`NEAR_SHARED_WORDS`] shared content words.
const NEAR_JACCARD: f64 = 0.3;
/// Shared content words needed beside [`NEAR_JACCARD`].
const NEAR_SHARED_WORDS: usize = 3;

/// The word tokens of a text: split on every char that is not alphanumeric, `'` or `’`,
/// lowercased, `’` read as `'`.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .map(|w| {
            let w = w.to_lowercase();
            if w.contains('’') {
                w.replace('’', "'")
            } else {
                w
            }
        })
        .collect()
}

/// Word n-grams (lowercased word tokens, see [`words`]) of a text, for copy detection.
pub fn word_ngrams(text: &str, n: usize) -> HashSet<Vec<String>> {
    if n == 0 {
        return HashSet::new();
    }
    words(text).windows(n).map(|w| w.to_vec()).collect()
}

/// The content words of a text: its [`words`] that are not [`STOP_WORDS`] and are longer than
/// two characters.
pub fn content_words(text: &str) -> HashSet<String> {
    content_of(&words(text))
}

fn content_of(words: &[String]) -> HashSet<String> {
    words
        .iter()
        .filter(|w| w.chars().count() > 2 && !STOP_WORDS.contains(&w.as_str()))
        .cloned()
        .collect()
}

/// Why a training record is a copy of a held-out quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyKind {
    /// Its text, context or wide context shares `copy_ngram` consecutive words with one.
    Exact,
    /// Not an exact copy, but its text may retell one (the near check).
    Near,
}

/// How many training records were dropped as copies of held-out quotes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DroppedCopies {
    /// Exact copies (a shared `copy_ngram`-word sequence).
    pub exact: usize,
    /// Records dropped only by the near check.
    pub near: usize,
}

impl DroppedCopies {
    /// Every dropped record.
    pub fn total(&self) -> usize {
        self.exact + self.near
    }
}

/// The held-out quotes, indexed for the near check: content word → quotes holding it,
/// word 4-gram → quotes holding it, and each quote's number of content words.
#[derive(Debug, Clone, Default)]
struct NearIndex {
    content_sizes: Vec<usize>,
    by_word: HashMap<String, Vec<usize>>,
    by_gram: HashMap<Vec<String>, Vec<usize>>,
}

impl NearIndex {
    fn new<'a>(quotes: impl IntoIterator<Item = &'a str>) -> NearIndex {
        let mut ix = NearIndex::default();
        for (i, q) in quotes.into_iter().enumerate() {
            let w = words(q);
            let content = content_of(&w);
            ix.content_sizes.push(content.len());
            for c in content {
                ix.by_word.entry(c).or_default().push(i);
            }
            let grams: HashSet<&[String]> = w.windows(NEAR_GRAM).collect();
            for g in grams {
                ix.by_gram.entry(g.to_vec()).or_default().push(i);
            }
        }
        ix
    }

    /// Whether a text of these [`words`] may retell one of the quotes.
    fn matches(&self, w: &[String]) -> bool {
        let n = self.content_sizes.len();
        if n == 0 {
            return false;
        }
        let grams: HashSet<&[String]> = w.windows(NEAR_GRAM).collect();
        let mut shared_grams = vec![0usize; n];
        for g in grams {
            for &q in self.by_gram.get(g).into_iter().flatten() {
                shared_grams[q] += 1;
                if shared_grams[q] >= NEAR_SHARED_GRAMS {
                    return true;
                }
            }
        }
        let content = content_of(w);
        let mut shared_words = vec![0usize; n];
        for c in &content {
            for &q in self.by_word.get(c).into_iter().flatten() {
                shared_words[q] += 1;
            }
        }
        shared_words
            .iter()
            .zip(&self.content_sizes)
            .any(|(&shared, &size)| {
                let union = content.len() + size - shared;
                shared >= NEAR_SHARED_WORDS && shared as f64 / union as f64 >= NEAR_JACCARD
            })
    }
}

/// Tells which training records copy a held-out gold quote (see the module doc): built once
/// per cross-validation fold from the held-out quotes' texts.
#[derive(Debug, Clone)]
pub struct CopyGuard {
    copy_ngram: usize,
    exact: HashSet<Vec<String>>,
    near: Option<NearIndex>,
}

impl CopyGuard {
    /// The guard of `quotes` (the held-out quotes' texts): a record is an exact copy when it
    /// shares `copy_ngram` consecutive words with one (0 never matches); with `near`, also a
    /// near copy when its text may retell one.
    pub fn new<'a>(
        quotes: impl IntoIterator<Item = &'a str>,
        copy_ngram: usize,
        near: bool,
    ) -> CopyGuard {
        let quotes: Vec<&str> = quotes.into_iter().collect();
        let exact = quotes
            .iter()
            .flat_map(|q| word_ngrams(q, copy_ngram))
            .collect();
        CopyGuard {
            copy_ngram,
            exact,
            near: near.then(|| NearIndex::new(quotes.iter().copied())),
        }
    }

    /// Whether `text` shares `copy_ngram` consecutive words with a held-out quote.
    pub fn is_exact_copy(&self, text: &str) -> bool {
        self.exact_in(&words(text))
    }

    fn exact_in(&self, w: &[String]) -> bool {
        self.copy_ngram > 0 && w.windows(self.copy_ngram).any(|g| self.exact.contains(g))
    }

    /// Whether `text` may retell a held-out quote: two or more shared word 4-grams, or a
    /// content-word Jaccard similarity of at least 0.3 with at least 3 shared content words.
    /// Always false when the near check is off.
    pub fn is_near_copy(&self, text: &str) -> bool {
        self.near
            .as_ref()
            .is_some_and(|ix| ix.matches(&words(text)))
    }

    /// Whether a training record copies a held-out quote, and how: exact when its text,
    /// context or wide context is an exact copy, else near when its text is a near copy.
    pub fn check(&self, record: &Record) -> Option<CopyKind> {
        let text = words(&record.text);
        let exact = |t: &str| self.is_exact_copy(t);
        if self.exact_in(&text)
            || record.context.as_deref().is_some_and(exact)
            || record.wide_context.as_deref().is_some_and(exact)
        {
            Some(CopyKind::Exact)
        } else if self.near.as_ref().is_some_and(|ix| ix.matches(&text)) {
            Some(CopyKind::Near)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    const HELD: &str = "We will never withdraw our troops from the eastern regions until free \
                        elections are held there, and the sanctions must stay in place.";

    fn guard(near: bool) -> CopyGuard {
        CopyGuard::new(
            [
                HELD,
                "The first round of talks in Geneva was constructive and useful.",
            ],
            6,
            near,
        )
    }

    #[test]
    fn ngrams_ignore_case_and_curly_apostrophes() {
        let a = word_ngrams("We don’t accept it, ever", 3);
        let b = word_ngrams("we DON'T accept", 3);
        assert!(a.iter().any(|g| b.contains(g)));
        assert!(word_ngrams("too short", 3).is_empty());
        assert!(word_ngrams("we will not accept it", 0).is_empty());
    }

    #[test]
    fn content_words_leave_out_stop_words_and_short_words() {
        let c = content_words("It’s NOT about us: the troops, the OSCE and a UN mission said no");
        let want: BTreeSet<String> = ["troops", "osce", "mission"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(c.into_iter().collect::<BTreeSet<_>>(), want);
        // Longer than two *characters*, not bytes.
        assert!(content_words("né où").is_empty());
        assert_eq!(content_words("été").len(), 1);
    }

    #[test]
    fn a_retelling_sharing_two_word_4grams_is_a_near_copy() {
        // "withdraw our troops from" and "our troops from the": two shared 4-grams, five shared
        // words at most in a row, so no exact copy; content-word Jaccard 2/16 alone would not do.
        let r = Record::new("They say they would withdraw our troops from the capital tomorrow");
        let g = guard(true);
        assert!(!g.is_exact_copy(&r.text));
        assert!(g.is_near_copy(&r.text));
        assert_eq!(g.check(&r), Some(CopyKind::Near));
        assert_eq!(guard(false).check(&r), None, "near check off");
    }

    #[test]
    fn a_retelling_in_other_words_is_caught_by_the_content_word_jaccard() {
        // No shared 4-gram; content words {troops, remain, eastern, regions, elections, take,
        // place, sanctions, too} against HELD's {never, withdraw, troops, eastern, regions, until,
        // free, elections, held, sanctions, must, stay, place}: 6 shared of 16, 0.375.
        let text = "Troops remain in eastern regions; elections take place, sanctions too";
        let g = guard(true);
        let held4 = word_ngrams(HELD, 4);
        assert!(word_ngrams(text, 4).iter().all(|x| !held4.contains(x)));
        assert!(g.is_near_copy(text));
        assert_eq!(g.check(&Record::new(text)), Some(CopyKind::Near));
        // One shared content word fewer ("place" → "time"): 5 of 17, 0.29, kept.
        let fewer = "Troops remain in eastern regions; elections take time, sanctions too";
        assert!(!g.is_near_copy(fewer));
        // Jaccard ≥ 0.3 needs 3 shared words too: two of the quote's short content words are
        // not enough however close the record is.
        let short = CopyGuard::new(["Geneva talks"], 6, true);
        assert!(!short.is_near_copy("The Geneva talks resume"));
    }

    #[test]
    fn unrelated_records_and_stop_words_with_one_shared_4gram_are_kept() {
        let g = guard(true);
        for text in [
            "The weather in the capital was mild for the season",
            // Shares "from the eastern regions" (one 4-gram) and stop words: kept.
            "People fled from the eastern regions last winter",
            // Only stop words in common.
            "We will not do it, and they know that it is so",
        ] {
            assert_eq!(g.check(&Record::new(text)), None, "{text}");
        }
    }

    #[test]
    fn without_the_near_check_only_the_shared_word_sequence_counts() {
        let exact_only = guard(false);
        let both = guard(true);
        // Six shared words: an exact copy for both.
        let copy = Record::new("They will never withdraw our troops from the east, he said");
        assert_eq!(exact_only.check(&copy), Some(CopyKind::Exact));
        assert_eq!(both.check(&copy), Some(CopyKind::Exact));
        // In the context or the wide context only: still exact.
        let mut in_context = Record::new("That is our answer,");
        in_context.wide_context = Some(format!("“{HELD}” he said. “That is our answer.”"));
        assert_eq!(exact_only.check(&in_context), Some(CopyKind::Exact));
        // A retelling: near for one, kept by the other.
        let retold =
            Record::new("Troops remain in eastern regions; elections take place, sanctions too");
        assert_eq!(exact_only.check(&retold), None);
        assert_eq!(both.check(&retold), Some(CopyKind::Near));
        // The near check reads the quote text only, never its context.
        let mut ctx = Record::new("The weather in the capital was mild");
        ctx.context = Some(retold.text.clone());
        assert_eq!(both.check(&ctx), None);
        // No held-out quote, nothing is a copy.
        let none = CopyGuard::new([], 6, true);
        assert_eq!(none.check(&copy), None);
        assert_eq!(none.check(&retold), None);
    }

    #[test]
    fn stop_words_are_those_of_overlap_check_py() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/annotate/overlap_check.py"
        );
        let script = std::fs::read_to_string(path).unwrap();
        let start = script
            .find("STOP = set(\"\"\"")
            .expect("STOP = set(\"\"\" in the script")
            + "STOP = set(\"\"\"".len();
        let len = script[start..]
            .find("\"\"\".split())")
            .expect("the STOP list's end");
        let theirs: BTreeSet<&str> = script[start..start + len].split_whitespace().collect();
        let ours: BTreeSet<&str> = STOP_WORDS.iter().copied().collect();
        assert_eq!(ours.len(), STOP_WORDS.len(), "a stop word listed twice");
        assert_eq!(ours, theirs);
    }
}
