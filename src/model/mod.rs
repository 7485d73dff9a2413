//! The statement model: one fitted [`Vectorizer`] shared by three linear heads —
//! **stance** per topic (multinomial favor/against/neutral; joint with topic-conjoined
//! features, or one model per topic), **topic relevance** (one-vs-rest binary per topic) and
//! **sentiment** (multinomial, target-aware). A statement is vectorized once and the row is
//! reused by every head and topic; scoring is a sparse-row × dense-weights dot product.
//!
//! Feature layout (`nf` = vectorizer columns):
//! * stance and relevance: `[text | context]`, `2·nf` columns (context = the introducing sentence);
//! * sentiment: `[marked text | left of target | right of target]`, `3·nf` columns. With a target
//!   the mention is wrapped in marker tokens ([`TARGET_OPEN`]/[`TARGET_CLOSE`]) and the text
//!   left and right of it get their own blocks; without one only the first block is filled.
//!
//! Submodules: [`logistic`] (sparse L-BFGS trainer), [`store`]
//! (directory format, manifest, checksums), [`mod@train`] (cross-validation, grid, strategy),
//! [`calibrate`] (a detected topic's `confidence`).

pub mod calibrate;
pub mod inputs;
pub mod logistic;
pub mod store;
pub mod train;

use calibrate::length_feature;
pub use calibrate::Calibration;
pub use inputs::{Featurizer, HeadInputs, Part, PartRows, Previous, StatementText};
pub use store::{Detection, HeadSpecs, Manifest};
pub use train::{
    cross_validate, fit_final, select, train, CvScores, Selection, Strategy, TrainParams,
    TrainProgress, TrainReport,
};

use crate::features::vectorize::{prefetch_slice, PREFETCH_AHEAD};
use crate::features::{SparseRow, Vectorizer};
use crate::labels::{
    Contribution, Label, Sentiment, SentimentPrediction, SentimentProbs, Stance, StanceProbs,
    TopicPrediction,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;

/// Token inserted before a sentiment target's mention.
pub const TARGET_OPEN: &str = " xxtgtopen ";
/// Token inserted after a sentiment target's mention.
pub const TARGET_CLOSE: &str = " xxtgtclose ";

/// A linear block: `score_c = Σ_j x_j · w_j[c] + bias[c]`, weights stored per feature row
/// (dense, or only the rows that have weights).
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Outputs per feature (classes, or 1 for a binary head).
    pub k: usize,
    /// Number of feature rows.
    pub rows: usize,
    /// Weights, feature-major: `rows × k` when `index` is `None`, else `index.len() × k`
    /// (the rows in `index`, in its order).
    pub w: Vec<f32>,
    /// Sorted rows that have weights, for a sparse block (a topic's conjoined stance weights
    /// touch a few thousand of 100k+ rows: kept dense they were most of the model's memory
    /// and load time). `None`: dense.
    pub index: Option<Vec<u32>>,
    /// One intercept per output.
    pub bias: Vec<f32>,
}

impl Block {
    /// The `k` weights of feature row `j` (`None`: no weights, i.e. zeros).
    #[inline]
    pub fn row(&self, j: usize) -> Option<&[f32]> {
        let k = self.k;
        match &self.index {
            None => self.w.get(j * k..j * k + k),
            Some(ix) => {
                let p = ix.binary_search(&u32::try_from(j).ok()?).ok()?;
                self.w.get(p * k..p * k + k)
            }
        }
    }

    /// The layout to score with: dense when at least a quarter of the rows are stored (a
    /// lookup is then an offset), else sparse (a binary search over a small index beats a
    /// mostly-zero matrix that must be allocated and filled). Same weights either way.
    pub fn for_scoring(self) -> Block {
        match &self.index {
            Some(ix) if ix.len() * 4 >= self.rows => self.dense(),
            _ => self,
        }
    }

    /// The block with every row stored (a lookup is an offset): the relevance head's layout
    /// whatever its share of stored rows, since it is one block of `rows × topics` (heads
    /// over single words store a tenth of their rows, and binary searches per feature cost
    /// more than the dense block's memory, which is the size a bigram head fills anyway).
    pub fn dense(self) -> Block {
        let Some(ix) = &self.index else {
            return self;
        };
        let k = self.k;
        let mut w = vec![0f32; self.rows * k];
        for (&j, x) in ix.iter().zip(self.w.chunks_exact(k)) {
            w[j as usize * k..(j as usize + 1) * k].copy_from_slice(x);
        }
        Block {
            w,
            index: None,
            ..self
        }
    }

    /// The rows with a non-zero weight, in order, with their weights.
    pub fn stored_rows(&self) -> Vec<(usize, &[f32])> {
        match &self.index {
            None => (0..self.rows)
                .filter_map(|j| self.row(j).map(|w| (j, w)))
                .filter(|(_, w)| w.iter().any(|&x| x != 0.0))
                .collect(),
            Some(ix) => ix
                .iter()
                .zip(self.w.chunks_exact(self.k))
                .map(|(&j, w)| (j as usize, w))
                .collect(),
        }
    }

    /// Adds `row`'s contribution (its columns shifted by `offset`) to `z`, feature by
    /// feature in the row's order (the sums, and so the labels, depend on that order).
    #[inline]
    fn accumulate(&self, row: &SparseRow, offset: usize, z: &mut [f32]) {
        // The heads' widths (3 classes; one output per topic) get a copy with `k` fixed at
        // compile time: the running scores stay in registers and the per-feature update is
        // unrolled, where a run-time `k` loads, adds and stores `z` one float at a time.
        // Each `z[c]` still receives the same products in the same order.
        macro_rules! fixed {
            ($($k:literal)*) => {
                match self.k {
                    $($k if z.len() == $k => {
                        let mut acc = [0.0f32; $k];
                        acc.copy_from_slice(z);
                        self.accumulate_k::<$k>(row, offset, &mut acc);
                        z.copy_from_slice(&acc);
                    })*
                    _ => self.accumulate_any(row, offset, z),
                }
            };
        }
        fixed!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
    }

