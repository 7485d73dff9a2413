//! The word lists of attribution (`data/lexicon.toml`, embedded) as one bit set per word.
//!
//! Every list is a variant of [`List`]; its bit is `1 << (variant index)`, so indices are
//! generated from the enum order instead of being numbered by hand. [`Lexicon::bits`] answers
//! all lists (and whether the word is a reporting verb of [`Cues`]) with one hash lookup, which
//! the sentence frame does once per token.

use super::cues::{with_lower_bytes, Cues};
use crate::features::vectorize::KeyMap;
use std::collections::hash_map::Entry;
use std::collections::BTreeMap;
use xxhash_rust::xxh3::xxh3_64;

/// The named word lists, in bit order. `data/lexicon.toml` has one key per variant
/// ([`List::key`]); a missing or unknown key is an error caught by the unit tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum List {
    Abbrev,
    TitleAbbrev,
    Common,
    RoleWords,
    RoleHeads,
    TitleWords,
    CapVerbs,
    Particles,
    Prepositions,
    Determiners,
    Pronouns,
    Adverbs,
    MaleFirst,
    FemaleFirst,
    ClauseWords,
    GenericDets,
    CueTailWords,
    ClauseOpeners,
    ListenerCues,
    AddresseeCues,
    NamingCues,
    Subordinators,
    CourtesyMale,
    CourtesyFemale,
    OrgHeads,
    ViewNouns,
    PlacePrepositions,
}

impl List {
    /// Every list, in bit order.
    pub const ALL: [List; 27] = [
        List::Abbrev,
        List::TitleAbbrev,
        List::Common,
        List::RoleWords,
        List::RoleHeads,
        List::TitleWords,
        List::CapVerbs,
        List::Particles,
        List::Prepositions,
        List::Determiners,
        List::Pronouns,
        List::Adverbs,
        List::MaleFirst,
        List::FemaleFirst,
        List::ClauseWords,
        List::GenericDets,
        List::CueTailWords,
        List::ClauseOpeners,
        List::ListenerCues,
        List::AddresseeCues,
        List::NamingCues,
        List::Subordinators,
        List::CourtesyMale,
        List::CourtesyFemale,
        List::OrgHeads,
        List::ViewNouns,
        List::PlacePrepositions,
    ];

    /// The list's bit in a word's bit set.
    pub const fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// The list's key in `data/lexicon.toml`.
    pub fn key(self) -> &'static str {
        match self {
            List::Abbrev => "abbrev",
            List::TitleAbbrev => "title_abbrev",
            List::Common => "common",
            List::RoleWords => "role_words",
            List::RoleHeads => "role_heads",
            List::TitleWords => "title_words",
            List::CapVerbs => "cap_verbs",
            List::Particles => "particles",
            List::Prepositions => "prepositions",
            List::Determiners => "determiners",
            List::Pronouns => "pronouns",
            List::Adverbs => "adverbs",
            List::MaleFirst => "male_first",
            List::FemaleFirst => "female_first",
            List::ClauseWords => "clause_words",
            List::GenericDets => "generic_dets",
            List::CueTailWords => "cue_tail_words",
            List::ClauseOpeners => "clause_openers",
            List::ListenerCues => "listener_cues",
            List::AddresseeCues => "addressee_cues",
            List::NamingCues => "naming_cues",
            List::Subordinators => "subordinators",
            List::CourtesyMale => "courtesy_male",
            List::CourtesyFemale => "courtesy_female",
            List::OrgHeads => "org_heads",
            List::ViewNouns => "view_nouns",
            List::PlacePrepositions => "place_prepositions",
        }
    }
}

/// Bit set on words that are reporting verbs (from [`Cues`]), above every list bit.
pub const CUE_BIT: u32 = 1 << 31;
const _: () = assert!(List::ALL.len() < 31, "list bits must stay below CUE_BIT");

const BUILTIN: &str = include_str!("../../data/lexicon.toml");

/// Every word list's bit (and the cue bit) per lowercase word. Built once per extractor.
#[derive(Debug, Clone)]
pub struct Lexicon {
    /// Word → bit set, keyed by the one-shot `xxh3_64` of the lowercase word: the sentence
    /// frame looks up every token of every article, and a `String`-keyed map's `Hasher` path
    /// (streaming xxh3 with a buffer copy) cost about as much as the rest of the lookup.
    by_key: KeyMap<(Box<str>, u32)>,
    /// Words whose key another word already holds (none in the built-in data; searched only
    /// when a key is found for a different word).
    collided: Vec<(Box<str>, u32)>,
}

