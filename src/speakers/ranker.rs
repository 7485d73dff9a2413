//! Stage 4 of attribution: the learned source ranker (after citron's SourceResolver and
//! CoreNLP's supervised sieve). For each quote the sieves and the frame propose candidates —
//! the sieve's pick, every usable mention (name, role, organisation, pronoun) in the quote's
//! sentence, the two before and the one after, the previous quote's speaker, and `none` — each
//! described by a few dense features (which sieve proposed it, distances, side, clause, cue,
//! mention kind, gazetteer hit, …; [`FEATURES`]). A binary logistic model scores every
//! candidate and the best one wins; `none` winning leaves the quote without a speaker.
//!
//! Trained on PolNeAR (a candidate is positive when its mention overlaps the gold Source span
//! of the quote's attribution; `none` is positive when no candidate is, and for marked spans
//! that are no attributed content, such as scare quotes). Stored as `attribution.json` in the
//! model directory (`docs/model-format.md`).

use super::cues::with_lower;
use super::frame::{is_cap, Frame, TK};
use super::gazetteer::Kind;
use super::lexicon::List;
use super::mentions::{Mentions, NpKind};
use super::sieves::{Found, QuoteSite, Sieve, Who};
use serde::{Deserialize, Serialize};

/// Feature names, in vector order. A stored ranker must list exactly these.
pub const FEATURES: [&str; 59] = [
    "none",
    "sieve:cue_after_inverted",
    "sieve:cue_after",
    "sieve:unnamed_after",
    "sieve:according_to_before",
    "sieve:cue_before",
    "sieve:cue_before_clause_subject",
    "sieve:cue_before_inverted",
    "sieve:unnamed_before",
    "sieve:according_to_after",
    "sieve:cue_later",
    "sieve:colon_lead_in",
    "sieve:statement_lead_in",
    "sieve:continuation",
    "kind:name",
    "kind:role",
    "kind:pronoun",
    "kind:org",
    "kind:unnamed",
    "kind:previous_speaker",
    "resolved",
    "gazetteer",
    "weak_name",
    "multiword_name",
    "side:before",
    "dist:0-1",
    "dist:2-3",
    "dist:4-7",
    "dist:8-15",
    "dist:16-31",
    "dist:32+",
    "sent:same",
    "sent:prev",
    "sent:prev2",
    "sent:next",
    "same_paragraph",
    "same_clause",
    "subject_of_cue",
    "after_inverted_cue",
    "after_listener_cue",
    "after_preposition",
    "sentence_first_mention",
    "cue:say",
    "cue:tell",
    "cue:add",
    "cue:according_to",
    "cue:participle",
    "cue:other",
    "nearest_before",
    "nearest_after",
    "previous_quote_speaker",
    "subject_of_cue&sent:same",
    "subject_of_cue&sent:prev",
    "after_inverted_cue&sent:same",
    "pronoun&unresolved",
    "quote_opens_sentence&sent:prev",
    "none&fragment",
    "none&paragraph_initial",
    "none&sieve_fired",
];

/// Number of features.
pub const N_FEATURES: usize = FEATURES.len();

/// Index of a feature name, computed at compile time (an unknown name does not compile).
const fn feature_index(name: &str) -> usize {
    let mut i = 0;
    while i < N_FEATURES {
        let (a, b) = (FEATURES[i].as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("unknown ranker feature")
}

/// The compile-time index of feature `$name`.
macro_rules! fx {
    ($name:literal) => {{
        const I: usize = feature_index($name);
        I
    }};
}

/// One candidate source of a quote.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// `None`: the `none` candidate.
    pub(super) who: Option<Who>,
    /// The sieve that proposed it, if one did.
    pub(super) sieve: Option<Sieve>,
    /// Its cue token.
    pub(super) cue: Option<usize>,
    /// Byte span of its mention (the previous quote's mention for the previous speaker).
    pub mention: Option<(usize, usize)>,
    /// Feature vector ([`FEATURES`] order).
    pub x: [f32; N_FEATURES],
}

/// A trained source ranker: binary logistic weights over [`FEATURES`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranker {
    /// Feature names in weight order; must equal [`FEATURES`].
    pub features: Vec<String>,
    /// One weight per feature.
    pub weights: Vec<f32>,
    /// Intercept.
    pub bias: f32,
    /// `sparse-lbfgs` (the project's trainer) or `linfa-logistic`.
    pub trainer: String,
    /// Inverse regularisation strength used.
    pub c: f64,
    /// Training and tuning figures (free-form, for the model card).
    #[serde(default)]
    pub report: serde_json::Value,
}