    /// [`Self::accumulate`] for `k == K` (and `z.len() == K`).
    #[inline]
    fn accumulate_k<const K: usize>(&self, row: &SparseRow, offset: usize, z: &mut [f32; K]) {
        let add = |z: &mut [f32; K], v: f32, wj: &[f32]| {
            if let Ok(wj) = <&[f32; K]>::try_from(wj) {
                for c in 0..K {
                    z[c] += v * wj[c];
                }
            }
        };
        match &self.index {
            None => {
                // A dense part (embeddings, valence) reads consecutive rows, which the
                // hardware prefetcher already streams in.
                let consecutive = match (row.indices.first(), row.indices.last()) {
                    (Some(&a), Some(&b)) => b
                        .checked_sub(a)
                        .is_some_and(|d| d as usize + 1 == row.indices.len()),
                    _ => true,
                };
                // Consecutive columns (a pooled vector): their weight rows are one slice,
                // walked without a lookup per feature; the same products in the same order.
                if consecutive {
                    let first = offset + row.indices.first().map_or(0, |&a| a as usize);
                    if let Some(run) = self.w.get(first * K..(first + row.indices.len()) * K) {
                        for (&v, wj) in row.values.iter().zip(run.chunks_exact(K)) {
                            add(z, v, wj);
                        }
                        return;
                    }
                }
                for (n, (&j, &v)) in row.indices.iter().zip(&row.values).enumerate() {
                    // A text's n-gram rows are scattered over the block (cache misses):
                    // request the row a few features ahead.
                    if !consecutive {
                        self.prefetch_ahead(row, n, offset, K);
                    }
                    let r = offset + j as usize;
                    if let Some(wj) = self.w.get(r * K..r * K + K) {
                        add(z, v, wj);
                    }
                }
            }
            Some(ix) => for_each_stored(ix, row, offset, |p, v| {
                if let Some(wj) = self.w.get(p * K..p * K + K) {
                    add(z, v, wj);
                }
            }),
        }
    }

    /// [`Self::accumulate`] for any `k`; the reference the fixed-width copies must equal.
    fn accumulate_any(&self, row: &SparseRow, offset: usize, z: &mut [f32]) {
        let add = |z: &mut [f32], v: f32, wj: &[f32]| {
            for (zc, wc) in z.iter_mut().zip(wj) {
                *zc += v * wc;
            }
        };
        let k = self.k;
        match &self.index {
            None => {
                for (n, (&j, &v)) in row.indices.iter().zip(&row.values).enumerate() {
                    // A text's n-gram rows are scattered over the block (cache misses):
                    // request the row a few features ahead.
                    self.prefetch_ahead(row, n, offset, k);
                    if let Some(wj) = self
                        .w
                        .get((offset + j as usize) * k..)
                        .and_then(|w| w.get(..k))
                    {
                        add(z, v, wj);
                    }
                }
            }
            Some(ix) => for_each_stored(ix, row, offset, |p, v| {
                if let Some(wj) = self.w.get(p * k..p * k + k) {
                    add(z, v, wj);
                }
            }),
        }
    }

    /// Requests the dense weights of the feature `PREFETCH_AHEAD` places after `row`'s `n`th.
    #[inline(always)]
    fn prefetch_ahead(&self, row: &SparseRow, n: usize, offset: usize, k: usize) {
        if let Some(&ahead) = row.indices.get(n + PREFETCH_AHEAD) {
            let r = offset + ahead as usize;
            if let Some(w) = self.w.get(r * k..r * k + k) {
                prefetch_slice(w);
            }
        }
    }
}

/// Calls `f(p, v)`, in `row`'s order, for each feature `v` of `row` (columns shifted by
/// `offset`) that has a stored row, `p` being its position in the sparse `index`.
#[inline(always)]
fn for_each_stored(index: &[u32], row: &SparseRow, offset: usize, mut f: impl FnMut(usize, f32)) {
    // The row's columns ascend, and so do the stored rows: each search starts where the last
    // one ended, and a run of consecutive columns (a dense part) finds its row at once.
    // Entries before `lo` are below the column.
    let (mut lo, mut last) = (0, 0);
    for (&j, &v) in row.indices.iter().zip(&row.values) {
        let Ok(col) = u32::try_from(offset + j as usize) else {
            continue;
        };
        if col < last {
            lo = 0; // not ascending after all: search from the start
        }
        last = col;
        let p = match index.get(lo..).unwrap_or_default() {
            [a, ..] if *a == col => lo,
            [_, b, ..] if *b == col => lo + 1,
            rest => match rest.binary_search(&col) {
                Ok(p) => lo + p,
                Err(p) => {
                    lo += p;
                    continue;
                }
            },
        };
        lo = p;
        f(p, v);
    }
}

/// Interleaves binary (k = 1) blocks of equal height, dense or sparse, into one dense block
/// with k = their number.
pub(crate) fn fuse_binary(blocks: &[&Block]) -> Block {
    let k = blocks.len();
    let rows = blocks.first().map_or(0, |b| b.rows);
    let mut w = vec![0.0f32; rows * k];
    let shared_index = blocks.first().and_then(|b| b.index.as_ref()).filter(|ix| {
        blocks
            .iter()
            .all(|b| b.index.as_ref() == Some(ix) && b.w.len() == ix.len())
    });
    if let Some(ix) = shared_index {
        // A format-4 model's relevance blocks: sparse over the same rows (every feature the
        // training data has gets a weight in every topic). Row by row: k sequential reads.
        for (p, &j) in ix.iter().enumerate() {
            let out = &mut w[j as usize * k..(j as usize + 1) * k];
            for (o, b) in out.iter_mut().zip(blocks) {
                *o = b.w[p];
            }
        }
    } else {
        for (t, b) in blocks.iter().enumerate() {
            for (r, x) in b.stored_rows() {
                w[r * k + t] = x[0];
            }
        }
    }
    Block {
        k,
        rows,
        w,
        index: None,
        bias: blocks.iter().map(|b| b.bias[0]).collect(),
    }
}

/// Stance heads: optional shared block (joint strategy) plus one block per topic.
#[derive(Debug, Clone, PartialEq)]
pub struct StanceHead {
    /// How it was trained.
    pub strategy: Strategy,
    /// Shared n-gram weights (joint strategy only).
    pub shared: Option<Block>,
    /// Per-topic weights, in [`Model::topics`] order (topic × n-gram in the joint model).
    pub per_topic: Vec<Block>,
}

