//! End-to-end evaluation of the labeler against gold quotes in the annotation guide's format,
//! with the figures the project's owners measure, defined exactly so:
//!
//! - **Quotes**: a predicted quote matches a gold quote when their char spans overlap by at
//!   least half of *each* span (one-to-one, largest overlap first, per article).
//! - **Topics**: micro P/R/F1 over (quote, topic) pairs of *all* gold and predicted quotes: a
//!   missed quote loses its gold topics (false negatives), a spurious quote's topics are false
//!   positives; a pair is correct when its quotes match and the topic is the same.
//! - **Stance** `F_avg` = mean of F1(favor) and F1(against) over (quote, topic, stance)
//!   triples, end to end: a missed topic is a missed stance, a spurious topic with a stance
//!   is a false one. F1(neutral) is reported beside it.
//! - **Sentiment**: macro-F1 over matched quotes with a gold sentiment.
//! - **Speaker**: accuracy of the canonical name on matched quotes (`null` = `null` is right).
//! - **Summary agreement**: the speaker × topic table ([`crate::summary`]) built from the gold
//!   quotes and from the predictions with the same counting rules; a row is right when the
//!   same (speaker, topic) row exists on both sides with the same sign of `net` (> 0, < 0, 0).
//!   P/R/F1 over rows.
//!
//! - **Calibration**: how well stated probabilities match how often they are right (ECE over
//!   10 bins, Brier): each predicted topic's `confidence` (its `relevance` without one)
//!   against "the topic is gold", the predicted stance's probability on pairs both gold and
//!   predicted, the predicted sentiment's on matched quotes.
//!
//! Diagnostics beside them: stance with the gold topic given (the model asked for exactly the
//! gold topics of a matched quote) and stance on the (quote, topic) pairs that are both gold
//! and predicted, each with its confusion matrix; and the topic confusions — every matched
//! quote whose predicted topics differ from its gold ones, counted by (gold topics, predicted
//! topics), so "summit read as peace_talks" or "nato added beside peacekeepers" has a number.
//!
//! All figures are built from additive [`LabelCounts`], so cross-validation pools folds by
//! summing counts ([`LabelCounts::merge`]) and reports the pooled figures.

use super::spans::Prf;
use crate::article::{Article, CharIndex};
use crate::corpora::gold::GoldQuote;
use crate::labels::{Label, Sentiment, Stance, StanceProbs, TopicPrediction};
use crate::metrics::{ClassifyReport, Confusion, Reliability, ReliabilityReport};
use crate::model::Statement;
use crate::pipeline::{LabeledQuote, Pipeline};
use crate::quotes::match_spans;
use crate::quotes::Quote;
use crate::summary::Summary;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// True positives, predictions and gold items of one P/R/F1 figure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrfCounts {
    pub tp: usize,
    pub predicted: usize,
    pub gold: usize,
}

impl PrfCounts {
    fn add(&mut self, o: &PrfCounts) {
        self.tp += o.tp;
        self.predicted += o.predicted;
        self.gold += o.gold;
    }

    /// The scores.
    pub fn prf(&self) -> Prf {
        Prf::new(self.tp, self.predicted, self.gold)
    }
}

/// Additive counts behind every figure of [`LabelEval`]; sum them over folds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelCounts {
    pub articles: usize,
    /// Quote matching: tp = matched pairs.
    pub quotes: PrfCounts,
    /// Matched quotes whose canonical speaker is right.
    pub speaker_correct: usize,
    /// (quote, topic) pairs.
    pub topics: PrfCounts,
    pub topics_per_topic: BTreeMap<String, PrfCounts>,
    /// (quote, topic, stance) triples per stance class, in [`Stance::ALL`] order.
    pub stance: [PrfCounts; 3],
    /// Stance with the gold topics given, on matched quotes.
    pub stance_given_topic: Confusion,
    /// Stance on (quote, topic) pairs that are both gold and predicted.
    pub stance_on_matched_topics: Confusion,
    /// Sentiment on matched quotes with a gold label.
    pub sentiment: Confusion,
    /// Summary rows with the right sign.
    pub summary: PrfCounts,
    /// Reliability of the stated probabilities: every predicted (quote, topic) pair's
    /// `confidence` (its `relevance` when the model has no calibration), right when the quote
    /// matches a gold one with that topic; the predicted stance's probability on pairs both
    /// gold and predicted; the predicted sentiment's probability on matched quotes.
    #[serde(default)]
    pub topic_reliability: Reliability,
    /// `topic_reliability` split by the quote's length ([`LENGTH_BUCKETS`]): fragments take
    /// their topic from the sentence around them and are wrong more often.
    #[serde(default)]
    pub topic_reliability_by_length: [Reliability; LENGTH_BUCKETS.len()],
    #[serde(default)]
    pub stance_reliability: Reliability,
    #[serde(default)]
    pub sentiment_reliability: Reliability,
    /// Matched quotes whose predicted topic set differs from the gold one, one entry per
    /// (gold set, predicted set), sorted by the sets.
    #[serde(default)]
    pub topic_confusions: Vec<TopicConfusion>,
}

