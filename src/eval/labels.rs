//! End-to-end evaluation of the labeler against gold quotes in the annotation guide's format:
//! quote spans and speakers (as in [`super::spans`]), then, on the quotes matched by overlap,
//! topic detection, stance and sentiment.
//!
//! - **Topic detection**: micro P/R/F1 over (quote, topic) pairs of matched quotes.
//! - **Stance given the topic**: for every gold (quote, topic) the model predicts the stance
//!   with the topic given (SemEval's setting), so stance is measured apart from detection.
//! - **Stance end to end**: (quote, topic) pairs both gold and detected.
//! - **Sentiment**: per matched quote.

use super::classify::{ClassifyReport, Confusion};
use super::spans::{self, Prf, QuoteEval, SpanQuote};
use crate::article::{Article, CharIndex};
use crate::error::{Error, Result};
use crate::model::labels::Label;
use crate::model::{Sentiment, Stance, Statement};
use crate::pipeline::Pipeline;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

/// One gold quote with its labels.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GoldQuote {
    pub article: String,
    pub start: usize,
    pub end: usize,
    #[serde(default)]
    pub speaker: Option<String>,
    #[serde(default)]
    pub topics: BTreeMap<String, Stance>,
    #[serde(default)]
    pub sentiment: Option<Sentiment>,
}

/// Reads gold quotes (records with `start`/`end`; others are skipped).
pub fn read_gold(path: &Path) -> Result<Vec<GoldQuote>> {
    let s = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    for (i, line) in s.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| Error::Data {
            path: path.to_path_buf(),
            line: i + 1,
            msg: e.to_string(),
        })?;
        if v.get("start").is_none() || v.get("end").is_none() {
            continue;
        }
        let g: GoldQuote = serde_json::from_value(v).map_err(|e| Error::Data {
            path: path.to_path_buf(),
            line: i + 1,
            msg: e.to_string(),
        })?;
        out.push(g);
    }
    Ok(out)
}

/// The report of `stance eval labels`.
#[derive(Debug, Clone, Serialize)]
pub struct LabelEval {
    pub quotes: QuoteEval,
    /// Micro P/R/F1 of detected topics on matched quotes.
    pub topic_detection: Prf,
    /// Per topic: P/R/F1 of detection on matched quotes.
    pub topic_detection_per_topic: BTreeMap<String, Prf>,
    /// Stance with the gold topic given, pooled over topics.
    pub stance_given_topic: ClassifyReport,
    /// Stance on (quote, topic) pairs both gold and detected.
    pub stance_detected: ClassifyReport,
    /// Sentiment on matched quotes that have a gold sentiment.
    pub sentiment: ClassifyReport,
}

fn names<L: Label>() -> Vec<&'static str> {
    L::ALL.iter().map(|l| l.name()).collect()
}

/// Labels `articles` with `pipeline` and scores the result against `gold` (gold quotes of
/// articles not given are ignored).
pub fn evaluate(pipeline: &Pipeline, articles: &[Article], gold: &[GoldQuote]) -> LabelEval {
    let ids: BTreeSet<&str> = articles.iter().map(|a| a.id.as_str()).collect();
    let gold: Vec<&GoldQuote> = gold
        .iter()
        .filter(|g| ids.contains(g.article.as_str()))
        .collect();
    let mut pred_spans = Vec::new();
    let mut stance_given = Confusion::new(&names::<Stance>());
    let mut stance_detected = Confusion::new(&names::<Stance>());
    let mut sentiment = Confusion::new(&names::<Sentiment>());
    let (mut tp, mut n_pred, mut n_gold) = (0, 0, 0);
    let mut per_topic: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for article in articles {
        let labeled = pipeline.label(article);
        let idx = CharIndex::new(&article.text);
        pred_spans.extend(labeled.iter().map(|q| SpanQuote {
            article: article.id.clone(),
            start: q.quote.start,
            end: q.quote.end,
            speaker: q.quote.speaker.clone(),
            mention: None,
            sieve: q.quote.sieve,
        }));
        let golds: Vec<&&GoldQuote> = gold.iter().filter(|g| g.article == article.id).collect();
        let gs: Vec<(usize, usize)> = golds.iter().map(|g| (g.start, g.end)).collect();
        let ps: Vec<(usize, usize)> = labeled
            .iter()
            .map(|q| (q.quote.start, q.quote.end))
            .collect();
        for (i, j) in spans::match_overlapping(&gs, &ps) {
            let (g, p) = (golds[i], &labeled[j]);
            let gold_topics: BTreeSet<&String> = g.topics.keys().collect();
            let pred_topics: BTreeSet<&String> = p.topics.keys().collect();
            n_gold += gold_topics.len();
            n_pred += pred_topics.len();
            tp += gold_topics.intersection(&pred_topics).count();
            for t in gold_topics.union(&pred_topics) {
                let e = per_topic.entry((*t).clone()).or_default();
                e.0 += (gold_topics.contains(t) && pred_topics.contains(t)) as usize;
                e.1 += pred_topics.contains(t) as usize;
                e.2 += gold_topics.contains(t) as usize;
            }
            for (t, gs) in &g.topics {
                if let Some(l) = p.topics.get(t) {
                    stance_detected.add(gs.index(), l.stance.index());
                }
            }
            if !g.topics.is_empty() {
                let context = idx.slice(&article.text, p.quote.context.0, p.quote.context.1);
                let pred = pipeline.model().predict(&Statement {
                    text: &p.quote.text,
                    context: Some(context),
                    topics: Some(g.topics.keys().cloned().collect()),
                    target: None,
                });
                for (t, gs) in &g.topics {
                    if let Some(tp) = pred.topics.get(t) {
                        stance_given.add(gs.index(), tp.stance.index());
                    }
                }
            }
            if let (Some(gs), Some(ps)) = (g.sentiment, &p.sentiment) {
                sentiment.add(gs.index(), ps.label.index());
            }
        }
    }
    let gold_spans: Vec<SpanQuote> = gold
        .iter()
        .map(|g| SpanQuote {
            article: g.article.clone(),
            start: g.start,
            end: g.end,
            speaker: g.speaker.clone(),
            mention: None,
            sieve: None,
        })
        .collect();
    LabelEval {
        quotes: spans::evaluate(&gold_spans, &pred_spans, true, |a, b| a == b),
        topic_detection: Prf::new(tp, n_pred, n_gold),
        topic_detection_per_topic: per_topic
            .into_iter()
            .map(|(t, (tp, p, g))| (t, Prf::new(tp, p, g)))
            .collect(),
        stance_given_topic: stance_given.report(),
        stance_detected: stance_detected.report(),
        sentiment: sentiment.report(),
    }
}

impl fmt::Display for LabelEval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.quotes)?;
        let t = &self.topic_detection;
        writeln!(
            f,
            "topic detection (micro, matched quotes): precision {:.4} recall {:.4} F1 {:.4} ({} correct)",
            t.precision, t.recall, t.f1, t.matched
        )?;
        writeln!(
            f,
            "{:<22} {:>9} {:>9} {:>9}",
            "  per topic", "precision", "recall", "F1"
        )?;
        for (topic, p) in &self.topic_detection_per_topic {
            writeln!(
                f,
                "  {:<20} {:>9.4} {:>9.4} {:>9.4}",
                topic, p.precision, p.recall, p.f1
            )?;
        }
        writeln!(
            f,
            "\n== stance, gold topic given ==\n{}",
            self.stance_given_topic
        )?;
        writeln!(f, "== stance, detected topics ==\n{}", self.stance_detected)?;
        writeln!(f, "== sentiment ==\n{}", self.sentiment)
    }
}
