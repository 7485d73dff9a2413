//! Stage 3 of attribution: the sieves. Each sieve is one named rule that links a quote to a
//! mention (or to an unnamed description, or to the previous quote's attribution); they run in
//! the order of [`Sieve::ORDER`] and the first that fires decides, as in CoreNLP's
//! QuoteAttributionAnnotator. Every decision records its sieve, so `stance eval quotes` can
//! report accuracy and coverage per sieve and every miss can be traced to the rule that made it.

use super::frame::{is_cap, Frame, TK};
use super::gazetteer::Kind;
use super::lexicon::List;
use super::mentions::{Mentions, NpKind};
use serde::{Deserialize, Serialize};

/// The rule that attributed a quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sieve {
    /// `“…”, said Rubio` / `“…” said the spokesman`: an inverted cue right after the quote.
    CueAfterInverted,
    /// `“…”, Rubio said` / `“…”, Texas delegate Bill Eastland, wearing a hat, said`.
    CueAfter,
    /// `“…”, added another Democrat`: an unnamed description after the quote's cue.
    UnnamedAfter,
    /// `according to X, “…”`.
    AccordingToBefore,
    /// `Rubio said: “…”` / `Rubio said the talks, “…”`: the nearest earlier cue's subject.
    CueBefore,
    /// `Peskov told reporters …, adding: “…”`, `X confirmed … and said “…”`, or the clause
    /// subject when the cue has none of its own.
    CueBeforeClauseSubject,
    /// `said Lavrov: “…”`: an inverted cue before the quote.
    CueBeforeInverted,
    /// `a senior official said “…”`: an unnamed description before the quote's cue.
    UnnamedBefore,
    /// `“…,” according to X`.
    AccordingToAfter,
    /// A cue later in the quote's sentence, not adjacent to it.
    CueLater,
    /// `The Ukrainian leader’s answer: “…”` / `Trump issued a statement, “…”`.
    ColonLeadIn,
    /// `Clinton released the following statement:` then a paragraph-opening quote.
    StatementLeadIn,
    /// A quote opening its sentence right after the previous quote: the same speaker.
    Continuation,
    /// A headline quote repeating words quoted with a speaker further down.
    HeadlineEcho,
    /// Chosen by the source ranker among frame candidates no sieve proposed.
    RankerOnly,
}

impl Sieve {
    /// The sieves that link a quote to a mention, in the order they are tried.
    pub const ORDER: [Sieve; 13] = [
        Sieve::CueAfterInverted,
        Sieve::CueAfter,
        Sieve::UnnamedAfter,
        Sieve::AccordingToBefore,
        Sieve::CueBefore,
        Sieve::CueBeforeClauseSubject,
        Sieve::CueBeforeInverted,
        Sieve::UnnamedBefore,
        Sieve::AccordingToAfter,
        Sieve::CueLater,
        Sieve::ColonLeadIn,
        Sieve::StatementLeadIn,
        Sieve::Continuation,
    ];

    /// Every tag, for reports: the ordered sieves ([`Sieve::ORDER`]), then the post-pass and
    /// the ranker.
    pub const ALL: [Sieve; 15] = {
        let mut all = [Sieve::RankerOnly; 15];
        let mut i = 0;
        while i < Sieve::ORDER.len() {
            all[i] = Sieve::ORDER[i];
            i += 1;
        }
        all[13] = Sieve::HeadlineEcho;
        all[14] = Sieve::RankerOnly;
        all
    };