/// Matched quotes with the same wrong reading of their topics: gold topics `gold`, predicted
/// topics `predicted` (each sorted; empty = no topic).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TopicConfusion {
    pub gold: Vec<String>,
    pub predicted: Vec<String>,
    pub quotes: usize,
}

/// Adds `quotes` quotes read as `predicted` instead of `gold` to `list`, kept sorted by the sets.
fn add_confusion(
    list: &mut Vec<TopicConfusion>,
    gold: &[String],
    predicted: &[String],
    quotes: usize,
) {
    match list
        .binary_search_by(|c| (c.gold.as_slice(), c.predicted.as_slice()).cmp(&(gold, predicted)))
    {
        Ok(i) => list[i].quotes += quotes,
        Err(i) => list.insert(
            i,
            TopicConfusion {
                gold: gold.to_vec(),
                predicted: predicted.to_vec(),
                quotes,
            },
        ),
    }
}

impl Default for LabelCounts {
    fn default() -> Self {
        let stance = names::<Stance>();
        LabelCounts {
            articles: 0,
            quotes: PrfCounts::default(),
            speaker_correct: 0,
            topics: PrfCounts::default(),
            topics_per_topic: BTreeMap::new(),
            stance: [PrfCounts::default(); 3],
            stance_given_topic: Confusion::new(&stance),
            stance_on_matched_topics: Confusion::new(&stance),
            sentiment: Confusion::new(&names::<Sentiment>()),
            summary: PrfCounts::default(),
            topic_reliability: Reliability::default(),
            topic_reliability_by_length: Default::default(),
            stance_reliability: Reliability::default(),
            sentiment_reliability: Reliability::default(),
            topic_confusions: Vec::new(),
        }
    }
}

fn names<L: Label>() -> Vec<&'static str> {
    L::ALL.iter().map(|l| l.name()).collect()
}

impl LabelCounts {
    /// Adds another set of counts (another fold).
    pub fn merge(&mut self, o: &LabelCounts) {
        self.articles += o.articles;
        self.quotes.add(&o.quotes);
        self.speaker_correct += o.speaker_correct;
        self.topics.add(&o.topics);
        for (t, c) in &o.topics_per_topic {
            self.topics_per_topic.entry(t.clone()).or_default().add(c);
        }
        for (a, b) in self.stance.iter_mut().zip(&o.stance) {
            a.add(b);
        }
        self.stance_given_topic.merge(&o.stance_given_topic);
        self.stance_on_matched_topics
            .merge(&o.stance_on_matched_topics);
        self.sentiment.merge(&o.sentiment);
        self.summary.add(&o.summary);
        self.topic_reliability.merge(&o.topic_reliability);
        for (a, b) in self
            .topic_reliability_by_length
            .iter_mut()
            .zip(&o.topic_reliability_by_length)
        {
            a.merge(b);
        }
        self.stance_reliability.merge(&o.stance_reliability);
        self.sentiment_reliability.merge(&o.sentiment_reliability);
        for c in &o.topic_confusions {
            add_confusion(&mut self.topic_confusions, &c.gold, &c.predicted, c.quotes);
        }
    }