impl Lexicon {
    /// The embedded lists plus `cues`' reporting verbs.
    pub fn new(cues: &Cues) -> Self {
        let mut lex = Lexicon {
            by_key: KeyMap::default(),
            collided: Vec::new(),
        };
        for (w, bits) in word_bits(cues) {
            match lex.by_key.entry(xxh3_64(w.as_bytes())) {
                Entry::Occupied(_) => lex.collided.push((w.into(), bits)),
                Entry::Vacant(e) => {
                    e.insert((w.into(), bits));
                }
            }
        }
        lex
    }

    /// The bit set of `word` (any case).
    pub fn bits(&self, word: &str) -> u32 {
        self.bits_and_key(word).0
    }

    /// The bit set of `word` (any case) and the xxh3 hash of its lower-case form.
    pub fn bits_and_key(&self, word: &str) -> (u32, u64) {
        let lookup = |l: &[u8]| {
            let key = xxh3_64(l);
            let bits = match self.by_key.get(&key) {
                Some((w, bits)) if w.as_bytes() == l => *bits,
                Some(_) => self
                    .collided
                    .iter()
                    .find(|(w, _)| w.as_bytes() == l)
                    .map_or(0, |e| e.1),
                None => 0,
            };
            (bits, key)
        };
        // Every word of every article comes through here: no allocation, no UTF-8 check.
        with_lower_bytes(word, lookup)
    }

    /// `word` (any case) is in `list`.
    pub fn has(&self, list: List, word: &str) -> bool {
        self.bits(word) & list.bit() != 0
    }
}

/// Every word's bit set: the embedded lists plus `cues`' reporting verbs (sorted, so the
/// table is built in the same order every time).
fn word_bits(cues: &Cues) -> BTreeMap<String, u32> {
    let lists = parse(BUILTIN).expect("embedded data/lexicon.toml is valid");
    let mut map = BTreeMap::new();
    for (list, words) in List::ALL.iter().zip(lists) {
        for w in words {
            *map.entry(w).or_insert(0) |= list.bit();
        }
    }
    for v in cues.verbs() {
        *map.entry(v.clone()).or_insert(0) |= CUE_BIT;
    }
    map
}

/// The lists of a lexicon file in [`List::ALL`] order; every key must be present and known.
fn parse(s: &str) -> Result<Vec<Vec<String>>, String> {
    let mut file: BTreeMap<String, Vec<String>> = toml::from_str(s).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(List::ALL.len());
    for list in List::ALL {
        let words = file
            .remove(list.key())
            .ok_or_else(|| format!("missing list `{}`", list.key()))?;
        out.push(words.into_iter().map(|w| w.trim().to_lowercase()).collect());
    }
    if let Some(k) = file.keys().next() {
        return Err(format!("unknown list `{k}`"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_is_in_the_data_and_bits_are_distinct() {
        let lists = parse(BUILTIN).unwrap();
        assert_eq!(lists.len(), List::ALL.len());
        for (l, words) in List::ALL.iter().zip(&lists) {
            assert!(!words.is_empty(), "{} is empty", l.key());
            assert_eq!(List::ALL[*l as usize], *l, "ALL is in declaration order");
        }
        let lex = Lexicon::new(&Cues::builtin());
        assert!(lex.has(List::Abbrev, "Mr") && lex.has(List::TitleAbbrev, "mr"));
        assert!(lex.has(List::Pronouns, "She") && !lex.has(List::Pronouns, "Rubio"));
        assert!(lex.bits("said") & CUE_BIT != 0 && lex.bits("Kremlin") & CUE_BIT == 0);
        // The xxh3-keyed table answers exactly as a plain string map of the same words.
        let reference = word_bits(&Cues::builtin());
        assert!(lex.collided.is_empty());
        for w in reference.keys() {
            let upper = w.to_uppercase();
            let half: String = w.chars().take(w.chars().count() / 2).collect();
            for q in [w.as_str(), &upper, &format!("{w}x"), &half] {
                let want = reference.get(&q.to_lowercase()).copied().unwrap_or(0);
                assert_eq!(lex.bits(q), want, "{q}");
            }
        }
        // A word whose key another word holds is still found (forced: no real xxh3 collision).
        let mut forced = lex.clone();
        let said = forced.by_key.remove(&xxh3_64(b"said")).unwrap();
        forced
            .by_key
            .insert(xxh3_64(b"said"), ("not-said".into(), 1));
        forced.collided.push(said);
        assert_ne!(lex.bits("said"), 0);
        assert_eq!(forced.bits("Said"), lex.bits("said"));
        assert!(parse("abbrev = []").unwrap_err().contains("missing list"));
        let mut extra = BUILTIN.to_string();
        extra.push_str("\nbogus = [\"x\"]\n");
        assert!(parse(&extra).unwrap_err().contains("unknown list `bogus`"));
    }
}
