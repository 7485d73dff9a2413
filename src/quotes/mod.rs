//! Stage 2 of the pipeline: quotations and their speakers.
//!
//! [`QuoteExtractor::extract`] pairs quotation marks ([`marks`]), attributes each quote
//! ([`crate::speakers::attribute`]) and converts byte offsets to char offsets once at the end.
//! It is linear in the article length and never panics.
//!
//! ```
//! use stance::{quotes::QuoteExtractor, Article};
//! let x = QuoteExtractor::with_defaults();
//! let a = Article::new("a", "“No one is being sidelined here,” Rubio said.");
//! let q = x.extract(&a);
//! assert_eq!(q[0].text, "No one is being sidelined here,");
//! assert_eq!(q[0].speaker.as_deref(), Some("Marco Rubio"));
//! ```

pub mod marks;

use crate::article::{Article, CharIndex, Mention, RawQuote};
use crate::speakers::attribute::{attribute, Lexicons};
use crate::speakers::lexicon::Lexicon;
use crate::speakers::{Cues, Gazetteer, Ranker, Sieve};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Quotes shorter than this many words are `fragment: true` (annotation guide §1).
pub const FRAGMENT_WORDS: usize = 3;

/// One quotation with its attribution. Offsets are char offsets into the article text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// First char of the quoted text (inside the marks).
    pub start: usize,
    /// End of the quoted text, exclusive.
    pub end: usize,
    /// `article.text.chars()[start..end]`.
    pub text: String,
    /// Under three words (scare quotes, terms, one-word partial quotes).
    pub fragment: bool,
    /// Canonical speaker, or `None` when a careful reader could not tell.
    pub speaker: Option<String>,
    /// The span naming the speaker at this attribution (name, role or pronoun).
    pub speaker_mention: Option<Mention>,
    /// The attribution cue (`said`, `according to`), if any.
    pub cue: Option<Mention>,
    /// 0..1 confidence of the attribution.
    #[serde(serialize_with = "crate::labels::serialize_prob")]
    pub confidence: f32,
    /// The attribution sieve that decided (`None`: nothing did, the speaker is `null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sieve: Option<Sieve>,
    /// Char span of the quote's introducing context: the sentence(s) holding the quote and its
    /// cue (for a one-word quote like “unacceptable”, the whole sentence around it). Used by the
    /// topic and stance models.
    #[serde(skip)]
    pub context: (usize, usize),
    /// Char span of `context` widened to the start of the sentence before the quote's: a
    /// short quote's subject is often named there. Read by heads with the `wide_context`
    /// parts (the default relevance head).
    #[serde(skip)]
    pub wide_context: (usize, usize),
}

/// One output line of `stance quotes`: the article id followed by the quote's fields, in the
/// documented key order.
#[derive(Debug, Clone, Serialize)]
pub struct QuoteRecord<'a> {
    /// Article id.
    pub article: &'a str,
    #[serde(flatten)]
    pub quote: &'a Quote,
}

/// One ranker candidate: mention span (chars; `None` for `none`) and feature vector.
pub type RankCandidate = (
    Option<(usize, usize)>,
    [f32; crate::speakers::ranker::N_FEATURES],
);

/// The source ranker's candidates of one quote: mention span (chars; `None` for the `none`
/// candidate) and feature vector.
#[derive(Debug, Clone)]
pub struct RankGroup {
    /// The quote's char span.
    pub quote: (usize, usize),
    pub candidates: Vec<RankCandidate>,
}

/// Finds quotes and attributes them. Cheap to share across threads (`Send + Sync`).
#[derive(Debug, Clone)]
pub struct QuoteExtractor {
    gazetteer: Gazetteer,
    cues: Cues,
    lexicon: Lexicon,
    /// The learned source ranker; without one the sieves decide alone.
    ranker: Option<Arc<Ranker>>,
}

impl QuoteExtractor {
    /// An extractor with the given speaker gazetteer and cue list.
    pub fn new(gazetteer: Gazetteer, cues: Cues) -> Self {
        let lexicon = Lexicon::new(&cues);
        QuoteExtractor {
            gazetteer,
            cues,
            lexicon,
            ranker: None,
        }
    }

    /// Ranks candidate sources with `ranker` (from a model directory) after the sieves.
    pub fn with_ranker(mut self, ranker: Option<Ranker>) -> Self {
        self.ranker = ranker.map(Arc::new);
        self
    }

    /// The source ranker in use, if any.
    pub fn ranker(&self) -> Option<&Ranker> {
        self.ranker.as_deref()
    }