/// A trained model: manifest, vectorizer and the linear heads (stance, topic relevance,
/// sentiment). Load with [`Model::load`]; `Send + Sync`, share it across threads.
#[derive(Debug, Clone)]
pub struct Model {
    manifest: Manifest,
    featurizer: Featurizer,
    topics: Vec<String>,
    stance: Option<StanceHead>,
    /// The binary relevance models of all topics in one block, a column per topic
    /// (k = topics): one contiguous read per feature scores every topic.
    relevance: Option<Block>,
    sentiment: Option<Block>,
    stance_in: HeadInputs,
    relevance_in: HeadInputs,
    sentiment_in: HeadInputs,
    /// The parts topic detection and sentiment read: computed for every statement.
    needed_first: Vec<Part>,
    /// The parts only the stance head reads: computed only for statements with a topic (most
    /// quotes of general news have none). Empty without a relevance or a stance head.
    stance_only: Vec<Part>,
    /// How topics are chosen from P(topic) (the manifest's detection, in topic order).
    rule: TopicRule,
    /// The attribution source ranker (`attribution.json`), if the model has one.
    attribution: Option<crate::speakers::Ranker>,
}

/// Adds a block's score of `rows` (laid out as `inputs`) to `z`.
#[inline]
fn score(b: &Block, inputs: &HeadInputs, rows: &PartRows, z: &mut [f32]) {
    for (&p, &off) in inputs.parts.iter().zip(&inputs.offsets) {
        b.accumulate(rows.get(p), off, z);
    }
}

/// One statement to label.
#[derive(Debug, Clone, Default)]
pub struct Statement<'a> {
    /// The quoted words.
    pub text: &'a str,
    /// The sentence that introduces the quote.
    pub context: Option<&'a str>,
    /// `context` widened to the sentence before the quote's
    /// ([`crate::quotes::Quote::wide_context`]); `None` = the context alone.
    pub wide_context: Option<&'a str>,
    /// Topics the statement is known to be about; `None` = detect with the relevance head
    /// (or, without one, all of the model's topics).
    pub topics: Option<Vec<String>>,
    /// Char span of the person the sentiment is about.
    pub target: Option<(usize, usize)>,
    /// The lead of the article the statement comes from ([`crate::Article::lead`]).
    pub lead: Option<&'a str>,
}

/// What the model says about one statement; serialises to the `prediction` JSON of
/// `stance predict`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Prediction {
    /// Stance per topic (given or detected).
    pub topics: BTreeMap<String, TopicPrediction>,
    /// Sentiment, when the model has a sentiment head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<SentimentPrediction>,
    /// P(topic) of every topic, in [`Model::topics`] order, detected or not (empty without a
    /// relevance head): for choosing one's own thresholds and for error analysis. Not part
    /// of the `stance predict` JSON.
    #[serde(skip)]
    pub relevance: Vec<f32>,
}

/// Reusable per-thread buffers so a prediction does not allocate feature rows.
#[derive(Default)]
struct Rows {
    parts: PartRows,
    marked: String,
}

thread_local! {
    static ROWS: RefCell<Rows> = RefCell::new(Rows::default());
    /// One `Rows` per quote of the article being predicted ([`Model::predict_article`]).
    static ARTICLE_ROWS: RefCell<Vec<Rows>> = const { RefCell::new(Vec::new()) };
}

/// In-place softmax.
fn softmax(z: &mut [f32]) {
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0;
    for v in z.iter_mut() {
        *v = (*v - m).exp();
        s += *v;
    }
    for v in z.iter_mut() {
        *v /= s;
    }
}

fn argmax(z: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in z.iter().enumerate() {
        if *v > z[best] {
            best = i;
        }
    }
    best
}

/// Splits `text` around a char span into (marked text, left, right) for the sentiment head.
/// An out-of-range span is clamped.
pub fn target_views(text: &str, span: (usize, usize), marked: &mut String) -> (usize, usize) {
    let byte = |c: usize| {
        text.char_indices()
            .nth(c)
            .map(|(b, _)| b)
            .unwrap_or(text.len())
    };
    let (s, e) = (byte(span.0), byte(span.1.max(span.0)));
    marked.clear();
    marked.push_str(&text[..s]);
    marked.push_str(TARGET_OPEN);
    marked.push_str(&text[s..e]);
    marked.push_str(TARGET_CLOSE);
    marked.push_str(&text[e..]);
    (s, e)
}

/// How a quote's topics are chosen from every topic's P(topic), in topic order (the model's
/// [`Detection`], laid out by topic index).
#[derive(Debug, Clone, PartialEq)]
pub struct TopicRule {
    /// A topic is a candidate when P(topic) reaches its threshold.
    pub thresholds: Vec<f32>,
    /// At most this many topics per quote (the most probable candidates).
    pub max_topics: usize,
    /// Topics after the most probable one must also reach this P(topic).
    pub second_threshold: Option<f32>,
    /// In an article, a topic another quote of it was detected with is a candidate from this
    /// P(topic) on: quotes of one article argue about the same things, and short quotes
    /// ("lying", "very productive") say little on their own.
    pub article_threshold: Option<f32>,
}

impl TopicRule {
    /// Per-topic thresholds and topics per quote only.
    pub fn new(thresholds: Vec<f32>, max_topics: usize) -> TopicRule {
        TopicRule {
            thresholds,
            max_topics,
            second_threshold: None,
            article_threshold: None,
        }
    }

    /// The rule of `detection` for `topics` (the model's topic order).
    pub fn of(detection: &Detection, topics: &[String]) -> TopicRule {
        TopicRule {
            thresholds: topics.iter().map(|t| detection.threshold(t)).collect(),
            max_topics: detection.max_topics,
            second_threshold: detection.second_threshold,
            article_threshold: detection.article_threshold,
        }
    }

    /// The manifest form of this rule for `topics` (the model's topic order); topics keep
    /// their own thresholds, `default_threshold` is for topics added later.
    pub fn to_detection(&self, topics: &[String], default_threshold: f32) -> Detection {
        Detection {
            thresholds: topics
                .iter()
                .cloned()
                .zip(self.thresholds.clone())
                .collect(),
            default_threshold,
            max_topics: self.max_topics,
            second_threshold: self.second_threshold,
            article_threshold: self.article_threshold,
        }
    }

