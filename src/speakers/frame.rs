//! Stage 1 of attribution: the sentence frame. The article outside its quotes becomes a token
//! stream in which every quotation is one token, so sentence splitting, chunking and cue search
//! never look inside quoted speech. Each word carries its [`Lexicon`] bit set, computed once.

use super::attribute::Lexicons;
use super::cues::{with_lower, Cues};
use super::gazetteer::Gazetteer;
use super::lexicon::{Lexicon, List, CUE_BIT};
use crate::article::RawQuote;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TK {
    Word,
    Punct,
    Quote(u32),
    Newline,
}

/// One frame token, in byte offsets.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tok {
    pub s: usize,
    pub e: usize,
    pub kind: TK,
}

/// The frame of one article: tokens, their word-list bits, sentences and paragraphs.
pub(super) struct Frame<'a> {
    pub text: &'a str,
    pub toks: Vec<Tok>,
    /// Per token: [`List`] bits and [`CUE_BIT`].
    pub flags: Vec<u32>,
    /// Token ranges of sentences.
    pub sents: Vec<(usize, usize)>,
    pub sent_of: Vec<u32>,
    /// Per token: paragraph number (a paragraph ends at a newline).
    pub para_of: Vec<u32>,
    /// Per quote: its token, or `usize::MAX` when it overlaps an earlier one.
    pub qtok: Vec<usize>,
    pub gaz: &'a Gazetteer,
    pub cues: &'a Cues,
    pub lex: &'a Lexicon,
    /// xxh3 hashes of the words the text writes in lower case, in text order.
    pub lower_keys: Vec<u64>,
    /// The same, sorted and deduplicated, for long texts (built on first use).
    pub lowercase_words: std::cell::OnceCell<Vec<u64>>,
}

impl<'a> Frame<'a> {
    /// Builds the frame of `text[..body_end]` around `quotes` (in text order).
    pub fn new(text: &'a str, body_end: usize, quotes: &[RawQuote], lx: Lexicons<'a>) -> Self {
        let Lexicons {
            gazetteer: gaz,
            cues,
            lexicon: lex,
        } = lx;
        let toks = frame(text, body_end, quotes);
        let sents = sentences(text, &toks, quotes, cues, lex);
        let mut sent_of = vec![0u32; toks.len()];
        for (si, &(a, b)) in sents.iter().enumerate() {
            for s in &mut sent_of[a..b] {
                *s = si as u32;
            }
        }
        let mut para_of = Vec::with_capacity(toks.len());
        let mut para = 0u32;
        for t in &toks {
            if t.kind == TK::Newline {
                para += 1;
            }
            para_of.push(para);
        }
        // Each word is lower-cased and hashed once, for its list bits and, when it is
        // written in lower case, for the article's set of lower-case words.
        let mut lower_keys = Vec::new();
        let mut flags: Vec<u32> = toks
            .iter()
            .map(|t| {
                if t.kind != TK::Word {
                    return 0;
                }
                let w = &text[t.s..t.e];
                let (bits, key) = lex.bits_and_key(w);
                if !w.chars().any(char::is_uppercase) {
                    lower_keys.push(key);
                }
                bits
            })
            .collect();
        demote_noun_cues(text, &toks, &sents, &mut flags);
        let mut qtok = vec![usize::MAX; quotes.len()];
        for (i, t) in toks.iter().enumerate() {
            if let TK::Quote(q) = t.kind {
                qtok[q as usize] = i;
            }
        }
        Frame {
            text,
            toks,
            flags,
            sents,
            sent_of,
            para_of,
            qtok,
            gaz,
            cues,
            lex,
            lower_keys,
            lowercase_words: std::cell::OnceCell::new(),
        }
    }

