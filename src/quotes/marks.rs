//! Quotation-mark scanning and pairing: one linear pass over the article's bytes.
//!
//! Double marks (straight, curly, guillemets, low-high) are paired first, per paragraph (a
//! line); an unclosed quote continues into the next paragraph only when that paragraph opens
//! with a mark (the news convention for multi-paragraph quotes), and otherwise ends at the
//! paragraph end, so a stray mark never swallows the rest of the article. Single marks are paired
//! second, outside double quotes, with apostrophes (`Russia’s`, `we’ve`, `countries’`) told apart
//! by their neighbours. Page furniture at the end of a scraped page ("Latest News", "Related
//! Articles", "Copyright …") and link lines ("Read more: …") are not searched.

use crate::article::RawQuote;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    /// “ „ « : usually open.
    Open,
    /// ” » : usually close.
    Close,
    /// " : either.
    Neutral,
    /// ‘ : single open.
    SOpen,
    /// ’ : single close or apostrophe.
    SClose,
    /// ' : straight single.
    SNeutral,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark {
    pos: usize,
    len: usize,
    ty: Ty,
}

/// Finds the quotations in `text[..body_end]` (see [`body_end`]), in text order.
pub fn find_quotes(text: &str, body_end: usize) -> Vec<RawQuote> {
    let mut out = Vec::new();
    let mut marks: Vec<Mark> = Vec::new();
    let bytes = text.as_bytes();
    let end_all = body_end.min(text.len());
    // A multi-paragraph quote carried from the previous line: its opening mark offset.
    let mut carry: Option<(usize, usize)> = None; // (open, start)
    let mut line_start = 0;
    while line_start < end_all {
        let line_end = memchr_nl(&bytes[line_start..end_all]).map_or(end_all, |i| line_start + i);
        let line = &text[line_start..line_end];
        if is_link_line(line) {
            carry = None;
            line_start = line_end + 1;
            continue;
        }
        marks.clear();
        scan_marks(bytes, line_start, line_end, &mut marks);
        let first_double = out.len();
        let mut open: Option<(usize, usize)> = None; // (open offset, text start)
                                                     // The continuation paragraph's own opening mark is part of the quote's text.
        let mut skip_at = usize::MAX;
        if let Some(c) = carry.take() {
            open = Some(c);
            skip_at = first_nonspace(text, line_start);
        }
        for m in marks.iter() {
            if matches!(m.ty, Ty::SOpen | Ty::SClose | Ty::SNeutral) {
                continue;
            }
            if m.pos == skip_at {
                continue;
            }
            match open {
                None => {
                    if can_open(text, m, line_start, line_end) {
                        open = Some((m.pos, m.pos + m.len));
                    }
                }
                Some((o, s)) => {
                    if can_close(text, m, line_start, line_end) {
                        if m.pos > s && has_word(&text[s..m.pos]) {
                            out.push(RawQuote {
                                open: o,
                                start: s,
                                end: m.pos,
                                close_end: m.pos + m.len,
                                closed: true,
                                single: false,
                            });
                        }
                        open = None;
                    } else if can_open(text, m, line_start, line_end) {
                        // An opening mark while one is pending: the earlier one was stray.
                        open = Some((m.pos, m.pos + m.len));
                    }
                }
            }
        }
        if let Some((o, s)) = open {
            // Multi-paragraph convention: the next non-blank paragraph opens with a mark.
            let next = next_line_start(bytes, line_end, end_all);
            let continues = next.is_some_and(|n| {
                let p = first_nonspace(text, n);
                p < end_all && starts_with_open_double(&text[p..])
            });
            if continues {
                carry = Some((o, s));
            } else {
                let e = trim_end(text, s, line_end);
                if e > s && has_word(&text[s..e]) {
                    out.push(RawQuote {
                        open: o,
                        start: s,
                        end: e,
                        close_end: e,
                        closed: false,
                        single: false,
                    });
                }
            }
        }
        // Single marks, outside this line's double quotes (and a quote carried to the next line).
        let carried_from = carry.map_or(usize::MAX, |c| c.0);
        let singles = pair_singles(
            text,
            &marks,
            &out[first_double..],
            carried_from,
            line_start,
            line_end,
        );
        out.extend(singles);
        line_start = line_end + 1;
        if carry.is_some() {
            // Skip blank lines between the paragraphs of a multi-paragraph quote.
            while line_start < end_all && bytes[line_start] == b'\n' {
                line_start += 1;
            }
        }
    }
    out.sort_by_key(|q| q.start);
    out
}

