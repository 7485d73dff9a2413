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
/// Building it costs one pass over the text; ASCII-only texts skip the table entirely.
#[derive(Debug, Clone)]
pub struct CharIndex {
    /// `byte_of[c]` is the byte offset of char `c`; has `n_chars + 1` entries. Empty when ASCII.
    byte_of: Vec<usize>,
    len_bytes: usize,
}

impl CharIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        let byte_of = if text.is_ascii() {
            Vec::new()
        } else {
            let mut v: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
            v.push(text.len());
            v
        };
        CharIndex {
            byte_of,
            len_bytes: text.len(),
        }
    }

    /// Number of chars in the text.
    pub fn len_chars(&self) -> usize {
        if self.byte_of.is_empty() {
            self.len_bytes
        } else {
            self.byte_of.len() - 1
        }
    }

    /// Byte offset of char offset `c` (`c == len_chars()` gives the text length).
    pub fn byte(&self, c: usize) -> usize {
        if self.byte_of.is_empty() {
            c.min(self.len_bytes)
        } else {
            self.byte_of[c.min(self.byte_of.len() - 1)]
        }
    }

    /// Char offset of byte offset `b`, which must be on a char boundary.
    pub fn char_of(&self, b: usize) -> usize {
        if self.byte_of.is_empty() {
            b.min(self.len_bytes)
        } else {
            match self.byte_of.binary_search(&b) {
                Ok(i) | Err(i) => i,
            }
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

    #[test]
    fn char_index_ascii_fast_path() {
        let idx = CharIndex::new("plain ascii");
        assert_eq!(idx.len_chars(), 11);
        assert_eq!(idx.byte(6), 6);
        assert_eq!(idx.slice("plain ascii", 6, 11), "ascii");
    }
}