    /// The embedded defaults: `data/speakers.toml` and `data/cues.toml`.
    pub fn with_defaults() -> Self {
        Self::new(Gazetteer::builtin(), Cues::builtin())
    }

    /// The gazetteer in use.
    pub fn gazetteer(&self) -> &Gazetteer {
        &self.gazetteer
    }

    /// The quotation spans of `text` (byte offsets) and the end of its body.
    fn raw_quotes(text: &str) -> (Vec<RawQuote>, usize) {
        let body = marks::body_end(text);
        let mut raw = marks::find_quotes(text, body);
        raw.retain(|q| !is_work_title(text, q));
        (raw, body)
    }

    fn lexicons(&self) -> Lexicons<'_> {
        Lexicons {
            gazetteer: &self.gazetteer,
            cues: &self.cues,
            lexicon: &self.lexicon,
        }
    }

    /// The source ranker's candidates for every quote of `article` (training data for
    /// [`crate::recipe::ranker_train`]), in char offsets.
    pub fn ranker_candidates(&self, article: &Article) -> Vec<RankGroup> {
        let text = article.text.as_str();
        let (raw, body) = Self::raw_quotes(text);
        if raw.is_empty() {
            return Vec::new();
        }
        let cands =
            crate::speakers::attribute::ranker_candidates(text, body, &raw, self.lexicons());
        let idx = CharIndex::new(text);
        raw.iter()
            .zip(cands)
            .map(|(q, c)| RankGroup {
                quote: (idx.char_of(q.start), idx.char_of(q.end)),
                candidates: c
                    .into_iter()
                    .map(|c| {
                        (
                            c.mention.map(|(s, e)| (idx.char_of(s), idx.char_of(e))),
                            c.x,
                        )
                    })
                    .collect(),
            })
            .collect()
    }

    /// All quotes of `article`, in text order.
    pub fn extract(&self, article: &Article) -> Vec<Quote> {
        let text = article.text.as_str();
        let (raw, body) = Self::raw_quotes(text);
        if raw.is_empty() {
            return Vec::new();
        }
        let attrs = attribute(text, body, &raw, self.lexicons(), self.ranker.as_deref());
        let idx = CharIndex::new(text);
        let mention = |(s, e): (usize, usize)| Mention {
            start: idx.char_of(s),
            end: idx.char_of(e),
            text: text[s..e].to_string(),
        };
        let mut quotes: Vec<Quote> = raw
            .iter()
            .zip(attrs)
            .map(|(q, a)| {
                let t = &text[q.start..q.end];
                Quote {
                    start: idx.char_of(q.start),
                    end: idx.char_of(q.end),
                    text: t.to_string(),
                    fragment: t
                        .split_whitespace()
                        .filter(|w| w.chars().any(char::is_alphanumeric))
                        .take(FRAGMENT_WORDS)
                        .count()
                        < FRAGMENT_WORDS,
                    speaker: a.speaker,
                    speaker_mention: a.mention.map(mention),
                    cue: a.cue.map(mention),
                    confidence: a.confidence,
                    sieve: a.sieve,
                    context: (idx.char_of(a.context.0), idx.char_of(a.context.1)),
                    wide_context: (idx.char_of(a.wide_context.0), idx.char_of(a.wide_context.1)),
                }
            })
            .collect();
        // Headline area: the first two lines.
        let headline_end = text
            .match_indices('\n')
            .nth(1)
            .map_or(text.len(), |(b, _)| b);
        borrow_repeated_speakers(&mut quotes, idx.char_of(headline_end));
        quotes
    }
}

/// Titles of works and shows are not quotes (guide §1): `told CBS’s “Face the Nation”`,
/// `appeared on “Meet the Press”`. Only short Title-Case spans in double marks right after a
/// broadcaster's possessive or a show word count, so headline quotes (`Tells Trump ‘It Would
/// Take a Miracle’`, `Trump’s “Make America Great Again”`) stay.
fn is_work_title(text: &str, q: &RawQuote) -> bool {
    let inner = &text[q.start..q.end];
    if inner.ends_with(['.', ',', '!', '?']) {
        return false;
    }
    // Seven words are enough to know a span is too long (quotes run to paragraphs).
    let words: Vec<&str> = inner.split_whitespace().take(7).collect();
    if words.is_empty() || words.len() > 6 {
        return false;
    }
    const SMALL: &[&str] = &[
        "the", "of", "a", "an", "and", "in", "on", "for", "to", "with", "at",
    ];
    let title_case = words.iter().enumerate().all(|(i, w)| {
        w.chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
            || (i > 0 && SMALL.contains(w))
    });
    if !title_case {
        return false;
    }
    let before = text[..q.open].trim_end();
    let prev = before
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("");
    // Broadcasters are written in capitals (ABC’s, CNN’s, POLITICO’s); Trump’s “…” is speech.
    let owner = prev.trim_end_matches("’s").trim_end_matches("'s");
    let possessive = owner.len() < prev.len()
        && owner.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && owner.chars().all(|c| !c.is_lowercase());
    let show_word = matches!(
        prev.to_lowercase().as_str(),
        "on" | "titled"
            | "entitled"
            | "show"
            | "program"
            | "programme"
            | "podcast"
            | "newspaper"
            | "magazine"
            | "channel"
            | "book"
            | "film"
            | "documentary"
            | "series"
    );
    // A lowercase word before the mark means running text, not a Title-Case headline.
    !q.single && (possessive || show_word)
}

