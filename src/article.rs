//! Stage 0 of the pipeline: an article is an id and its UTF-8 text.
//!
//! Every offset the library hands out is a **char** (Unicode scalar) offset into
//! `Article::text`, end exclusive, as the annotation guide specifies. Rust strings index by
//! byte, so [`CharIndex`] converts between the two in O(1) after an O(n) build.

use serde::{Deserialize, Serialize};

/// One news article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// File stem for text files, the `id` field for JSON Lines records.
    pub id: String,
    /// The full text, UTF-8.
    pub text: String,
}

/// Chars of an article's lead (see [`Article::lead`]).
pub const LEAD_CHARS: usize = 300;

impl Article {
    /// Creates an article from an id and its text.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        Article {
            id: id.into(),
            text: text.into(),
        }
    }

    /// The article's lead: its first [`LEAD_CHARS`] chars (after leading white space), to the
    /// end of the word they stop in. In news the headline and first sentence say what the
    /// story is about, which tells the topic of a quote whose own words do not.
    pub fn lead(&self) -> &str {
        lead(&self.text)
    }
}

/// See [`Article::lead`].
pub fn lead(text: &str) -> &str {
    let t = text.trim_start();
    let Some((cut, _)) = t.char_indices().nth(LEAD_CHARS) else {
        return t.trim_end();
    };
    let end = t[cut..]
        .find(char::is_whitespace)
        .map_or(t.len(), |i| cut + i);
    &t[..end]
}

/// A half-open range of char offsets with the text it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// A paired (or recovered) quotation in byte offsets: what `quotes::marks` finds and the
/// attribution stage (`speakers`) reads; the extractor turns it into a char-offset `Quote`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawQuote {
    /// Byte offset of the opening mark.
    pub open: usize,
    /// First byte of the quoted text (after the opening mark).
    pub start: usize,
    /// End of the quoted text (the closing mark's offset), exclusive.
    pub end: usize,
    /// Byte offset just past the closing mark (== `end` when recovered without a close).
    pub close_end: usize,
    /// False when the quote was cut at a paragraph end without a closing mark.
    pub closed: bool,
    /// True for single marks (‘…’, '…').
    pub single: bool,
}

/// Char ↔ byte offset conversion for one text.
///
/// Building it costs one pass over the text. News text is mostly ASCII with a few curly quotes
/// and dashes, so only the non-ASCII chars are recorded (with the running count of their extra
/// bytes) and a lookup is a binary search over them; ASCII-only texts record nothing.
#[derive(Debug, Clone)]
pub struct CharIndex {
    map: OffsetMap,
    len_bytes: usize,
    len_chars: usize,
}

#[derive(Debug, Clone)]
enum OffsetMap {
    /// Per non-ASCII char, in order: its char offset and the extra bytes (beyond one per
    /// char) of every non-ASCII char up to and including it. Texts under 4 GiB.
    Sparse(Vec<(u32, u32)>),
    /// `byte_of[c]` for every char `c`, plus the text length: texts of 4 GiB or more, and
    /// the reference the sparse map is tested against.
    Full(Vec<usize>),
}

