//! Stage 8: who stands where — the speaker × topic table across many articles.
//!
//! Counting rules (after the practice of discourse-network analysis, see `ARCHITECTURE.md`):
//! - quotes with no speaker are not counted (they are tallied in `unattributed`);
//! - a speaker's stance on a topic is counted **once per article**: a side taken counts over
//!   neutral mentions — the quotes labelled favor or against pool their stance probabilities
//!   and the larger side is the article's stance; the article counts neutral only when no
//!   quote took a side (or the sides tie);
//! - the same quote text by the same speaker in several articles (syndicated copies) counts
//!   once, in the first article it was seen in;
//! - `net = (favor − against) / (favor + against + neutral)`, in −1..=1.
//!
//! [`Summary`] is built incrementally ([`Summary::add`]) so a streaming run holds only the
//! per-(speaker, topic, article) tallies, never the quotes.

use crate::pipeline::LabeledQuote;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

/// Where a stance was read: the article and the quote's char offsets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub article: String,
    pub start: usize,
    pub end: usize,
}

/// Pooled stance probabilities of the quotes that took a side, for one speaker on one topic
/// in one article.
#[derive(Debug, Clone, Default)]
struct ArticleTally {
    favor: f64,
    against: f64,
    evidence: Vec<Evidence>,
}

/// One row of the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryRow {
    pub speaker: String,
    pub topic: String,
    pub favor: usize,
    pub against: usize,
    pub neutral: usize,
    /// (favor − against) / (favor + against + neutral).
    pub net: f64,
    /// Number of articles the speaker took up the topic in.
    pub articles: usize,
    pub evidence: Vec<Evidence>,
}

/// The summary's column names, in order.
pub const COLUMNS: [&str; 8] = [
    "speaker", "topic", "favor", "against", "neutral", "net", "articles", "evidence",
];

impl SummaryRow {
    /// The row's cells in [`COLUMNS`] order: `net` with a sign and two decimals, at most
    /// `max_evidence` evidence spans (`article:start-end`, comma-separated, `(+N)` for more).
    pub fn cells(&self, max_evidence: usize) -> [String; 8] {
        let shown: Vec<String> = self
            .evidence
            .iter()
            .take(max_evidence)
            .map(|e| format!("{}:{}-{}", e.article, e.start, e.end))
            .collect();
        let mut evidence = shown.join(", ");
        let more = self.evidence.len().saturating_sub(max_evidence);
        if more > 0 {
            evidence.push_str(&format!(" (+{more})"));
        }
        [
            self.speaker.clone(),
            self.topic.clone(),
            self.favor.to_string(),
            self.against.to_string(),
            self.neutral.to_string(),
            format!("{:+.2}", self.net),
            self.articles.to_string(),
            evidence,
        ]
    }
}

/// The speaker × topic summary, built incrementally.
#[derive(Debug, Default)]
pub struct Summary {
    /// (speaker, topic) → article → tally. BTreeMaps keep the output order deterministic.
    tallies: BTreeMap<(String, String), BTreeMap<String, ArticleTally>>,
    /// (speaker, topic, normalised quote text) already counted: syndicated copies count once.
    seen_quotes: HashSet<(String, String, String)>,
    /// Quotes with at least one topic but no speaker.
    unattributed: usize,
    articles: HashSet<String>,
}