fn pair_singles(
    text: &str,
    marks: &[Mark],
    doubles: &[RawQuote],
    carried_from: usize,
    line_start: usize,
    line_end: usize,
) -> Vec<RawQuote> {
    // `doubles` are in text order and disjoint: one forward pointer keeps this linear.
    let mut di = 0;
    let mut pending: Option<usize> = None;
    let mut found = Vec::new();
    for m in marks {
        if !matches!(m.ty, Ty::SOpen | Ty::SClose | Ty::SNeutral) {
            continue;
        }
        while di < doubles.len() && doubles[di].close_end.max(doubles[di].end) <= m.pos {
            di += 1;
        }
        let inside = m.pos >= carried_from || (di < doubles.len() && doubles[di].open <= m.pos);
        if inside {
            continue;
        }
        // A double quote between a pending single open and this mark: the open was stray.
        if let (Some(o), Some(d)) = (pending, di.checked_sub(1).map(|k| &doubles[k])) {
            if o < d.open {
                pending = None;
            }
        }
        let prev = prev_char(text, m.pos, line_start);
        let next = next_char(text, m.pos + m.len, line_end);
        let prev_alnum = prev.is_some_and(|c| c.is_alphanumeric());
        let next_alnum = next.is_some_and(|c| c.is_alphanumeric());
        if prev_alnum && next_alnum {
            continue; // apostrophe: Russia’s, we’ve
        }
        let opens = !prev_alnum
            && next.is_some_and(|c| !c.is_whitespace())
            && m.ty != Ty::SClose
            && !(m.ty == Ty::SNeutral && is_elision(&text[m.pos + m.len..line_end]));
        let closes = pending.is_some()
            && prev.is_some_and(|c| !c.is_whitespace())
            && !next_alnum
            && m.ty != Ty::SOpen;
        if closes {
            let o = pending.take().unwrap_or(0);
            let s = o + mark_len(text, o);
            if has_word(&text[s..m.pos]) {
                found.push(RawQuote {
                    open: o,
                    start: s,
                    end: m.pos,
                    close_end: m.pos + m.len,
                    closed: true,
                    single: true,
                });
            }
        } else if opens {
            pending = Some(m.pos);
        }
    }
    found
}

fn mark_len(text: &str, pos: usize) -> usize {
    text[pos..].chars().next().map_or(1, char::len_utf8)
}

/// `'em`, `'90s`, `'til`: a leading apostrophe, not an opening mark.
fn is_elision(rest: &str) -> bool {
    let w: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .take(6)
        .collect::<String>()
        .to_lowercase();
    w.starts_with(|c: char| c.is_ascii_digit())
        || matches!(
            w.as_str(),
            "em" | "til" | "tis" | "twas" | "cause" | "n" | "s"
        )
}

fn has_word(s: &str) -> bool {
    s.chars().any(|c| c.is_alphanumeric())
}

fn memchr_nl(b: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', b)
}