    /// Text of token `i`.
    pub fn w(&self, i: usize) -> &'a str {
        let t = self.toks[i];
        &self.text[t.s..t.e]
    }

    /// Text of token `i` (punctuation).
    pub fn p(&self, i: usize) -> &'a str {
        self.w(i)
    }

    pub fn is_word(&self, i: usize) -> bool {
        i < self.toks.len() && self.toks[i].kind == TK::Word
    }

    pub fn is_punct(&self, i: usize, p: &str) -> bool {
        i < self.toks.len() && self.toks[i].kind == TK::Punct && self.p(i) == p
    }

    pub fn is_cue(&self, i: usize) -> bool {
        i < self.flags.len() && self.flags[i] & CUE_BIT != 0
    }

    /// Token `i` (a word) is in `list`.
    pub fn tf(&self, i: usize, list: List) -> bool {
        i < self.flags.len() && self.flags[i] & list.bit() != 0
    }

    /// `word` (any case) is in `list`.
    pub fn lw(&self, word: &str, list: List) -> bool {
        self.lex.has(list, word)
    }

    pub fn sent_start(&self, i: usize) -> usize {
        self.sents.get(self.sent_of[i] as usize).map_or(0, |s| s.0)
    }

    /// Byte span of token range `a..b`.
    pub fn span(&self, a: usize, b: usize) -> (usize, usize) {
        (self.toks[a].s, self.toks[b.max(a + 1) - 1].e)
    }
}

/// After “…?” Obama asked: does the word after the cue continue the attribution ("said of
/// Apple", "said on Twitter", "said Tuesday", "asked reporters") rather than open a reported
/// clause ("added that …", "asked whether …")?
fn cue_tail(lex: &Lexicon, cue: &str, next: &str) -> bool {
    if lex.has(List::CueTailWords, next) {
        return true;
    }
    lex.has(List::ListenerCues, cue) && !lex.has(List::ClauseOpeners, next)
}

pub(super) fn is_cap(word: &str) -> bool {
    word.chars().next().is_some_and(|c| c.is_uppercase())
}

/// A capitalised compound adjective ("Russian-occupied", "Kremlin-backed", "US-brokered"):
/// capitalised, but it describes a noun, it does not name a speaker.
pub(super) fn is_cap_compound_adjective(word: &str) -> bool {
    is_cap(word)
        && word.rsplit_once('-').is_some_and(|(_, tail)| {
            tail.chars().count() >= 3 && tail.chars().all(|c| c.is_lowercase())
        })
}

/// Clears the cue bit of reporting-verb forms that are nouns or parts of names here: a
/// capitalised form inside a sentence ("the State Department", "the United States", "The
/// Washington Post"; title-case headlines like "Gina Rodriguez Questioned What…" excepted).
fn demote_noun_cues(text: &str, toks: &[Tok], sents: &[(usize, usize)], flags: &mut [u32]) {
    // Per token: first of its sentence; its sentence is in sentence case (mostly lowercase
    // words), so a capitalised verb form inside it is not a title-case headline verb.
    let mut starts = vec![false; toks.len()];
    let mut prose = vec![false; toks.len()];
    for &(a, b) in sents {
        let b = b.min(toks.len());
        if a >= b {
            continue;
        }
        starts[a] = true;
        let words = toks[a..b].iter().filter(|t| t.kind == TK::Word);
        let (n, lower) = words.fold((0, 0), |(n, l), t| {
            (n + 1, l + usize::from(!is_cap(&text[t.s..t.e])))
        });
        let p = lower * 2 > n;
        for x in &mut prose[a..b] {
            *x = p;
        }
    }
    for i in 1..toks.len() {
        if flags[i] & CUE_BIT == 0 {
            continue;
        }
        let w = &text[toks[i].s..toks[i].e];
        let prev = toks[i - 1];
        let proper = !starts[i]
            && prose[i]
            && matches!(prev.kind, TK::Word | TK::Punct)
            && is_cap(w)
            && flags[i] & List::CapVerbs.bit() == 0;
        if proper {
            flags[i] &= !CUE_BIT;
        }
    }
}