    /// The figures.
    pub fn report(&self) -> LabelEval {
        let stance: BTreeMap<String, Prf> = Stance::ALL
            .iter()
            .zip(&self.stance)
            .map(|(s, c)| (s.name().to_string(), c.prf()))
            .collect();
        let f_avg = (stance["favor"].f1 + stance["against"].f1) / 2.0;
        let sentiment = self.sentiment.report();
        let mut topic_confusions = self.topic_confusions.clone();
        topic_confusions.sort_by(|a, b| b.quotes.cmp(&a.quotes).then_with(|| a.cmp(b)));
        LabelEval {
            articles: self.articles,
            gold_quotes: self.quotes.gold,
            predicted_quotes: self.quotes.predicted,
            quotes: self.quotes.prf(),
            speaker_accuracy: ratio(self.speaker_correct, self.quotes.tp),
            topics: self.topics.prf(),
            topics_per_topic: self
                .topics_per_topic
                .iter()
                .map(|(t, c)| (t.clone(), c.prf()))
                .collect(),
            stance_f_avg: f_avg,
            stance,
            sentiment_macro_f1: sentiment.macro_f1,
            sentiment,
            summary: self.summary.prf(),
            stance_given_topic: self.stance_given_topic.report(),
            stance_on_matched_topics: self.stance_on_matched_topics.report(),
            topic_confusions,
            off_domain: None,
            calibration: CalibrationEval {
                topics: self.topic_reliability.report(),
                topics_by_length: std::array::from_fn(|i| ByLength {
                    words: LENGTH_BUCKETS[i].1,
                    reliability: self.topic_reliability_by_length[i].report(),
                }),
                stance: self.stance_reliability.report(),
                sentiment: self.sentiment_reliability.report(),
            },
            counts: self.clone(),
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The report of `stance eval labels` (and of each cross-validation fold).
#[derive(Debug, Clone, Serialize)]
pub struct LabelEval {
    pub articles: usize,
    pub gold_quotes: usize,
    pub predicted_quotes: usize,
    /// Quote spans matched by overlap ≥ 0.5 of both spans.
    pub quotes: Prf,
    /// Canonical speaker right, on matched quotes.
    pub speaker_accuracy: f64,
    /// Micro P/R/F1 over (quote, topic) pairs, end to end.
    pub topics: Prf,
    pub topics_per_topic: BTreeMap<String, Prf>,
    /// (F1(favor) + F1(against)) / 2 over (quote, topic, stance) triples, end to end.
    pub stance_f_avg: f64,
    /// P/R/F1 per stance class over triples, end to end.
    pub stance: BTreeMap<String, Prf>,
    /// Macro-F1 over matched quotes.
    pub sentiment_macro_f1: f64,
    pub sentiment: ClassifyReport,
    /// Summary rows (speaker, topic) with the right sign of `net`.
    pub summary: Prf,
    /// Diagnostic: stance with the gold topics given.
    pub stance_given_topic: ClassifyReport,
    /// Diagnostic: stance on (quote, topic) pairs both gold and predicted.
    pub stance_on_matched_topics: ClassifyReport,
    /// Diagnostic: matched quotes whose topics are wrong, by (gold topics, predicted topics),
    /// the most frequent first.
    pub topic_confusions: Vec<TopicConfusion>,
    /// Off-domain topic rate, when off-domain articles were labeled too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub off_domain: Option<OffDomain>,
    /// How well the stated probabilities match how often they are right.
    pub calibration: CalibrationEval,
    /// The counts behind the figures.
    pub counts: LabelCounts,
}

/// Reliability of the three kinds of stated probability (see [`LabelCounts`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CalibrationEval {
    /// Predicted topics: `confidence` (or `relevance`) against "the topic is gold".
    pub topics: ReliabilityReport,
    /// The same by the quote's length ([`LENGTH_BUCKETS`]).
    pub topics_by_length: [ByLength; LENGTH_BUCKETS.len()],
    /// The predicted stance's probability on (quote, topic) pairs both gold and predicted.
    pub stance: ReliabilityReport,
    /// The predicted sentiment's probability on matched quotes.
    pub sentiment: ReliabilityReport,
}

/// Quote lengths of the topic reliability rows: at most this many whitespace-separated words.
pub const LENGTH_BUCKETS: [(usize, &str); 4] =
    [(3, "1-3"), (8, "4-8"), (15, "9-15"), (usize::MAX, "16+")];

/// The [`LENGTH_BUCKETS`] index of a quote (its words counted as the calibration does).
fn length_bucket(text: &str) -> usize {
    let n = crate::model::calibrate::quote_words(text);
    LENGTH_BUCKETS
        .iter()
        .position(|&(max, _)| n <= max)
        .unwrap_or(LENGTH_BUCKETS.len() - 1)
}

/// The reliability of the topics of quotes of one length bucket.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ByLength {
    /// The bucket's words (`"1-3"`).
    pub words: &'static str,
    #[serde(flatten)]
    pub reliability: ReliabilityReport,
}

/// Quotes of off-domain news (about none of the topics) and how many got a topic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OffDomain {
    pub quotes: usize,
    pub with_topic: usize,
    /// `with_topic / quotes`.
    pub rate: f64,
}

impl OffDomain {
    /// From (quotes, quotes with a topic).
    pub fn new((quotes, with_topic): (usize, usize)) -> Self {
        OffDomain {
            quotes,
            with_topic,
            rate: ratio(with_topic, quotes),
        }
    }
}