/// The quote marks of `b[from..to]`, in order, into `out`.
fn scan_marks(b: &[u8], from: usize, to: usize, out: &mut Vec<Mark>) {
    // Only four bytes can start a mark: `"`, `'`, 0xE2 (“ ” ‘ ’ …) and 0xC2 (« »). Jump from
    // one to the next with vectorised searches instead of matching every byte: `next_c2` is
    // the next 0xC2 at or after `i` (searched again only once passed).
    let find_c2 = |i: usize| memchr::memchr(0xC2, &b[i..to]).map_or(to, |k| i + k);
    let mut next_c2 = find_c2(from);
    let mut i = from;
    while i < to {
        if next_c2 < i {
            // Only when a mark's length stepped over a 0xC2 (not in a valid &str).
            next_c2 = find_c2(i);
        }
        let next = memchr::memchr3(b'"', b'\'', 0xE2, &b[i..next_c2]).map_or(next_c2, |k| i + k);
        if next >= to {
            break;
        }
        i = next;
        if i == next_c2 {
            next_c2 = find_c2(i + 1);
        }
        let c = b[i];
        match c {
            b'"' => out.push(Mark {
                pos: i,
                len: 1,
                ty: Ty::Neutral,
            }),
            b'\'' => out.push(Mark {
                pos: i,
                len: 1,
                ty: Ty::SNeutral,
            }),
            0xE2 if i + 2 < to && b[i + 1] == 0x80 => {
                let ty = match b[i + 2] {
                    0x9C | 0x9E | 0x9F => Some(Ty::Open), // “ „ ‟
                    0x9D => Some(Ty::Close),              // ”
                    0x98 | 0x9B => Some(Ty::SOpen),       // ‘ ‛
                    0x99 => Some(Ty::SClose),             // ’
                    _ => None,
                };
                if let Some(ty) = ty {
                    out.push(Mark { pos: i, len: 3, ty });
                }
                i += 3;
                continue;
            }
            0xC2 if i + 1 < to => {
                match b[i + 1] {
                    0xAB => out.push(Mark {
                        pos: i,
                        len: 2,
                        ty: Ty::Open,
                    }), // «
                    0xBB => out.push(Mark {
                        pos: i,
                        len: 2,
                        ty: Ty::Close,
                    }), // »
                    _ => {}
                }
                i += 2;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
}

fn prev_char(text: &str, pos: usize, line_start: usize) -> Option<char> {
    text[line_start..pos].chars().next_back()
}

fn next_char(text: &str, pos: usize, line_end: usize) -> Option<char> {
    text[pos.min(line_end)..line_end].chars().next()
}

fn is_close_punct(c: char) -> bool {
    matches!(
        c,
        '.' | ','
            | ';'
            | ':'
            | '!'
            | '?'
            | ')'
            | ']'
            | '}'
            | '…'
            | '—'
            | '–'
            | '-'
            | '\''
            | '’'
            | '"'
            | '”'
            | '»'
            | '/'
    )
}

fn can_open(text: &str, m: &Mark, ls: usize, le: usize) -> bool {
    let prev = prev_char(text, m.pos, ls);
    let next = next_char(text, m.pos + m.len, le);
    let next_ok = next.is_some_and(|c| !c.is_whitespace());
    match m.ty {
        Ty::Open => next_ok,
        Ty::Neutral => {
            next_ok && !prev.is_some_and(|c| c.is_alphanumeric() || c == '.' || c == ',')
        }
        // A closing-type mark opens only in broken punctuation: ”foo” after a space.
        Ty::Close => next_ok && prev.is_none_or(|c| c.is_whitespace() || c == '(' || c == '['),
        _ => false,
    }
}

fn can_close(text: &str, m: &Mark, ls: usize, le: usize) -> bool {
    let prev = prev_char(text, m.pos, ls);
    let next = next_char(text, m.pos + m.len, le);
    let prev_ok = prev.is_some_and(|c| !c.is_whitespace());
    let next_free = next.is_none_or(|c| c.is_whitespace() || is_close_punct(c));
    match m.ty {
        Ty::Close => prev_ok || next_free,
        Ty::Neutral => prev_ok || next_free,
        // “ as a closing mark: low-high „…“ or broken punctuation.
        Ty::Open => prev_ok && next_free,
        _ => false,
    }
}

fn starts_with_open_double(s: &str) -> bool {
    matches!(s.chars().next(), Some('“' | '"' | '«' | '„' | '‟' | '”'))
}

fn first_nonspace(text: &str, from: usize) -> usize {
    let b = text.as_bytes();
    let mut i = from;
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t' || b[i] == b'\r') {
        i += 1;
    }
    // Non-ASCII spaces (NBSP) are rare here; ASCII is enough to find the first mark.
    i
}

fn next_line_start(b: &[u8], line_end: usize, end: usize) -> Option<usize> {
    let mut i = line_end;
    while i < end && (b[i] == b'\n' || b[i] == b'\r' || b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    (i < end).then_some(i)
}

fn trim_end(text: &str, s: usize, e: usize) -> usize {
    s + text[s..e].trim_end().len()
}

/// Link lines inside the body ("Read more: …") hold other articles' headlines.
fn is_link_line(line: &str) -> bool {
    let t = line.trim_start();
    let head: String = t.chars().take(14).collect::<String>().to_lowercase();
    [
        "read more",
        "read also",
        "also read",
        "related:",
        "see also",
        "watch:",
        "listen:",
        "more:",
    ]
    .iter()
    .any(|p| head.starts_with(p))
}

/// Byte offset where the article body ends: the first page-furniture line ("Latest News",
/// "Related Articles", "You may also like", "Leave a comment", "Copyright …") in the second half
/// of the text, or any "Copyright"/"©" line after the first quarter.
pub fn body_end(text: &str) -> usize {
    let n = text.len();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        let t = line.trim();
        if t.is_empty() || t.len() > 60 {
            continue;
        }
        let low = t.trim_end_matches([':', '.', '!']).to_lowercase();
        let furniture = matches!(
            low.as_str(),
            "latest news"
                | "related articles"
                | "related stories"
                | "related posts"
                | "related"
                | "you may also like"
                | "you might also like"
                | "more stories"
                | "recommended"
                | "recommended for you"
                | "most popular"
                | "most read"
                | "trending"
                | "trending now"
                | "leave a comment"
                | "leave a reply"
                | "comments"
                | "share this"
                | "share this article"
                | "popular posts"
                | "recent posts"
                | "more from this author"
                | "about the author"
                | "read next"
                | "more news"
                | "top stories"
        ) || low.starts_with("latest news from")
            || low.starts_with("more from ");
        let legal = low.starts_with("copyright") || low.starts_with('©');
        if (furniture && start * 2 >= n) || (legal && start * 4 >= n) {
            return start;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-at-a-time scan `scan_marks` replaced: the reference it must equal.
    fn scan_marks_reference(b: &[u8], from: usize, to: usize, out: &mut Vec<Mark>) {
        let mut i = from;
        while i < to {
            match b[i] {
                b'"' => out.push(Mark {
                    pos: i,
                    len: 1,
                    ty: Ty::Neutral,
                }),
                b'\'' => out.push(Mark {
                    pos: i,
                    len: 1,
                    ty: Ty::SNeutral,
                }),
                0xE2 if i + 2 < to && b[i + 1] == 0x80 => {
                    let ty = match b[i + 2] {
                        0x9C | 0x9E | 0x9F => Some(Ty::Open),
                        0x9D => Some(Ty::Close),
                        0x98 | 0x9B => Some(Ty::SOpen),
                        0x99 => Some(Ty::SClose),
                        _ => None,
                    };
                    if let Some(ty) = ty {
                        out.push(Mark { pos: i, len: 3, ty });
                    }
                    i += 3;
                    continue;
                }
                0xC2 if i + 1 < to => {
                    match b[i + 1] {
                        0xAB => out.push(Mark {
                            pos: i,
                            len: 2,
                            ty: Ty::Open,
                        }),
                        0xBB => out.push(Mark {
                            pos: i,
                            len: 2,
                            ty: Ty::Close,
                        }),
                        _ => {}
                    }
                    i += 2;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// The vectorised scan finds exactly the reference's marks: the seed articles and texts
    /// dense in marks and in other chars that share their first bytes (© ° — € …), over
    /// every line and over ranges that cut a mark.
    #[test]
    fn scan_marks_equals_the_byte_by_byte_scan() {
        let mut texts = crate::test_support::seed_texts();
        texts.push("«Non» — said ‘he’ ‛x‟ „ja“ ©2025 °C €5 “a” 'b' \"c\" ’tis »«©".repeat(3));
        texts.push("é©»«“”—€\"'".chars().cycle().take(200).collect());
        let (mut got, mut want, mut marks) = (Vec::new(), Vec::new(), 0);
        for t in &texts {
            let b = t.as_bytes();
            let mut ranges: Vec<(usize, usize)> = vec![(0, b.len())];
            let mut start = 0;
            for (i, &c) in b.iter().enumerate() {
                if c == b'\n' {
                    ranges.push((start, i));
                    start = i + 1;
                }
            }
            // Ranges that start and end anywhere, inside multi-byte chars too.
            ranges.extend((0..b.len()).step_by(7).map(|a| (a, (a + 13).min(b.len()))));
            for (from, to) in ranges {
                got.clear();
                want.clear();
                scan_marks(b, from, to, &mut got);
                scan_marks_reference(b, from, to, &mut want);
                assert_eq!(got, want, "{from}..{to} of {:?}", &t[..t.len().min(40)]);
                marks += want.len();
            }
        }
        assert!(
            marks > 500,
            "only {marks} marks: the check would say little"
        );
    }

    fn texts(t: &str) -> Vec<&str> {
        find_quotes(t, t.len())
            .iter()
            .map(|q| &t[q.start..q.end])
            .collect()
    }

    #[test]
    fn all_mark_styles() {
        assert_eq!(
            texts("He said \"yes\" and “no” and «oui» and „ja“ ok."),
            ["yes", "no", "oui", "ja"]
        );
        assert_eq!(texts("Der »Frieden« kommt."), ["Frieden"]);
    }

    #[test]
    fn apostrophes_are_not_marks() {
        assert_eq!(
            texts("Russia’s view: we’ve the countries’ missions."),
            Vec::<&str>::new()
        );
        assert_eq!(
            texts("Orbán Tells Trump ‘It Would Take a Miracle’ for Ukraine’s win"),
            ["It Would Take a Miracle"]
        );
        assert_eq!(
            texts("Agree to 'Lay the Groundwork' in the '90s, rock 'n' roll"),
            ["Lay the Groundwork"]
        );
    }

    #[test]
    fn nested_single_stays_inside_double() {
        let t = "“Today I heard, ‘oh, well, we weren’t invited.’ Well,” he said.";
        assert_eq!(
            texts(t),
            ["Today I heard, ‘oh, well, we weren’t invited.’ Well,"]
        );
    }

    #[test]
    fn unbalanced_mark_recovers_at_paragraph_end() {
        let t = "He said “this never closes.\n\nLater text with “a real quote” here.\n";
        assert_eq!(texts(t), ["this never closes.", "a real quote"]);
        let q = find_quotes(t, t.len());
        assert!(!q[0].closed && q[1].closed);
    }

    #[test]
    fn multi_paragraph_quote_is_one() {
        let t = "“First paragraph of speech.\n\n“Second paragraph.\n\n“Third and last,” he said.\n";
        let q = texts(t);
        assert_eq!(q.len(), 1);
        assert!(q[0].starts_with("First") && q[0].ends_with("last,"));
    }

    #[test]
    fn furniture_is_cut() {
        let body = "Body “quote one” text.\n".repeat(5);
        let t = format!("{body}Latest News from X\n\nHeadline ‘Not a quote’ here\n");
        assert_eq!(texts(&t[..body_end(&t)]).len(), 5);
        assert_eq!(body_end(&t), body.len());
    }

    #[test]
    fn never_panics_on_odd_input() {
        for t in [
            "\"",
            "“",
            "”",
            "'",
            "’x",
            "\"\"\"",
            "«»",
            "a\"\n\"b",
            "\u{2019}\u{2018}",
            "x\u{201c}\n",
        ] {
            let _ = find_quotes(t, t.len());
        }
    }
}