/// Tokens outside quotes, with each quote as one token.
fn frame(text: &str, end: usize, quotes: &[RawQuote]) -> Vec<Tok> {
    let mut toks = Vec::with_capacity(end / 5 + 8);
    let mut pos = 0;
    for (qi, q) in quotes.iter().enumerate() {
        if q.open < pos {
            continue;
        }
        tokenize(text, pos, q.open, &mut toks);
        toks.push(Tok {
            s: q.open,
            e: q.close_end.max(q.end),
            kind: TK::Quote(qi as u32),
        });
        pos = q.close_end.max(q.end);
    }
    tokenize(text, pos, end.max(pos), &mut toks);
    toks
}

/// Byte classes for [`tokenize`]: ASCII by `char::is_whitespace` / `is_alphanumeric`, and
/// the bytes of non-ASCII chars, which are decoded and classed as chars.
const OTHER: u8 = 0;
const SPACE: u8 = 1;
const NEWLINE: u8 = 2;
const ALNUM: u8 = 3;
const NON_ASCII: u8 = 4;

/// The class of every byte.
const BYTE_CLASS: [u8; 256] = {
    let mut t = [NON_ASCII; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c == b'\n' {
            NEWLINE
        } else if c.is_ascii_alphanumeric() {
            ALNUM
        } else if matches!(c, b' ' | b'\t' | b'\r' | 0x0b | 0x0c) {
            SPACE
        } else {
            OTHER
        };
        b += 1;
    }
    t
};

/// The char at byte `i` of `text` (a char boundary below `to`) and its length, or `None` at
/// `to`. ASCII, most of a news text, skips UTF-8 decoding.
#[inline]
fn char_at(text: &str, i: usize, to: usize) -> Option<(char, usize)> {
    let b = *text.as_bytes().get(i).filter(|_| i < to)?;
    if b < 0x80 {
        return Some((b as char, 1));
    }
    text[i..to].chars().next().map(|c| (c, c.len_utf8()))
}

/// Words, punctuation and paragraph breaks of `text[from..to]`, appended to `out`.
///
/// A word is a run of alphanumeric chars, joined across `'`, `’`, `-` or `&` when an
/// alphanumeric char follows (we’ve, pro-Russian) and across the dots of abbreviations (U.S.,
/// a.m.; the closing dot included). Any other non-space char is a one-char punctuation token;
/// a run of line breaks (with spaces between) is one newline token. Byte by byte over ASCII:
/// every word of every article comes through here (`tokenize_tests::bytewise_equals_char_by_char`
/// keeps the char-iterator original as its reference).
fn tokenize(text: &str, from: usize, to: usize, out: &mut Vec<Tok>) {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < to {
        let b = bytes[i];
        let class = BYTE_CLASS[b as usize];
        let (c, len, class) = if class != NON_ASCII {
            (b as char, 1, class)
        } else {
            let Some((c, len)) = char_at(text, i, to) else {
                break;
            };
            let class = if c.is_whitespace() {
                SPACE
            } else if c.is_alphanumeric() {
                ALNUM
            } else {
                OTHER
            };
            (c, len, class)
        };
        match class {
            SPACE => i += len,
            NEWLINE => {
                if !matches!(out.last(), Some(t) if t.kind == TK::Newline) {
                    out.push(Tok {
                        s: i,
                        e: i + 1,
                        kind: TK::Newline,
                    });
                }
                i += 1;
            }
            OTHER => {
                out.push(Tok {
                    s: i,
                    e: i + len,
                    kind: TK::Punct,
                });
                i += len;
            }
            _ => {
                let e = word_end(text, i, c, len, to);
                out.push(Tok {
                    s: i,
                    e,
                    kind: TK::Word,
                });
                i = e;
            }
        }
    }
}