impl Ranker {
    /// Checks that the ranker fits this build's features and has finite weights.
    pub fn validate(&self) -> Result<(), String> {
        if self.features.len() != N_FEATURES
            || self.features.iter().zip(FEATURES).any(|(a, b)| a != b)
        {
            return Err(format!(
                "the attribution ranker's {} features are not this build's {N_FEATURES}; retrain it",
                self.features.len()
            ));
        }
        if self.weights.len() != N_FEATURES {
            return Err(format!(
                "the attribution ranker has {} weights for {N_FEATURES} features",
                self.weights.len()
            ));
        }
        if !self.bias.is_finite() || self.weights.iter().any(|w| !w.is_finite()) {
            return Err("the attribution ranker has a non-finite weight".into());
        }
        Ok(())
    }

    /// Logit of one candidate.
    pub fn score(&self, x: &[f32]) -> f32 {
        self.bias + x.iter().zip(&self.weights).map(|(a, b)| a * b).sum::<f32>()
    }

    /// The best candidate and its probability; `None` when the `none` candidate wins.
    pub fn choose(&self, cands: &[Candidate]) -> Option<(usize, f32)> {
        let (i, s) = cands
            .iter()
            .enumerate()
            .map(|(i, c)| (i, self.score(&c.x)))
            .fold(None, |best: Option<(usize, f32)>, (i, s)| match best {
                Some((_, b)) if b >= s => best,
                _ => Some((i, s)),
            })?;
        // The `none` candidate winning means no source.
        cands[i].who?;
        Some((i, 1.0 / (1.0 + (-s).exp())))
    }

    /// The `n` largest weights by magnitude, with their feature names.
    pub fn top_weights(&self, n: usize) -> Vec<(String, f32)> {
        let mut v: Vec<(String, f32)> = self
            .features
            .iter()
            .cloned()
            .zip(self.weights.iter().copied())
            .collect();
        v.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }
}

/// Distance bins: `dist:0-1` … `dist:32+`.
fn dist_bin(gap: usize) -> usize {
    match gap {
        0..=1 => fx!("dist:0-1"),
        2..=3 => fx!("dist:2-3"),
        4..=7 => fx!("dist:4-7"),
        8..=15 => fx!("dist:8-15"),
        16..=31 => fx!("dist:16-31"),
        _ => fx!("dist:32+"),
    }
}

/// The feature of the sieve that proposed a candidate.
fn sieve_feature(s: Sieve) -> Option<usize> {
    Some(match s {
        Sieve::CueAfterInverted => fx!("sieve:cue_after_inverted"),
        Sieve::CueAfter => fx!("sieve:cue_after"),
        Sieve::UnnamedAfter => fx!("sieve:unnamed_after"),
        Sieve::AccordingToBefore => fx!("sieve:according_to_before"),
        Sieve::CueBefore => fx!("sieve:cue_before"),
        Sieve::CueBeforeClauseSubject => fx!("sieve:cue_before_clause_subject"),
        Sieve::CueBeforeInverted => fx!("sieve:cue_before_inverted"),
        Sieve::UnnamedBefore => fx!("sieve:unnamed_before"),
        Sieve::AccordingToAfter => fx!("sieve:according_to_after"),
        Sieve::CueLater => fx!("sieve:cue_later"),
        Sieve::ColonLeadIn => fx!("sieve:colon_lead_in"),
        Sieve::StatementLeadIn => fx!("sieve:statement_lead_in"),
        Sieve::Continuation => fx!("sieve:continuation"),
        Sieve::HeadlineEcho | Sieve::RankerOnly => return None,
    })
}