/// A quote without a cue that repeats words quoted elsewhere in the article with a speaker
/// (headlines: `Agree to ‘Lay the Groundwork’` … the State Department said it would “lay the
/// groundwork …”) takes that speaker. Only headline-area quotes (before char `headline_end`)
/// borrow, which also keeps this linear in the number of quotes.
fn borrow_repeated_speakers(quotes: &mut [Quote], headline_end: usize) {
    let key = |t: &str| -> String {
        let k = t
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        // Padded so that containment respects word boundaries.
        format!(" {k} ")
    };
    let n_head = quotes.iter().take_while(|q| q.start < headline_end).count();
    if n_head == 0 {
        return;
    }
    // The headline quotes that may borrow (a speaker the ranker guessed without any sieve's
    // evidence gives way to the echo), with their keys; the other quotes' keys only if any.
    let borrowers: Vec<(usize, String)> = (0..n_head.min(8))
        .filter(|&i| {
            let guessed = quotes[i].sieve == Some(Sieve::RankerOnly);
            guessed || (quotes[i].speaker.is_none() && quotes[i].speaker_mention.is_none())
        })
        .map(|i| (i, key(&quotes[i].text)))
        .filter(|(_, k)| k.split_whitespace().nth(1).is_some())
        .collect();
    if borrowers.is_empty() {
        return;
    }
    let keys: Vec<Option<String>> = quotes
        .iter()
        .map(|q| q.cue.is_some().then(|| key(&q.text)))
        .collect();
    for (i, ki) in borrowers {
        let found = (0..quotes.len()).find(|&j| {
            j != i
                && quotes[j].speaker.is_some()
                && keys[j].as_ref().is_some_and(|kj| kj.contains(ki.as_str()))
        });
        if let Some(j) = found {
            quotes[i].speaker = quotes[j].speaker.clone();
            quotes[i].speaker_mention = None;
            quotes[i].confidence = Sieve::HeadlineEcho.confidence();
            quotes[i].sieve = Some(Sieve::HeadlineEcho);
        }
    }
}

#[cfg(test)]
mod tests;

/// One-to-one matching of quote spans that overlap by at least half of each span, largest
/// overlap first (ties in text order): `(gold index, predicted index)` pairs.
pub fn match_spans(gold: &[(usize, usize)], pred: &[(usize, usize)]) -> Vec<(usize, usize)> {
    match_spans_where(gold, pred, |overlap, g, p| 2 * overlap >= g.max(p))
}

/// One-to-one matching of overlapping spans, largest overlap first (ties in text order):
/// the `(gold index, predicted index)` pairs.
pub fn match_overlapping(gold: &[(usize, usize)], pred: &[(usize, usize)]) -> Vec<(usize, usize)> {
    match_spans_where(gold, pred, |_, _, _| true)
}

/// One-to-one matching of overlapping spans for which `keep(overlap, gold length, predicted
/// length)` holds, largest overlap first (ties in text order).
pub fn match_spans_where(
    gold: &[(usize, usize)],
    pred: &[(usize, usize)],
    keep: impl Fn(usize, usize, usize) -> bool,
) -> Vec<(usize, usize)> {
    let mut pairs: Vec<(usize, usize, usize)> = Vec::new();
    for (i, g) in gold.iter().enumerate() {
        for (j, p) in pred.iter().enumerate() {
            let o = g.1.min(p.1).saturating_sub(g.0.max(p.0));
            if o > 0 && keep(o, g.1 - g.0, p.1 - p.0) {
                pairs.push((o, i, j));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut gu = vec![false; gold.len()];
    let mut pu = vec![false; pred.len()];
    let mut out = Vec::new();
    for (_, i, j) in pairs {
        if !gu[i] && !pu[j] {
            gu[i] = true;
            pu[j] = true;
            out.push((i, j));
        }
    }
    out
}