    /// snake_case name (as serialised).
    pub fn name(self) -> &'static str {
        match self {
            Sieve::CueAfterInverted => "cue_after_inverted",
            Sieve::CueAfter => "cue_after",
            Sieve::UnnamedAfter => "unnamed_after",
            Sieve::AccordingToBefore => "according_to_before",
            Sieve::CueBefore => "cue_before",
            Sieve::CueBeforeClauseSubject => "cue_before_clause_subject",
            Sieve::CueBeforeInverted => "cue_before_inverted",
            Sieve::UnnamedBefore => "unnamed_before",
            Sieve::AccordingToAfter => "according_to_after",
            Sieve::CueLater => "cue_later",
            Sieve::ColonLeadIn => "colon_lead_in",
            Sieve::StatementLeadIn => "statement_lead_in",
            Sieve::Continuation => "continuation",
            Sieve::HeadlineEcho => "headline_echo",
            Sieve::RankerOnly => "ranker_only",
        }
    }

    /// How sure this sieve is when it names a resolvable mention (before pronoun and
    /// unresolved-name discounts). Measured precisions are in docs/attribution.md.
    pub fn confidence(self) -> f32 {
        match self {
            Sieve::CueAfterInverted | Sieve::CueAfter => 0.95,
            Sieve::AccordingToBefore | Sieve::CueBefore => 0.9,
            Sieve::CueBeforeClauseSubject | Sieve::CueBeforeInverted => 0.85,
            Sieve::AccordingToAfter => 0.85,
            Sieve::CueLater => 0.75,
            Sieve::ColonLeadIn | Sieve::StatementLeadIn => 0.6,
            Sieve::UnnamedAfter | Sieve::UnnamedBefore => 0.5,
            Sieve::Continuation => 0.7,
            Sieve::HeadlineEcho => 0.6,
            Sieve::RankerOnly => 0.5,
        }
    }

    /// Index in [`Sieve::ALL`].
    pub fn index(self) -> usize {
        Sieve::ALL.iter().position(|&s| s == self).unwrap_or(0)
    }
}

impl std::fmt::Display for Sieve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Who a sieve found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Who {
    /// A chunked mention (index into [`Mentions::nps`]).
    Np(usize),
    /// An unnamed speaker's token range ("a senior official").
    Span(usize, usize),
    /// The previous quote's attribution.
    Previous,
}

/// One sieve decision: who, through which cue token.
#[derive(Debug, Clone, Copy)]
pub(super) struct Found {
    pub sieve: Sieve,
    pub who: Who,
    pub cue: Option<usize>,
}

/// Where a quote sits in the frame, computed once for all sieves.
pub(super) struct QuoteSite {
    /// The quote's token.
    pub qt: usize,
    /// Its sentence and the sentence's token range.
    pub si: usize,
    pub ss: usize,
    pub se: usize,
    /// Start of the lead-in: the sentence start, or the previous sentence's for a quote that
    /// opens a paragraph after a colon ("Cruz continued:\n“…”").
    pub lo: usize,
    /// The previous quote's token, sentence and whether it has a speaker mention.
    pub prev: Option<PrevQuote>,
}

/// What the sieves need of the previous quote's attribution.
#[derive(Debug, Clone)]
pub(super) struct PrevQuote {
    pub tok: usize,
    pub has_mention: bool,
    pub speaker: Option<String>,
}