impl CharIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        if u32::try_from(text.len()).is_err() {
            return Self::full(text);
        }
        let bytes = text.as_bytes();
        let mut wide = Vec::new();
        let (mut extra, mut at) = (0u32, 0usize);
        while at < bytes.len() {
            // Skip ASCII eight bytes at a time.
            if let Some(w) = bytes.get(at..at + 8) {
                let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
                if w & 0x8080_8080_8080_8080 == 0 {
                    at += 8;
                    continue;
                }
            }
            let b = bytes[at];
            if b < 0x80 {
                at += 1;
                continue;
            }
            // A lead byte: the text is valid UTF-8, so its width is in its high bits.
            let width = match b {
                0xF0.. => 4,
                0xE0.. => 3,
                _ => 2,
            };
            extra += width - 1;
            // Both fit: `at` < text length < 2^32, and the char offset is below `at`.
            wide.push(((at as u32) - (extra - (width - 1)), extra));
            at += width as usize;
        }
        CharIndex {
            len_chars: text.len() - extra as usize,
            map: OffsetMap::Sparse(wide),
            len_bytes: text.len(),
        }
    }

    /// The full per-char table (any text size).
    fn full(text: &str) -> Self {
        let mut v: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        v.push(text.len());
        CharIndex {
            len_chars: v.len() - 1,
            map: OffsetMap::Full(v),
            len_bytes: text.len(),
        }
    }

    /// Number of chars in the text.
    pub fn len_chars(&self) -> usize {
        self.len_chars
    }

    /// Byte offset of char offset `c` (`c == len_chars()` gives the text length).
    pub fn byte(&self, c: usize) -> usize {
        let c = c.min(self.len_chars);
        match &self.map {
            OffsetMap::Sparse(wide) => {
                // Extra bytes of the non-ASCII chars before `c`.
                let i = wide.partition_point(|&(wc, _)| (wc as usize) < c);
                c + i.checked_sub(1).map_or(0, |k| wide[k].1 as usize)
            }
            OffsetMap::Full(byte_of) => byte_of[c],
        }
    }

    /// Char offset of byte offset `b`, which must be on a char boundary (a byte inside a
    /// char gives the next char).
    pub fn char_of(&self, b: usize) -> usize {
        let b = b.min(self.len_bytes);
        match &self.map {
            OffsetMap::Sparse(wide) => {
                // Non-ASCII char `k` ends at byte `c + 1 + extra` (its char offset plus the
                // extra bytes up to and including it): `i` chars end at or before `b`.
                let i = wide.partition_point(|&(c, extra)| c as usize + 1 + extra as usize <= b);
                let extra_before = i.checked_sub(1).map_or(0, |k| wide[k].1 as usize);
                match wide.get(i) {
                    // `b` is inside char `i` (past its first byte): the next char.
                    Some(&(c, _)) if (c as usize) + extra_before < b => c as usize + 1,
                    _ => b - extra_before,
                }
            }
            OffsetMap::Full(byte_of) => match byte_of.binary_search(&b) {
                Ok(i) | Err(i) => i,
            },
        }
    }

    /// The text of char range `start..end`.
    pub fn slice<'t>(&self, text: &'t str, start: usize, end: usize) -> &'t str {
        &text[self.byte(start)..self.byte(end)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_index_round_trips_non_ascii() {
        let text = "Zelenskyy said: «Ми не здамося» — “no”.";
        let idx = CharIndex::new(text);
        assert_eq!(idx.len_chars(), text.chars().count());
        for (c, (b, _)) in text.char_indices().enumerate() {
            assert_eq!(idx.byte(c), b);
            assert_eq!(idx.char_of(b), c);
        }
        let chars: Vec<char> = text.chars().collect();
        let s: String = chars[16..31].iter().collect();
        assert_eq!(idx.slice(text, 16, 31), s);
    }

    /// The sparse map answers as the full per-char table does, for every offset (and past
    /// the end), on text mixing ASCII with 2-, 3- and 4-byte chars.
    #[test]
    fn sparse_char_index_equals_the_full_table() {
        use proptest::prelude::*;
        let piece = prop::sample::select(vec![
            "a",
            "bc",
            " ",
            "\n",
            "é",
            "—",
            "“",
            "”",
            "«",
            "»",
            "Ж",
            "中",
            "😀",
            "’s",
            "plain text ",
        ]);
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        runner
            .run(&prop::collection::vec(piece, 0..60), |pieces| {
                let text: String = pieces.concat();
                let (sparse, full) = (CharIndex::new(&text), CharIndex::full(&text));
                prop_assert_eq!(sparse.len_chars(), full.len_chars());
                for c in 0..=full.len_chars() + 2 {
                    prop_assert_eq!(sparse.byte(c), full.byte(c), "char {}", c);
                }
                for b in 0..=text.len() + 2 {
                    prop_assert_eq!(sparse.char_of(b), full.char_of(b), "byte {}", b);
                }
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn char_index_ascii_fast_path() {
        let idx = CharIndex::new("plain ascii");
        assert_eq!(idx.len_chars(), 11);
        assert_eq!(idx.byte(6), 6);
        assert_eq!(idx.slice("plain ascii", 6, 11), "ascii");
    }
}