/// The end of the word that starts at byte `s` with `first` (`len` bytes) in `text[..to]`
/// (the rules of [`tokenize`]).
#[inline]
fn word_end(text: &str, s: usize, first: char, len: usize, to: usize) -> usize {
    let bytes = text.as_bytes();
    let mut e = s + len;
    let mut last = first;
    let mut has_dot = false;
    let mut i = e;
    loop {
        // The ASCII run first, then one char at a time.
        i += bytes[i..to]
            .iter()
            .position(|&b| BYTE_CLASS[b as usize] != ALNUM)
            .unwrap_or(to - i);
        if i > e {
            last = bytes[i - 1] as char;
            e = i;
        }
        let Some((d, dlen)) = char_at(text, i, to) else {
            return e;
        };
        if d.is_alphanumeric() {
            last = d;
            e = i + dlen;
            i = e;
            continue;
        }
        let next = i + dlen;
        let nxt = || char_at(text, next, to).map(|(n, _)| n);
        let join = match d {
            '\'' | '’' | '-' | '&' => nxt().is_some_and(|n| n.is_alphanumeric()),
            // Abbreviations with inner dots: U.S., U.K., a.m.
            '.' => {
                last.is_alphabetic()
                    && (e - s == last.len_utf8() || has_dot)
                    && nxt().is_some_and(|n| {
                        n.is_alphabetic()
                            && char_at(text, next + n.len_utf8(), to)
                                .is_none_or(|(n, _)| !n.is_alphabetic())
                    })
            }
            _ => false,
        };
        if join {
            has_dot |= d == '.';
            i = next;
            continue;
        }
        // Closing dot of an inner-dot abbreviation (U.S.). `last` and `has_dot` are kept as the
        // word grows rather than read back from it: deriving them at each dot cost about 8 M
        // instructions per 1,000 articles.
        if d == '.' && has_dot {
            e = i + 1;
        }
        return e;
    }
}

