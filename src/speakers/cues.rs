//! Attribution cues: reporting verbs (`said`, `told`, `stressed`, …) and multi-word cues that
//! precede the speaker (`according to`). The list is data (`data/cues.toml`, embedded), and
//! users extend it with their own file.

use crate::config::{from_toml, TomlConfig};
use crate::error::Result;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::Path;
use xxhash_rust::xxh3::Xxh3Builder;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    verbs: Vec<String>,
    #[serde(default)]
    after_name: Vec<String>,
    #[serde(default)]
    nouns: Vec<String>,
}

/// The set of attribution cues.
#[derive(Debug, Clone, Default)]
pub struct Cues {
    verbs: HashSet<String, Xxh3Builder>,
    /// Multi-word cues followed by the speaker, as lowercase word lists.
    after_name: Vec<Vec<String>>,
    nouns: HashSet<String, Xxh3Builder>,
}

const BUILTIN: &str = include_str!("../../data/cues.toml");

impl Cues {
    /// The embedded default cue list (`data/cues.toml`).
    pub fn builtin() -> Self {
        Self::parse(BUILTIN, Path::new("data/cues.toml")).expect("embedded data/cues.toml is valid")
    }

    /// Adds every cue of `other`.
    pub fn extend(&mut self, other: Cues) {
        self.verbs.extend(other.verbs);
        self.nouns.extend(other.nouns);
        for p in other.after_name {
            if !self.after_name.contains(&p) {
                self.after_name.push(p);
            }
        }
        self.after_name.sort();
    }

    fn add(&mut self, f: File) {
        self.verbs
            .extend(f.verbs.iter().map(|v| v.trim().to_lowercase()));
        self.nouns
            .extend(f.nouns.iter().map(|v| v.trim().to_lowercase()));
        for p in f.after_name {
            let words: Vec<String> = p.split_whitespace().map(|w| w.to_lowercase()).collect();
            if !words.is_empty() && !self.after_name.contains(&words) {
                self.after_name.push(words);
            }
        }
        self.after_name.sort();
    }

    /// True when `word` (any case) is a reporting verb.
    pub fn is_verb(&self, word: &str) -> bool {
        with_lower(word, |w| self.verbs.contains(w))
    }

    /// Every verb form, lowercase, sorted.
    pub fn verbs(&self) -> Vec<&String> {
        let mut v: Vec<&String> = self.verbs.iter().collect();
        v.sort();
        v
    }

    /// True when `word` is a speech noun (`statement`).
    pub fn is_noun(&self, word: &str) -> bool {
        with_lower(word, |w| self.nouns.contains(w))
    }

    /// Multi-word cues followed by the speaker, lowercase.
    pub fn after_name(&self) -> &[Vec<String>] {
        &self.after_name
    }

    /// Number of verb forms.
    pub fn len(&self) -> usize {
        self.verbs.len()
    }

    /// True when there are no verbs.
    pub fn is_empty(&self) -> bool {
        self.verbs.is_empty()
    }
}

impl TomlConfig for Cues {
    fn parse(s: &str, origin: &Path) -> Result<Self> {
        let mut c = Cues::default();
        c.add(from_toml(s, origin)?);
        Ok(c)
    }
}

/// Runs `f` on the lowercase form of `word` without allocating for short ASCII words.
pub(crate) fn with_lower<R>(word: &str, f: impl FnOnce(&str) -> R) -> R {
    // Lower-casing keeps ASCII ASCII and a `String` valid UTF-8: never the empty fallback.
    with_lower_bytes(word, |b| f(std::str::from_utf8(b).unwrap_or("")))
}

/// [`with_lower`] as bytes: for lookups that hash and compare bytes, so short ASCII words
/// (most of an article's words) skip the UTF-8 check of the buffer.
pub(crate) fn with_lower_bytes<R>(word: &str, f: impl FnOnce(&[u8]) -> R) -> R {
    let b = word.as_bytes();
    if b.len() <= 32 {
        // Whole-buffer passes of a fixed width compile to a few vector instructions; every
        // word of every article comes through here.
        let mut buf = [0u8; 32];
        buf[..b.len()].copy_from_slice(b);
        if buf.iter().fold(0, |any, &x| any | x) < 0x80 {
            buf.make_ascii_lowercase();
            return f(&buf[..b.len()]);
        }
    }
    f(word.to_lowercase().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_bytes_are_to_lowercase() {
        let mut words: Vec<String> = crate::test_support::seed_texts()
            .iter()
            .flat_map(|t| t.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        assert!(words.len() > 4_000, "{} words", words.len());
        words.extend(
            [
                "",
                "A",
                "ÉLYSÉE",
                "Zelenskyy’s",
                "İstanbul",
                "ΣΟΦΊΑ",
                "MiXeD-CaSe",
                "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF", // 32 bytes, the buffer's width
                "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG", // 33
                "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEÉ", // non-ASCII in the last place
                "@[`{\u{7f}",                       // the bytes beside the capitals
            ]
            .map(str::to_owned),
        );
        let alphabet = "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh";
        words.extend((0..=alphabet.len()).map(|n| alphabet[..n].to_owned()));
        for w in &words {
            with_lower_bytes(w, |l| assert_eq!(l, w.to_lowercase().as_bytes(), "{w:?}"));
        }
    }

    #[test]
    fn builtin_and_user_extension() {
        let mut c = Cues::builtin();
        assert!(c.is_verb("Said") && c.is_verb("stressed") && c.is_verb("told"));
        assert!(!c.is_verb("quibbled"));
        c.extend(Cues::from_toml_str("verbs = [\"quibbled\"]").unwrap());
        assert!(c.is_verb("quibbled"));
        assert_eq!(c.after_name()[0], vec!["according", "to"]);
        assert!(Cues::from_toml_str("verbs = 1").is_err());
    }
}