    /// The topics of one quote seen alone, in topic order.
    pub fn choose(&self, p: &[f32]) -> Vec<usize> {
        self.choose_with(p, |_| false)
    }

    /// The topics of every quote of one article, in topic order: first each quote alone, then
    /// each again with the article threshold for the topics detected in its other quotes.
    pub fn choose_in_article<P: AsRef<[f32]>>(&self, ps: &[P]) -> Vec<Vec<usize>> {
        let alone: Vec<Vec<usize>> = ps.iter().map(|p| self.choose(p.as_ref())).collect();
        if self.article_threshold.is_none() || ps.len() < 2 {
            return alone;
        }
        let mut quotes_with = vec![0usize; self.thresholds.len()];
        for c in &alone {
            for &t in c {
                if let Some(n) = quotes_with.get_mut(t) {
                    *n += 1;
                }
            }
        }
        ps.iter()
            .zip(&alone)
            .map(|(p, own)| {
                self.choose_with(p.as_ref(), |t| {
                    quotes_with.get(t).copied().unwrap_or(0) > usize::from(own.contains(&t))
                })
            })
            .collect()
    }

    /// `in_article(t)`: another quote of the article has topic `t`.
    fn choose_with(&self, p: &[f32], in_article: impl Fn(usize) -> bool) -> Vec<usize> {
        let mut chosen: Vec<usize> = (0..p.len())
            .filter(|&t| {
                let th = self.thresholds.get(t).copied().unwrap_or(0.5);
                p[t] >= th || (in_article(t) && self.article_threshold.is_some_and(|a| p[t] >= a))
            })
            .collect();
        chosen.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
        chosen.truncate(self.max_topics.max(1));
        if let Some(second) = self.second_threshold {
            let mut n = 0;
            chosen.retain(|&t| {
                n += 1;
                n == 1 || p[t] >= second
            });
        }
        chosen.sort_unstable();
        chosen
    }
}

impl Model {
    /// Assembles a model (used by training and loading). `relevance` has a column per topic
    /// ([`fuse_binary`] of the per-topic models).
    pub(crate) fn from_parts(
        manifest: Manifest,
        featurizer: Featurizer,
        topics: Vec<String>,
        stance: Option<StanceHead>,
        relevance: Option<Block>,
        sentiment: Option<Block>,
    ) -> Model {
        let heads = &manifest.heads;
        let stance_in = HeadInputs::new(&heads.stance, &featurizer);
        let relevance_in = HeadInputs::new(&heads.relevance, &featurizer);
        let sentiment_in = HeadInputs::new(&heads.sentiment, &featurizer);
        let mut needed: Vec<Part> = Vec::new();
        if stance.is_some() {
            needed.extend(&heads.stance);
        }
        if relevance.is_some() {
            needed.extend(&heads.relevance);
        }
        if sentiment.is_some() {
            needed.extend(&heads.sentiment);
        }
        needed.sort();
        needed.dedup();
        // The parts relevance or sentiment reads come first; the stance head's own parts only
        // for quotes with a topic. `text` goes first when sentiment reads `sentiment_text`:
        // without a target that row is a copy of the text's, so a quote with a topic would
        // otherwise tokenize and vectorize its text twice.
        let sentiment_reads = |p: &Part| sentiment.is_some() && heads.sentiment.contains(p);
        let (needed_first, stance_only) = match (&relevance, &stance) {
            (Some(_), Some(_)) => needed.into_iter().partition(|p| {
                heads.relevance.contains(p)
                    || sentiment_reads(p)
                    || (*p == Part::Text && sentiment_reads(&Part::SentimentText))
            }),
            _ => (needed, Vec::new()),
        };
        let rule = TopicRule::of(&manifest.detection, &topics);
        Model {
            rule,
            manifest,
            featurizer,
            topics,
            stance,
            relevance,
            sentiment,
            stance_in,
            relevance_in,
            sentiment_in,
            needed_first,
            stance_only,
            attribution: None,
        }
    }

    /// The attribution source ranker, if the model has one.
    pub fn attribution_ranker(&self) -> Option<&crate::speakers::Ranker> {
        self.attribution.as_ref()
    }

    /// Sets (or removes) the attribution source ranker saved with the model.
    pub fn set_attribution_ranker(&mut self, ranker: Option<crate::speakers::Ranker>) {
        self.attribution = ranker;
    }

    /// Loads a model directory, checking format version, file sizes and sha256 checksums.
    pub fn load(dir: impl AsRef<Path>) -> crate::Result<Model> {
        store::load(dir.as_ref())
    }

    /// Loads a model from a directory or from its files held in memory (e.g. a model
    /// directory `include_bytes!`-ed into a program), with the same checks as [`Model::load`].
    pub fn load_from(src: store::ModelSource<'_>) -> crate::Result<Model> {
        store::load_from(src)
    }

    /// Loads only the attribution source ranker of a model (`None` for a model without one),
    /// with the manifest's checks: for quote extraction, which needs no other part.
    pub fn load_ranker_from(
        src: store::ModelSource<'_>,
    ) -> crate::Result<Option<crate::speakers::Ranker>> {
        store::load_ranker_from(src)
    }

    /// Saves the model directory atomically (temp dir beside the target, then rename).
    pub fn save(&self, dir: impl AsRef<Path>) -> crate::Result<()> {
        store::save(self, dir.as_ref())
    }

    /// The manifest (metadata, configs, CV metrics).
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// How the model turns a detected topic's P(topic) into its `confidence`, when it can
    /// (format 6 models trained with cross-validation).
    pub fn calibration(&self) -> Option<&Calibration> {
        self.manifest.calibration.as_ref()
    }

    /// Sets (or, with `None`, removes: topics then have no `confidence`) the calibration.
    /// An invalid one (a map that is not increasing, or not finite) is refused.
    pub fn set_calibration(&mut self, calibration: Option<Calibration>) -> crate::Result<()> {
        if let Some(c) = &calibration {
            c.validate().map_err(|msg| crate::Error::InvalidParam {
                name: "calibration",
                value: format!("{c:?}"),
                msg,
            })?;
        }
        self.manifest.calibration = calibration;
        self.manifest.format_version =
            store::format_version_for(&self.manifest.heads, self.manifest.calibration.as_ref());
        Ok(())
    }