/// Lowercase alphanumerics only, so trivially re-punctuated copies match.
fn normalise_quote(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

impl Summary {
    /// An empty summary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one labeled quote.
    pub fn add(&mut self, q: &LabeledQuote) {
        if q.topics.is_empty() {
            return;
        }
        self.articles.insert(q.article.clone());
        let Some(speaker) = q.quote.speaker.as_ref() else {
            self.unattributed += 1;
            return;
        };
        let norm = normalise_quote(&q.quote.text);
        for (topic, label) in &q.topics {
            let key = (speaker.clone(), topic.clone(), norm.clone());
            let per_article = self
                .tallies
                .entry((speaker.clone(), topic.clone()))
                .or_default();
            // A copy of a quote already counted in another article is skipped; repeats
            // inside the same article still pool into that article's tally.
            let first_time = self.seen_quotes.insert(key);
            if !first_time && !per_article.contains_key(&q.article) {
                continue;
            }
            let t = per_article.entry(q.article.clone()).or_default();
            // A neutral quote beside one that takes a side is a mention, not a position.
            if label.stance != crate::Stance::Neutral {
                t.favor += f64::from(label.probs.favor);
                t.against += f64::from(label.probs.against);
            }
            t.evidence.push(Evidence {
                article: q.article.clone(),
                start: q.quote.start,
                end: q.quote.end,
            });
        }
    }

    /// Number of quotes that took up a topic but had no speaker.
    pub fn unattributed(&self) -> usize {
        self.unattributed
    }

    /// The rows, most-covered first (articles desc, then speaker, topic).
    pub fn rows(&self) -> Vec<SummaryRow> {
        let mut rows: Vec<SummaryRow> = self
            .tallies
            .iter()
            .map(|((speaker, topic), per_article)| {
                let (mut f, mut a, mut n) = (0, 0, 0);
                let mut evidence = Vec::new();
                for t in per_article.values() {
                    // Ties (and no side taken: 0 = 0) resolve toward neutral.
                    if t.favor > t.against {
                        f += 1;
                    } else if t.against > t.favor {
                        a += 1;
                    } else {
                        n += 1;
                    }
                    evidence.extend(t.evidence.iter().cloned());
                }
                let total = (f + a + n) as f64;
                SummaryRow {
                    speaker: speaker.clone(),
                    topic: topic.clone(),
                    favor: f,
                    against: a,
                    neutral: n,
                    net: if total > 0.0 {
                        (f as f64 - a as f64) / total
                    } else {
                        0.0
                    },
                    articles: per_article.len(),
                    evidence,
                }
            })
            .collect();
        rows.sort_by(|x, y| {
            y.articles
                .cmp(&x.articles)
                .then_with(|| x.speaker.cmp(&y.speaker))
                .then_with(|| x.topic.cmp(&y.topic))
        });
        rows
    }

    /// JSON form: `{"articles": N, "unattributed_quotes": N, "rows": [...]}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "articles": self.articles.len(),
            "unattributed_quotes": self.unattributed,
            "rows": self.rows(),
        })
    }

    /// A markdown table for terminals and reports, its columns padded to line up.
    pub fn to_markdown(&self) -> String {
        let mut table: Vec<[String; 8]> = vec![COLUMNS.map(String::from)];
        table.extend(self.rows().iter().map(|r| r.cells(2)));
        let mut width = [3usize; 8];
        for row in &table {
            for (w, cell) in width.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        // Numbers right-aligned, text left-aligned, as the separator row says.
        let numeric = [false, false, true, true, true, true, true, false];
        let line = |cells: &[String]| -> String {
            let padded: Vec<String> = cells
                .iter()
                .zip(width.iter().zip(numeric))
                .map(|(c, (&w, num))| {
                    if num {
                        format!("{c:>w$}")
                    } else {
                        format!("{c:<w$}")
                    }
                })
                .collect();
            format!("| {} |", padded.join(" | "))
        };
        let mut s = String::new();
        let _ = writeln!(s, "{}", line(&table[0]));
        let rule: Vec<String> = width
            .iter()
            .zip(numeric)
            .map(|(&w, num)| {
                if num {
                    format!("{}:", "-".repeat(w + 1))
                } else {
                    "-".repeat(w + 2)
                }
            })
            .collect();
        let _ = writeln!(s, "|{}|", rule.join("|"));
        for row in &table[1..] {
            let _ = writeln!(s, "{}", line(row));
        }
        let _ = writeln!(
            s,
            "\n{} article(s) with topical quotes; {} topical quote(s) without a speaker not counted.",
            self.articles.len(),
            self.unattributed
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::{StanceProbs, TopicPrediction};
    use crate::quotes::Quote;
    use crate::Stance;

    fn quote(article: &str, start: usize, text: &str, stance: Stance, p: [f32; 3]) -> LabeledQuote {
        let label = TopicPrediction {
            stance,
            probs: StanceProbs {
                favor: p[0],
                against: p[1],
                neutral: p[2],
            },
            relevance: Some(0.9),
            confidence: None,
            explain: None,
        };
        LabeledQuote {
            article: article.into(),
            quote: Quote {
                start,
                end: start + text.chars().count(),
                text: text.into(),
                fragment: false,
                speaker: Some("Sergey Lavrov".into()),
                speaker_mention: None,
                cue: None,
                confidence: 1.0,
                sieve: None,
                context: (0, 0),
                wide_context: (0, 0),
            },
            topics: [("peacekeepers".to_string(), label)].into(),
            sentiment: None,
            relevance: None,
        }
    }

    fn counts(s: &Summary) -> (usize, usize, usize) {
        let r = &s.rows()[0];
        (r.favor, r.against, r.neutral)
    }

    #[test]
    fn a_side_taken_outweighs_a_neutral_mention_in_the_same_article() {
        let mut s = Summary::new();
        // The neutral quote is more confident than the against one: still against.
        s.add(&quote(
            "a",
            0,
            "the question of peacekeepers",
            Stance::Neutral,
            [0.0, 0.0, 1.0],
        ));
        s.add(&quote(
            "a",
            50,
            "troops are unacceptable to us",
            Stance::Against,
            [0.1, 0.6, 0.3],
        ));
        assert_eq!(counts(&s), (0, 1, 0));
        // Only neutral quotes: neutral; favor and against equally strong: neutral.
        s.add(&quote(
            "b",
            0,
            "we discussed peacekeepers",
            Stance::Neutral,
            [0.2, 0.2, 0.6],
        ));
        s.add(&quote(
            "c",
            0,
            "we welcome such a mission",
            Stance::Favor,
            [0.8, 0.1, 0.1],
        ));
        s.add(&quote(
            "c",
            90,
            "no such mission will happen",
            Stance::Against,
            [0.1, 0.8, 0.1],
        ));
        assert_eq!(counts(&s), (0, 1, 2));
        assert_eq!(s.rows()[0].articles, 3);
    }
}