/// A gold quote as a labeled quote with certain (one-hot) stance, for the gold summary.
fn gold_as_labeled(g: &GoldQuote) -> LabeledQuote {
    let topics = g
        .topics
        .iter()
        .map(|(t, s)| {
            let mut probs = StanceProbs::default();
            match s {
                Stance::Favor => probs.favor = 1.0,
                Stance::Against => probs.against = 1.0,
                Stance::Neutral => probs.neutral = 1.0,
            }
            (
                t.clone(),
                TopicPrediction {
                    stance: *s,
                    probs,
                    relevance: Some(1.0),
                    confidence: None,
                    explain: None,
                },
            )
        })
        .collect();
    LabeledQuote {
        article: g.article.clone(),
        quote: Quote {
            start: g.start,
            end: g.end,
            text: g.text.clone().unwrap_or_default(),
            fragment: false,
            speaker: g.speaker.clone(),
            speaker_mention: None,
            cue: None,
            confidence: 1.0,
            sieve: None,
            context: (g.start, g.end),
            wide_context: (g.start, g.end),
        },
        topics,
        sentiment: None,
        relevance: None,
    }
}

/// The sign of every summary row: (speaker, topic) → −1, 0 or +1.
fn summary_signs<'a>(
    quotes: impl Iterator<Item = &'a LabeledQuote>,
) -> BTreeMap<(String, String), i8> {
    let mut s = Summary::new();
    for q in quotes {
        s.add(q);
    }
    s.rows()
        .into_iter()
        .map(|r| {
            let sign = if r.net > 0.0 {
                1
            } else if r.net < 0.0 {
                -1
            } else {
                0
            };
            ((r.speaker, r.topic), sign)
        })
        .collect()
}

/// Predicts the stances of a matched quote for the given (gold) topics.
pub type GivenTopicFn<'a> =
    &'a (dyn Fn(&Article, &LabeledQuote, &[String]) -> BTreeMap<String, Stance> + Sync);

/// Scores predictions against gold. `predicted[i]` are the labeled quotes of `articles[i]`;
/// gold quotes of articles not given are ignored. `given_topic` predicts the stance of a
/// matched quote for the gold topics (the diagnostic "stance, gold topic given"); pass `None`
/// to skip it.
pub fn score(
    articles: &[Article],
    predicted: &[Vec<LabeledQuote>],
    gold: &[GoldQuote],
    given_topic: Option<GivenTopicFn>,
) -> LabelCounts {
    let mut c = LabelCounts {
        articles: articles.len(),
        ..Default::default()
    };
    let ids: BTreeSet<&str> = articles.iter().map(|a| a.id.as_str()).collect();
    let gold: Vec<&GoldQuote> = gold
        .iter()
        .filter(|g| ids.contains(g.article.as_str()))
        .collect();
    let stance_ix = |s: &Stance| s.index();
    for (article, labeled) in articles.iter().zip(predicted) {
        let golds: Vec<&GoldQuote> = gold
            .iter()
            .copied()
            .filter(|g| g.article == article.id)
            .collect();
        c.quotes.gold += golds.len();
        c.quotes.predicted += labeled.len();
        // Every gold and predicted pair / triple counts, matched or not.
        for g in &golds {
            c.topics.gold += g.topics.len();
            for (t, s) in &g.topics {
                c.topics_per_topic.entry(t.clone()).or_default().gold += 1;
                c.stance[stance_ix(s)].gold += 1;
            }
        }
        for p in labeled {
            c.topics.predicted += p.topics.len();
            for (t, l) in &p.topics {
                c.topics_per_topic.entry(t.clone()).or_default().predicted += 1;
                c.stance[stance_ix(&l.stance)].predicted += 1;
            }
        }
        let gs: Vec<(usize, usize)> = golds.iter().map(|g| (g.start, g.end)).collect();
        let ps: Vec<(usize, usize)> = labeled
            .iter()
            .map(|q| (q.quote.start, q.quote.end))
            .collect();
        let matches = match_spans(&gs, &ps);
        let mut gold_of = vec![None; labeled.len()];
        for &(i, j) in &matches {
            gold_of[j] = Some(golds[i]);
        }
        for (p, g) in labeled.iter().zip(&gold_of) {
            let bucket = length_bucket(&p.quote.text);
            for (t, l) in &p.topics {
                let stated = l.confidence.or(l.relevance).unwrap_or(1.0);
                let right = g.is_some_and(|g| g.topics.contains_key(t));
                c.topic_reliability.add(stated, right);
                c.topic_reliability_by_length[bucket].add(stated, right);
            }
        }
        for (i, j) in matches {
            let (g, p) = (golds[i], &labeled[j]);
            c.quotes.tp += 1;
            if !g.topics.keys().eq(p.topics.keys()) {
                let gold_topics: Vec<String> = g.topics.keys().cloned().collect();
                let predicted_topics: Vec<String> = p.topics.keys().cloned().collect();
                add_confusion(&mut c.topic_confusions, &gold_topics, &predicted_topics, 1);
            }
            c.speaker_correct += (g.speaker == p.quote.speaker) as usize;
            for (t, gs) in &g.topics {
                if let Some(l) = p.topics.get(t) {
                    c.topics.tp += 1;
                    c.topics_per_topic.entry(t.clone()).or_default().tp += 1;
                    c.stance_on_matched_topics.add(gs.index(), l.stance.index());
                    c.stance_reliability
                        .add(l.probs.get(l.stance), l.stance == *gs);
                    if l.stance == *gs {
                        c.stance[stance_ix(gs)].tp += 1;
                    }
                }
            }
            if let Some(f) = given_topic {
                if !g.topics.is_empty() {
                    let topics: Vec<String> = g.topics.keys().cloned().collect();
                    let pred = f(article, p, &topics);
                    for (t, gs) in &g.topics {
                        if let Some(ps) = pred.get(t) {
                            c.stance_given_topic.add(gs.index(), ps.index());
                        }
                    }
                }
            }
            if let (Some(gs), Some(ps)) = (g.sentiment, &p.sentiment) {
                c.sentiment.add(gs.index(), ps.label.index());
                c.sentiment_reliability
                    .add(ps.probs.get(ps.label), ps.label == gs);
            }
        }
    }
    let gold_labeled: Vec<LabeledQuote> = gold.iter().map(|g| gold_as_labeled(g)).collect();
    let gold_rows = summary_signs(gold_labeled.iter());
    let pred_rows = summary_signs(predicted.iter().flatten());
    c.summary = PrfCounts {
        tp: pred_rows
            .iter()
            .filter(|(k, s)| gold_rows.get(*k) == Some(s))
            .count(),
        predicted: pred_rows.len(),
        gold: gold_rows.len(),
    };
    c
}

