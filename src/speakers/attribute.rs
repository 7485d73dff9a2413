//! Speaker attribution: who said each quote.
//!
//! The article (outside its quotes) becomes a token "frame" in which every quotation is one
//! token, so sentence splitting and cue search never look inside quoted speech. Over the frame:
//! sentences (abbreviation-aware), noun-phrase chunks that are names, roles, organisations or
//! pronouns (resolved once, in text order, so `Lavrov` after `Sergei Lavrov` is the same person
//! and `he` finds the nearest earlier compatible subject), and finally, per quote, the rules in
//! priority order: an adjacent cue after the quote (`”, Rubio said` / `”, said Rubio`), the
//! nearest cue before it in the sentence (`Rubio said: “`, `…, stating, “`), `according to X`,
//! any later cue in the sentence, a colon lead-in, and continuation from the previous quote.
//! When none applies, or the cue's subject is not a resolvable name, the speaker is `None`.

use super::cues::{with_lower, Cues};
use super::gazetteer::{normalize, normalize_role, Gazetteer, Gender, Kind};
use crate::quotes::marks::RawQuote;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;
use xxhash_rust::xxh3::Xxh3Builder;

/// One attribution decision, in byte offsets.
#[derive(Debug, Clone, Default)]
pub struct Attribution {
    /// Canonical speaker.
    pub speaker: Option<String>,
    /// Byte span of the mention naming the speaker at this attribution.
    pub mention: Option<(usize, usize)>,
    /// Byte span of the cue.
    pub cue: Option<(usize, usize)>,
    /// 0..1: how sure the rule that fired is.
    pub confidence: f32,
    /// Byte span of the sentence(s) holding the quote and its cue.
    pub context: (usize, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TK {
    Word,
    Punct,
    Quote(u32),
    Newline,
}

#[derive(Debug, Clone, Copy)]
struct Tok {
    s: usize,
    e: usize,
    kind: TK,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NpKind {
    Name,
    Role,
    Pronoun,
}

/// A resolved noun phrase that could name a speaker.
#[derive(Debug, Clone)]
struct Np {
    a: usize,
    b: usize,
    kind: NpKind,
    /// Byte span of the part naming the speaker (name without titles; the role phrase; pronoun).
    span: (usize, usize),
    canonical: Option<String>,
    gender: Gender,
    ekind: Kind,
    /// Sentence-initial single capitalised word not otherwise known: only trusted next to a cue.
    weak: bool,
}

/// Attributes every quote of an article. `quotes` are in text order; `body_end` bounds the text.
pub fn attribute(
    text: &str,
    body_end: usize,
    quotes: &[RawQuote],
    gaz: &Gazetteer,
    cues: &Cues,
    lex: &Lexicon,
) -> Vec<Attribution> {
    let toks = frame(text, body_end, quotes);
    let sents = sentences(text, &toks, quotes, cues);
    let mut sent_of = vec![0u32; toks.len()];
    for (si, &(a, b)) in sents.iter().enumerate() {
        for s in &mut sent_of[a..b] {
            *s = si as u32;
        }
    }
    let mut flags: Vec<u32> = toks
        .iter()
        .map(|t| {
            if t.kind != TK::Word {
                return 0;
            }
            lex.bits(&text[t.s..t.e])
        })
        .collect();
    demote_noun_cues(text, &toks, &sents, &mut flags);
    let ctx = Ctx {
        text,
        toks: &toks,
        flags: &flags,
        sents: &sents,
        sent_of: &sent_of,
        gaz,
        cues,
    };
    let mut nps = ctx.chunk();
    let mut np_at_end = vec![u32::MAX; toks.len()];
    let mut np_at_start = vec![u32::MAX; toks.len()];
    for (i, np) in nps.iter().enumerate() {
        np_at_end[np.b - 1] = i as u32;
        np_at_start[np.a] = i as u32;
    }
    ctx.resolve(&mut nps);
    let events = ctx.events(&nps, &np_at_end, &np_at_start);
    let qtok: Vec<usize> = {
        let mut v = vec![usize::MAX; quotes.len()];
        for (i, t) in toks.iter().enumerate() {
            if let TK::Quote(q) = t.kind {
                v[q as usize] = i;
            }
        }
        v
    };
    let mut out: Vec<Attribution> = Vec::with_capacity(quotes.len());
    for (qi, q) in quotes.iter().enumerate() {
        let ti = qtok[qi];
        if ti == usize::MAX {
            out.push(Attribution {
                context: (q.start, q.end),
                ..Default::default()
            });
            continue;
        }
        let prev = if qi > 0 {
            out.get(qi - 1).map(|a| (qtok[qi - 1], a))
        } else {
            None
        };
        let a = ctx.attribute_one(ti, &nps, &np_at_end, &np_at_start, &events, prev);
        out.push(a);
    }
    out
}

/// After “…?” Obama asked: does the word after the cue continue the attribution ("said of
/// Apple", "said on Twitter", "said Tuesday", "asked reporters") rather than open a reported
/// clause ("added that …", "asked whether …")?
fn cue_tail(cue: &str, next: &str) -> bool {
    const CONT: [&str; 22] = [
        "of",
        "to",
        "on",
        "about",
        "in",
        "at",
        "during",
        "after",
        "before",
        "from",
        "with",
        "while",
        "as",
        "via",
        "later",
        "earlier",
        "recently",
        "last",
        "this",
        "rhetorically",
        "afterward",
        "afterwards",
    ];
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    const CLAUSE: [&str; 7] = ["that", "whether", "if", "why", "how", "what", "when"];
    if lower_in(next, &CONT) || lower_in(next, &DAYS) {
        return true;
    }
    lower_in(cue, &["told", "asked", "tells", "asks"]) && !lower_in(next, &CLAUSE)
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
            && flags[i] & CAP_VERBS.bit == 0;
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

fn tokenize(text: &str, from: usize, to: usize, out: &mut Vec<Tok>) {
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
                            && (e - s == last.len_utf8() || seg[s - from..e - from].contains('.'))
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

static ABBREV: WordSet = WordSet::new(
    0,
    &[
        "mr", "mrs", "ms", "dr", "st", "sen", "rep", "gov", "gen", "lt", "col", "sgt", "jr", "sr",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "inc",
        "corp", "co", "no", "vs", "etc", "capt", "adm", "maj", "prof", "rev", "hon", "mt", "ft",
        "ave", "approx", "dept", "est", "fig", "ltd", "cmdr", "pres", "supt", "messrs",
    ],
);

static TITLE_ABBREV: WordSet = WordSet::new(
    1,
    &[
        "mr", "mrs", "ms", "dr", "sen", "rep", "gov", "gen", "lt", "col", "sgt", "capt", "adm",
        "prof", "rev", "st", "maj", "pres",
    ],
);

fn sentences(text: &str, toks: &[Tok], quotes: &[RawQuote], cues: &Cues) -> Vec<(usize, usize)> {
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
                            ABBREV.has(w)
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
                        && with_lower(&text[nt.s..nt.e], |x| COMMON.has(x))
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

/// Frequent capitalised words that do not start a name.
static COMMON: WordSet = WordSet::new(
    2,
    &[
        "the",
        "a",
        "an",
        "but",
        "and",
        "or",
        "however",
        "meanwhile",
        "in",
        "on",
        "at",
        "for",
        "from",
        "to",
        "with",
        "after",
        "before",
        "during",
        "when",
        "while",
        "since",
        "as",
        "if",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "they",
        "their",
        "he",
        "she",
        "his",
        "her",
        "we",
        "our",
        "i",
        "you",
        "following",
        "despite",
        "although",
        "though",
        "yet",
        "still",
        "also",
        "both",
        "all",
        "some",
        "many",
        "most",
        "several",
        "other",
        "another",
        "any",
        "each",
        "every",
        "no",
        "not",
        "there",
        "here",
        "then",
        "now",
        "today",
        "yesterday",
        "tomorrow",
        "earlier",
        "later",
        "last",
        "next",
        "first",
        "second",
        "one",
        "two",
        "three",
        "by",
        "of",
        "about",
        "over",
        "under",
        "under",
        "between",
        "among",
        "against",
        "without",
        "within",
        "into",
        "amid",
        "speaking",
        "asked",
        "according",
        "reflecting",
        "addressing",
        "responding",
        "separately",
        "instead",
        "indeed",
        "moreover",
        "furthermore",
        "additionally",
        "overall",
        "so",
        "thus",
        "because",
        "what",
        "who",
        "which",
        "where",
        "why",
        "how",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "such",
        "more",
        "less",
        "only",
        "even",
        "just",
        "again",
        "already",
        "once",
        "separate",
        "top",
        "senior",
        "new",
        "former",
        "several",
        "officials",
        "sources",
        "analysts",
        "experts",
        "critics",
        "observers",
        "shortly",
        "asked",
        "upon",
        "until",
        "unlike",
        "like",
        "via",
        "per",
        "breaking",
        "update",
        "updated",
        "photo",
        "image",
        "video",
        "watch",
        "read",
        "share",
        "subscribe",
        "home",
        "latest",
        "news",
        "exclusive",
        "opinion",
        "analysis",
        "editor",
        "editorial",
        "live",
        "report",
        "reports",
        "jan",
        "feb",
        "apr",
        "jun",
        "jul",
        "aug",
        "sept",
        "sep",
        "oct",
        "nov",
        "dec",
        "transcript",
        "partial",
    ],
);

/// Lowercase words that can be part of a role phrase (`Kremlin spokesman`, `the Ukrainian leader`).
static ROLE_WORDS: WordSet = WordSet::new(
    3,
    &[
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "minister",
        "president",
        "leader",
        "adviser",
        "advisor",
        "envoy",
        "aide",
        "negotiator",
        "secretary",
        "chancellor",
        "official",
        "diplomat",
        "ambassador",
        "chief",
        "head",
        "foreign",
        "prime",
        "national",
        "security",
        "defense",
        "defence",
        "deputy",
        "special",
        "senior",
        "top",
        "presidential",
        "press",
        "vice",
        "state",
        "general",
        "representative",
        "lawmaker",
        "senator",
        "governor",
        "mayor",
        "commander",
        "director",
        "chairman",
        "chairwoman",
        "ceo",
        "founder",
        "candidate",
        "nominee",
        "policy",
        "affairs",
        "ministry",
        "department",
        "government",
        "office",
        "premier",
        "king",
        "queen",
        "prince",
        "counterpart",
        "host",
        "chair",
        "speaker",
        "congressman",
        "congresswoman",
        "strategist",
        "manager",
        "campaign",
        "attorney",
        "judge",
        "justice",
        "former",
        "executive",
        "assistant",
        "counselor",
        "investment",
        "fund",
        "sovereign",
        "wealth",
        "white",
        "house",
        "russian",
        "ukrainian",
        "military",
        "intelligence",
        "army",
        "navy",
        "forces",
        "administration",
        "kremlin",
        "foreign-policy",
        "delegation",
        "team",
        "member",
        "members",
        "sources",
        "source",
        "officials",
        "diplomats",
        "republican",
        "democratic",
        "democrat",
        "gop",
        "party",
        "chairperson",
        "cabinet",
    ],
);

/// Head nouns that make a role phrase (the last word of a role mention).
static ROLE_HEADS: WordSet = WordSet::new(
    4,
    &[
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "minister",
        "president",
        "leader",
        "adviser",
        "advisor",
        "envoy",
        "aide",
        "negotiator",
        "secretary",
        "chancellor",
        "official",
        "diplomat",
        "ambassador",
        "chief",
        "head",
        "premier",
        "king",
        "queen",
        "prince",
        "counterpart",
        "chair",
        "speaker",
        "congressman",
        "congresswoman",
        "strategist",
        "manager",
        "attorney",
        "judge",
        "senator",
        "governor",
        "mayor",
        "commander",
        "director",
        "chairman",
        "chairwoman",
        "ceo",
        "founder",
        "candidate",
        "nominee",
        "ministry",
        "department",
        "government",
        "office",
        "administration",
        "kremlin",
        "delegation",
        "chairperson",
        "representative",
        "lawmaker",
    ],
);

/// Capitalised words that are titles or nationalities, not part of a person's name.
static TITLE_WORDS: WordSet = WordSet::new(
    5,
    &[
        "president",
        "secretary",
        "minister",
        "foreign",
        "prime",
        "chancellor",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "senator",
        "sen",
        "rep",
        "gov",
        "mr",
        "mrs",
        "ms",
        "dr",
        "national",
        "security",
        "adviser",
        "advisor",
        "special",
        "envoy",
        "ambassador",
        "presidential",
        "aide",
        "ceo",
        "representative",
        "state",
        "defense",
        "defence",
        "vice",
        "general",
        "chief",
        "deputy",
        "leader",
        "crown",
        "prince",
        "king",
        "queen",
        "pope",
        "sir",
        "lord",
        "director",
        "chairman",
        "governor",
        "mayor",
        "judge",
        "justice",
        "speaker",
        "commander",
        "colonel",
        "gen",
        "lt",
        "col",
        "adm",
        "press",
        "department",
        "ministry",
        "house",
        "white",
        "kremlin",
        "former",
        "acting",
        "senior",
        "top",
        "u.s.",
        "us",
        "u.k.",
        "uk",
        "un",
        "u.n.",
        "eu",
        "e.u.",
        "nato",
        "russian",
        "ukrainian",
        "american",
        "french",
        "british",
        "german",
        "polish",
        "turkish",
        "saudi",
        "hungarian",
        "italian",
        "spanish",
        "chinese",
        "european",
        "finnish",
        "danish",
        "slovak",
        "israeli",
        "iranian",
        "indian",
        "japanese",
        "canadian",
        "dutch",
        "belgian",
        "swedish",
        "norwegian",
        "estonian",
        "latvian",
        "lithuanian",
        "romanian",
        "czech",
        "austrian",
        "swiss",
        "greek",
        "georgian",
        "belarusian",
        "republican",
        "democratic",
        "democrat",
        "gop",
        "rdif",
        "direct",
        "investment",
        "fund",
        "middle",
        "east",
        "of",
        "the",
        "and",
        "for",
        "affairs",
        "policy",
        "council",
        "commission",
        "union",
        "federation",
        "candidate",
        "nominee",
        "congressman",
        "congresswoman",
        "attorney",
        "executive",
        "officer",
        "host",
        "anchor",
        "correspondent",
        "reporter",
        "professor",
        "rev",
        "capt",
        "maj",
        "prof",
        "sgt",
        "pres",
        "russia’s",
        "russia's",
        "ukraine’s",
        "ukraine's",
        "america’s",
        "america's",
        "putin’s",
        "putin's",
        "trump’s",
        "trump's",
        "kremlin’s",
        "kremlin's",
        "saudi arabia’s",
        "president-elect",
        "secretary-general",
        "gop",
    ],
);

/// Capitalised reporting verbs of title-case headlines ("Orbán Tells Trump ‘…’").
static CAP_VERBS: WordSet = WordSet::new(
    6,
    &[
        "says",
        "said",
        "tells",
        "told",
        "warns",
        "warned",
        "insists",
        "declares",
        "urges",
        "vows",
        "claims",
        "asks",
        "admits",
        "denies",
        "stresses",
        "adds",
        "slams",
        "rejects",
        "confirms",
        "calls",
        "reveals",
        "announces",
        "suggests",
        "explains",
        "argues",
        "accuses",
        "praises",
        "welcomes",
    ],
);

static PARTICLES: WordSet = WordSet::new(
    7,
    &[
        "von", "der", "van", "de", "bin", "al", "da", "la", "le", "du", "ibn", "dos", "del",
    ],
);
static PREPS: WordSet = WordSet::new(
    8,
    &[
        "in", "at", "from", "to", "of", "on", "near", "across", "into", "for", "with", "by",
        "about", "against", "toward", "towards", "over", "under", "between", "among", "through",
        "via", "outside", "inside",
    ],
);
static DETERMINERS: WordSet =
    WordSet::new(9, &["the", "a", "an", "his", "her", "its", "their", "our"]);
static PRONOUNS: WordSet = WordSet::new(10, &["he", "she", "they", "it", "we", "i"]);
static ADVERBS: WordSet = WordSet::new(
    11,
    &[
        "also",
        "further",
        "firmly",
        "repeatedly",
        "then",
        "later",
        "has",
        "have",
        "had",
        "was",
        "is",
        "were",
        "once",
        "again",
        "previously",
        "quickly",
        "publicly",
        "reportedly",
        "simply",
        "later",
        "flatly",
        "explicitly",
        "separately",
        "recently",
        "clearly",
        "earlier",
        "would",
        "will",
        "had",
        "did",
        "does",
        "do",
        "just",
        "openly",
        "privately",
        "bluntly",
        "initially",
        "subsequently",
        "similarly",
        "likewise",
        "emphatically",
        "categorically",
        "frequently",
        "often",
        "already",
        "never",
        "not",
        "always",
        "now",
        "too",
        "herself",
        "himself",
        "themselves",
        "personally",
        "directly",
        "strongly",
        "angrily",
        "calmly",
        "sharply",
        "may",
        "might",
        "could",
        "can",
        "should",
        "been",
    ],
);

static MALE_FIRST: WordSet = WordSet::new(
    12,
    &[
        "john",
        "james",
        "michael",
        "mike",
        "david",
        "robert",
        "bill",
        "william",
        "donald",
        "joe",
        "joseph",
        "bernie",
        "ted",
        "marco",
        "jeb",
        "ben",
        "chris",
        "christopher",
        "paul",
        "mitt",
        "barack",
        "george",
        "steve",
        "steven",
        "mark",
        "peter",
        "tom",
        "thomas",
        "jim",
        "richard",
        "charles",
        "daniel",
        "matthew",
        "andrew",
        "eric",
        "tim",
        "timothy",
        "scott",
        "jeff",
        "jeffrey",
        "kevin",
        "brian",
        "ron",
        "ronald",
        "rand",
        "rick",
        "newt",
        "rudy",
        "reince",
        "sean",
        "corey",
        "jason",
        "jared",
        "mitch",
        "harry",
        "chuck",
        "lindsey",
        "john",
        "vladimir",
        "sergei",
        "sergey",
        "dmitry",
        "dmitri",
        "yuri",
        "kirill",
        "volodymyr",
        "andrii",
        "andriy",
        "emmanuel",
        "keir",
        "olaf",
        "friedrich",
        "viktor",
        "recep",
        "keith",
        "pete",
        "jd",
        "marco",
        "antonio",
        "antónio",
        "xi",
        "alexander",
        "boris",
        "jens",
        "rustem",
        "denys",
        "hakan",
        "nigel",
        "gary",
        "franklin",
        "anthony",
        "frank",
        "greg",
        "gregory",
        "larry",
        "jerry",
        "dennis",
        "carl",
        "roger",
        "ken",
        "kenneth",
    ],
);
static FEMALE_FIRST: WordSet = WordSet::new(
    13,
    &[
        "hillary",
        "sarah",
        "elizabeth",
        "nancy",
        "karen",
        "mary",
        "anna",
        "maria",
        "kelly",
        "megyn",
        "ivanka",
        "melania",
        "jill",
        "carly",
        "susan",
        "michelle",
        "kellyanne",
        "debbie",
        "donna",
        "hope",
        "huma",
        "cheryl",
        "kaja",
        "ursula",
        "giorgia",
        "tammy",
        "karoline",
        "mette",
        "marine",
        "maria",
        "kamala",
        "nikki",
        "jennifer",
        "jessica",
        "laura",
        "linda",
        "barbara",
        "patricia",
        "katie",
        "kate",
        "katherine",
        "catherine",
        "amy",
        "emily",
        "rachel",
        "jane",
        "janet",
        "judy",
        "lisa",
        "ruth",
        "sheryl",
        "tulsi",
        "elise",
        "liz",
        "hope",
        "olena",
        "yulia",
        "iryna",
        "annalena",
        "kristi",
        "pam",
        "pamela",
    ],
);

/// A static word list, hashed on first use (lookups run once per token, so lists must be O(1)).
struct WordSet {
    bit: u32,
    words: &'static [&'static str],
    set: OnceLock<HashSet<&'static str, Xxh3Builder>>,
}

impl WordSet {
    const fn new(index: u32, words: &'static [&'static str]) -> Self {
        WordSet {
            bit: 1 << index,
            words,
            set: OnceLock::new(),
        }
    }

    fn has(&self, w: &str) -> bool {
        self.set
            .get_or_init(|| self.words.iter().copied().collect())
            .contains(w)
    }
}

/// Bit set on tokens that are reporting verbs.
const CUE_BIT: u32 = 1 << 31;

static ALL_SETS: [&WordSet; 16] = [
    &ABBREV,
    &TITLE_ABBREV,
    &COMMON,
    &ROLE_WORDS,
    &ROLE_HEADS,
    &TITLE_WORDS,
    &CAP_VERBS,
    &PARTICLES,
    &PREPS,
    &DETERMINERS,
    &PRONOUNS,
    &ADVERBS,
    &MALE_FIRST,
    &FEMALE_FIRST,
    &CLAUSE_WORDS,
    &GENERIC_DETS,
];

/// Every word list's bit (and the cue bit) for a lowercase word: one hash lookup per token.
/// Built once per extractor from the static lists and the extractor's [`Cues`].
#[derive(Debug, Clone)]
pub struct Lexicon {
    map: HashMap<String, u32, Xxh3Builder>,
}

impl Lexicon {
    /// Combines the built-in word lists with `cues`' reporting verbs.
    pub fn new(cues: &Cues) -> Self {
        let mut map: HashMap<String, u32, Xxh3Builder> = HashMap::default();
        for set in ALL_SETS {
            for w in set.words {
                *map.entry((*w).to_string()).or_insert(0) |= set.bit;
            }
        }
        for v in cues.verbs() {
            *map.entry(v.clone()).or_insert(0) |= CUE_BIT;
        }
        Lexicon { map }
    }

    fn bits(&self, word: &str) -> u32 {
        with_lower(word, |l| self.map.get(l).copied().unwrap_or(0))
    }
}

trait Words {
    fn has_word(&self, w: &str) -> bool;
}

impl Words for WordSet {
    fn has_word(&self, w: &str) -> bool {
        self.has(w)
    }
}

impl<const N: usize> Words for [&str; N] {
    fn has_word(&self, w: &str) -> bool {
        self.contains(&w)
    }
}

fn lower_in<W: Words + ?Sized>(word: &str, list: &W) -> bool {
    with_lower(word, |w| list.has_word(w))
}

fn is_cap(word: &str) -> bool {
    word.chars().next().is_some_and(|c| c.is_uppercase())
}

fn strip_possessive(w: &str) -> &str {
    w.strip_suffix("’s")
        .or_else(|| w.strip_suffix("'s"))
        .or_else(|| w.strip_suffix('’'))
        .unwrap_or(w)
}

struct Ctx<'a> {
    text: &'a str,
    toks: &'a [Tok],
    /// Per token: [`WordSet`] bits and [`CUE_BIT`], computed once.
    flags: &'a [u32],
    sents: &'a [(usize, usize)],
    sent_of: &'a [u32],
    gaz: &'a Gazetteer,
    cues: &'a Cues,
}

/// Who a rule found: a chunked noun phrase, or an unnamed speaker's token range.
#[derive(Debug, Clone, Copy)]
enum Who {
    Np(usize),
    Span(usize, usize),
}

/// First words of an unnamed-speaker description ("another source", "the Christie supporter").
static GENERIC_DETS: WordSet = WordSet::new(
    15,
    &[
        "the",
        "a",
        "an",
        "another",
        "one",
        "some",
        "many",
        "several",
        "other",
        "both",
        "two",
        "three",
        "most",
        "few",
        "his",
        "her",
        "their",
        "its",
        "our",
        "critics",
        "officials",
        "experts",
        "analysts",
    ],
);

/// Words that start a clause, never part of a speaker description.
static CLAUSE_WORDS: WordSet = WordSet::new(
    14,
    &[
        "that", "who", "which", "and", "but", "when", "as", "if", "because", "while", "in", "on",
        "at", "after", "before", "to", "of", "for", "with", "about", "it", "this", "there",
        "where", "so", "than", "then", "he", "she", "they", "we", "i", "you",
    ],
);

/// A "subject" event for pronoun resolution: who was last talked about as an agent.
#[derive(Debug, Clone)]
struct Event {
    tok: usize,
    np: usize,
}

impl Ctx<'_> {
    fn w(&self, i: usize) -> &str {
        let t = self.toks[i];
        &self.text[t.s..t.e]
    }

    fn is_word(&self, i: usize) -> bool {
        i < self.toks.len() && self.toks[i].kind == TK::Word
    }

    fn is_cue(&self, i: usize) -> bool {
        i < self.flags.len() && self.flags[i] & CUE_BIT != 0
    }

    /// Token `i` (a word) is in list `set`.
    fn tf(&self, i: usize, set: &WordSet) -> bool {
        i < self.flags.len() && self.flags[i] & set.bit != 0
    }

    fn sent_start(&self, i: usize) -> usize {
        self.sents.get(self.sent_of[i] as usize).map_or(0, |s| s.0)
    }

    /// Chunks the frame into candidate noun phrases.
    fn chunk(&self) -> Vec<Np> {
        let n = self.toks.len();
        let mut out = Vec::new();
        let mut i = 0;
        while i < n {
            if !self.is_word(i) {
                i += 1;
                continue;
            }
            if self.tf(i, &PRONOUNS) {
                out.push(self.np(i, i + 1, NpKind::Pronoun));
                i += 1;
                continue;
            }
            let mut a = i;
            let mut j = i;
            if self.tf(i, &DETERMINERS) {
                j += 1;
            }
            let body = j;
            while j < n && self.is_word(j) {
                let x = self.w(j);
                let cap = is_cap(x);
                if self.is_cue(j) && (!cap || self.tf(j, &CAP_VERBS)) {
                    break;
                }
                if self.tf(j, &PRONOUNS) {
                    break;
                }
                if cap {
                    if j == body
                        && j == self.sent_start(j)
                        && self.tf(j, &COMMON)
                        && !self.tf(j, &DETERMINERS)
                    {
                        break;
                    }
                    j += 1;
                } else if self.tf(j, &ROLE_WORDS)
                    || ((self.tf(j, &PARTICLES)
                        || ((x == "of" || x == "for")
                            && (self.tf(j - 1, &TITLE_WORDS) || self.tf(j - 1, &ROLE_WORDS))))
                        && j > body
                        && j + 1 < n
                        && self.is_word(j + 1)
                        && is_cap(self.w(j + 1)))
                {
                    j += 1;
                } else {
                    break;
                }
                // Mr. Trump: a title abbreviation's dot stays inside the phrase.
                if j + 1 < n
                    && self.toks[j].kind == TK::Punct
                    && &self.text[self.toks[j].s..self.toks[j].e] == "."
                    && (self.tf(j - 1, &TITLE_ABBREV)
                        || (self.w(j - 1).chars().count() == 1 && is_cap(self.w(j - 1))))
                    && self.is_word(j + 1)
                    && is_cap(self.w(j + 1))
                {
                    j += 1;
                }
            }
            if j == body {
                i = body.max(i + 1);
                continue;
            }
            // Drop a leading common capitalised word ("However Rubio" never happens; "In Kyiv" does).
            while a < j
                && self.is_word(a)
                && is_cap(self.w(a))
                && self.tf(a, &COMMON)
                && !self.tf(a, &DETERMINERS)
            {
                a += 1;
            }
            if a < j {
                if let Some(np) = self.analyse(a, j) {
                    out.push(np);
                }
            }
            i = j;
        }
        out
    }

    fn np(&self, a: usize, b: usize, kind: NpKind) -> Np {
        Np {
            a,
            b,
            kind,
            span: (self.toks[a].s, self.toks[b - 1].e),
            canonical: None,
            gender: Gender::Unknown,
            ekind: Kind::Person,
            weak: false,
        }
    }

    /// Classifies tokens a..b as a name (trailing capitalised run after titles), an organisation
    /// (gazetteer), or a role phrase (ending in a role head).
    fn analyse(&self, a: usize, b: usize) -> Option<Np> {
        let body = if self.tf(a, &DETERMINERS) { a + 1 } else { a };
        if body >= b {
            return None;
        }
        // Whole phrase known to the gazetteer (organisations, "Russia's foreign ministry").
        let whole = &self.text[self.toks[body].s..self.toks[b - 1].e];
        if let Some(e) = self.gaz.lookup(whole) {
            let mut np = self.np(body, b, NpKind::Name);
            np.a = a;
            np.canonical = Some(if e.kind == Kind::Place {
                whole.to_string()
            } else {
                e.name.clone()
            });
            np.gender = e.gender;
            np.ekind = e.kind;
            return Some(np);
        }
        // Trailing name run: capitalised words (and particles) after the last title word.
        let mut k = b;
        while k > body {
            let x = self.w(k - 1);
            let t = self.toks[k - 1];
            if t.kind != TK::Word {
                break;
            }
            let bare = strip_possessive(x);
            if (is_cap(x)
                && !self.tf(k - 1, &TITLE_WORDS)
                && (bare.len() == x.len() || !lower_in(bare, &TITLE_WORDS)))
                || (self.tf(k - 1, &PARTICLES) && k < b)
            {
                k -= 1;
            } else {
                break;
            }
        }
        while k < b && self.tf(k, &PARTICLES) && !is_cap(self.w(k)) && self.w(k) != "von" {
            k += 1;
        }
        let last = self.w(b - 1);
        if k < b && !last.ends_with("’s") && !last.ends_with("'s") {
            let mut np = self.np(a, b, NpKind::Name);
            np.span = (self.toks[k].s, self.toks[b - 1].e);
            np.weak = k + 1 == b && k == self.sent_start(k) && body == k;
            return Some(np);
        }
        let head = strip_possessive(last);
        if lower_in(head, &ROLE_HEADS) && !last.ends_with("’s") && !last.ends_with("'s") {
            let mut np = self.np(a, b, NpKind::Role);
            np.span = (self.toks[a].s, self.toks[b - 1].e);
            return Some(np);
        }
        None
    }

    /// Resolves names (gazetteer, then surname → earlier full name), roles and gender, in order.
    fn resolve(&self, nps: &mut [Np]) {
        // Article-local memory: surname → canonical, role phrase → canonical.
        let mut surnames: HashMap<String, (String, Gender, Kind)> = HashMap::new();
        let mut roles: HashMap<String, String> = HashMap::new();
        #[allow(clippy::needless_range_loop)] // entries are re-borrowed mutably below
        for i in 0..nps.len() {
            let np = &nps[i];
            match np.kind {
                NpKind::Pronoun => {
                    let g = with_lower(self.w(np.a), |w| match w {
                        "he" => Gender::Male,
                        "she" => Gender::Female,
                        _ => Gender::Unknown,
                    });
                    nps[i].gender = g;
                }
                NpKind::Name => {
                    if np.canonical.is_some() {
                        if np.ekind == Kind::Person {
                            let key = normalize(last_word(np.canonical.as_deref().unwrap_or("")));
                            surnames.insert(
                                key,
                                (
                                    np.canonical.clone().unwrap_or_default(),
                                    np.gender,
                                    np.ekind,
                                ),
                            );
                        }
                        continue;
                    }
                    let name = strip_possessive(&self.text[np.span.0..np.span.1]).trim();
                    let words: Vec<&str> = name.split_whitespace().collect();
                    let (canon, mut gender, kind) = if let Some(e) = self.gaz.lookup(name) {
                        let c = if e.kind == Kind::Place {
                            name.to_string()
                        } else {
                            e.name.clone()
                        };
                        (c, e.gender, e.kind)
                    } else if words.len() == 1 {
                        match surnames.get(&normalize(name)) {
                            Some((c, g, k)) => (c.clone(), *g, *k),
                            None => (name.to_string(), Gender::Unknown, Kind::Person),
                        }
                    } else {
                        (name.to_string(), Gender::Unknown, Kind::Person)
                    };
                    if gender == Gender::Unknown && kind == Kind::Person {
                        let first = words.first().copied().unwrap_or("");
                        let title = if np.a < self.toks.len() {
                            self.w(np.a)
                        } else {
                            ""
                        };
                        gender = if lower_in(first, &MALE_FIRST) || lower_in(title, &["mr"]) {
                            Gender::Male
                        } else if lower_in(first, &FEMALE_FIRST) || lower_in(title, &["mrs", "ms"])
                        {
                            Gender::Female
                        } else {
                            Gender::Unknown
                        };
                    }
                    if kind == Kind::Person && words.len() > 1 {
                        surnames.insert(normalize(last_word(name)), (canon.clone(), gender, kind));
                    }
                    // Title before the name becomes an article-local role: "Kremlin spokesman".
                    let np = &nps[i];
                    if np.span.0 > self.toks[np.a].s {
                        let role = &self.text[self.toks[np.a].s..np.span.0];
                        let key = normalize_role(role.trim());
                        if !key.is_empty() {
                            if let Some(h) = key.split(' ').next_back() {
                                roles.insert(h.to_string(), canon.clone());
                            }
                            roles.insert(key, canon.clone());
                        }
                    }
                    let np = &mut nps[i];
                    np.canonical = Some(canon);
                    np.gender = gender;
                    np.ekind = kind;
                    if np.weak
                        && (self.gaz.lookup(name).is_some()
                            || surnames.contains_key(&normalize(name)))
                    {
                        np.weak = false;
                    }
                }
                NpKind::Role => {
                    let phrase = &self.text[np.span.0..np.span.1];
                    let key = normalize_role(phrase);
                    let head = key.split(' ').next_back().unwrap_or("").to_string();
                    let found = roles
                        .get(&key)
                        .cloned()
                        .map(|c| (c, None))
                        .or_else(|| {
                            self.gaz
                                .by_role(phrase)
                                .map(|e| (e.name.clone(), Some((e.gender, e.kind))))
                        })
                        .or_else(|| {
                            // "the spokesman" after "Kremlin spokesman Dmitry Peskov".
                            (key.split(' ').count() == 1 || key.starts_with("same "))
                                .then(|| roles.get(&head).cloned())
                                .flatten()
                                .map(|c| (c, None))
                        });
                    if let Some((c, gk)) = found {
                        let (g, k) = gk.unwrap_or_else(|| {
                            self.gaz
                                .entry(&c)
                                .map_or((Gender::Unknown, Kind::Person), |e| (e.gender, e.kind))
                        });
                        let np = &mut nps[i];
                        np.canonical = Some(c);
                        np.gender = g;
                        np.ekind = k;
                    }
                }
            }
        }
    }

    /// Subject events: a name or role right before a cue verb, right after an inverted cue, or
    /// first in its sentence.
    fn events(&self, nps: &[Np], np_at_end: &[u32], np_at_start: &[u32]) -> Vec<Event> {
        let mut ev = Vec::new();
        let mut seen_sent = u32::MAX;
        for (i, np) in nps.iter().enumerate() {
            if np.kind == NpKind::Pronoun || np.canonical.is_none() || np.ekind == Kind::Place {
                continue;
            }
            let s = self.sent_of[np.a];
            let before_cue = self.is_cue(self.skip_adverbs_right(np.b));
            let after_cue = np.a > 0 && self.is_cue(np.a - 1) && !self.addressee_cue(np.a - 1);
            let first = s != seen_sent;
            if first {
                seen_sent = s;
            }
            // "in Florida", "from Kyiv": a phrase after a preposition is not a subject.
            let after_prep = np.a > 0 && self.is_word(np.a - 1) && self.tf(np.a - 1, &PREPS);
            if before_cue || after_cue || (first && !np.weak && !after_prep) {
                ev.push(Event { tok: np.a, np: i });
            }
        }
        let _ = (np_at_end, np_at_start);
        ev
    }

    fn skip_adverbs_right(&self, mut i: usize) -> usize {
        while i < self.toks.len() && self.is_word(i) && self.tf(i, &ADVERBS) {
            i += 1;
        }
        i
    }

    /// Resolves a pronoun np at token `at` to the nearest earlier compatible event.
    fn pronoun(&self, np: &Np, nps: &[Np], events: &[Event]) -> Option<usize> {
        let want = np.gender;
        let it = with_lower(self.w(np.a), |w| w == "it" || w == "they" || w == "we");
        // Events are in text order: start from the last one before the pronoun.
        let before = events.partition_point(|e| e.tok < np.a);
        for e in events[..before].iter().rev() {
            let c = &nps[e.np];
            if np.a - e.tok > 400 {
                break;
            }
            let ok = if it {
                c.ekind == Kind::Org && with_lower(self.w(np.a), |w| w == "it")
            } else {
                c.ekind == Kind::Person
                    && (c.gender == Gender::Unknown || want == Gender::Unknown || c.gender == want)
            };
            if ok {
                return Some(e.np);
            }
            if !it && c.ekind == Kind::Person && c.kind != NpKind::Role {
                // The nearest person is incompatible: keep looking, but only a little further.
                continue;
            }
        }
        None
    }

    /// The NP ending just before token `i` (skipping adverbs and an appositive `, …,`).
    fn subject_before(&self, i: usize, np_at_end: &[u32], floor: usize) -> Option<usize> {
        let mut j = i;
        while j > floor && self.is_word(j - 1) && self.tf(j - 1, &ADVERBS) {
            j -= 1;
        }
        if j == floor {
            return None;
        }
        // Parenthetical after the name: "Harry M. Reid (D-Nev.) said".
        if self.toks[j - 1].kind == TK::Punct && self.p(j - 1) == ")" {
            let mut m = j - 1;
            while m > floor && m + 12 > j && !(self.toks[m].kind == TK::Punct && self.p(m) == "(") {
                m -= 1;
            }
            if m > floor && self.p(m) == "(" {
                j = m;
            }
        }
        let k = np_at_end[j - 1];
        if k != u32::MAX {
            return Some(k as usize);
        }
        // Appositive: "Yuri Ushakov, an adviser to Putin, said".
        if self.toks[j - 1].kind == TK::Punct
            && &self.text[self.toks[j - 1].s..self.toks[j - 1].e] == ","
        {
            let mut m = j - 1;
            let lim = (j - 1).saturating_sub(16).max(floor);
            while m > lim {
                m -= 1;
                let t = self.toks[m];
                if matches!(t.kind, TK::Quote(_) | TK::Newline) {
                    return None;
                }
                if t.kind == TK::Punct && &self.text[t.s..t.e] == "," {
                    if m > floor && np_at_end[m - 1] != u32::MAX {
                        return Some(np_at_end[m - 1] as usize);
                    }
                    return None;
                }
            }
        }
        None
    }

    /// The NP starting at token `i` (after an inverted cue).
    fn np_from(&self, i: usize, np_at_start: &[u32]) -> Option<usize> {
        if i < np_at_start.len() && np_at_start[i] != u32::MAX {
            return Some(np_at_start[i] as usize);
        }
        None
    }

    fn usable(&self, np: &Np) -> bool {
        np.kind == NpKind::Pronoun || np.canonical.is_some() || np.kind == NpKind::Role
    }

    #[allow(clippy::too_many_arguments)]
    fn attribute_one(
        &self,
        qt: usize,
        nps: &[Np],
        np_at_end: &[u32],
        np_at_start: &[u32],
        events: &[Event],
        prev: Option<(usize, &Attribution)>,
    ) -> Attribution {
        let si = self.sent_of[qt] as usize;
        let (ss, se) = self.sents.get(si).copied().unwrap_or((qt, qt + 1));
        let ctx_of = |a: usize, b: usize| (self.toks[a].s, self.toks[b.max(a + 1) - 1].e);
        let mut ctx = ctx_of(ss, se);
        let mut found: Option<(Who, Option<usize>, f32)> = None;
        let usable = |k: &usize| self.usable(&nps[*k]);

        // 1. Cue right after the quote: ”, Rubio said / ”, said Rubio / ” he added /
        //    ”, Texas delegate Bill Eastland, wearing a hat, said.
        let mut j = qt + 1;
        while j < se && self.toks[j].kind == TK::Punct && matches!(self.p(j), "," | "—" | "–" | "-")
        {
            j += 1;
        }
        if j < se {
            if self.is_cue(j) {
                if let Some(k) = self.np_from(j + 1, np_at_start).filter(usable) {
                    found = Some((Who::Np(k), Some(j), 0.95));
                } else if let Some(sp) = self.generic_after(j + 1, se) {
                    found = Some((Who::Span(sp.0, sp.1), Some(j), 0.5));
                }
            } else if let Some(c) = (j..se.min(j + 24))
                .take_while(|&c| !matches!(self.toks[c].kind, TK::Quote(_) | TK::Newline))
                .find(|&c| self.is_cue(c))
            {
                if let Some(k) = self.subject_before(c, np_at_end, j).filter(usable) {
                    // "”, to which Russia had responded": a relative clause, not an attribution.
                    let relative =
                        (j..nps[k].a).any(|t| self.is_word(t) && self.tf(t, &CLAUSE_WORDS));
                    if nps[k].a <= j + 3 && !relative && nps[k].ekind != Kind::Place {
                        found = Some((Who::Np(k), Some(c), 0.95));
                    }
                } else if let Some(sp) = self.generic_before(c, j).filter(|sp| sp.0 == j) {
                    found = Some((Who::Span(sp.0, sp.1), Some(c), 0.5));
                }
            }
        }
        // 2. Nearest cue before the quote in its sentence (skipping cues whose subject is a
        //    place: "… stated that Kyiv would not acknowledge …, “…”" is the president's). A quote
        //    opening a paragraph after "Cruz continued:" takes the previous sentence as its lead-in.
        let lo = if qt == ss
            && qt >= 2
            && self.toks[qt - 1].kind == TK::Newline
            && self.toks[qt - 2].kind == TK::Punct
            && self.p(qt - 2) == ":"
        {
            self.sents
                .get(self.sent_of[qt - 2] as usize)
                .map_or(ss, |s| s.0)
        } else {
            ss
        };
        if found.is_none() {
            let mut c = qt;
            // Bounded look-back keeps pathological one-sentence texts linear.
            let lo = lo.max(qt.saturating_sub(80));
            while found.is_none() && c > lo {
                c -= 1;
                if self.is_according(c) {
                    if let Some(k) = self.np_from(c + 2, np_at_start).filter(usable) {
                        found = Some((Who::Np(k), Some(c), 0.9));
                    }
                    break;
                }
                if !self.is_cue(c) {
                    continue;
                }
                let participle = self.w(c).ends_with("ing");
                let subj = self.subject_before(c, np_at_end, lo).filter(usable);
                if subj.is_some_and(|k| nps[k].ekind == Kind::Place) {
                    continue;
                }
                let k = match subj {
                    Some(k) if !(participle && self.skip_adverbs_right(nps[k].b) < c) => Some(k),
                    // "Peskov told reporters …, adding: “…”": the main verb's subject.
                    _ if participle && self.main_subject(lo, c, np_at_end).is_some() => {
                        self.main_subject(lo, c, np_at_end)
                    }
                    // "Hayek confirmed she had been and said, “…”": a coordinated cue shares
                    // the subject of the clause's first cue.
                    _ if self.after_and(c, lo) && self.main_subject(lo, c, np_at_end).is_some() => {
                        self.main_subject(lo, c, np_at_end)
                    }
                    _ => self.sentence_subject(lo, c, nps, np_at_start),
                };
                if let Some(k) = k {
                    found = Some((Who::Np(k), Some(c), if participle { 0.85 } else { 0.9 }));
                } else if let Some(k) = self.np_from(c + 1, np_at_start).filter(|&k| {
                    self.usable(&nps[k])
                        && nps[k].b <= qt
                        && nps[k].ekind != Kind::Place
                        && !self.addressee_cue(c)
                }) {
                    // Inverted before the quote: "said Lavrov: “…”".
                    found = Some((Who::Np(k), Some(c), 0.85));
                } else if let Some(sp) = self.generic_before(c, lo).filter(|_| !participle) {
                    found = Some((Who::Span(sp.0, sp.1), Some(c), 0.5));
                }
                break;
            }
        }
        // 3. "according to X" or any cue later in the sentence.
        if found.is_none() {
            let mut c = qt + 1;
            while c < se.min(qt + 60) {
                if matches!(self.toks[c].kind, TK::Quote(_)) {
                    break;
                }
                if self.is_according(c) {
                    if let Some(k) = self.np_from(c + 2, np_at_start).filter(usable) {
                        found = Some((Who::Np(k), Some(c), 0.85));
                    }
                    break;
                }
                if self.is_cue(c) {
                    let k = self
                        .subject_before(c, np_at_end, qt + 1)
                        .or_else(|| {
                            self.np_from(c + 1, np_at_start)
                                .filter(|_| !self.addressee_cue(c))
                        })
                        .filter(usable);
                    if let Some(k) = k {
                        found = Some((Who::Np(k), Some(c), 0.75));
                    }
                    break;
                }
                c += 1;
            }
        }
        // 4. Colon lead-in without a verb ("The Ukrainian leader’s answer: “…”") or a speech
        //    noun ("Trump issued a statement, “…”").
        if found.is_none() && qt > ss {
            let lead = self.toks[qt - 1].kind == TK::Punct
                && (self.p(qt - 1) == ":"
                    || (self.p(qt - 1) == ","
                        && (ss..qt).any(|i| self.is_word(i) && self.cues.is_noun(self.w(i)))));
            if lead {
                if let Some(k) = self.sentence_subject(ss, qt, nps, np_at_start) {
                    found = Some((Who::Np(k), None, 0.6));
                }
            }
        }
        // 4b. A paragraph-opening quote after a lead-in naming a statement: "Clinton released
        //     the following statement:\n\n“…”".
        if found.is_none() && qt == ss && lo < ss {
            let noun = (lo..qt - 2).any(|i| self.is_word(i) && self.cues.is_noun(self.w(i)));
            // "When Wallace died, Clinton released …": skip an opening subordinate clause.
            let from = if self.is_word(lo)
                && lower_in(
                    self.w(lo),
                    &[
                        "when", "after", "as", "while", "before", "since", "although", "though",
                    ],
                ) {
                (lo..qt - 2)
                    .find(|&i| self.toks[i].kind == TK::Punct && self.p(i) == ",")
                    .map_or(lo, |i| i + 1)
            } else {
                lo
            };
            if noun {
                if let Some(k) = self.sentence_subject(from, qt - 2, nps, np_at_start) {
                    found = Some((Who::Np(k), None, 0.6));
                }
            }
        }
        // 5. Continuation: a quote opening its sentence right after the previous quote.
        let long = {
            let t = self.toks[qt];
            self.text[t.s..t.e].split_whitespace().count() >= 4
        };
        if found.is_none() && (qt == ss || long) {
            if let Some((pt, pa)) = prev {
                let psent = self.sent_of[pt] as usize;
                if pa.mention.is_some()
                    && si >= psent
                    && si - psent <= if qt == ss { 2 } else { 1 }
                    && !self.new_subject_between(pt, qt, nps, pa.speaker.as_deref())
                {
                    let mut a = pa.clone();
                    a.cue = None;
                    a.confidence = (pa.confidence * 0.8).min(0.7);
                    a.context = (ctx.0.min(pa.context.0), ctx.1);
                    return a;
                }
            }
        }
        let Some((who, cue, conf)) = found else {
            return Attribution {
                context: ctx,
                confidence: 0.3,
                ..Default::default()
            };
        };
        if let Some(c) = cue {
            let cs = self.sent_of[c] as usize;
            if let Some(&(a, b)) = self.sents.get(cs) {
                let cc = ctx_of(a, b);
                ctx = (ctx.0.min(cc.0), ctx.1.max(cc.1));
            }
        }
        let cue_span = cue.map(|c| {
            if self.is_according(c) {
                (self.toks[c].s, self.toks[c + 1].e)
            } else {
                (self.toks[c].s, self.toks[c].e)
            }
        });
        let k = match who {
            Who::Np(k) => k,
            Who::Span(a, b) => {
                // A speaker the text describes but does not name ("a senior official").
                return Attribution {
                    speaker: None,
                    mention: Some((self.toks[a].s, self.toks[b - 1].e)),
                    cue: cue_span,
                    confidence: conf,
                    context: ctx,
                };
            }
        };
        let np = &nps[k];
        let (speaker, conf) = match np.kind {
            NpKind::Pronoun => match self.pronoun(np, nps, events) {
                Some(r) => (nps[r].canonical.clone(), conf * 0.9),
                None => (None, 0.4),
            },
            _ => (
                np.canonical.clone(),
                if np.canonical.is_some() { conf } else { 0.4 },
            ),
        };
        Attribution {
            speaker,
            mention: Some(np.span),
            cue: cue_span,
            confidence: conf,
            context: ctx,
        }
    }

    /// The cue at `c` follows "and" (adverbs and commas skipped): "… and then said".
    fn after_and(&self, c: usize, lo: usize) -> bool {
        let mut j = c;
        while j > lo
            && ((self.is_word(j - 1) && self.tf(j - 1, &ADVERBS))
                || (self.toks[j - 1].kind == TK::Punct && self.p(j - 1) == ","))
        {
            j -= 1;
        }
        j > lo && self.is_word(j - 1) && self.w(j - 1).eq_ignore_ascii_case("and")
    }

    /// Subject of the nearest finite cue before `c` in the sentence.
    fn main_subject(&self, lo: usize, c: usize, np_at_end: &[u32]) -> Option<usize> {
        (lo..c)
            .rev()
            .filter(|&i| self.is_cue(i) && !self.w(i).ends_with("ing"))
            .find_map(|i| self.subject_before(i, np_at_end, lo))
    }

    /// "told POLITICO", "asked reporters": the phrase after these cues is the listener.
    fn addressee_cue(&self, c: usize) -> bool {
        lower_in(
            self.w(c),
            &[
                "told",
                "tell",
                "tells",
                "telling",
                "asked",
                "ask",
                "asks",
                "urged",
                "urges",
                "warned",
                "warns",
                "assured",
                "called",
                "calling",
                "accused",
                "praised",
                "criticized",
                "criticised",
                "described",
                "dismissed",
                "rejected",
                "welcomed",
                "condemned",
                "threatened",
                "labeled",
                "labelled",
                "dubbed",
                "answered",
            ],
        )
    }

    fn p(&self, i: usize) -> &str {
        let t = self.toks[i];
        &self.text[t.s..t.e]
    }

    /// Words before cue `c` (down to `floor`) forming an unnamed speaker: "another source said".
    fn generic_before(&self, c: usize, floor: usize) -> Option<(usize, usize)> {
        let mut b = c;
        while b > floor && self.is_word(b - 1) && self.tf(b - 1, &ADVERBS) {
            b -= 1;
        }
        let mut a = b;
        while a > floor
            && b - a < 8
            && self.is_word(a - 1)
            && !self.is_cue(a - 1)
            && !self.tf(a - 1, &CLAUSE_WORDS)
        {
            a -= 1;
        }
        (a < b).then_some((a, b))
    }

    /// Words after an inverted cue forming an unnamed speaker: "added another Democrat".
    fn generic_after(&self, a: usize, se: usize) -> Option<(usize, usize)> {
        let mut b = a;
        while b < se
            && b - a < 8
            && self.is_word(b)
            && !self.is_cue(b)
            && !self.tf(b, &CLAUSE_WORDS)
        {
            b += 1;
        }
        (a < b).then_some((a, b))
    }

    fn is_according(&self, c: usize) -> bool {
        self.is_word(c)
            && self.is_word(c + 1)
            && self.cues.after_name().iter().any(|p| {
                p.len() == 2
                    && with_lower(self.w(c), |w| w == p[0])
                    && with_lower(self.w(c + 1), |w| w == p[1])
            })
    }

    /// First usable NP of the sentence before token `limit` (the clause subject).
    fn sentence_subject(
        &self,
        ss: usize,
        limit: usize,
        nps: &[Np],
        np_at_start: &[u32],
    ) -> Option<usize> {
        // The subject stands near the sentence start; bounded for pathological inputs.
        for i in ss..limit.min(ss + 150) {
            if let Some(k) = self.np_from(i, np_at_start) {
                let np = &nps[k];
                let after_prep = i > ss
                    && ((self.is_word(i - 1) && self.tf(i - 1, &PREPS))
                        || (self.toks[i - 1].kind == TK::Punct && self.p(i - 1) == "("));
                if np.ekind != Kind::Place
                    && self.usable(np)
                    && !(np.weak && np.kind == NpKind::Name)
                    && !after_prep
                {
                    return Some(k);
                }
            }
        }
        None
    }

    /// True when a different named subject is introduced between two quotes.
    fn new_subject_between(&self, a: usize, b: usize, nps: &[Np], speaker: Option<&str>) -> bool {
        // `nps` is in text order: only the chunks between the two quotes are looked at.
        let from = nps.partition_point(|np| np.a <= a);
        let to = nps.partition_point(|np| np.a < b);
        nps[from..to.max(from)].iter().any(|np| {
            np.a > a
                && np.b <= b
                && np.kind != NpKind::Pronoun
                && np.ekind == Kind::Person
                && np.canonical.is_some()
                && np.canonical.as_deref() != speaker
                && {
                    let c = self.skip_adverbs_right(np.b);
                    // "a super PAC called Future45": naming, not speaking.
                    self.is_cue(c)
                        && !lower_in(
                            self.w(c),
                            &[
                                "call",
                                "calls",
                                "called",
                                "dubbed",
                                "labeled",
                                "labelled",
                                "described",
                            ],
                        )
                }
        })
    }
}

fn last_word(s: &str) -> &str {
    s.split_whitespace().next_back().unwrap_or(s)
}