fn sentences(
    text: &str,
    toks: &[Tok],
    quotes: &[RawQuote],
    cues: &Cues,
    lex: &Lexicon,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let n = toks.len();
    let starts_upper = |t: &Tok| -> bool {
        match t.kind {
            TK::Word => text[t.s..t.e]
                .chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit()),
            TK::Quote(_) | TK::Newline => true,
            TK::Punct => matches!(&text[t.s..t.e], "(" | "[" | "—" | "-" | "•"),
        }
    };
    let mut i = 0;
    // Open parenthesis position: no sentence ends inside "(D-N.Y.)" (bounded, in case it never closes).
    let mut paren: Option<usize> = None;
    while i < n {
        let t = toks[i];
        let mut boundary_after = false;
        if t.kind == TK::Punct {
            match &text[t.s..t.e] {
                "(" => paren = Some(i),
                ")" => paren = None,
                _ => {}
            }
        }
        if paren.is_some_and(|p| i - p > 12) {
            paren = None;
        }
        if paren.is_some() && t.kind == TK::Punct {
            i += 1;
            continue;
        }
        match t.kind {
            TK::Newline => {
                paren = None;
                if i > start {
                    out.push((start, i));
                }
                start = i + 1;
                i += 1;
                continue;
            }
            TK::Punct => {
                let p = &text[t.s..t.e];
                // A semicolon ends a clause: headlines join two stories with it.
                if p == ";" {
                    boundary_after = true;
                } else if matches!(p, "." | "!" | "?" | "…") {
                    let mut j = i + 1;
                    while j < n
                        && toks[j].kind == TK::Punct
                        && matches!(&text[toks[j].s..toks[j].e], ")" | "]" | "." | "!" | "?")
                    {
                        j += 1;
                    }
                    let abbrev = p == "."
                        && i > 0
                        && toks[i - 1].kind == TK::Word
                        && toks[i - 1].e == t.s
                        && with_lower(&text[toks[i - 1].s..toks[i - 1].e], |w| {
                            lex.has(List::Abbrev, w)
                                || (w.chars().count() == 1 && w.chars().all(char::is_alphabetic))
                        });
                    if !abbrev && (j >= n || starts_upper(&toks[j])) {
                        i = j - 1;
                        boundary_after = true;
                    }
                }
            }
            TK::Word => {
                let w = &text[t.s..t.e];
                // "… in the U.S. The talks …": an inner-dot abbreviation can end a sentence.
                if w.ends_with('.') && i + 1 < n {
                    let nt = toks[i + 1];
                    if nt.kind == TK::Word
                        && lex.has(List::Common, &text[nt.s..nt.e])
                        && starts_upper(&nt)
                    {
                        boundary_after = true;
                    }
                }
            }
            TK::Quote(q) => {
                let q = &quotes[q as usize];
                let inner = text[q.start..q.end].trim_end();
                let ends = inner.ends_with(['.', '!', '?', '…']) || !q.closed;
                if ends && i + 1 < n {
                    let nt = toks[i + 1];
                    let next_is_cue = nt.kind == TK::Word && cues.is_verb(&text[nt.s..nt.e]);
                    if starts_upper(&nt) && !next_is_cue && nt.kind != TK::Newline {
                        // “… journey.” Rubio said — a name then a cue is still this sentence.
                        // … but only when the cue ends the clause ("Beck questioned."), not
                        // "“…imposed.” Waltz added that …", a new sentence.
                        let name_then_cue = (i + 1..n.min(i + 6))
                            .take_while(|&k| toks[k].kind == TK::Word)
                            .find(|&k| cues.is_verb(&text[toks[k].s..toks[k].e]))
                            .is_some_and(|k| {
                                k + 1 >= n
                                    || matches!(toks[k + 1].kind, TK::Newline)
                                    || (toks[k + 1].kind == TK::Punct
                                        && matches!(&text[toks[k + 1].s..toks[k + 1].e], "." | ","))
                                    || (toks[k + 1].kind == TK::Word
                                        && cue_tail(
                                            lex,
                                            &text[toks[k].s..toks[k].e],
                                            &text[toks[k + 1].s..toks[k + 1].e],
                                        ))
                            });
                        if !name_then_cue {
                            boundary_after = true;
                        }
                    }
                }
            }
        }
        if boundary_after {
            out.push((start, i + 1));
            start = i + 1;
        }
        i += 1;
    }
    if start < n {
        out.push((start, n));
    }
    out
}

#[cfg(test)]
mod compound_adjective_tests {
    use super::is_cap_compound_adjective as adj;

    #[test]
    fn capitalised_compound_adjectives_are_not_names() {
        for w in ["Russian-occupied", "Kremlin-backed", "US-brokered"] {
            assert!(adj(w), "{w}");
        }
        for w in [
            "Al-Assad",
            "Jean-Claude",
            "Bin-Zayed",
            "Russian",
            "pro-Kremlin",
        ] {
            assert!(!adj(w), "{w}");
        }
    }
}

#[cfg(test)]
mod tokenize_tests {
    use super::{tokenize, Tok, TK};

