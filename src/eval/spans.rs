//! Span metrics for quote extraction: precision / recall / F1 for exact and overlapping quote
//! spans, speaker accuracy (canonical names) and speaker-mention accuracy (span overlap) on
//! matched quotes. Matching is one-to-one per article (largest overlap first), so a gold
//! quote split into two predictions counts one hit and one false positive.

use crate::corpora::SpanQuote;
use crate::quotes::match_overlapping;
use crate::speakers::Sieve;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Precision, recall and F1 with their counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Matched pairs.
    pub matched: usize,
}

impl Prf {
    /// Scores from the number of matched pairs, predictions and gold items.
    pub fn new(matched: usize, predicted: usize, gold: usize) -> Self {
        let p = if predicted == 0 {
            0.0
        } else {
            matched as f64 / predicted as f64
        };
        let r = if gold == 0 {
            0.0
        } else {
            matched as f64 / gold as f64
        };
        let f = if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        };
        Prf {
            precision: p,
            recall: r,
            f1: f,
            matched,
        }
    }
}

/// Accuracy with its counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Accuracy {
    pub accuracy: f64,
    pub correct: usize,
    pub total: usize,
}

impl Accuracy {
    fn new(correct: usize, total: usize) -> Self {
        Accuracy {
            accuracy: if total == 0 {
                0.0
            } else {
                correct as f64 / total as f64
            },
            correct,
            total,
        }
    }
}

/// The report of `stance eval quotes`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QuoteEval {
    /// Articles evaluated.
    pub articles: usize,
    /// Gold quotes.
    pub gold: usize,
    /// Predicted quotes.
    pub predicted: usize,
    /// Identical start and end.
    pub exact: Prf,
    /// Any overlap (one-to-one).
    pub overlap: Prf,
    /// Canonical speaker equal (both `None` counts as equal) on overlap-matched quotes, when the
    /// gold has canonical speakers.
    pub speaker: Option<Accuracy>,
    /// Predicted mention overlaps the gold mention, on overlap-matched quotes whose gold has one.
    pub speaker_mention: Option<Accuracy>,
    /// Matched quotes by the sieve that attributed them (`none`: no sieve fired), in
    /// [`Sieve::ALL`] order then `none`; rows without quotes are left out.
    pub per_sieve: Vec<SieveRow>,
    /// Matched quotes whose speaker or speaker mention is wrong, in article order (written by
    /// `stance eval quotes --misses FILE`, not part of the report).
    #[serde(skip)]
    pub misses: Vec<AttributionMiss>,
}

/// A matched quote the attribution got wrong: the gold quote and the prediction matched to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributionMiss {
    pub gold: SpanQuote,
    pub predicted: SpanQuote,
}

/// Accuracy and coverage of one attribution sieve on matched quotes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SieveRow {
    /// Sieve name, or `none`.
    pub sieve: String,
    /// Matched quotes this sieve decided.
    pub quotes: usize,
    /// Share of all matched quotes.
    pub coverage: f64,
    /// Speaker accuracy on them (gold with canonical speakers).
    pub speaker: Option<Accuracy>,
    /// Speaker-mention accuracy on those whose gold has a mention.
    pub speaker_mention: Option<Accuracy>,
}

/// Compares predictions with gold. `has_speakers`: the gold carries canonical speakers;
/// `same` decides whether two speaker names denote the same speaker.
pub fn evaluate(
    gold: &[SpanQuote],
    pred: &[SpanQuote],
    has_speakers: bool,
    same: impl Fn(&str, &str) -> bool,
) -> QuoteEval {
    let mut by_art: BTreeMap<&str, (Vec<&SpanQuote>, Vec<&SpanQuote>)> = BTreeMap::new();
    for g in gold {
        by_art.entry(&g.article).or_default().0.push(g);
    }
    for p in pred {
        by_art.entry(&p.article).or_default().1.push(p);
    }
    let (mut exact, mut over) = (0, 0);
    let (mut sp_ok, mut sp_n, mut m_ok, mut m_n) = (0, 0, 0, 0);
    // Per sieve (index in Sieve::ALL, the last slot is `none`): quotes, speaker ok/n, mention ok/n.
    let mut rows = vec![[0usize; 5]; Sieve::ALL.len() + 1];
    let mut misses = Vec::new();
    for (g, p) in by_art.values() {
        exact += g
            .iter()
            .filter(|g| p.iter().any(|p| p.start == g.start && p.end == g.end))
            .count();
        let gs: Vec<(usize, usize)> = g.iter().map(|q| (q.start, q.end)).collect();
        let ps: Vec<(usize, usize)> = p.iter().map(|q| (q.start, q.end)).collect();
        for (i, j) in match_overlapping(&gs, &ps) {
            over += 1;
            let (gq, pq) = (g[i], p[j]);
            let row = &mut rows[pq.sieve.map_or(Sieve::ALL.len(), Sieve::index)];
            row[0] += 1;
            let mut wrong = false;
            if has_speakers {
                sp_n += 1;
                let ok = match (&gq.speaker, &pq.speaker) {
                    (None, None) => true,
                    (Some(a), Some(b)) => same(a, b),
                    _ => false,
                };
                sp_ok += ok as usize;
                row[1] += ok as usize;
                row[2] += 1;
                wrong |= !ok;
            }
            if let Some((gs, ge)) = gq.mention {
                m_n += 1;
                row[4] += 1;
                let ok = pq.mention.is_some_and(|(ps, pe)| ps < ge && gs < pe);
                m_ok += ok as usize;
                row[3] += ok as usize;
                wrong |= !ok;
            }
            if wrong {
                misses.push(AttributionMiss {
                    gold: gq.clone(),
                    predicted: pq.clone(),
                });
            }
        }
    }
    QuoteEval {
        articles: by_art.len(),
        gold: gold.len(),
        predicted: pred.len(),
        exact: Prf::new(exact, pred.len(), gold.len()),
        overlap: Prf::new(over, pred.len(), gold.len()),
        speaker: has_speakers.then(|| Accuracy::new(sp_ok, sp_n)),
        speaker_mention: (m_n > 0).then(|| Accuracy::new(m_ok, m_n)),
        per_sieve: rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r[0] > 0)
            .map(|(i, r)| SieveRow {
                sieve: Sieve::ALL.get(i).map_or("none", |s| s.name()).to_string(),
                quotes: r[0],
                coverage: r[0] as f64 / over.max(1) as f64,
                speaker: has_speakers.then(|| Accuracy::new(r[1], r[2])),
                speaker_mention: (r[4] > 0).then(|| Accuracy::new(r[3], r[4])),
            })
            .collect(),
        misses,
    }
}