/// Labels `articles` with `pipeline` (in parallel) and scores them against `gold`.
pub fn evaluate(pipeline: &Pipeline, articles: &[Article], gold: &[GoldQuote]) -> LabelCounts {
    let predicted: Vec<Vec<LabeledQuote>> =
        articles.par_iter().map(|a| pipeline.label(a)).collect();
    score_predictions(pipeline, articles, &predicted, gold)
}

/// Scores `predicted` (the labeled quotes of each of `articles`, made by `pipeline`) against
/// `gold`, with `pipeline`'s model for the "stance with the gold topic given" diagnostic.
pub fn score_predictions(
    pipeline: &Pipeline,
    articles: &[Article],
    predicted: &[Vec<LabeledQuote>],
    gold: &[GoldQuote],
) -> LabelCounts {
    let given = |article: &Article, p: &LabeledQuote, topics: &[String]| {
        let idx = CharIndex::new(&article.text);
        let context = idx.slice(&article.text, p.quote.context.0, p.quote.context.1);
        let (ws, we) = p.quote.wide_context;
        pipeline
            .model()
            .predict(&Statement {
                text: &p.quote.text,
                context: Some(context),
                wide_context: Some(idx.slice(&article.text, ws, we)),
                topics: Some(topics.to_vec()),
                target: None,
                lead: Some(article.lead()),
            })
            .topics
            .into_iter()
            .map(|(t, tp)| (t, tp.stance))
            .collect()
    };
    score(articles, predicted, gold, Some(&given))
}