    /// The char-iterator tokenizer that [`super::tokenize`] replaced: the reference.
    fn tokenize_chars(text: &str, from: usize, to: usize, out: &mut Vec<Tok>) {
        let seg = &text[from..to];
        let mut it = seg.char_indices().peekable();
        while let Some((i, c)) = it.next() {
            let s = from + i;
            if c == '\n' {
                if !matches!(
                    out.last(),
                    Some(Tok {
                        kind: TK::Newline,
                        ..
                    })
                ) {
                    out.push(Tok {
                        s,
                        e: s + 1,
                        kind: TK::Newline,
                    });
                }
                continue;
            }
            if c.is_whitespace() {
                continue;
            }
            if c.is_alphanumeric() {
                let mut e = s + c.len_utf8();
                let mut last = c;
                while let Some(&(j, d)) = it.peek() {
                    if d.is_alphanumeric() {
                        last = d;
                        it.next();
                        e = from + j + d.len_utf8();
                        continue;
                    }
                    // Joiners kept inside a word when a letter follows: we’ve, U.S., pro-Russian.
                    let rest = &seg[j + d.len_utf8()..];
                    let nxt = rest.chars().next();
                    let join = match d {
                        '\'' | '’' | '-' | '&' => nxt.is_some_and(|n| n.is_alphanumeric()),
                        '.' => {
                            // Abbreviations with inner dots: U.S., U.K., a.m.
                            last.is_alphabetic()
                                && (e - s == last.len_utf8()
                                    || seg[s - from..e - from].contains('.'))
                                && nxt.is_some_and(|n| n.is_alphabetic())
                                && rest.chars().nth(1).is_none_or(|n| !n.is_alphabetic())
                        }
                        _ => false,
                    };
                    if join {
                        it.next();
                        continue;
                    }
                    // Closing dot of an inner-dot abbreviation (U.S.).
                    if d == '.'
                        && seg[s - from..e - from].contains('.')
                        && !seg[s - from..e - from].ends_with('.')
                    {
                        it.next();
                        e = from + j + 1;
                    }
                    break;
                }
                out.push(Tok {
                    s,
                    e,
                    kind: TK::Word,
                });
            } else {
                out.push(Tok {
                    s,
                    e: s + c.len_utf8(),
                    kind: TK::Punct,
                });
            }
        }
    }

    fn spans(toks: &[Tok]) -> Vec<(usize, usize, TK)> {
        toks.iter().map(|t| (t.s, t.e, t.kind)).collect()
    }

    fn assert_same(text: &str, from: usize, to: usize) {
        let (mut fast, mut reference) = (Vec::new(), Vec::new());
        tokenize(text, from, to, &mut fast);
        tokenize_chars(text, from, to, &mut reference);
        assert_eq!(spans(&fast), spans(&reference), "{:?}", &text[from..to]);
    }

    #[test]
    fn bytewise_equals_char_by_char() {
        // Every string of up to four chars over the chars the rules treat apart: letters,
        // digits, the joiners, dots, spaces (ASCII and not), line breaks, other punctuation,
        // non-ASCII letters and symbols.
        let alphabet = [
            "a",
            "Z",
            "7",
            ".",
            "'",
            "’",
            "-",
            "&",
            " ",
            "\n",
            "\r",
            "\u{b}",
            "é",
            "\u{a0}",
            ",",
            "—",
            "Ж",
            "\u{1f600}",
        ];
        let mut words = 0;
        let mut text = String::new();
        for n in 0..alphabet.len().pow(4) {
            text.clear();
            let mut k = n;
            for _ in 0..4 {
                text.push_str(alphabet[k % alphabet.len()]);
                k /= alphabet.len();
            }
            assert_same(&text, 0, text.len());
            let mut toks = Vec::new();
            tokenize(&text, 0, text.len(), &mut toks);
            words += toks.iter().filter(|t| t.kind == TK::Word).count();
        }
        // Every byte, ASCII controls included.
        let all: String = (0u8..128).map(char::from).collect();
        assert_same(&all, 0, all.len());
        let abbreviations = "The U.S. and U.K. at 9 a.m. said: pro-Russian, we’ve; AT&T's \
            e.g. U.S.A. x.y.z i.e., N.A.T.O.-led Mr. J. Smith's \"quote\" 1.5bn 3,000\n\n \n";
        assert_same(abbreviations, 0, abbreviations.len());
        // The seeds, from every char boundary to the end and from the start to every one.
        let mut articles = 0;
        for text in crate::test_support::seed_texts() {
            for (i, _) in text.char_indices() {
                assert_same(&text, i, text.len());
                assert_same(&text, 0, i);
            }
            articles += 1;
        }
        assert!(
            articles >= 5 && words > 50_000,
            "{articles} articles, {words} words"
        );
    }
}