impl fmt::Display for QuoteEval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "articles {}  gold quotes {}  predicted {}",
            self.articles, self.gold, self.predicted
        )?;
        writeln!(
            f,
            "{:<16} {:>9} {:>9} {:>9} {:>8}",
            "quote spans", "precision", "recall", "F1", "matched"
        )?;
        for (name, p) in [("exact", &self.exact), ("overlap", &self.overlap)] {
            writeln!(
                f,
                "{:<16} {:>9.4} {:>9.4} {:>9.4} {:>8}",
                name, p.precision, p.recall, p.f1, p.matched
            )?;
        }
        if let Some(a) = &self.speaker {
            writeln!(
                f,
                "speaker accuracy on matched quotes: {:.4} ({}/{})",
                a.accuracy, a.correct, a.total
            )?;
        }
        if let Some(a) = &self.speaker_mention {
            writeln!(
                f,
                "speaker-mention accuracy on matched quotes: {:.4} ({}/{})",
                a.accuracy, a.correct, a.total
            )?;
        }
        if !self.per_sieve.is_empty() {
            writeln!(
                f,
                "{:<26} {:>6} {:>9} {:>16} {:>16}",
                "per sieve", "quotes", "coverage", "speaker acc", "mention acc"
            )?;
            let acc = |a: &Option<Accuracy>| {
                a.map_or("-".to_string(), |a| {
                    format!("{:.3} ({}/{})", a.accuracy, a.correct, a.total)
                })
            };
            for r in &self.per_sieve {
                writeln!(
                    f,
                    "{:<26} {:>6} {:>9.3} {:>16} {:>16}",
                    r.sieve,
                    r.quotes,
                    r.coverage,
                    acc(&r.speaker),
                    acc(&r.speaker_mention)
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(a: &str, s: usize, e: usize, sp: Option<&str>) -> SpanQuote {
        SpanQuote {
            article: a.into(),
            start: s,
            end: e,
            speaker: sp.map(Into::into),
            mention: None,
            sieve: None,
        }
    }

    #[test]
    fn exact_overlap_and_speaker() {
        let gold = vec![
            q("a", 0, 10, Some("X")),
            q("a", 20, 30, None),
            q("b", 0, 5, Some("Y")),
        ];
        let pred = vec![
            q("a", 0, 10, Some("X")),
            q("a", 22, 30, Some("Z")),
            q("a", 40, 50, None),
        ];
        let r = evaluate(&gold, &pred, true, |a, b| a == b);
        assert_eq!(r.exact.matched, 1);
        assert_eq!(r.overlap.matched, 2);
        assert!((r.overlap.precision - 2.0 / 3.0).abs() < 1e-9);
        assert!((r.overlap.recall - 2.0 / 3.0).abs() < 1e-9);
        let sp = r.speaker.unwrap();
        assert_eq!((sp.correct, sp.total), (1, 2));
        assert!(r.to_string().contains("overlap"));
        // The one wrong speaker is listed, with the gold span and both names.
        assert_eq!(r.misses.len(), 1);
        let m = &r.misses[0];
        assert_eq!((m.gold.start, m.gold.end), (20, 30));
        assert_eq!(
            (m.gold.speaker.as_deref(), m.predicted.speaker.as_deref()),
            (None, Some("Z"))
        );
    }

    #[test]
    fn one_to_one_matching() {
        let gold = vec![q("a", 0, 100, None)];
        let pred = vec![q("a", 0, 40, None), q("a", 50, 100, None)];
        let r = evaluate(&gold, &pred, false, |a, b| a == b);
        assert_eq!(r.overlap.matched, 1);
        assert!((r.overlap.precision - 0.5).abs() < 1e-9);
        assert!(r.speaker.is_none());
        assert!(r.misses.is_empty());
    }

    #[test]
    fn a_missed_or_disjoint_mention_is_a_miss() {
        let mut g = q("a", 10, 20, None);
        g.mention = Some((0, 5));
        let (mut right, mut wrong, mut absent) = (
            q("a", 10, 20, None),
            q("b", 10, 20, None),
            q("c", 10, 20, None),
        );
        right.mention = Some((3, 8));
        wrong.mention = Some((25, 30));
        absent.mention = None;
        let gold = vec![
            g.clone(),
            SpanQuote {
                article: "b".into(),
                ..g.clone()
            },
            SpanQuote {
                article: "c".into(),
                ..g
            },
        ];
        let r = evaluate(&gold, &[right, wrong, absent], false, |a, b| a == b);
        let m = r.speaker_mention.unwrap();
        assert_eq!((m.correct, m.total), (1, 3));
        let arts: Vec<&str> = r.misses.iter().map(|m| m.gold.article.as_str()).collect();
        assert_eq!(arts, ["b", "c"]);
        assert_eq!(r.misses[0].predicted.mention, Some((25, 30)));
    }
}
