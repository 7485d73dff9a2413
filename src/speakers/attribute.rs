//! Speaker attribution: who said each quote, in four stages.
//!
//! 1. [`super::frame`]: the article outside its quotes becomes a token frame (each quotation is
//!    one token) with sentences, paragraphs and per-word list bits ([`super::lexicon`]).
//! 2. [`super::mentions`]: noun-phrase chunks that could name a speaker — names, roles,
//!    organisations, pronouns — resolved once in text order (gazetteer, earlier full names,
//!    titles introduced with a name, pronoun antecedents).
//! 3. [`super::sieves`]: quote → mention, by an ordered table of named sieves; the first that
//!    fires proposes the speaker and tags the decision with its [`Sieve`].
//! 4. [`super::ranker`] (when a trained source ranker is given): the sieve's proposal and the
//!    frame's other candidate mentions near the quote, plus `none`, are scored by a logistic
//!    model and the best wins.
//!
//! Then mention → speaker: the mention's canonical name (a pronoun's antecedent's). When no
//! rule applies, or the mention is not a resolvable name, the speaker is `None`.

use super::cues::Cues;
use super::frame::Frame;
use super::gazetteer::Gazetteer;
use super::lexicon::Lexicon;
use super::mentions::{Mentions, NpKind};
use super::ranker::{Candidate, Ranker};
use super::sieves::{Found, PrevQuote, QuoteSite, Sieve, Who};
use crate::article::RawQuote;

/// One attribution decision, in byte offsets.
#[derive(Debug, Clone, Default)]
pub struct Attribution {
    /// Canonical speaker.
    pub speaker: Option<String>,
    /// Byte span of the mention naming the speaker at this attribution.
    pub mention: Option<(usize, usize)>,
    /// Byte span of the cue.
    pub cue: Option<(usize, usize)>,
    /// 0..1: how sure the deciding rule (or the ranker) is.
    pub confidence: f32,
    /// Byte span of the sentence(s) holding the quote and its cue.
    pub context: (usize, usize),
    /// `context` widened to the start of the sentence before the quote's (what a quote is
    /// about is often named there: “Lavrov criticized these initiatives as “absurd””). Set
    /// for every quote by `attribute_each`, whichever rule decided.
    pub wide_context: (usize, usize),
    /// The sieve that decided (`None`: no sieve fired, or the ranker chose `none`).
    pub sieve: Option<Sieve>,
}

/// What attribution reads besides the article: the gazetteer, the reporting cues and the word
/// lists.
#[derive(Clone, Copy)]
pub struct Lexicons<'a> {
    pub gazetteer: &'a Gazetteer,
    pub cues: &'a Cues,
    pub lexicon: &'a Lexicon,
}

/// Attributes every quote of an article. `quotes` are in text order; `body_end` bounds the text.
pub fn attribute(
    text: &str,
    body_end: usize,
    quotes: &[RawQuote],
    lx: Lexicons<'_>,
    ranker: Option<&Ranker>,
) -> Vec<Attribution> {
    let frame = Frame::new(text, body_end, quotes, lx);
    attribute_each(
        &frame,
        quotes,
        |_, site, mentions, found, last| match ranker {
            Some(r) => {
                let cands = frame.candidates(site, mentions, found, last.and_then(|a| a.mention));
                let best = r.choose(&cands);
                frame.attribution_of_candidate(site, mentions, &cands, best, last)
            }
            None => frame.attribution(site, mentions, found, last),
        },
    )
}

/// Walks the quotes in text order, running the sieves on each quote in the frame and letting
/// `decide(index, site, mentions, sieves' finding, last attribution)` make its attribution;
/// a quote outside the frame gets an empty one. Each attribution is seen by the next quote's
/// sieves, so [`attribute`] and [`ranker_candidates`] must walk alike.
fn attribute_each(
    frame: &Frame,
    quotes: &[RawQuote],
    mut decide: impl FnMut(
        usize,
        &QuoteSite,
        &Mentions,
        Option<Found>,
        Option<&Attribution>,
    ) -> Attribution,
) -> Vec<Attribution> {
    let mentions = frame.mentions();
    let mut out: Vec<Attribution> = Vec::with_capacity(quotes.len());
    for (qi, q) in quotes.iter().enumerate() {
        let qt = frame.qtok[qi];
        if qt == usize::MAX {
            out.push(Attribution {
                context: (q.start, q.end),
                wide_context: (q.start, q.end),
                ..Default::default()
            });
            continue;
        }
        let site = frame.site(qt, previous(frame, &out, qi));
        let found = frame.run_sieves(&site, &mentions);
        let mut a = decide(qi, &site, &mentions, found, out.last());
        a.wide_context = frame.widen(a.context, site.si);
        out.push(a);
    }
    out
}