impl Frame<'_> {
    /// The site of the quote at token `qt`.
    pub(super) fn site(&self, qt: usize, prev: Option<PrevQuote>) -> QuoteSite {
        let si = self.sent_of[qt] as usize;
        let (ss, se) = self.sents.get(si).copied().unwrap_or((qt, qt + 1));
        let lo = if qt == ss
            && qt >= 2
            && self.toks[qt - 1].kind == TK::Newline
            && self.is_punct(qt - 2, ":")
        {
            self.sents
                .get(self.sent_of[qt - 2] as usize)
                .map_or(ss, |s| s.0)
        } else {
            ss
        };
        QuoteSite {
            qt,
            si,
            ss,
            se,
            lo,
            prev,
        }
    }

    /// Runs the sieves in order; the first that fires decides.
    pub(super) fn run_sieves(&self, q: &QuoteSite, m: &Mentions) -> Option<Found> {
        self.sieve_cue_after(q, m)
            .or_else(|| self.sieve_cue_before(q, m))
            .or_else(|| self.sieve_cue_later(q, m))
            .or_else(|| self.sieve_colon_lead_in(q, m))
            .or_else(|| self.sieve_statement_lead_in(q, m))
            .or_else(|| self.sieve_continuation(q, m))
    }

    fn usable_np(&self, k: usize, m: &Mentions) -> bool {
        self.usable(&m.nps[k])
    }

    /// "said retired French Gen. Dominique Trinquand": a name right after one lower-case
    /// modifier (not a determiner, pronoun, preposition or clause word).
    fn name_after_modifier(&self, i: usize, m: &Mentions) -> Option<usize> {
        let modifier = self.is_word(i)
            && !is_cap(self.w(i))
            && !self.is_cue(i)
            && ![
                List::Determiners,
                List::Pronouns,
                List::Prepositions,
                List::ClauseWords,
                List::GenericDets,
            ]
            .iter()
            .any(|&l| self.tf(i, l));
        modifier
            .then(|| self.np_from(i + 1, &m.at_start))
            .flatten()
            .filter(|&k| {
                let np = &m.nps[k];
                np.kind == NpKind::Name && np.ekind == Kind::Person && np.canonical.is_some()
            })
    }

    /// First token after the quote past `,` and dashes.
    pub(super) fn after_quote(&self, q: &QuoteSite) -> usize {
        let mut j = q.qt + 1;
        while j < q.se
            && self.toks[j].kind == TK::Punct
            && matches!(self.p(j), "," | "—" | "–" | "-")
        {
            j += 1;
        }
        j
    }

    /// Cue right after the quote: ”, Rubio said / ”, said Rubio / ” he added /
    /// ”, Texas delegate Bill Eastland, wearing a hat, said.
    fn sieve_cue_after(&self, q: &QuoteSite, m: &Mentions) -> Option<Found> {
        let (se, j) = (q.se, self.after_quote(q));
        if j >= se {
            return None;
        }
        let found = |sieve, who, cue| Some(Found { sieve, who, cue });
        if self.is_cue(j) {
            if let Some(k) = self
                .np_from(j + 1, &m.at_start)
                .filter(|&k| self.usable_np(k, m))
                .or_else(|| self.name_after_modifier(j + 1, m))
            {
                return found(Sieve::CueAfterInverted, Who::Np(k), Some(j));
            }
            if let Some(sp) = self.generic_after(j + 1, se) {
                return found(Sieve::UnnamedAfter, Who::Span(sp.0, sp.1), Some(j));
            }
            return None;
        }
        let c = (j..se.min(j + 24))
            .take_while(|&c| !matches!(self.toks[c].kind, TK::Quote(_) | TK::Newline))
            .find(|&c| self.is_cue(c))?;
        if let Some(k) = self
            .subject_before(c, &m.at_end, j)
            .filter(|&k| self.usable_np(k, m))
        {
            let np = &m.nps[k];
            // "”, to which Russia had responded": a relative clause, not an attribution.
            let relative = (j..np.a).any(|t| self.is_word(t) && self.tf(t, List::ClauseWords));
            if np.a <= j + 3 && !relative && np.ekind != Kind::Place {
                return found(Sieve::CueAfter, Who::Np(k), Some(c));
            }
        } else if let Some(sp) = self.generic_before(c, j).filter(|sp| sp.0 == j) {
            return found(Sieve::UnnamedAfter, Who::Span(sp.0, sp.1), Some(c));
        }
        None
    }

    /// The X of the "according to X" at token `c`, when it is a usable speaker.
    fn according_to(&self, c: usize, m: &Mentions, sieve: Sieve) -> Option<Found> {
        self.np_from(c + 2, &m.at_start)
            .filter(|&k| self.usable_np(k, m))
            .map(|k| Found {
                sieve,
                who: Who::Np(k),
                cue: Some(c),
            })
    }

    /// "In Smith's view, the alliance should move past “…”": a possessive view opening the
    /// clause is an "according to" (token `c` is the view noun).
    fn in_possessive_view(&self, c: usize, m: &Mentions) -> Option<Found> {
        let k = *m.at_end.get(c.checked_sub(1)?)?;
        if k == u32::MAX {
            return None;
        }
        let (k, np) = (k as usize, &m.nps[k as usize]);
        (self.possessive_view(np.a, np.b) && self.usable_np(k, m) && np.ekind != Kind::Place)
            .then_some(Found {
                sieve: Sieve::AccordingToBefore,
                who: Who::Np(k),
                cue: Some(c),
            })
    }

    /// Nearest cue before the quote in its sentence (skipping cues whose subject is a place:
    /// "… stated that Kyiv would not acknowledge …, “…”" is the president's), or "according to".
    fn sieve_cue_before(&self, q: &QuoteSite, m: &Mentions) -> Option<Found> {
        let (qt, nps) = (q.qt, &m.nps);
        let usable = |k: &usize| self.usable_np(*k, m);
        // Bounded look-back keeps pathological one-sentence texts linear.
        let lo = q.lo.max(qt.saturating_sub(80));
        let mut c = qt;
        while c > lo {
            c -= 1;
            if self.is_according(c) {
                return self.according_to(c, m, Sieve::AccordingToBefore);
            }
            if let Some(found) = self.in_possessive_view(c, m) {
                return Some(found);
            }
            if !self.is_cue(c) {
                continue;
            }
            let participle = self.w(c).ends_with("ing");
            let subj = self.subject_before(c, &m.at_end, lo).filter(usable);
            if let Some(k) = subj.filter(|&k| nps[k].ekind == Kind::Place) {
                // "Russia insisted that …", "Moscow warns …": a place opening the sentence
                // right before the cue speaks for its government. Elsewhere it is part of a
                // reported clause ("… stated that Kyiv would not …, “…”").
                let np = &nps[k];
                if np.a == self.sent_start(np.a) && self.skip_adverbs_right(np.b) == c {
                    return Some(Found {
                        sieve: Sieve::CueBefore,
                        who: Who::Np(k),
                        cue: Some(c),
                    });
                }
                continue;
            }
            let own = subj.filter(|&k| !(participle && self.skip_adverbs_right(nps[k].b) < c));
            let k = match own {
                Some(k) => Some((k, Sieve::CueBefore)),
                // "Peskov told reporters …, adding: “…”": the main verb's subject. "Hayek
                // confirmed she had been and said, “…”": a coordinated cue shares the subject
                // of the clause's first cue.
                None if participle || self.after_and(c, lo) => self
                    .main_subject(lo, c, &m.at_end)
                    .or_else(|| self.sentence_subject(lo, c, nps, &m.at_start))
                    .map(|k| (k, Sieve::CueBeforeClauseSubject)),
                None => self
                    .sentence_subject(lo, c, nps, &m.at_start)
                    .map(|k| (k, Sieve::CueBeforeClauseSubject)),
            };
            if let Some((k, sieve)) = k {
                return Some(Found {
                    sieve,
                    who: Who::Np(k),
                    cue: Some(c),
                });
            }
            if let Some(k) = self.np_from(c + 1, &m.at_start).filter(|&k| {
                self.usable(&nps[k])
                    && nps[k].b <= qt
                    && nps[k].ekind != Kind::Place
                    && !self.addressee_cue(c)
            }) {
                // Inverted before the quote: "said Lavrov: “…”".
                return Some(Found {
                    sieve: Sieve::CueBeforeInverted,
                    who: Who::Np(k),
                    cue: Some(c),
                });
            }
            if !participle {
                if let Some(sp) = self.generic_before(c, lo) {
                    return Some(Found {
                        sieve: Sieve::UnnamedBefore,
                        who: Who::Span(sp.0, sp.1),
                        cue: Some(c),
                    });
                }
            }
            return None;
        }
        None
    }

    /// "according to X" or any cue later in the sentence.
    fn sieve_cue_later(&self, q: &QuoteSite, m: &Mentions) -> Option<Found> {
        let qt = q.qt;
        let usable = |k: &usize| self.usable_np(*k, m);
        for c in qt + 1..q.se.min(qt + 60) {
            if matches!(self.toks[c].kind, TK::Quote(_)) {
                return None;
            }
            if self.is_according(c) {
                return self.according_to(c, m, Sieve::AccordingToAfter);
            }
            if self.is_cue(c) {
                return self
                    .subject_before(c, &m.at_end, qt + 1)
                    .or_else(|| {
                        self.np_from(c + 1, &m.at_start)
                            .filter(|_| !self.addressee_cue(c))
                    })
                    .filter(usable)
                    .map(|k| Found {
                        sieve: Sieve::CueLater,
                        who: Who::Np(k),
                        cue: Some(c),
                    });
            }
        }
        None
    }

    /// Colon lead-in without a verb ("The Ukrainian leader’s answer: “…”") or a speech noun
    /// ("Trump issued a statement, “…”").
    fn sieve_colon_lead_in(&self, q: &QuoteSite, m: &Mentions) -> Option<Found> {
        let (qt, ss) = (q.qt, q.ss);
        if qt <= ss || self.toks[qt - 1].kind != TK::Punct {
            return None;
        }
        let lead = self.p(qt - 1) == ":"
            || (self.p(qt - 1) == ","
                && (ss..qt).any(|i| self.is_word(i) && self.cues.is_noun(self.w(i))));
        if !lead {
            return None;
        }
        self.sentence_subject(ss, qt, &m.nps, &m.at_start)
            .map(|k| Found {
                sieve: Sieve::ColonLeadIn,
                who: Who::Np(k),
                cue: None,
            })
    }

    /// A paragraph-opening quote after a lead-in naming a statement: "Clinton released the
    /// following statement:\n\n“…”".
    fn sieve_statement_lead_in(&self, q: &QuoteSite, m: &Mentions) -> Option<Found> {
        let (qt, lo) = (q.qt, q.lo);
        if !(qt == q.ss && lo < q.ss) {
            return None;
        }
        if !(lo..qt - 2).any(|i| self.is_word(i) && self.cues.is_noun(self.w(i))) {
            return None;
        }
        // "When Wallace died, Clinton released …": skip an opening subordinate clause.
        let from = if self.is_word(lo) && self.tf(lo, List::Subordinators) {
            (lo..qt - 2)
                .find(|&i| self.is_punct(i, ","))
                .map_or(lo, |i| i + 1)
        } else {
            lo
        };
        self.sentence_subject(from, qt - 2, &m.nps, &m.at_start)
            .map(|k| Found {
                sieve: Sieve::StatementLeadIn,
                who: Who::Np(k),
                cue: None,
            })
    }

    /// Continuation: a quote opening its sentence (or a long quote) right after the previous
    /// attributed quote, with no new speaking subject between them.
    fn sieve_continuation(&self, q: &QuoteSite, m: &Mentions) -> Option<Found> {
        let qt = q.qt;
        let long = {
            let t = self.toks[qt];
            self.text[t.s..t.e].split_whitespace().nth(3).is_some()
        };
        if !(qt == q.ss || long) {
            return None;
        }
        let p = q.prev.as_ref()?;
        let psent = self.sent_of[p.tok] as usize;
        let ok = p.has_mention
            && q.si >= psent
            && q.si - psent <= if qt == q.ss { 2 } else { 1 }
            && !self.new_subject_between(p.tok, qt, &m.nps, p.speaker.as_deref());
        ok.then_some(Found {
            sieve: Sieve::Continuation,
            who: Who::Previous,
            cue: None,
        })
    }
}