    /// Records where the training data came from (sha256 and file names) in the manifest.
    pub fn set_training_data(&mut self, sha256: String, files: Vec<String>) {
        self.manifest.training_data_sha256 = sha256;
        self.manifest.training_files = files;
    }

    /// Topic ids, sorted.
    pub fn topics(&self) -> &[String] {
        &self.topics
    }

    /// Checks that the model was trained on exactly `expected` topics (any order); the error
    /// names the missing and the extra topics. For the labeler's topic configuration check.
    pub fn check_topics(&self, expected: &[String]) -> crate::Result<()> {
        let want: std::collections::BTreeSet<&str> = expected.iter().map(String::as_str).collect();
        let have: std::collections::BTreeSet<&str> =
            self.topics.iter().map(String::as_str).collect();
        if want == have {
            return Ok(());
        }
        let missing: Vec<&str> = want.difference(&have).copied().collect();
        let extra: Vec<&str> = have.difference(&want).copied().collect();
        Err(crate::Error::Model {
            path: std::path::PathBuf::new(),
            msg: format!(
                "topic set does not match the configuration: not in the model {missing:?}, only in the model {extra:?}"
            ),
        })
    }

    /// The fitted vectorizer.
    pub fn vectorizer(&self) -> &Vectorizer {
        &self.featurizer.vectorizer
    }

    /// The featurizer (vectorizer + topic lexicon).
    pub fn featurizer(&self) -> &Featurizer {
        &self.featurizer
    }

    /// The stance head, if trained.
    pub fn stance_head(&self) -> Option<&StanceHead> {
        self.stance.as_ref()
    }

    /// The relevance head, if trained: one block with a column per topic (`k` = the number
    /// of topics, in [`Model::topics`] order), column `t` being topic `t`'s binary logit.
    pub fn relevance_head(&self) -> Option<&Block> {
        self.relevance.as_ref()
    }

    /// The sentiment head, if trained.
    pub fn sentiment_head(&self) -> Option<&Block> {
        self.sentiment.as_ref()
    }

    /// How topics are detected (thresholds, topics per quote).
    pub fn detection(&self) -> &Detection {
        &self.manifest.detection
    }

    /// The detection rule laid out in topic order.
    pub fn topic_rule(&self) -> &TopicRule {
        &self.rule
    }

    fn topic_index(&self, t: &str) -> Option<usize> {
        self.topics.binary_search_by(|x| x.as_str().cmp(t)).ok()
    }

    /// Indices of the `given` topics the model knows (unknown ones are skipped).
    fn topic_indices(&self, given: &[String]) -> Vec<usize> {
        given.iter().filter_map(|t| self.topic_index(t)).collect()
    }

    /// Computes the stance head's own parts of a statement whose other parts are in `rows`
    /// (when it has a topic), or empties them (when it has none: nothing reads them).
    fn featurize_stance(&self, s: &Statement, rows: &mut Rows, has_topic: bool) {
        if has_topic {
            self.featurize_after(s, rows, &self.stance_only, None)
        } else {
            for &p in &self.stance_only {
                rows.parts.clear(p);
            }
        }
    }

    /// The `parts` of a statement, after `prev`, a statement featurized by this model with
    /// the same parts into the given rows (its context's parts are reused when the contexts
    /// are equal).
    fn featurize_after(
        &self,
        s: &Statement,
        rows: &mut Rows,
        parts: &[Part],
        prev: Option<(&Statement, &PartRows)>,
    ) {
        let target = s.target.map(|span| {
            let (b, e) = target_views(s.text, span, &mut rows.marked);
            (b, e)
        });
        let st = StatementText {
            text: s.text,
            context: s.context.unwrap_or(""),
            wide_context: s.wide_context.or(s.context).unwrap_or(""),
            lead: s.lead.unwrap_or(""),
            target: target.map(|(b, e)| (rows.marked.as_str(), b, e)),
        };
        // The parts in one call: each text is tokenized once for all of them.
        let prev = prev.map(|(p, rows)| Previous {
            context: p.context.unwrap_or(""),
            wide_context: p.wide_context.or(p.context).unwrap_or(""),
            rows,
        });
        self.featurizer
            .featurize_after(st, parts, &mut rows.parts, prev);
    }

    /// P(topic | statement) for every topic, in topic order; empty without a relevance head.
    pub fn topic_relevance(&self, s: &Statement) -> Vec<(String, f32)> {
        ROWS.with(|r| {
            let mut r = r.borrow_mut();
            self.featurize_after(s, &mut r, &self.needed_first, None);
            self.relevance_probs(&r.parts)
                .into_iter()
                .enumerate()
                .map(|(i, p)| (self.topics[i].clone(), p))
                .collect()
        })
    }

    fn relevance_probs(&self, rows: &PartRows) -> Vec<f32> {
        let Some(b) = &self.relevance else {
            return Vec::new();
        };
        let mut z = b.bias.clone();
        score(b, &self.relevance_in, rows, &mut z);
        z.iter().map(|&z| 1.0 / (1.0 + (-z).exp())).collect()
    }

    /// Raw stance scores of topic `t`.
    fn stance_scores(&self, head: &StanceHead, t: usize, rows: &PartRows) -> [f32; 3] {
        let b = &head.per_topic[t];
        let mut z = [b.bias[0], b.bias[1], b.bias[2]];
        score(b, &self.stance_in, rows, &mut z);
        if let Some(s) = &head.shared {
            for (zc, bc) in z.iter_mut().zip(&s.bias) {
                *zc += bc;
            }
            score(s, &self.stance_in, rows, &mut z);
        }
        z
    }

    /// Predicts one statement.
    pub fn predict(&self, s: &Statement) -> Prediction {
        self.predict_inner(s, 0)
    }

    /// Predicts one statement and adds the `n` top contributing features per output.
    pub fn predict_explained(&self, s: &Statement, n: usize) -> Prediction {
        self.predict_inner(s, n)
    }

    /// Predicts many statements in parallel (rayon), in input order.
    pub fn predict_batch(&self, s: &[Statement]) -> Vec<Prediction> {
        s.par_iter().map(|x| self.predict(x)).collect()
    }

