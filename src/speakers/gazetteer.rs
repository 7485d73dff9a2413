//! The speaker gazetteer: canonical names, aliases, transliterations, roles and gender,
//! read from TOML (`data/speakers.toml` is embedded as the default; users extend it with
//! `--speakers FILE`). Lookups normalise case, dots and common diacritics so `Zelenskyy`,
//! `ZELENSKIY` and `U.S. State Department` / `US State Department` meet the same entry.

use crate::config::{from_toml, TomlConfig};
use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use xxhash_rust::xxh3::Xxh3Builder;

/// Grammatical gender used to resolve `he` / `she`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    Male,
    Female,
    /// Organisations, places, or people whose gender the gazetteer does not state.
    #[default]
    Unknown,
}

/// What kind of thing an entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Person,
    /// Ministries, governments, agencies: can speak, are `it`.
    Org,
    /// Countries and cities: not persons (never a pronoun antecedent for he/she).
    Place,
}

/// One gazetteer entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The canonical name used in outputs.
    pub name: String,
    /// Other spellings (surname alone, transliterations).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Role descriptions that identify this speaker (`Russian foreign minister`).
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub gender: Gender,
    #[serde(default)]
    pub kind: Kind,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    speaker: Vec<Entry>,
}

/// Canonical names with alias and role lookup. Later entries (user files) win on conflicts.
#[derive(Debug, Clone, Default)]
pub struct Gazetteer {
    entries: Vec<Entry>,
    // xxh3, not SipHash: a lookup per candidate mention is on the labeling hot path.
    by_alias: HashMap<String, usize, Xxh3Builder>,
    by_role: HashMap<String, usize, Xxh3Builder>,
}

const BUILTIN: &str = include_str!("../../data/speakers.toml");

impl Gazetteer {
    /// The embedded default gazetteer (`data/speakers.toml`).
    pub fn builtin() -> Self {
        Self::parse(BUILTIN, Path::new("data/speakers.toml"))
            .expect("embedded data/speakers.toml is valid")
    }

    /// An empty gazetteer (names are still attributed as written).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Adds every entry of `other`; its aliases and roles override ours.
    pub fn extend(&mut self, other: Gazetteer) {
        for e in other.entries {
            self.push(e);
        }
    }

    fn push(&mut self, e: Entry) {
        // An entry with a known canonical name merges into it (users add aliases that way).
        let key = normalize(&e.name);
        let idx = match self.by_alias.get(&key) {
            Some(&i) if self.entries[i].name == e.name => {
                let cur = &mut self.entries[i];
                cur.aliases.extend(e.aliases.iter().cloned());
                cur.roles.extend(e.roles.iter().cloned());
                if e.gender != Gender::Unknown {
                    cur.gender = e.gender;
                }
                i
            }
            _ => {
                self.entries.push(e);
                self.entries.len() - 1
            }
        };
        let e = &self.entries[idx];
        let keys: Vec<String> = std::iter::once(&e.name)
            .chain(e.aliases.iter())
            .map(|a| normalize(a))
            .collect();
        let roles: Vec<String> = e.roles.iter().map(|r| normalize_role(r)).collect();
        for k in keys {
            self.by_alias.insert(k, idx);
        }
        for r in roles {
            self.by_role.insert(r, idx);
        }
    }

    /// The canonical name for a name or alias as written, if known.
    pub fn canonical(&self, name: &str) -> Option<&str> {
        self.lookup(name).map(|e| e.name.as_str())
    }