/// What the sieves need of the previous quote (when it is in the frame).
pub(super) fn previous(frame: &Frame, out: &[Attribution], qi: usize) -> Option<PrevQuote> {
    let pa = out.get(qi.checked_sub(1)?)?;
    let tok = frame.qtok[qi - 1];
    (tok != usize::MAX).then(|| PrevQuote {
        tok,
        has_mention: pa.mention.is_some(),
        speaker: pa.speaker.clone(),
    })
}

impl Frame<'_> {
    /// Byte span of the quote's sentence, widened to the cue's sentence.
    fn context(&self, q: &QuoteSite, cue: Option<usize>) -> (usize, usize) {
        let mut ctx = self.span(q.ss, q.se);
        if let Some(c) = cue {
            if let Some(&(a, b)) = self.sents.get(self.sent_of[c] as usize) {
                let cc = self.span(a, b);
                ctx = (ctx.0.min(cc.0), ctx.1.max(cc.1));
            }
        }
        ctx
    }

    /// `context` widened to the start of the sentence before sentence `si` (the quote's).
    fn widen(&self, context: (usize, usize), si: usize) -> (usize, usize) {
        let before = si
            .checked_sub(1)
            .and_then(|p| self.sents.get(p))
            .and_then(|&(a, _)| self.toks.get(a));
        match before {
            Some(t) => (context.0.min(t.s), context.1),
            None => context,
        }
    }

    fn cue_span(&self, c: usize) -> (usize, usize) {
        if self.is_according(c) {
            (self.toks[c].s, self.toks[c + 1].e)
        } else {
            (self.toks[c].s, self.toks[c].e)
        }
    }

    /// Mention → speaker for a sieve decision.
    pub(super) fn attribution(
        &self,
        q: &QuoteSite,
        m: &Mentions,
        found: Option<Found>,
        prev: Option<&Attribution>,
    ) -> Attribution {
        let Some(f) = found else {
            return Attribution {
                context: self.context(q, None),
                confidence: 0.3,
                ..Default::default()
            };
        };
        let ctx = self.context(q, f.cue);
        let cue = f.cue.map(|c| self.cue_span(c));
        let conf = f.sieve.confidence();
        match f.who {
            Who::Previous => {
                let Some(pa) = prev else {
                    return Attribution {
                        context: ctx,
                        confidence: 0.3,
                        ..Default::default()
                    };
                };
                let mut a = pa.clone();
                a.cue = None;
                a.confidence = (pa.confidence * 0.8).min(conf);
                a.context = (ctx.0.min(pa.context.0), ctx.1);
                a.sieve = Some(Sieve::Continuation);
                a
            }
            // A speaker the text describes but does not name ("a senior official").
            Who::Span(a, b) => Attribution {
                speaker: None,
                mention: Some(self.span(a, b)),
                cue,
                confidence: conf,
                context: ctx,
                sieve: Some(f.sieve),
                // Set by `attribute_each`, from the context and the quote's sentence.
                wide_context: Default::default(),
            },
            Who::Np(k) => {
                let np = &m.nps[k];
                let speaker = self.speaker_of(k, m).map(str::to_string);
                let confidence = match (np.kind, &speaker) {
                    (_, None) => 0.4,
                    (NpKind::Pronoun, Some(_)) => conf * 0.9,
                    _ => conf,
                };
                Attribution {
                    speaker,
                    mention: Some(np.span),
                    cue,
                    confidence,
                    context: ctx,
                    sieve: Some(f.sieve),
                    wide_context: Default::default(),
                }
            }
        }
    }

    /// Mention → speaker for the ranker's choice (`None`: the `none` candidate won).
    fn attribution_of_candidate(
        &self,
        q: &QuoteSite,
        m: &Mentions,
        cands: &[Candidate],
        best: Option<(usize, f32)>,
        prev: Option<&Attribution>,
    ) -> Attribution {
        let Some((i, p)) = best else {
            return Attribution {
                context: self.context(q, None),
                confidence: 0.3,
                ..Default::default()
            };
        };
        let c = &cands[i];
        let Some(who) = c.who else {
            return self.attribution(q, m, None, prev);
        };
        let found = Found {
            sieve: c.sieve.unwrap_or(Sieve::RankerOnly),
            who,
            cue: c.cue,
        };
        let mut a = self.attribution(q, m, Some(found), prev);
        a.confidence = p;
        a
    }
}

/// The source ranker's candidates of every quote, decided by the sieves alone (training
/// data): one list per quote, empty for a quote outside the frame.
pub fn ranker_candidates(
    text: &str,
    body_end: usize,
    quotes: &[RawQuote],
    lx: Lexicons<'_>,
) -> Vec<Vec<Candidate>> {
    let frame = Frame::new(text, body_end, quotes, lx);
    let mut cands: Vec<Vec<Candidate>> = quotes.iter().map(|_| Vec::new()).collect();
    attribute_each(&frame, quotes, |qi, site, mentions, found, last| {
        cands[qi] = frame.candidates(site, mentions, found, last.and_then(|a| a.mention));
        frame.attribution(site, mentions, found, last)
    });
    cands
}