    /// Predicts the quotes of one article together: a topic detected in one quote needs less
    /// evidence in the others ([`TopicRule::choose_in_article`]). Statements with given topics
    /// keep them. In input order.
    pub fn predict_article(&self, s: &[Statement]) -> Vec<Prediction> {
        if self.rule.article_threshold.is_none() || s.len() < 2 || self.relevance.is_none() {
            return s.iter().map(|x| self.predict(x)).collect();
        }
        ARTICLE_ROWS.with(|r| {
            let mut pool = r.borrow_mut();
            if pool.len() < s.len() {
                pool.resize_with(s.len(), Rows::default);
            }
            let mut rel = Vec::with_capacity(s.len());
            for (i, x) in s.iter().enumerate() {
                // Quotes of one sentence share its context: the previous quote's rows
                // give the context's parts.
                let (done, rest) = pool.split_at_mut(i);
                let prev = done.last().map(|r| (&s[i - 1], &r.parts));
                let rows = &mut rest[0];
                self.featurize_after(x, rows, &self.needed_first, prev);
                rel.push(self.relevance_probs(&rows.parts));
            }
            let chosen = self.rule.choose_in_article(&rel);
            s.iter()
                .zip(pool.iter_mut())
                .zip(rel.into_iter().zip(chosen))
                .map(|((x, rows), (rel, chosen))| {
                    let (chosen, detected) = match &x.topics {
                        Some(given) => (self.topic_indices(given), false),
                        None => (chosen, true),
                    };
                    self.featurize_stance(x, rows, !chosen.is_empty());
                    let mut out = self.predict_rows(x, &rows.parts, &rel, chosen, detected, 0);
                    out.relevance = rel;
                    out
                })
                .collect()
        })
    }

    fn predict_inner(&self, s: &Statement, explain: usize) -> Prediction {
        ROWS.with(|r| {
            let mut guard = r.borrow_mut();
            let rows = &mut *guard;
            self.featurize_after(s, rows, &self.needed_first, None);
            // Which topics: given (unknown ones are skipped), detected, or all.
            let rel = self.relevance_probs(&rows.parts);
            let (chosen, detected) = match &s.topics {
                Some(given) => (self.topic_indices(given), false),
                None if !rel.is_empty() => (self.rule.choose(&rel), true),
                None => ((0..self.topics.len()).collect(), false),
            };
            self.featurize_stance(s, rows, !chosen.is_empty());
            let mut out = self.predict_rows(s, &rows.parts, &rel, chosen, detected, explain);
            out.relevance = rel;
            out
        })
    }

    /// Stance on the `chosen` topics and sentiment of one featurized statement. Only
    /// `detected` topics get a `confidence`: the calibration was fitted on detected topics,
    /// and says nothing about topics a caller names.
    fn predict_rows(
        &self,
        s: &Statement,
        rows: &PartRows,
        rel: &[f32],
        chosen: Vec<usize>,
        detected: bool,
        explain: usize,
    ) -> Prediction {
        let mut out = Prediction::default();
        let cal = self.manifest.calibration.as_ref().filter(|_| detected);
        // Most quotes get no topic: their length is not needed.
        let length = cal
            .filter(|_| !chosen.is_empty())
            .map_or(0.0, |_| length_feature(s.text));
        if let Some(head) = &self.stance {
            for t in chosen {
                let mut z = self.stance_scores(head, t, rows);
                let cls = argmax(&z);
                let expl = (explain > 0).then(|| {
                    let mut blocks = vec![&head.per_topic[t]];
                    blocks.extend(head.shared.as_ref());
                    self.top_contributions(&blocks, &self.stance_in, rows, cls, explain)
                });
                softmax(&mut z);
                let relevance = rel.get(t).copied();
                out.topics.insert(
                    self.topics[t].clone(),
                    TopicPrediction {
                        stance: Stance::from_index(argmax(&z)),
                        probs: StanceProbs {
                            favor: z[0],
                            against: z[1],
                            neutral: z[2],
                        },
                        relevance,
                        confidence: cal.zip(relevance).map(|(c, p)| c.topic.apply(p, length)),
                        explain: expl,
                    },
                );
            }
        }
        if let Some(b) = &self.sentiment {
            let mut z = [b.bias[0], b.bias[1], b.bias[2]];
            score(b, &self.sentiment_in, rows, &mut z);
            let cls = argmax(&z);
            let expl = (explain > 0)
                .then(|| self.top_contributions(&[b], &self.sentiment_in, rows, cls, explain));
            softmax(&mut z);
            out.sentiment = Some(SentimentPrediction {
                label: Sentiment::from_index(argmax(&z)),
                probs: SentimentProbs {
                    positive: z[0],
                    negative: z[1],
                    neutral: z[2],
                },
                explain: expl,
            });
        }
        out
    }

    /// The `n` features with the largest contribution to class `cls` (summed over `blocks`).
    fn top_contributions(
        &self,
        blocks: &[&Block],
        inputs: &HeadInputs,
        rows: &PartRows,
        cls: usize,
        n: usize,
    ) -> Vec<Contribution> {
        let mut all = Vec::new();
        for (&part, &off) in inputs.parts.iter().zip(&inputs.offsets) {
            let row = rows.get(part);
            for (&j, &v) in row.indices.iter().zip(&row.values) {
                let w: f32 = blocks
                    .iter()
                    .map(|b| {
                        b.row(off + j as usize)
                            .and_then(|w| w.get(cls))
                            .copied()
                            .unwrap_or(0.0)
                    })
                    .sum();
                all.push(Contribution {
                    feature: self.featurizer.feature_name(part, j as usize, &self.topics),
                    weight: v * w,
                });
            }
        }
        all.sort_by(|a, b| {
            b.weight
                .total_cmp(&a.weight)
                .then_with(|| a.feature.cmp(&b.feature))
        });
        all.truncate(n);
        all
    }

    /// Name of column `col` of a head's input space.
    fn column_name(&self, inputs: &HeadInputs, col: usize) -> String {
        match inputs.locate(col) {
            Some((p, j)) => self.featurizer.feature_name(p, j, &self.topics),
            None => format!("#{col}"),
        }
    }