/// Off-domain check: of the quotes found in `articles` (news about none of the configured
/// topics), how many get at least one topic. Returns (quotes, quotes with a topic).
pub fn off_domain(pipeline: &Pipeline, articles: &[Article]) -> (usize, usize) {
    articles
        .par_iter()
        .map(|a| {
            let q = pipeline.label(a);
            (q.len(), q.iter().filter(|q| !q.topics.is_empty()).count())
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// Topic confusions the text report lists (the JSON report has them all).
const SHOWN_CONFUSIONS: usize = 12;

fn prf_line(f: &mut fmt::Formatter<'_>, name: &str, p: &Prf) -> fmt::Result {
    writeln!(
        f,
        "  {:<22} {:>9.4} {:>9.4} {:>9.4}",
        name, p.precision, p.recall, p.f1
    )
}

impl fmt::Display for LabelEval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        writeln!(
            f,
            "articles {}  gold quotes {}  predicted quotes {}",
            self.articles, self.gold_quotes, self.predicted_quotes
        )?;
        writeln!(
            f,
            "  {:<22} {:>9} {:>9} {:>9}",
            "", "precision", "recall", "F1"
        )?;
        prf_line(f, "quotes (overlap ≥ 0.5)", &self.quotes)?;
        prf_line(f, "topics (micro)", &self.topics)?;
        for (s, p) in &self.stance {
            prf_line(f, &format!("stance {s}"), p)?;
        }
        prf_line(f, "summary rows (sign)", &self.summary)?;
        writeln!(f)?;
        writeln!(
            f,
            "topic micro-F1 {:.4}   stance F_avg {:.4}   sentiment macro-F1 {:.4}   speaker accuracy {:.4} ({}/{})   summary sign F1 {:.4}",
            self.topics.f1,
            self.stance_f_avg,
            self.sentiment_macro_f1,
            self.speaker_accuracy,
            c.speaker_correct,
            c.quotes.tp,
            self.summary.f1
        )?;
        if let Some(o) = &self.off_domain {
            writeln!(
                f,
                "off-domain: {} of {} quotes got a topic ({:.2}%)",
                o.with_topic,
                o.quotes,
                100.0 * o.rate
            )?;
        }
        writeln!(f, "\ncalibration of the stated probabilities")?;
        writeln!(
            f,
            "  {:<22} {:>6} {:>9} {:>9} {:>9} {:>9}",
            "", "n", "mean p", "right", "ECE", "Brier"
        )?;
        let by_length = self
            .calibration
            .topics_by_length
            .iter()
            .map(|b| (format!("  quotes of {} words", b.words), &b.reliability));
        let rows = std::iter::once(("detected topics".to_string(), &self.calibration.topics))
            .chain(by_length)
            .chain([
                ("stance (matched pairs)".into(), &self.calibration.stance),
                ("sentiment (matched)".into(), &self.calibration.sentiment),
            ]);
        for (name, r) in rows {
            writeln!(
                f,
                "  {:<22} {:>6} {:>9.4} {:>9.4} {:>9.4} {:>9.4}",
                name, r.n, r.mean_probability, r.accuracy, r.ece, r.brier
            )?;
        }
        writeln!(f, "\nper topic (end to end)")?;
        writeln!(
            f,
            "  {:<22} {:>9} {:>9} {:>9} {:>6} {:>6}",
            "", "precision", "recall", "F1", "pred", "gold"
        )?;
        for (t, p) in &self.topics_per_topic {
            let k = &c.topics_per_topic[t];
            writeln!(
                f,
                "  {:<22} {:>9.4} {:>9.4} {:>9.4} {:>6} {:>6}",
                t, p.precision, p.recall, p.f1, k.predicted, k.gold
            )?;
        }
        if !self.topic_confusions.is_empty() {
            let wrong: usize = self.topic_confusions.iter().map(|c| c.quotes).sum();
            let readings = self.topic_confusions.len();
            let shown = if readings > SHOWN_CONFUSIONS {
                format!(", the {SHOWN_CONFUSIONS} most frequent of {readings} readings")
            } else {
                String::new()
            };
            writeln!(
                f,
                "\ntopic confusions: {wrong} matched quotes with other topics than gold (gold → predicted{shown})"
            )?;
            let set = |t: &[String]| {
                if t.is_empty() {
                    "(none)".to_string()
                } else {
                    t.join(" + ")
                }
            };
            for c in self.topic_confusions.iter().take(SHOWN_CONFUSIONS) {
                writeln!(
                    f,
                    "  {:>4}  {} → {}",
                    c.quotes,
                    set(&c.gold),
                    set(&c.predicted)
                )?;
            }
        }
        writeln!(f, "\n== sentiment (matched quotes) ==\n{}", self.sentiment)?;
        writeln!(
            f,
            "== diagnostic: stance with the gold topic given ==\n{}",
            self.stance_given_topic
        )?;
        writeln!(
            f,
            "== diagnostic: stance on (quote, topic) pairs both gold and predicted ==\n{}",
            self.stance_on_matched_topics
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gold(
        article: &str,
        start: usize,
        end: usize,
        speaker: Option<&str>,
        topics: &[(&str, Stance)],
    ) -> GoldQuote {
        GoldQuote {
            article: article.into(),
            start,
            end,
            text: None,
            speaker: speaker.map(str::to_string),
            fragment: None,
            topics: topics.iter().map(|(t, s)| (t.to_string(), *s)).collect(),
            sentiment: Some(Sentiment::Neutral),
            line: 0,
        }
    }

    fn pred(
        article: &str,
        start: usize,
        end: usize,
        speaker: Option<&str>,
        topics: &[(&str, Stance)],
    ) -> LabeledQuote {
        let mut q = gold_as_labeled(&gold(article, start, end, speaker, topics));
        q.sentiment = Some(crate::labels::SentimentPrediction {
            label: Sentiment::Neutral,
            probs: Default::default(),
            explain: None,
        });
        q
    }

    #[test]
    fn half_overlap_of_both_spans_is_required() {
        assert_eq!(match_spans(&[(0, 10)], &[(5, 10)]), vec![(0, 0)]);
        assert_eq!(match_spans(&[(0, 10)], &[(6, 10)]), vec![]);
        // A long prediction swallowing a short gold quote is not a match.
        assert_eq!(match_spans(&[(10, 14)], &[(0, 40)]), vec![]);
    }

    #[test]
    fn end_to_end_counts_missed_and_spurious_quotes() {
        use Stance::*;
        let a = Article::new("a", "x".repeat(200));
        let golds = vec![
            gold("a", 0, 20, Some("Lavrov"), &[("nato", Against)]),
            gold("a", 30, 50, Some("Rubio"), &[("peace_talks", Favor)]), // missed
        ];
        let preds = vec![
            pred(
                "a",
                0,
                20,
                Some("Lavrov"),
                &[("nato", Against), ("peacekeepers", Against)],
            ),
            pred("a", 100, 120, None, &[("summit", Favor)]), // spurious
        ];
        let mut preds = preds;
        // Stated probabilities: confidence where given, else relevance.
        preds[0].topics.get_mut("nato").unwrap().confidence = Some(0.85);
        preds[0].topics.get_mut("peacekeepers").unwrap().relevance = Some(0.65);
        preds[1].topics.get_mut("summit").unwrap().confidence = Some(0.35);
        preds[0].topics.get_mut("nato").unwrap().probs.against = 0.75;
        preds[0].sentiment.as_mut().unwrap().probs.neutral = 0.55;
        // The spurious quote is 10 words long, the other under 4.
        preds[1].quote.text = "one two three four five six seven eight nine ten".into();
        preds[0].quote.text = "absurd,".into();
        let c = score(&[a], &[preds], &golds, None);
        // By length: the two topics of the short quote, the spurious quote's one.
        let by_len: Vec<(usize, usize)> = c
            .topic_reliability_by_length
            .iter()
            .map(|r| (r.n.iter().sum(), r.right.iter().sum()))
            .collect();
        assert_eq!(by_len, [(2, 1), (0, 0), (1, 0), (0, 0)]);
        // Topics: 0.85 right, 0.65 wrong (not gold), 0.35 wrong (spurious quote).
        let t = &c.topic_reliability;
        assert_eq!(
            (t.n[8], t.right[8], t.n[6], t.right[6], t.n[3]),
            (1, 1, 1, 0, 1)
        );
        assert_eq!(t.n.iter().sum::<usize>(), 3);
        // Stance: only the pair both gold and predicted; sentiment: the matched quote.
        assert_eq!(
            (c.stance_reliability.n[7], c.stance_reliability.right[7]),
            (1, 1)
        );
        assert_eq!(c.stance_reliability.n.iter().sum::<usize>(), 1);
        assert_eq!(
            (
                c.sentiment_reliability.n[5],
                c.sentiment_reliability.right[5]
            ),
            (1, 1)
        );
        assert_eq!(c.sentiment_reliability.n.iter().sum::<usize>(), 1);
        let cal = c.report().calibration;
        assert_eq!(cal.topics_by_length[2].words, "9-15");
        assert_eq!(cal.topics_by_length[2].reliability.accuracy, 0.0);
        assert_eq!(cal.topics_by_length[0].reliability.accuracy, 0.5);
        assert!(
            (cal.topics.ece - (0.15 + 0.65 + 0.35) / 3.0).abs() < 1e-6,
            "{cal:?}"
        );
        assert!(c.report().to_string().contains("detected topics"));
        assert_eq!(
            c.quotes,
            PrfCounts {
                tp: 1,
                predicted: 2,
                gold: 2
            }
        );
        assert_eq!(
            c.topics,
            PrfCounts {
                tp: 1,
                predicted: 3,
                gold: 2
            }
        );
        assert_eq!(
            c.stance[Against.index()],
            PrfCounts {
                tp: 1,
                predicted: 2,
                gold: 1
            }
        );
        assert_eq!(
            c.stance[Favor.index()],
            PrfCounts {
                tp: 0,
                predicted: 1,
                gold: 1
            }
        );
        let r = c.report();
        assert!((r.stance["against"].f1 - 2.0 / 3.0).abs() < 1e-9);
        assert!((r.stance_f_avg - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(c.speaker_correct, 1);
        // Gold rows: (Lavrov, nato, −), (Rubio, peace_talks, +); predicted rows:
        // (Lavrov, nato, −), (Lavrov, peacekeepers, −).
        assert_eq!(
            c.summary,
            PrfCounts {
                tp: 1,
                predicted: 2,
                gold: 2
            }
        );
    }

    /// The counts of two articles scored as two folds and merged, and scored in one run.
    fn two_folds_and_one_run(
        folds: [(Article, Vec<LabeledQuote>); 2],
        golds: &[GoldQuote],
    ) -> (LabelCounts, LabelCounts) {
        let mut merged = LabelCounts::default();
        for (a, p) in &folds {
            merged.merge(&score(
                std::slice::from_ref(a),
                std::slice::from_ref(p),
                golds,
                None,
            ));
        }
        let (articles, predicted): (Vec<Article>, Vec<Vec<LabeledQuote>>) =
            folds.into_iter().unzip();
        (merged, score(&articles, &predicted, golds, None))
    }

    #[test]
    fn counts_merge_like_one_run() {
        use Stance::*;
        let a = Article::new("a", "x".repeat(100));
        let b = Article::new("b", "x".repeat(100));
        let golds = vec![
            gold("a", 0, 20, Some("S"), &[("nato", Against)]),
            gold("b", 0, 20, Some("S"), &[("nato", Favor)]),
        ];
        let pa = vec![pred("a", 0, 20, Some("S"), &[("nato", Against)])];
        let pb = vec![pred("b", 0, 20, Some("S"), &[("nato", Neutral)])];
        let (merged, one) = two_folds_and_one_run([(a, pa), (b, pb)], &golds);
        assert_eq!(merged.topics, one.topics);
        assert_eq!(merged.stance, one.stance);
        assert_eq!(merged.quotes, one.quotes);
        // Rows differ by construction: per fold, S/nato is one row in each fold.
        assert_eq!(merged.summary.gold, 2);
        assert_eq!(one.summary.gold, 1);
    }

    #[test]
    fn topic_confusions_count_matched_quotes_by_gold_and_predicted_sets() {
        use Stance::*;
        let a = Article::new("a", "x".repeat(200));
        let b = Article::new("b", "x".repeat(200));
        let golds = vec![
            gold("a", 0, 20, None, &[("summit", Favor)]),
            gold("a", 30, 50, None, &[]),
            gold("a", 60, 80, None, &[("nato", Against)]),
            gold("a", 90, 110, None, &[("peacekeepers", Against)]), // missed: not a confusion
            gold("b", 0, 20, None, &[("summit", Against)]),
            gold("b", 30, 50, None, &[("peacekeepers", Favor)]),
        ];
        let pa = vec![
            pred("a", 0, 20, None, &[("peace_talks", Favor)]),
            pred("a", 30, 50, None, &[("peace_talks", Favor)]),
            // Right topics, wrong stance: not a topic confusion.
            pred("a", 60, 80, None, &[("nato", Favor)]),
            pred("a", 150, 170, None, &[("sanctions", Favor)]), // spurious: not one either
        ];
        let pb = vec![
            pred("b", 0, 20, None, &[("peace_talks", Neutral)]),
            pred(
                "b",
                30,
                50,
                None,
                &[("peacekeepers", Favor), ("nato", Against)],
            ),
        ];
        let (merged, one) = two_folds_and_one_run([(a, pa), (b, pb)], &golds);
        assert_eq!(merged.topic_confusions, one.topic_confusions);
        let confusion = |g: &[&str], p: &[&str], quotes| TopicConfusion {
            gold: g.iter().map(|t| t.to_string()).collect(),
            predicted: p.iter().map(|t| t.to_string()).collect(),
            quotes,
        };
        let r = one.report();
        assert_eq!(
            r.topic_confusions,
            [
                confusion(&["summit"], &["peace_talks"], 2),
                confusion(&[], &["peace_talks"], 1),
                confusion(&["peacekeepers"], &["nato", "peacekeepers"], 1),
            ]
        );
        let text = r.to_string();
        assert!(
            text.contains("4 matched quotes with other topics than gold (gold → predicted)\n")
                && text.contains("     2  summit → peace_talks\n")
                && text.contains("     1  (none) → peace_talks\n")
                && text.contains("     1  peacekeepers → nato + peacekeepers\n"),
            "{text}"
        );
    }
}