impl Frame<'_> {
    /// The cue-lemma feature of cue token `c`.
    fn cue_feature(&self, c: usize) -> usize {
        if self.is_according(c) {
            return fx!("cue:according_to");
        }
        with_lower(self.w(c), |w| match w {
            "say" | "says" | "said" => fx!("cue:say"),
            "tell" | "tells" | "told" => fx!("cue:tell"),
            "add" | "adds" | "added" => fx!("cue:add"),
            _ if w.ends_with("ing") => fx!("cue:participle"),
            _ => fx!("cue:other"),
        })
    }

    /// No clause boundary (`,` `;` `:` dash, parenthesis, newline or another quote) between
    /// tokens `a` and `b` (exclusive).
    fn same_clause(&self, a: usize, b: usize) -> bool {
        (a..b).all(|i| match self.toks[i].kind {
            TK::Word => true,
            TK::Punct => !matches!(self.p(i), "," | ";" | ":" | "—" | "–" | "(" | ")"),
            _ => false,
        })
    }

    /// The candidates of the quote at `q`: `none` first, then the sieve's pick, the mentions
    /// around the quote and the previous quote's speaker.
    pub(super) fn candidates(
        &self,
        q: &QuoteSite,
        m: &Mentions,
        found: Option<Found>,
        prev_mention: Option<(usize, usize)>,
    ) -> Vec<Candidate> {
        let qt = q.qt;
        let mut out = Vec::with_capacity(12);
        let mut none = [0f32; N_FEATURES];
        none[fx!("none")] = 1.0;
        let qtext = {
            let t = self.toks[qt];
            &self.text[t.s..t.e]
        };
        let words = qtext
            .split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .take(3)
            .count();
        if words < 3 {
            none[fx!("none&fragment")] = 1.0;
        }
        if qt == 0 || self.toks[qt - 1].kind == TK::Newline {
            none[fx!("none&paragraph_initial")] = 1.0;
        }
        if found.is_some() {
            none[fx!("none&sieve_fired")] = 1.0;
        }
        out.push(Candidate {
            who: None,
            sieve: None,
            cue: None,
            mention: None,
            x: none,
        });
        let sieve_np = match found.map(|f| f.who) {
            Some(Who::Np(k)) => Some(k),
            _ => None,
        };
        // The sieve's pick when it is not a mention of the window (unnamed, previous).
        if let Some(f) = found {
            match f.who {
                Who::Span(a, b) => {
                    let mut x = self.position_features(q, a, b);
                    x[fx!("kind:unnamed")] = 1.0;
                    self.mark_sieve(&mut x, f.sieve, f.cue);
                    out.push(Candidate {
                        who: Some(f.who),
                        sieve: Some(f.sieve),
                        cue: f.cue,
                        mention: Some(self.span(a, b)),
                        x,
                    });
                }
                Who::Previous => {}
                Who::Np(_) => {}
            }
        }
        // Mentions in the window: two sentences back, one forward, at most 60 tokens away.
        let s_lo = q.si.saturating_sub(2);
        let s_hi = (q.si + 1).min(self.sents.len().saturating_sub(1));
        let lo = self
            .sents
            .get(s_lo)
            .map_or(0, |s| s.0)
            .max(qt.saturating_sub(60));
        let hi = self
            .sents
            .get(s_hi)
            .map_or(self.toks.len(), |s| s.1)
            .min(qt + 40);
        let from = m.nps.partition_point(|np| np.a < lo);
        let (mut nearest_before, mut nearest_after) = (None, None);
        let mut seen_sent = u32::MAX;
        for k in from..m.nps.len() {
            let np = &m.nps[k];
            if np.a >= hi {
                break;
            }
            let s = self.sent_of[np.a];
            let sentence_first = s != seen_sent;
            seen_sent = s;
            // A place is a candidate only as the sieve's pick ("Russia insisted that …").
            if (np.ekind == Kind::Place && sieve_np != Some(k)) || !self.usable(np) {
                continue;
            }
            // "… its consulates in Omsk and Tomsk": an unknown one-word name in
            // a place phrase is a place the gazetteer does not know.
            if sieve_np != Some(k) && self.unknown_place(np) {
                continue;
            }
            let mut x = self.position_features(q, np.a, np.b);
            if sentence_first {
                x[fx!("sentence_first_mention")] = 1.0;
            }
            let kind = match np.kind {
                NpKind::Pronoun => fx!("kind:pronoun"),
                NpKind::Role => fx!("kind:role"),
                NpKind::Name if np.ekind == Kind::Org => fx!("kind:org"),
                NpKind::Name => fx!("kind:name"),
            };
            x[kind] = 1.0;
            let speaker = self.speaker_of(k, m);
            if speaker.is_some() {
                x[fx!("resolved")] = 1.0;
            }
            if np.in_gazetteer {
                x[fx!("gazetteer")] = 1.0;
            }
            if np.weak {
                x[fx!("weak_name")] = 1.0;
            }
            if np.kind == NpKind::Name && self.text[np.span.0..np.span.1].contains(' ') {
                x[fx!("multiword_name")] = 1.0;
            }
            if speaker.is_some() && q.prev.as_ref().and_then(|p| p.speaker.as_deref()) == speaker {
                x[fx!("previous_quote_speaker")] = 1.0;
            }
            // Its own cue: the verb right after it (subject) or right before it (inverted).
            let after = self.skip_adverbs_right(np.b);
            let mut cue = None;
            if self.is_cue(after) {
                x[fx!("subject_of_cue")] = 1.0;
                cue = Some(after);
            } else if np.a > 0 && self.is_cue(np.a - 1) {
                if self.addressee_cue(np.a - 1) {
                    x[fx!("after_listener_cue")] = 1.0;
                } else {
                    x[fx!("after_inverted_cue")] = 1.0;
                    cue = Some(np.a - 1);
                }
            } else if np.a >= 2 && self.is_according(np.a - 2) {
                cue = Some(np.a - 2);
            }
            // A few conjunctions the linear model cannot form itself.
            let same = x[fx!("sent:same")] > 0.0;
            let prev = x[fx!("sent:prev")] > 0.0;
            if x[fx!("subject_of_cue")] > 0.0 && same {
                x[fx!("subject_of_cue&sent:same")] = 1.0;
            }
            if x[fx!("subject_of_cue")] > 0.0 && prev {
                x[fx!("subject_of_cue&sent:prev")] = 1.0;
            }
            if x[fx!("after_inverted_cue")] > 0.0 && same {
                x[fx!("after_inverted_cue&sent:same")] = 1.0;
            }
            if np.kind == NpKind::Pronoun && speaker.is_none() {
                x[fx!("pronoun&unresolved")] = 1.0;
            }
            if qt == q.ss && prev {
                x[fx!("quote_opens_sentence&sent:prev")] = 1.0;
            }
            if np.a > 0 && self.is_word(np.a - 1) && self.tf(np.a - 1, List::Prepositions) {
                x[fx!("after_preposition")] = 1.0;
            }
            let (sieve, cue) = match found {
                Some(f) if sieve_np == Some(k) => (Some(f.sieve), f.cue.or(cue)),
                _ => (None, cue),
            };
            if let Some(s) = sieve {
                self.mark_sieve(&mut x, s, cue);
            } else if let Some(c) = cue {
                x[self.cue_feature(c)] = 1.0;
            }
            if np.b <= qt {
                nearest_before = Some(out.len());
            } else if nearest_after.is_none() {
                nearest_after = Some(out.len());
            }
            out.push(Candidate {
                who: Some(Who::Np(k)),
                sieve,
                cue,
                mention: Some(np.span),
                x,
            });
        }
        if let Some(i) = nearest_before {
            out[i].x[fx!("nearest_before")] = 1.0;
        }
        if let Some(i) = nearest_after {
            out[i].x[fx!("nearest_after")] = 1.0;
        }
        // The previous quote's speaker (continuation).
        if let (Some(p), Some(span)) = (q.prev.as_ref(), prev_mention) {
            if p.has_mention {
                let mut x = self.position_features(q, p.tok, p.tok + 1);
                x[fx!("kind:previous_speaker")] = 1.0;
                if p.speaker.is_some() {
                    x[fx!("resolved")] = 1.0;
                    x[fx!("previous_quote_speaker")] = 1.0;
                }
                let sieve = match found {
                    Some(f) if f.who == Who::Previous => {
                        self.mark_sieve(&mut x, f.sieve, None);
                        Some(f.sieve)
                    }
                    _ => None,
                };
                out.push(Candidate {
                    who: Some(Who::Previous),
                    sieve,
                    cue: None,
                    mention: Some(span),
                    x,
                });
            }
        }
        out
    }

    fn mark_sieve(&self, x: &mut [f32; N_FEATURES], s: Sieve, cue: Option<usize>) {
        if let Some(i) = sieve_feature(s) {
            x[i] = 1.0;
        }
        if let Some(c) = cue {
            x[self.cue_feature(c)] = 1.0;
        }
    }

    /// Side, distance, sentence, paragraph and clause features of tokens `a..b`.
    fn position_features(&self, q: &QuoteSite, a: usize, b: usize) -> [f32; N_FEATURES] {
        let qt = q.qt;
        let mut x = [0f32; N_FEATURES];
        let (gap, before) = if b <= qt {
            (qt - b, true)
        } else {
            (a.saturating_sub(qt + 1), false)
        };
        if before {
            x[fx!("side:before")] = 1.0;
        }
        x[dist_bin(gap)] = 1.0;
        let s = self.sent_of[a.min(self.toks.len() - 1)] as i64;
        let d = q.si as i64 - s;
        match d {
            0 => x[fx!("sent:same")] = 1.0,
            1 => x[fx!("sent:prev")] = 1.0,
            2 => x[fx!("sent:prev2")] = 1.0,
            -1 => x[fx!("sent:next")] = 1.0,
            _ => {}
        }
        if self.para_of[a.min(self.toks.len() - 1)] == self.para_of[qt] {
            x[fx!("same_paragraph")] = 1.0;
        }
        let clause = if before {
            self.same_clause(b, qt)
        } else {
            self.same_clause(qt + 1, a)
        };
        if clause {
            x[fx!("same_clause")] = 1.0;
        }
        x
    }

    /// An unknown one-word name after a place preposition (or coordinated with one: "in Omsk
    /// and Tomsk").
    fn unknown_place(&self, np: &super::mentions::Np) -> bool {
        if np.kind != NpKind::Name || np.in_gazetteer || np.ekind == Kind::Org || np.b != np.a + 1 {
            return false;
        }
        let a = np.a;
        (a >= 1 && self.tf(a - 1, List::PlacePrepositions))
            || (a >= 3
                && self.is_word(a - 1)
                && with_lower(self.w(a - 1), |w| w == "and")
                && is_cap(self.w(a - 2))
                && self.tf(a - 3, List::PlacePrepositions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_unique_and_sieves_have_one_each() {
        let mut f: Vec<&str> = FEATURES.to_vec();
        f.sort();
        f.dedup();
        assert_eq!(f.len(), N_FEATURES);
        for s in Sieve::ORDER {
            assert!(
                FEATURES.contains(&format!("sieve:{}", s.name()).as_str()),
                "{s}"
            );
        }
    }

    #[test]
    fn validate_refuses_foreign_features_and_nan() {
        let mut r = Ranker {
            features: FEATURES.iter().map(|s| s.to_string()).collect(),
            weights: vec![0.0; N_FEATURES],
            bias: 0.0,
            trainer: "test".into(),
            c: 1.0,
            report: serde_json::Value::Null,
        };
        assert!(r.validate().is_ok());
        r.weights[3] = f32::NAN;
        assert!(r.validate().unwrap_err().contains("non-finite"));
        r.weights[3] = 0.0;
        r.features[0] = "other".into();
        assert!(r.validate().unwrap_err().contains("retrain"));
    }
}