    /// The `n` largest weights per class of every head: keys `stance:<topic>` (for the joint
    /// strategy, shared + topic weights), `relevance:<topic>` (class `relevant`) and
    /// `sentiment`; then class name → features, largest first.
    pub fn top_features(&self, n: usize) -> BTreeMap<String, BTreeMap<String, Vec<Contribution>>> {
        let top = |blocks: &[&Block], cls: usize, inputs: &HeadInputs| -> Vec<Contribution> {
            let rows = blocks[0].rows;
            let mut all: Vec<(f32, usize)> = (0..rows)
                .map(|j| {
                    (
                        blocks
                            .iter()
                            .map(|b| b.row(j).map_or(0.0, |w| w[cls]))
                            .sum::<f32>(),
                        j,
                    )
                })
                .filter(|(w, _)| *w != 0.0)
                .collect();
            all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            all.truncate(n);
            all.into_iter()
                .map(|(w, j)| Contribution {
                    feature: self.column_name(inputs, j),
                    weight: w,
                })
                .collect()
        };
        let mut out = BTreeMap::new();
        if let Some(h) = &self.stance {
            for (t, b) in self.topics.iter().zip(&h.per_topic) {
                let mut blocks = vec![b];
                blocks.extend(h.shared.as_ref());
                let m = Stance::ALL
                    .iter()
                    .map(|s| {
                        (
                            s.name().to_string(),
                            top(&blocks, s.index(), &self.stance_in),
                        )
                    })
                    .collect();
                out.insert(format!("stance:{t}"), m);
            }
        }
        if let Some(r) = &self.relevance {
            for (i, t) in self.topics.iter().enumerate() {
                out.insert(
                    format!("relevance:{t}"),
                    BTreeMap::from([("relevant".to_string(), top(&[r], i, &self.relevance_in))]),
                );
            }
        }
        if let Some(b) = &self.sentiment {
            let m = Sentiment::ALL
                .iter()
                .map(|s| {
                    (
                        s.name().to_string(),
                        top(&[b], s.index(), &self.sentiment_in),
                    )
                })
                .collect();
            out.insert("sentiment".to_string(), m);
        }
        out
    }