    /// The entry for a name or alias.
    pub fn lookup(&self, name: &str) -> Option<&Entry> {
        thread_local! {
            // Attribution looks up every candidate phrase: no allocation per lookup.
            static KEY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        KEY.with(|key| {
            let mut key = key.borrow_mut();
            normalize_into(name, &mut key);
            self.by_alias.get(key.as_str()).map(|&i| &self.entries[i])
        })
    }

    /// The entry whose role is `role` (`the Ukrainian president`, `Russia's foreign minister`).
    pub fn by_role(&self, role: &str) -> Option<&Entry> {
        self.by_role
            .get(&normalize_role(role))
            .map(|&i| &self.entries[i])
    }

    /// The entry with canonical name `name`.
    pub fn entry(&self, canonical: &str) -> Option<&Entry> {
        self.lookup(canonical).filter(|e| e.name == canonical)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl TomlConfig for Gazetteer {
    fn parse(s: &str, origin: &Path) -> Result<Self> {
        let file: File = from_toml(s, origin)?;
        let mut g = Gazetteer::default();
        for e in file.speaker {
            if e.name.trim().is_empty() {
                return Err(Error::Config {
                    path: origin.to_path_buf(),
                    msg: "a [[speaker]] has an empty name".into(),
                });
            }
            g.push(e);
        }
        Ok(g)
    }
}

/// Lookup key: lowercase, no dots, common Latin diacritics folded, curly apostrophes straight,
/// whitespace collapsed.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    normalize_into(s, &mut out);
    out
}

/// [`normalize`] into `out` (cleared first), so that lookups can reuse one buffer.
pub fn normalize_into(s: &str, out: &mut String) {
    out.clear();
    if s.is_ascii() {
        // Fast path: most names are ASCII. Runs of kept bytes are copied whole and lowercased
        // at the end (attribution looks up every candidate phrase: byte-by-byte pushes cost
        // several times more).
        let mut run = 0;
        let mut space = false;
        let flush = |out: &mut String, run: usize, end: usize, space: &mut bool| {
            if run < end {
                if *space {
                    out.push(' ');
                    *space = false;
                }
                out.push_str(&s[run..end]);
            }
        };
        for (i, b) in s.bytes().enumerate() {
            if matches!(b, b'.' | b' ' | b'\t' | b'\n' | b'\r' | b'-') {
                flush(out, run, i, &mut space);
                run = i + 1;
                if b != b'.' {
                    space = !out.is_empty();
                }
            }
        }
        flush(out, run, s.len(), &mut space);
        out.make_ascii_lowercase();
        return;
    }
    let mut space = false;
    for c in s.chars() {
        if c == '.' {
            continue;
        }
        if c.is_whitespace() || c == '-' {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        let c = match c {
            '’' | '‘' => '\'',
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ą' | 'Á' | 'Ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'ę' | 'ě' | 'É' => 'e',
            'í' | 'ì' | 'î' | 'ï' | 'ı' | 'İ' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ő' | 'ø' | 'Ö' | 'Ó' => 'o',
            'ú' | 'ù' | 'û' | 'ü' | 'ű' | 'Ü' => 'u',
            'ğ' => 'g',
            'ş' | 'ś' | 'š' | 'Ş' | 'Š' | 'Ś' => 's',
            'ç' | 'ć' | 'č' | 'Č' => 'c',
            'ł' | 'Ł' => 'l',
            'ń' | 'ñ' => 'n',
            'ż' | 'ź' | 'ž' | 'Ž' => 'z',
            'ý' => 'y',
            'ř' => 'r',
            _ => c,
        };
        out.extend(c.to_lowercase());
    }
}

/// Role key: [`normalize`] without a leading article or possessive form (`Russia's` → `russian`
/// is not attempted; list such variants as separate roles).
pub fn normalize_role(s: &str) -> String {
    let n = normalize(s);
    let n = ["the ", "a ", "an "]
        .iter()
        .find_map(|det| n.strip_prefix(det))
        .map_or_else(|| n.clone(), str::to_string);
    // "National Security Advisor" and "the adviser" are one title.
    if n.split(' ').any(|w| w == "advisor") {
        let words: Vec<&str> = n
            .split(' ')
            .map(|w| if w == "advisor" { "adviser" } else { w })
            .collect();
        return words.join(" ");
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-by-byte ASCII path that `normalize_into`'s run copying replaced: the reference.
    fn normalize_ascii_bytewise(s: &str) -> String {
        let mut out = String::new();
        let mut space = false;
        for b in s.bytes() {
            match b {
                b'.' => {}
                b' ' | b'\t' | b'\n' | b'\r' | b'-' => space = !out.is_empty(),
                _ => {
                    if space {
                        out.push(' ');
                        space = false;
                    }
                    out.push(b.to_ascii_lowercase() as char);
                }
            }
        }
        out
    }

    #[test]
    fn ascii_runs_equal_the_bytewise_normalisation() {
        // Every string of up to five bytes over what the rules treat apart, and every span of
        // up to six words of the seeds.
        let alphabet = ["a", "Z", ".", " ", "\t", "\n", "\r", "-", "'", "7"];
        let mut out = String::new();
        let mut text = String::new();
        let mut checked = 0;
        for n in 0..alphabet.len().pow(5) {
            text.clear();
            let mut k = n;
            for _ in 0..5 {
                text.push_str(alphabet[k % alphabet.len()]);
                k /= alphabet.len();
            }
            normalize_into(&text, &mut out);
            assert_eq!(out, normalize_ascii_bytewise(&text), "{text:?}");
            checked += 1;
        }
        for text in crate::test_support::seed_texts() {
            let words: Vec<&str> = text.split(' ').filter(|w| w.is_ascii()).collect();
            for i in 0..words.len() {
                for j in i + 1..(i + 7).min(words.len() + 1) {
                    let phrase = words[i..j].join(" ");
                    normalize_into(&phrase, &mut out);
                    assert_eq!(out, normalize_ascii_bytewise(&phrase), "{phrase:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 120_000, "{checked}");
    }

    #[test]
    fn builtin_merges_transliterations_and_roles() {
        let g = Gazetteer::builtin();
        assert!(g.len() > 20);
        for n in [
            "Zelensky",
            "Zelenskyy",
            "Zelenskiy",
            "ZELENSKYY",
            "Volodymyr Zelenskyy",
        ] {
            assert_eq!(g.canonical(n), Some("Volodymyr Zelensky"), "{n}");
        }
        assert_eq!(g.canonical("Sergei Lavrov"), g.canonical("Sergey Lavrov"));
        assert_eq!(g.canonical("Michael Waltz"), Some("Mike Waltz"));
        assert_eq!(g.canonical("Erdogan"), g.canonical("Recep Tayyip Erdoğan"));
        assert_eq!(
            g.by_role("the Ukrainian president")
                .map(|e| e.name.as_str()),
            Some("Volodymyr Zelensky")
        );
        assert_eq!(g.canonical("Nobody Atall"), None);
    }

    #[test]
    fn user_file_extends_and_bad_file_names_line() {
        let mut g = Gazetteer::builtin();
        let user = "[[speaker]]\nname = \"Jane Roe\"\naliases = [\"Roe\"]\nroles = [\"mayor of Kyiv\"]\ngender = \"female\"\n";
        g.extend(Gazetteer::from_toml_str(user).unwrap());
        assert_eq!(g.canonical("roe"), Some("Jane Roe"));
        assert_eq!(g.lookup("Roe").unwrap().gender, Gender::Female);
        let err = Gazetteer::from_toml_str("[[speaker]]\nname = 3\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("<TOML string>:2"), "{err}");
    }
}