    /// Evaluates the model on annotated records: stance per topic and pooled (topics given,
    /// as in SemEval), sentiment where the record has a gold label.
    pub fn evaluate(&self, records: &[crate::dataset::Record]) -> crate::metrics::EvalReport {
        use crate::metrics::{Confusion, EvalReport};
        let preds: Vec<Prediction> = records
            .par_iter()
            .map(|r| {
                self.predict(&Statement {
                    text: &r.text,
                    context: r.context.as_deref(),
                    wide_context: r.wide_context.as_deref(),
                    topics: r.topics.as_ref().map(|t| t.keys().cloned().collect()),
                    target: r.target.map(|t| (t.start, t.end)),
                    lead: r.lead.as_deref(),
                })
            })
            .collect();
        let names: Vec<&str> = Stance::ALL.iter().map(|s| s.name()).collect();
        let snames: Vec<&str> = Sentiment::ALL.iter().map(|s| s.name()).collect();
        let mut pooled = Confusion::new(&names);
        let mut per: BTreeMap<String, Confusion> = BTreeMap::new();
        let mut sent = Confusion::new(&snames);
        for (r, p) in records.iter().zip(&preds) {
            for (t, gold) in r.topics.iter().flatten() {
                if let Some(tp) = p.topics.get(t) {
                    pooled.add(gold.index(), tp.stance.index());
                    per.entry(t.clone())
                        .or_insert_with(|| Confusion::new(&names))
                        .add(gold.index(), tp.stance.index());
                }
            }
            if let (Some(g), Some(sp)) = (r.sentiment, &p.sentiment) {
                sent.add(g.index(), sp.label.index());
            }
        }
        EvalReport {
            stance_pooled: (pooled.total() > 0).then(|| pooled.report()),
            stance_per_topic: per.into_iter().map(|(t, c)| (t, c.report())).collect(),
            sentiment: (sent.total() > 0).then(|| sent.report()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_and_dense_blocks_score_the_same() {
        let (rows, k) = (10, 3);
        let mut dense = vec![0.0f32; rows * k];
        let index = vec![1u32, 4, 9];
        let mut compact = Vec::new();
        for (n, &r) in index.iter().enumerate() {
            for c in 0..k {
                let w = (n * k + c) as f32 * 0.5 - 1.0;
                dense[r as usize * k + c] = w;
                compact.push(w);
            }
        }
        let bias = vec![0.1, 0.2, 0.3];
        let d = Block {
            k,
            rows,
            w: dense,
            index: None,
            bias: bias.clone(),
        };
        let sp = Block {
            k,
            rows,
            w: compact,
            index: Some(index),
            bias,
        };
        assert_eq!(d.stored_rows(), sp.stored_rows());
        assert_eq!(sp.row(4), d.row(4));
        assert_eq!(sp.row(5), None);
        assert_eq!(sp.row(99), None);
        let x = SparseRow {
            indices: vec![0, 1, 3, 8],
            values: vec![1.0, 2.0, 3.0, 4.0],
        };
        let (mut a, mut b) = ([0.0f32; 3], [0.0f32; 3]);
        d.accumulate(&x, 1, &mut a); // columns shifted by one: rows 1, 2, 4, 9
        sp.accumulate(&x, 1, &mut b);
        assert_eq!(a, b);
        assert_ne!(a, [0.0; 3]);
    }

    /// One block of `rows × k` weights stored two ways: sparse (`w` holds the rows of `index`)
    /// and dense (every row, zeros elsewhere).
    fn sparse_and_dense(rows: usize, k: usize, index: Vec<u32>, w: Vec<f32>) -> (Block, Block) {
        let mut dense = vec![0.0f32; rows * k];
        for (n, &r) in index.iter().enumerate() {
            dense[r as usize * k..(r as usize + 1) * k].copy_from_slice(&w[n * k..(n + 1) * k]);
        }
        let sp = Block {
            k,
            rows,
            w,
            index: Some(index),
            bias: vec![0.0; k],
        };
        let d = Block {
            index: None,
            w: dense,
            ..sp.clone()
        };
        (sp, d)
    }

    /// A loaded block (sparse, as stored) gets the dense layout when a quarter of its rows
    /// or more are stored, and keeps the sparse one otherwise; the weights are the same.
    #[test]
    fn scoring_layout_keeps_the_weights() {
        let (sp, d) = sparse_and_dense(8, 3, vec![0, 5], (0..6).map(|x| x as f32 + 1.0).collect());
        assert_eq!(sp.clone().for_scoring(), d, "2 of 8 rows: dense");
        let (sp, _) = sparse_and_dense(9, 3, vec![0, 5], (0..6).map(|x| x as f32 + 1.0).collect());
        assert_eq!(sp.clone().for_scoring(), sp, "2 of 9 rows: sparse");
        assert_eq!(d.clone().for_scoring(), d);
    }

    /// Fusing binary blocks gives the same interleaved weights whether they are dense,
    /// sparse over one shared index (a format-4 model's relevance blocks) or sparse over
    /// different ones.
    #[test]
    fn fused_blocks_are_the_same_from_every_layout() {
        let rows = 7;
        let shared = [
            sparse_and_dense(rows, 1, vec![1, 2, 6], vec![1.0, -2.0, 3.0]),
            sparse_and_dense(rows, 1, vec![1, 2, 6], vec![0.5, 0.0, -4.0]),
        ];
        let own = [
            sparse_and_dense(rows, 1, vec![0, 3], vec![1.5, 2.5]),
            sparse_and_dense(rows, 1, vec![1, 2, 6], vec![0.5, 0.0, -4.0]),
        ];
        for blocks in [&shared, &own] {
            let sparse: Vec<&Block> = blocks.iter().map(|(s, _)| s).collect();
            let dense: Vec<&Block> = blocks.iter().map(|(_, d)| d).collect();
            let (a, b) = (fuse_binary(&sparse), fuse_binary(&dense));
            assert_eq!(a, b);
            assert_eq!((a.k, a.rows, a.index.is_none()), (2, rows, true));
            for (t, (_, d)) in blocks.iter().enumerate() {
                for r in 0..rows {
                    assert_eq!(a.w[r * 2 + t], d.w[r], "row {r} topic {t}");
                }
            }
        }
        assert_eq!(
            fuse_binary(&[&shared[0].0, &shared[1].0]).w[2 * 2..2 * 2 + 2],
            [-2.0, 0.0]
        );
    }

    /// `accumulate` (prefetching, searching from the last match) adds exactly what
    /// looking every column up on its own with `Block::row` adds, in the same order.
    #[test]
    fn accumulate_equals_row_by_row_lookup() {
        let (rows, k) = (300, 3);
        // Stored rows: a scattered stretch, then a consecutive run (like a dense part).
        let index: Vec<u32> = (0..100).map(|i| i * 2 + 1).chain(200..260).collect();
        let w: Vec<f32> = (0..index.len() * k)
            .map(|i| ((i * 37) % 101) as f32 / 7.0 - 7.0)
            .collect();
        let (sp, d) = sparse_and_dense(rows, k, index, w);
        let rows_in: [Vec<u32>; 4] = [
            (0..120).map(|i| i * 3).collect(),
            (190..270).collect(),
            vec![
                0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 250, 251, 252, 299, 400,
            ],
            vec![250, 3, 210, 1, 1], // not ascending: must still find every row
        ];
        for indices in rows_in {
            let x = SparseRow {
                values: (0..indices.len()).map(|i| 1.0 + i as f32 / 3.0).collect(),
                indices,
            };
            for offset in [0, 1, 7] {
                let mut want = [0.25f32; 3];
                for (&j, &v) in x.indices.iter().zip(&x.values) {
                    if let Some(wj) = sp.row(offset + j as usize) {
                        for (z, wc) in want.iter_mut().zip(wj) {
                            *z += v * wc;
                        }
                    }
                }
                for b in [&sp, &d] {
                    let mut z = [0.25f32; 3];
                    b.accumulate(&x, offset, &mut z);
                    assert_eq!(z.map(f32::to_bits), want.map(f32::to_bits));
                }
            }
        }
    }

    /// The fixed-width copies of `accumulate` give bit for bit what the run-time-`k` loop
    /// gives, for every width (fixed or not), dense and sparse, rows dense or scattered.
    #[test]
    fn fixed_width_accumulate_equals_any_width() {
        let rows = 200;
        for k in 1..=18usize {
            let index: Vec<u32> = (0..60).map(|i| i * 3).chain(180..200).collect();
            let w: Vec<f32> = (0..index.len() * k)
                .map(|i| ((i * 53) % 97) as f32 / 9.0 - 5.0)
                .collect();
            let (sp, d) = sparse_and_dense(rows, k, index, w);
            for indices in [
                (0..90).map(|i| i * 2).collect::<Vec<u32>>(),
                (150..200).collect(),
                vec![199, 3, 181, 0, 0, 500],
                vec![],
            ] {
                let x = SparseRow {
                    values: (0..indices.len()).map(|i| 0.3 + i as f32 / 7.0).collect(),
                    indices,
                };
                for b in [&sp, &d] {
                    for offset in [0, 2] {
                        let mut want: Vec<f32> = (0..k).map(|c| c as f32 * 0.1).collect();
                        let mut got = want.clone();
                        b.accumulate_any(&x, offset, &mut want);
                        b.accumulate(&x, offset, &mut got);
                        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                        assert_eq!(bits(&got), bits(&want), "k {k}");
                    }
                }
            }
        }
    }

    #[test]
    fn model_is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Model>();
    }

    #[test]
    fn target_views_split_on_chars() {
        let mut m = String::new();
        let (s, e) = target_views("Zé hit Bö hard", (7, 9), &mut m);
        assert_eq!(&"Zé hit Bö hard"[s..e], "Bö");
        assert_eq!(m, "Zé hit  xxtgtopen Bö xxtgtclose  hard");
    }

    #[test]
    fn prediction_json_shape() {
        let mut p = Prediction::default();
        p.topics.insert(
            "nato".into(),
            TopicPrediction {
                stance: Stance::Against,
                probs: StanceProbs {
                    favor: 0.25,
                    against: 0.5,
                    neutral: 0.25,
                },
                relevance: None,
                confidence: None,
                explain: None,
            },
        );
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["topics"]["nato"]["stance"], "against");
        assert_eq!(v["topics"]["nato"]["probs"]["against"], 0.5);
        assert!(v.get("sentiment").is_none());
    }
}
