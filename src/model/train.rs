//! Training: k-fold cross-validation over a grid, then a final fit of every head on all the
//! data with the chosen settings. Three public steps, which [`train`] composes:
//! [`cross_validate`] (out-of-fold scores, [`CvScores`]), [`select`] (the settings they
//! favour, [`Selection`]) and [`fit_final`] (the model). Every head is fitted through the
//! linfa-shaped API of [`super::logistic`].
//!
//! * **Folds** are over records; records of one `group` (a story, set by recipes) or, without
//!   one, with the same text share a fold, and folds are stratified by the first label. The
//!   vectorizer is refitted inside every fold, so CV never sees held-out vocabulary or IDF.
//! * **What CV chooses**, each from out-of-fold predictions:
//!   - stance: vectorizer × strategy (`joint` = one model over all topics with shared n-grams
//!     plus topic × n-gram features; `per-topic`) × C, and a bias on the `neutral` score
//!     (procedural and hedged quotes are `neutral`, and a plain argmax under-predicts it), by
//!     pooled F_avg (macro-F1 breaks ties);
//!   - sentiment: C and a bias per class (negative, neutral) by macro-F1;
//!   - topic detection: the relevance head's C, one threshold per topic (topics with enough
//!     positives; the others share a global one) and the number of topics per quote, by
//!     micro-F1 over (quote, topic) pairs, under a cap on the share of off-domain quotes
//!     (`"source": "off-domain"`) that get any topic.
//! * **Selection uses real data only**: records with `"source": "authored"` train the heads but
//!   never count in a selection metric (they were written by the team, not reported).
//! * Ties go to the earlier grid entry, so selection is deterministic.
//! * **Relevance** (one-vs-rest per topic) is trained when the data has records about no topic
//!   (`"topics": {}`); a record's `topics` keys are its positives, the rest negatives.

use super::calibrate::{length_feature, Calibration, Platt};
use super::inputs::{Featurizer, HeadInputs, Part, StatementText};
use super::logistic::{ClassWeight, FittedLogistic, LogisticParams, SparseRecords};
use super::store::{
    creation_time, format_version_for, Detection, EmbeddingsInfo, HeadSpecs, LabelSets, Manifest,
    FORMAT_NAME,
};
use super::{Block, Label, Model, Sentiment, Stance, StanceHead, TopicRule};
use crate::dataset::Record;
use crate::features::{Embeddings, Pooling, Valence, Vectorizer, VectorizerConfig};
use crate::metrics::{ClassifyReport, Confusion};
use crate::topics::TopicConfig;
use crate::{Error, Result};
use linfa::dataset::DatasetBase;
use linfa::traits::Fit;
use linfa::ParamGuard;
use ndarray::{Array1, ArrayView1};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sprs::CsMat;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// How stance is modelled across topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// One model, shared + topic-conjoined features.
    Joint,
    /// One model per topic.
    PerTopic,
    /// Choose by cross-validation (training parameter only).
    Auto,
}

impl Strategy {
    /// The strategy as recipes and `--strategy` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Joint => "joint",
            Strategy::PerTopic => "per-topic",
            Strategy::Auto => "auto",
        }
    }
}

/// Training parameters (checked by [`TrainParams::validate`]). In a recipe's `[train]`
/// table, fields left out take their [`Default`] values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainParams {
    /// Vectorizer configurations to cross-validate (the first is used without CV).
    pub vectorizers: Vec<VectorizerConfig>,
    /// Values of C (inverse L2 strength) for stance and sentiment; without CV the first.
    pub c: Vec<f64>,
    /// Number of CV folds; 0 or 1 = no cross-validation (first grid entries are used).
    pub cv_folds: usize,
    /// Times the inner cross-validation is run, each with its own fold assignment (seeds
    /// `seed`, `seed + 1`, …); selection pools the out-of-fold scores of every run, so the
    /// choice depends less on one split of the stories. 1 = one run.
    #[serde(skip_serializing_if = "one_run")]
    pub cv_repeats: usize,
    /// Class weighting for stance and sentiment.
    pub class_weight: ClassWeight,
    /// Stance strategy.
    pub strategy: Strategy,
    /// Seed of the fold assignment.
    pub seed: u64,
    /// L-BFGS iteration cap.
    pub max_iter: u64,
    /// L-BFGS gradient tolerance.
    pub tol: f64,
    /// Train the topic-relevance head when the data allows it.
    pub relevance: bool,
    /// Train the sentiment head when records carry sentiment labels.
    pub sentiment: bool,
    /// C values of the relevance head (CV picks one; without CV the first).
    pub relevance_c: Vec<f64>,
    /// The parts each head reads.
    pub heads: HeadSpecs,
    /// Candidate numbers of topics per quote (CV picks one; without CV the first).
    pub max_topics: Vec<usize>,
    /// Detection threshold without CV (and the start of the search with it).
    pub threshold: f32,
    /// Tune a threshold per topic for topics with at least this many positive (real) records;
    /// 0 = one global threshold only.
    pub threshold_min_positives: usize,
    /// At most this share of off-domain quotes may get a topic (CV selection constraint).
    pub max_off_domain_rate: f64,
    /// Tune an article threshold: a topic detected in one quote of an article needs only this
    /// P(topic) in the others (CV keeps it only if it helps).
    pub article_threshold: bool,
    /// Tune a separate bar for a quote's second and later topics.
    pub second_threshold: bool,
    /// Candidate biases added to the `neutral` stance score (CV picks one; without CV the
    /// first).
    pub neutral_bias: Vec<f32>,
    /// Candidate biases added to the negative and neutral sentiment scores (CV picks one pair
    /// from the grid of both; without CV 0).
    pub sentiment_bias: Vec<f32>,
    /// Pretrained word vectors (a `stance-embeddings` file) for the `embed_*` parts; copied
    /// into the model directory. In a recipe, relative to the recipe file.
    pub embeddings: Option<std::path::PathBuf>,
    /// How word vectors are pooled.
    pub embedding_pooling: Pooling,
}

/// The default vectorizer: word 1–2-grams plus char 2–5-grams, sublinear TF, min_df 1.
/// Chosen by 5-fold CV on SemEval-2016 train+trial over word {1–2, 1–3} × char {2–5, 1–4} ×
/// min_df {1, 2} × C {1, 10} (per-topic): pooled F_avg 0.714, best of the 16 settings.
pub fn default_vectorizer() -> VectorizerConfig {
    VectorizerConfig {
        word_ngrams: (1, 2),
        char_ngrams: Some((2, 5)),
        min_df: 1,
        ..VectorizerConfig::default()
    }
}

/// One run of the CV is left out of saved parameters and reports, so models trained before
/// repeated CV existed and after it keep the same manifest bytes.
fn one_run(n: &usize) -> bool {
    *n <= 1
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            vectorizers: vec![default_vectorizer()],
            c: vec![10.0, 1.0],
            cv_folds: 0,
            cv_repeats: 1,
            class_weight: ClassWeight::Balanced,
            strategy: Strategy::Auto,
            seed: 0,
            max_iter: 100,
            tol: 1e-4,
            relevance: true,
            sentiment: true,
            relevance_c: vec![10.0],
            heads: HeadSpecs::default(),
            max_topics: vec![2, 1, 3],
            threshold: 0.5,
            threshold_min_positives: 10,
            max_off_domain_rate: 0.03,
            article_threshold: true,
            second_threshold: true,
            neutral_bias: vec![0.0],
            sentiment_bias: vec![0.0],
            embeddings: None,
            embedding_pooling: Pooling::Mean,
        }
    }
}

impl TrainParams {
    /// Rejects empty grids, bad C values, bad fold counts and bad vectorizer configs.
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &'static str, value: String, msg: &str| Error::InvalidParam {
            name,
            value,
            msg: msg.into(),
        };
        if self.vectorizers.is_empty() {
            return Err(bad(
                "vectorizers",
                "[]".into(),
                "need at least one vectorizer config",
            ));
        }
        for v in &self.vectorizers {
            v.validate()?;
        }
        if self.c.is_empty() || self.relevance_c.is_empty() {
            return Err(bad(
                "C",
                "[]".into(),
                "need at least one C (and one relevance C)",
            ));
        }
        for &c in self.c.iter().chain(&self.relevance_c) {
            self.solver(LogisticParams::binary(), c).check()?;
        }
        if self.cv_folds > 50 {
            return Err(bad(
                "cv",
                self.cv_folds.to_string(),
                "use 0 (no CV) or 2..=50 folds",
            ));
        }
        if !(1..=10).contains(&self.cv_repeats) {
            return Err(bad(
                "cv_repeats",
                self.cv_repeats.to_string(),
                "use 1..=10 runs of the cross-validation",
            ));
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(bad(
                "threshold",
                self.threshold.to_string(),
                "must be in [0, 1]",
            ));
        }
        if self.max_topics.is_empty() || self.max_topics.contains(&0) {
            return Err(bad(
                "max_topics",
                format!("{:?}", self.max_topics),
                "need values ≥ 1",
            ));
        }
        if self.neutral_bias.is_empty() || self.neutral_bias.iter().any(|b| !b.is_finite()) {
            return Err(bad(
                "neutral_bias",
                format!("{:?}", self.neutral_bias),
                "need finite values",
            ));
        }
        if self.sentiment_bias.is_empty() || self.sentiment_bias.iter().any(|b| !b.is_finite()) {
            return Err(bad(
                "sentiment_bias",
                format!("{:?}", self.sentiment_bias),
                "need finite values",
            ));
        }
        if self.heads.stance.is_empty()
            || self.heads.relevance.is_empty()
            || self.heads.sentiment.is_empty()
        {
            return Err(bad(
                "heads",
                format!("{:?}", self.heads),
                "every head reads at least one part",
            ));
        }
        Ok(())
    }

    /// `head` with this run's C, iteration cap and tolerance.
    fn solver(&self, head: LogisticParams, c: f64) -> LogisticParams {
        head.c(c).max_iter(self.max_iter).tol(self.tol)
    }
}

/// Progress of a training run, reported after every fit.
#[derive(Debug, Clone)]
pub struct TrainProgress {
    /// Fits done.
    pub done: usize,
    /// Fits planned.
    pub total: usize,
    /// What is running.
    pub stage: String,
}

/// One grid point's stance CV result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StanceCv {
    /// Index into `TrainParams::vectorizers`.
    pub vectorizer: usize,
    /// Strategy.
    pub strategy: Strategy,
    /// C.
    pub c: f64,
    /// Bias on the neutral score.
    pub neutral_bias: f32,
    /// Pooled SemEval F_avg.
    pub f_avg: f64,
    /// Pooled macro-F1.
    pub macro_f1: f64,
    /// F_avg per topic.
    pub per_topic_f_avg: BTreeMap<String, f64>,
}

/// One grid point's sentiment CV result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentimentCv {
    /// Index into `TrainParams::vectorizers`.
    pub vectorizer: usize,
    /// C.
    pub c: f64,
    /// Biases on the negative and neutral scores.
    pub bias: (f32, f32),
    /// Macro-F1 over positive / negative / neutral.
    pub macro_f1: f64,
}

/// One relevance C's detection CV result (after choosing thresholds and topics per quote).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectionCv {
    /// C of the relevance head.
    pub c: f64,
    /// Chosen topics per quote.
    pub max_topics: usize,
    /// Chosen bar for second topics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_threshold: Option<f32>,
    /// Chosen article threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_threshold: Option<f32>,
    /// Micro P/R/F1 over (record, topic) pairs of real records.
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Share of off-domain records with a topic.
    pub off_domain_rate: f64,
}

/// What training found; the deterministic parts go into the manifest's `cv` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TrainReport {
    /// Folds used (0 = no CV).
    pub folds: usize,
    /// Runs of the CV, each with its own fold assignment: the grids' figures and the
    /// confusion counts are pooled over them (0 or 1 = one run).
    #[serde(default, skip_serializing_if = "one_run")]
    pub repeats: usize,
    /// Stance grid.
    pub stance_grid: Vec<StanceCv>,
    /// Sentiment grid (best bias pair per C).
    pub sentiment_grid: Vec<SentimentCv>,
    /// Detection grid (one entry per relevance C).
    pub detection_grid: Vec<DetectionCv>,
    /// Chosen vectorizer index.
    pub chosen_vectorizer: usize,
    /// Chosen stance strategy and C.
    pub chosen_stance: Option<(Strategy, f64)>,
    /// Chosen neutral bias.
    pub chosen_neutral_bias: f32,
    /// Chosen sentiment C.
    pub chosen_sentiment_c: Option<f64>,
    /// Chosen sentiment biases (negative, neutral).
    pub chosen_sentiment_bias: (f32, f32),
    /// Chosen relevance C.
    pub chosen_relevance_c: Option<f64>,
    /// CV stance metrics of the chosen setting, pooled (real records, topics given).
    pub stance_pooled: Option<ClassifyReport>,
    /// CV stance metrics of the chosen setting, per topic.
    pub stance_per_topic: BTreeMap<String, ClassifyReport>,
    /// CV sentiment metrics of the chosen setting (real records).
    pub sentiment: Option<ClassifyReport>,
    /// CV detection figures of the chosen setting.
    pub detection: Option<DetectionCv>,
    /// Why the relevance head was or was not trained.
    pub relevance_note: String,
    /// Seconds spent in cross-validation (not saved in the model).
    #[serde(skip)]
    pub cv_seconds: f64,
    /// Seconds spent on the final fit (not saved in the model).
    #[serde(skip)]
    pub final_fit_seconds: f64,
}

/// Authored statements train the heads but are never used to select settings.
fn is_authored(r: &Record) -> bool {
    r.extra.get("source").and_then(|v| v.as_str()) == Some("authored")
}

/// Off-domain quotes: negatives for every topic, and the off-domain rate of selection.
fn is_off_domain(r: &Record) -> bool {
    r.extra.get("source").and_then(|v| v.as_str()) == Some("off-domain")
}

/// Sparse features of every record, one matrix per part, from one fitted featurizer.
struct Feats {
    parts: BTreeMap<Part, CsMat<f32>>,
    /// Sample weight of every record.
    w: Vec<f32>,
    /// Sample weight of every record in the relevance head ([`Record::relevance_weight`]).
    relevance_w: Vec<f32>,
}

fn featurize(f: &Featurizer, recs: &[Record], parts: &[Part]) -> Feats {
    let marked: Vec<Option<(String, usize, usize)>> = recs
        .iter()
        .map(|r| {
            r.target.map(|t| {
                let mut m = String::new();
                let (s, e) = super::target_views(&r.text, (t.start, t.end), &mut m);
                (m, s, e)
            })
        })
        .collect();
    let sts: Vec<StatementText> = recs
        .iter()
        .zip(&marked)
        .map(|(r, m)| StatementText {
            text: &r.text,
            context: r.context.as_deref().unwrap_or(""),
            wide_context: r
                .wide_context
                .as_deref()
                .or(r.context.as_deref())
                .unwrap_or(""),
            lead: r.lead.as_deref().unwrap_or(""),
            target: m.as_ref().map(|(m, s, e)| (m.as_str(), *s, *e)),
        })
        .collect();
    Feats {
        parts: parts.iter().map(|&p| (p, f.matrix(&sts, p))).collect(),
        w: recs.iter().map(|r| r.weight).collect(),
        relevance_w: recs
            .iter()
            .map(|r| r.relevance_weight.unwrap_or(r.weight))
            .collect(),
    }
}

/// Builds CSR matrices row by row from shifted pieces of other CSR rows.
struct Rows {
    indptr: Vec<usize>,
    indices: Vec<usize>,
    data: Vec<f32>,
}

impl Rows {
    fn new() -> Rows {
        Rows {
            indptr: vec![0],
            indices: Vec::new(),
            data: Vec::new(),
        }
    }
    /// Appends row `i` of `m` with columns shifted by `off` (pieces must come in column order).
    fn piece(&mut self, m: &CsMat<f32>, i: usize, off: usize) {
        let r = m.outer_view(i).expect("row in range");
        for (j, &v) in r.iter() {
            if v != 0.0 && v.is_finite() {
                self.indices.push(off + j);
                self.data.push(v);
            }
        }
    }
    /// Appends every part of record `i` as laid out by `inputs`, shifted by `off`.
    fn parts(&mut self, f: &Feats, inputs: &HeadInputs, i: usize, off: usize) {
        for (p, &o) in inputs.parts.iter().zip(&inputs.offsets) {
            self.piece(&f.parts[p], i, off + o);
        }
    }
    fn value(&mut self, col: usize, v: f32) {
        self.indices.push(col);
        self.data.push(v);
    }
    fn end_row(&mut self) {
        self.indptr.push(self.indices.len());
    }
    fn build(self, cols: usize) -> CsMat<f32> {
        CsMat::new(
            (self.indptr.len() - 1, cols),
            self.indptr,
            self.indices,
            self.data,
        )
    }
}

/// A stance example: record index, topic index, label.
type Ex = (usize, usize, Stance);

fn stance_matrix(f: &Feats, inputs: &HeadInputs, ex: &[Ex], joint: Option<usize>) -> CsMat<f32> {
    let d = inputs.width;
    let mut r = Rows::new();
    for &(i, t, _) in ex {
        r.parts(f, inputs, i, 0);
        if let Some(n_topics) = joint {
            r.parts(f, inputs, i, (t + 1) * d);
            r.value((n_topics + 1) * d + t, 1.0);
        }
        r.end_row();
    }
    let cols = match joint {
        Some(n) => (n + 1) * d + n,
        None => d,
    };
    r.build(cols)
}

fn record_matrix(f: &Feats, inputs: &HeadInputs, recs: &[usize]) -> CsMat<f32> {
    let mut r = Rows::new();
    for &i in recs {
        r.parts(f, inputs, i, 0);
        r.end_row();
    }
    r.build(inputs.width)
}

/// Raw scores (logits) of every row.
fn score_rows(fit: &FittedLogistic, x: &SparseRecords) -> Vec<Vec<f32>> {
    fit.decision_function(x)
        .outer_iter()
        .map(|z| z.to_vec())
        .collect()
}

/// Fits `head` on rows `x` with class indices `y`; the rows are the records `recs`, whose
/// weights are the sample weights (the head's class weights multiply them).
fn fit_rows(
    head: LogisticParams,
    f: &Feats,
    x: &SparseRecords,
    y: &[usize],
    recs: impl Iterator<Item = usize>,
) -> Result<FittedLogistic> {
    fit_weighted(head, &f.w, x, y, recs)
}

/// [`fit_rows`] with the sample weights `w` (indexed by record).
fn fit_weighted(
    head: LogisticParams,
    w: &[f32],
    x: &SparseRecords,
    y: &[usize],
    recs: impl Iterator<Item = usize>,
) -> Result<FittedLogistic> {
    let w: Array1<f32> = recs.map(|i| w[i]).collect();
    head.fit(&DatasetBase::new(x, ArrayView1::from(y)).with_weights(w))
}

/// A fitted stance model during training (before it becomes a [`StanceHead`]).
enum StanceFit {
    Joint(FittedLogistic),
    PerTopic(Vec<Option<FittedLogistic>>),
}

/// Fits the stance head with `head` (multinomial over the 3 stances), warm-started from the
/// fit `warm` of the same strategy if there is one.
fn fit_stance(
    f: &Feats,
    inputs: &HeadInputs,
    ex: &[Ex],
    n_topics: usize,
    strategy: Strategy,
    head: &LogisticParams,
    warm: Option<StanceFit>,
) -> Result<StanceFit> {
    let ys = |e: &[Ex]| e.iter().map(|x| x.2.index()).collect::<Vec<_>>();
    match strategy {
        Strategy::PerTopic => {
            let warm = match warm {
                Some(StanceFit::PerTopic(ms)) => ms,
                _ => vec![None; n_topics],
            };
            let fits: Result<Vec<Option<FittedLogistic>>> = warm
                .into_par_iter()
                .enumerate()
                .map(|(t, init)| {
                    let sub: Vec<Ex> = ex.iter().copied().filter(|e| e.1 == t).collect();
                    if sub.is_empty() {
                        return Ok(None);
                    }
                    let x = SparseRecords::from(stance_matrix(f, inputs, &sub, None));
                    let head = head.clone().warm_start(init);
                    fit_rows(head, f, &x, &ys(&sub), sub.iter().map(|e| e.0)).map(Some)
                })
                .collect();
            Ok(StanceFit::PerTopic(fits?))
        }
        _ => {
            let x = SparseRecords::from(stance_matrix(f, inputs, ex, Some(n_topics)));
            let init = match warm {
                Some(StanceFit::Joint(m)) => Some(m),
                _ => None,
            };
            let head = head.clone().warm_start(init);
            Ok(StanceFit::Joint(fit_rows(
                head,
                f,
                &x,
                &ys(ex),
                ex.iter().map(|e| e.0),
            )?))
        }
    }
}

/// Stance logits of every example.
fn stance_scores(
    fit: &StanceFit,
    f: &Feats,
    inputs: &HeadInputs,
    ex: &[Ex],
    n_topics: usize,
) -> Vec<Vec<f32>> {
    match fit {
        StanceFit::Joint(m) => score_rows(
            m,
            &SparseRecords::from(stance_matrix(f, inputs, ex, Some(n_topics))),
        ),
        StanceFit::PerTopic(ms) => ex
            .iter()
            .map(|e| match &ms[e.1] {
                Some(m) => score_rows(
                    m,
                    &SparseRecords::from(stance_matrix(f, inputs, std::slice::from_ref(e), None)),
                )
                .remove(0),
                None => vec![0.0, 0.0, 1.0],
            })
            .collect(),
    }
}

/// The stance head, with `neutral_bias` folded into the neutral intercept.
fn into_head(fit: StanceFit, d: usize, n_topics: usize, neutral_bias: f32) -> StanceHead {
    let block = |w: &[f32], bias: Vec<f32>| Block {
        k: 3,
        rows: d,
        w: w.to_vec(),
        index: None,
        bias,
    };
    let n = Stance::Neutral.index();
    match fit {
        StanceFit::Joint(m) => {
            let ind = (n_topics + 1) * d;
            let per_topic = (0..n_topics)
                .map(|t| {
                    let bias = (0..3).map(|c| m.weights[(ind + t) * 3 + c]).collect();
                    block(&m.weights[(t + 1) * d * 3..(t + 2) * d * 3], bias)
                })
                .collect();
            let mut shared_bias = m.bias.clone();
            shared_bias[n] += neutral_bias;
            StanceHead {
                strategy: Strategy::Joint,
                shared: Some(block(&m.weights[..d * 3], shared_bias)),
                per_topic,
            }
        }
        StanceFit::PerTopic(ms) => StanceHead {
            strategy: Strategy::PerTopic,
            shared: None,
            per_topic: ms
                .into_iter()
                .map(|m| match m {
                    Some(m) => {
                        let mut bias = m.bias;
                        bias[n] += neutral_bias;
                        block(&m.weights, bias)
                    }
                    None => block(&vec![0.0; d * 3], vec![0.0, 0.0, 1.0]),
                })
                .collect(),
        },
    }
}

/// Fold of every record: same group (or, without one, same text) → same fold; stratified by
/// the first label.
fn assign_folds(recs: &[Record], k: usize, seed: u64) -> Vec<usize> {
    use xxhash_rust::xxh3::xxh3_64_with_seed;
    let mut groups: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, r) in recs.iter().enumerate() {
        let key = match &r.group {
            Some(g) => xxh3_64_with_seed(format!("group:{g}").as_bytes(), seed),
            None => xxh3_64_with_seed(r.text.as_bytes(), seed),
        };
        groups.entry(key).or_default().push(i);
    }
    let key = |r: &Record| -> String {
        match (r.topics.as_ref().and_then(|t| t.iter().next()), r.sentiment) {
            (Some((t, s)), _) => format!("{t}/{s}"),
            (None, Some(s)) => format!("sentiment/{s}"),
            _ => String::new(),
        }
    };
    let mut order: Vec<(String, u64)> = groups
        .iter()
        .map(|(h, ix)| (key(&recs[ix[0]]), *h))
        .collect();
    order.sort();
    let mut fold = vec![0; recs.len()];
    for (n, (_, h)) in order.iter().enumerate() {
        for &i in &groups[h] {
            fold[i] = n % k;
        }
    }
    fold
}

fn better(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 > b.0 + 1e-12 || ((a.0 - b.0).abs() <= 1e-12 && a.1 > b.1 + 1e-12)
}

fn argmax_biased(z: &[f32], bias: &[f32]) -> usize {
    let mut best = 0;
    let mut bv = f32::NEG_INFINITY;
    for (i, (v, b)) in z.iter().zip(bias).enumerate() {
        if v + b > bv {
            bv = v + b;
            best = i;
        }
    }
    best
}

/// Thresholds tried for topic detection.
fn threshold_grid() -> Vec<f32> {
    (1..20).map(|i| i as f32 * 0.05).collect()
}

/// The article a quote record was extracted from, when it has one (gold and off-domain quotes
/// carry `article` and `start`): the pipeline labels an article's quotes together.
fn article_key(r: &Record) -> Option<String> {
    let a = r.extra.get("article")?.as_str()?;
    r.extra.get("start")?;
    Some(format!("{}\u{1f}{a}", r.group.as_deref().unwrap_or("")))
}

/// `idx` split into the records of each article; records without an article stand alone.
fn article_groups(records: &[Record], idx: &[usize]) -> Vec<Vec<usize>> {
    let mut by_article: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut out = Vec::new();
    for &i in idx {
        match article_key(&records[i]) {
            Some(k) => by_article.entry(k).or_default().push(i),
            None => out.push(vec![i]),
        }
    }
    out.extend(by_article.into_values());
    out
}

/// The topics `rule` detects in each record of `article` (record indices into `p`, the
/// P(topic) of every record), seeing the article's quotes together.
fn detect_in_article(p: &[Vec<f32>], article: &[usize], rule: &TopicRule) -> Vec<Vec<usize>> {
    let ps: Vec<&[f32]> = article.iter().map(|&i| p[i].as_slice()).collect();
    rule.choose_in_article(&ps)
}

/// Micro P/R/F1 of detection on the `real` records and the share of `off` records with a
/// topic, both grouped by article (the rule sees an article's quotes together).
fn detection_scores(
    p: &[Vec<f32>],
    gold: &[BTreeSet<usize>],
    real: &[Vec<usize>],
    off: &[Vec<usize>],
    rule: &TopicRule,
) -> (f64, f64, f64, f64) {
    let chosen_of = |g: &[usize]| detect_in_article(p, g, rule);
    let (mut tp, mut np, mut ng) = (0usize, 0usize, 0usize);
    for g in real {
        for (&i, chosen) in g.iter().zip(chosen_of(g)) {
            np += chosen.len();
            ng += gold[i].len();
            tp += chosen.iter().filter(|t| gold[i].contains(t)).count();
        }
    }
    let (mut with, mut n_off) = (0usize, 0usize);
    for g in off {
        n_off += g.len();
        with += chosen_of(g).iter().filter(|c| !c.is_empty()).count();
    }
    let pr = if np > 0 { tp as f64 / np as f64 } else { 0.0 };
    let re = if ng > 0 { tp as f64 / ng as f64 } else { 0.0 };
    let f1 = if pr + re > 0.0 {
        2.0 * pr * re / (pr + re)
    } else {
        0.0
    };
    let rate = if n_off == 0 {
        0.0
    } else {
        with as f64 / n_off as f64
    };
    (pr, re, f1, rate)
}

/// Chooses the detection rule from out-of-fold P(topic): best micro-F1 on real records among
/// settings whose off-domain rate is within `max_rate` (or the lowest rate if none is). For
/// each number of topics per quote, by coordinate ascent: one global threshold jointly with
/// the article threshold, per-topic thresholds for topics with enough positives, then the bar
/// for second topics and the per-topic thresholds once more. With `runs` > 1 runs of the CV
/// pooled, every record is in `real` `runs` times (its positives count once).
fn tune_detection(
    p: &[Vec<f32>],
    gold: &[BTreeSet<usize>],
    real: &[Vec<usize>],
    off: &[Vec<usize>],
    n_topics: usize,
    runs: usize,
    params: &TrainParams,
) -> (TopicRule, (f64, f64, f64, f64)) {
    let grid = threshold_grid();
    // Feasible settings first, then F1, then (for ties) fewer topics per quote.
    let key = |s: &(f64, f64, f64, f64)| (s.3 <= params.max_off_domain_rate + 1e-12, s.2, -s.3);
    let cmp = |a: &(f64, f64, f64, f64), b: &(f64, f64, f64, f64)| {
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then(ka.2.total_cmp(&kb.2))
    };
    let mut positives = vec![0usize; n_topics];
    for &i in real.iter().flatten() {
        for &t in &gold[i] {
            positives[t] += 1;
        }
    }
    for n in &mut positives {
        *n /= runs.max(1);
    }
    let score = |r: &TopicRule| detection_scores(p, gold, real, off, r);
    let mut best: Option<(TopicRule, (f64, f64, f64, f64))> = None;
    let mut ks = params.max_topics.clone();
    ks.sort_unstable();
    ks.dedup();
    for &k in &ks {
        let mut rule = TopicRule::new(vec![params.threshold; n_topics], k);
        let mut cur = score(&rule);
        // Tries `set(rule, v)` for every value; keeps the best (the current one on ties).
        let try_values = |rule: &mut TopicRule,
                          cur: &mut (f64, f64, f64, f64),
                          values: &[f32],
                          set: &dyn Fn(&mut TopicRule, f32)| {
            for &v in values {
                let mut cand = rule.clone();
                set(&mut cand, v);
                let s = score(&cand);
                if cmp(&s, cur).is_gt() {
                    *rule = cand;
                    *cur = s;
                }
            }
        };
        // One global threshold, jointly with the article threshold (alone, either would
        // settle where the other cannot move it).
        let articles: Vec<Option<f32>> = if params.article_threshold {
            std::iter::once(None)
                .chain(grid.iter().map(|&a| Some(a)))
                .collect()
        } else {
            vec![None]
        };
        for &a in &articles {
            let mut cand = rule.clone();
            cand.article_threshold = a;
            let mut s = score(&cand);
            try_values(&mut cand, &mut s, &grid, &|r, v| r.thresholds.fill(v));
            if cmp(&s, &cur).is_gt() {
                rule = cand;
                cur = s;
            }
        }
        let per_topic = |rule: &mut TopicRule, cur: &mut (f64, f64, f64, f64)| {
            if params.threshold_min_positives == 0 {
                return;
            }
            for (t, &n) in positives.iter().enumerate() {
                if n >= params.threshold_min_positives {
                    try_values(rule, cur, &grid, &|r, v| r.thresholds[t] = v);
                }
            }
        };
        per_topic(&mut rule, &mut cur);
        if params.second_threshold && k > 1 {
            try_values(&mut rule, &mut cur, &grid, &|r, v| {
                r.second_threshold = Some(v)
            });
            per_topic(&mut rule, &mut cur);
        }
        if best.as_ref().is_none_or(|b| cmp(&cur, &b.1).is_gt()) {
            best = Some((rule, cur));
        }
    }
    best.expect("max_topics is not empty")
}

/// Trains a model on `records` with the built-in topic configuration's keywords as the
/// lexicon part. `progress` is called after every fit.
pub fn train(
    records: &[Record],
    params: &TrainParams,
    progress: impl FnMut(&TrainProgress),
) -> Result<(Model, TrainReport)> {
    train_with_topics(records, params, &TopicConfig::builtin(), progress)
}

/// Trains a model on `records`; `topics` supplies the keywords of the lexicon part (topics
/// it does not define get no cues). The three steps, each public:
/// [`cross_validate`] (out-of-fold scores of every grid point), [`select`] (the settings
/// those scores favour) and [`fit_final`] (every head on all the records with them).
pub fn train_with_topics(
    records: &[Record],
    params: &TrainParams,
    topic_config: &TopicConfig,
    mut progress: impl FnMut(&TrainProgress),
) -> Result<(Model, TrainReport)> {
    let task = Task::new(records, params)?;
    let sources = task.sources(topic_config)?;
    let mut ticker = Ticker {
        done: 0,
        total: task.cv_fits() + FINAL_FITS,
        progress: &mut progress,
    };
    let cv = task.cross_validate(&sources, &mut ticker)?;
    let selection = task.select(&cv)?;
    task.fit_final(&sources, selection, &mut ticker)
}

/// Out-of-fold scores of one grid point: one entry per example (`None`: not scored).
pub type OofScores = Vec<Option<Vec<f32>>>;

/// Out-of-fold scores of every grid point, from [`cross_validate`]: what [`select`] chooses
/// from. Empty grids when there was no cross-validation (`cv_folds` < 2). With
/// `cv_repeats` R > 1 every score vector below holds R blocks, one per run of the
/// cross-validation: run r's score of example j is at `r * len + j`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CvScores {
    /// Folds used (0 = no CV).
    pub folds: usize,
    /// Runs of the cross-validation (blocks of every score vector; 0 is read as 1).
    pub repeats: usize,
    /// The topics, sorted (the topic indices below).
    pub topics: Vec<String>,
    /// The strategies tried (`Auto` expands to joint and per-topic).
    pub strategies: Vec<Strategy>,
    /// The stance examples, in order: (record index, topic index), one per topic of a
    /// record's `topics`.
    pub stance_examples: Vec<(usize, usize)>,
    /// (vectorizer index, strategy index, C index) → stance logits (favor, against,
    /// neutral) of every stance example (`None`: never held out).
    pub stance: BTreeMap<(usize, usize, usize), OofScores>,
    /// (vectorizer index, C index) → sentiment logits (positive, negative, neutral) of every
    /// record (`None`: no sentiment label, or never held out).
    pub sentiment: BTreeMap<(usize, usize), OofScores>,
    /// (vectorizer index, relevance C index) → P(topic) of every record, one per topic
    /// (zeros for records without `topics`).
    pub relevance: BTreeMap<(usize, usize), Vec<Vec<f32>>>,
    /// Wall time of the cross-validation.
    pub seconds: f64,
}

/// The settings the final fit uses: from [`select`] (chosen by cross-validation) or
/// [`Selection::from_params`] (the first grid entries, as without CV), or set by hand.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Index into [`TrainParams::vectorizers`].
    pub vectorizer: usize,
    /// Stance strategy ([`Strategy::Joint`] or [`Strategy::PerTopic`]).
    pub stance_strategy: Strategy,
    /// C of the stance head.
    pub stance_c: f64,
    /// Bias added to the neutral stance score.
    pub neutral_bias: f32,
    /// C of the sentiment head.
    pub sentiment_c: f64,
    /// Biases added to the negative and neutral sentiment scores.
    pub sentiment_bias: (f32, f32),
    /// C of the relevance head.
    pub relevance_c: f64,
    /// How topics are detected from P(topic).
    pub detection: Detection,
    /// How likely detected topics are right, fitted on the chosen settings' out-of-fold
    /// detections (`None` without cross-validation or with nothing to fit).
    pub calibration: Option<Calibration>,
    /// The cross-validation findings behind the choice (grids and the chosen settings'
    /// metrics); [`fit_final`] completes it and saves it in the manifest.
    pub report: TrainReport,
}

impl Selection {
    /// The settings training uses without cross-validation: the first vectorizer, C,
    /// relevance C, neutral bias and topics per quote, no sentiment bias, the strategy of
    /// `params` (`auto` → per-topic, the strategy SemEval-2016 CV favoured) and one global
    /// detection threshold.
    pub fn from_params(params: &TrainParams) -> Selection {
        Selection {
            vectorizer: 0,
            stance_strategy: match params.strategy {
                Strategy::Auto => Strategy::PerTopic,
                s => s,
            },
            stance_c: params.c[0],
            neutral_bias: params.neutral_bias[0],
            sentiment_c: params.c[0],
            sentiment_bias: (0.0, 0.0),
            relevance_c: params.relevance_c[0],
            detection: Detection {
                thresholds: BTreeMap::new(),
                default_threshold: params.threshold,
                max_topics: params.max_topics[0],
                ..Detection::default()
            },
            calibration: None,
            report: TrainReport::default(),
        }
    }
}

/// Cross-validation, the first step of [`train_with_topics`]: for every run of
/// `cv_repeats` (each with its own fold assignment), vectorizer and fold, the vectorizer is
/// fitted on the training part, every head is fitted for every C of the
/// grid (each C warm-started from the previous one, strongest penalty first) and scores the
/// held-out records. Nothing is chosen here. `progress` is called after every fit. With
/// `cv_folds` < 2 nothing is fitted and the grids are empty.
pub fn cross_validate(
    records: &[Record],
    params: &TrainParams,
    topic_config: &TopicConfig,
    mut progress: impl FnMut(&TrainProgress),
) -> Result<CvScores> {
    let task = Task::new(records, params)?;
    let sources = task.sources(topic_config)?;
    let mut ticker = Ticker {
        done: 0,
        total: task.cv_fits(),
        progress: &mut progress,
    };
    task.cross_validate(&sources, &mut ticker)
}

/// Selection, the second step of [`train_with_topics`]: from the out-of-fold scores of
/// [`cross_validate`] on the same `records` and `params`, the vectorizer, stance strategy, C
/// and neutral bias (by pooled F_avg, then macro-F1), the sentiment C and biases (macro-F1),
/// and the relevance C with its detection rule (micro-F1 under the off-domain cap), all
/// scored on real (not authored) records and pooled over the runs of `cv_repeats`; ties go
/// to the earlier grid entry. Without CV scores this is [`Selection::from_params`].
pub fn select(records: &[Record], params: &TrainParams, cv: &CvScores) -> Result<Selection> {
    Task::new(records, params)?.select(cv)
}

/// The final fit, the last step of [`train_with_topics`]: the vectorizer and every head on
/// all the records with the `selection`'s settings; the model's manifest records the
/// parameters and `selection.report`, completed with the final choices (also returned).
/// `progress` is called after every head.
pub fn fit_final(
    records: &[Record],
    params: &TrainParams,
    topic_config: &TopicConfig,
    selection: Selection,
    mut progress: impl FnMut(&TrainProgress),
) -> Result<(Model, TrainReport)> {
    let task = Task::new(records, params)?;
    if selection.vectorizer >= params.vectorizers.len() {
        return Err(Error::InvalidParam {
            name: "vectorizer",
            value: selection.vectorizer.to_string(),
            msg: format!("only {} vectorizer configs", params.vectorizers.len()),
        });
    }
    for c in [
        selection.stance_c,
        selection.sentiment_c,
        selection.relevance_c,
    ] {
        params.solver(LogisticParams::binary(), c).check()?;
    }
    let sources = task.sources(topic_config)?;
    let mut ticker = Ticker {
        done: 0,
        total: FINAL_FITS,
        progress: &mut progress,
    };
    task.fit_final(&sources, selection, &mut ticker)
}

/// Progress reports of the final fit (stance, sentiment, relevance).
const FINAL_FITS: usize = 3;

/// Counts fits and reports them.
struct Ticker<'p> {
    done: usize,
    total: usize,
    progress: &'p mut dyn FnMut(&TrainProgress),
}

impl Ticker<'_> {
    fn tick(&mut self, stage: String) {
        self.done += 1;
        (self.progress)(&TrainProgress {
            done: self.done,
            total: self.total,
            stage,
        });
    }
}

/// The stance head's solver (3 stances).
fn stance_head(params: &TrainParams, c: f64) -> LogisticParams {
    params.solver(
        LogisticParams::multinomial(3).class_weight(params.class_weight),
        c,
    )
}

/// The sentiment head's solver (3 polarities).
fn sentiment_head(params: &TrainParams, c: f64) -> LogisticParams {
    params.solver(
        LogisticParams::multinomial(3).class_weight(params.class_weight),
        c,
    )
}

/// A relevance block's solver (one topic against the rest, always balanced).
fn relevance_head(params: &TrainParams, c: f64) -> LogisticParams {
    params.solver(
        LogisticParams::binary().class_weight(ClassWeight::Balanced),
        c,
    )
}

/// What the records give to learn, derived from them and the parameters (no fitting).
struct Task<'a> {
    records: &'a [Record],
    params: &'a TrainParams,
    topics: Vec<String>,
    stance_ex: Vec<Ex>,
    sent_recs: Vec<usize>,
    rel_recs: Vec<usize>,
    /// Why the relevance head is not trained (`None`: it is).
    relevance_note: Option<String>,
    gold_topics: Vec<BTreeSet<usize>>,
    /// The parts some trained head reads.
    parts: Vec<Part>,
    strategies: Vec<Strategy>,
}

/// What the featurizer reads besides the vectorizer.
struct Sources<'a> {
    lexicon: Option<&'a TopicConfig>,
    embeddings: Option<Arc<Embeddings>>,
    valence: Option<Arc<Valence>>,
}

impl<'a> Task<'a> {
    fn new(records: &'a [Record], params: &'a TrainParams) -> Result<Task<'a>> {
        params.validate()?;
        let topics: Vec<String> = records
            .iter()
            .flat_map(|r| r.topics.iter().flat_map(|t| t.keys().cloned()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let tix = |t: &str| {
            topics
                .binary_search_by(|x| x.as_str().cmp(t))
                .expect("known topic")
        };
        let stance_ex: Vec<Ex> = records
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.topics.iter().flatten().map(move |(t, s)| (i, t, *s)))
            .map(|(i, t, s)| (i, tix(t), s))
            .collect();
        let sent_recs: Vec<usize> = (0..records.len())
            .filter(|&i| params.sentiment && records[i].sentiment.is_some())
            .collect();
        if stance_ex.is_empty() && sent_recs.is_empty() {
            return Err(Error::Training(
                "no labels: records need `topics` with stances or a `sentiment`".into(),
            ));
        }
        let rel_recs: Vec<usize> = (0..records.len())
            .filter(|&i| records[i].topics.is_some())
            .collect();
        let relevance_note = relevance_possible(records, &rel_recs, &topics, params);
        let gold_topics: Vec<BTreeSet<usize>> = records
            .iter()
            .map(|r| r.topics.iter().flatten().map(|(t, _)| tix(t)).collect())
            .collect();
        let mut parts: Vec<Part> = Vec::new();
        if !stance_ex.is_empty() {
            parts.extend(&params.heads.stance);
        }
        if !sent_recs.is_empty() {
            parts.extend(&params.heads.sentiment);
        }
        if relevance_note.is_none() {
            parts.extend(&params.heads.relevance);
        }
        parts.sort();
        parts.dedup();
        let strategies: Vec<Strategy> = match params.strategy {
            Strategy::Auto => vec![Strategy::Joint, Strategy::PerTopic],
            s => vec![s],
        };
        Ok(Task {
            records,
            params,
            topics,
            stance_ex,
            sent_recs,
            rel_recs,
            relevance_note,
            gold_topics,
            parts,
            strategies,
        })
    }

    fn nt(&self) -> usize {
        self.topics.len()
    }

    fn has_stance(&self) -> bool {
        !self.stance_ex.is_empty()
    }

    fn has_sent(&self) -> bool {
        !self.sent_recs.is_empty()
    }

    fn train_relevance(&self) -> bool {
        self.relevance_note.is_none()
    }

    /// Folds of cross-validation (0 = none).
    fn folds(&self) -> usize {
        if self.params.cv_folds >= 2 {
            self.params.cv_folds
        } else {
            0
        }
    }

    /// Fits cross-validation plans.
    fn cv_fits(&self) -> usize {
        let params = self.params;
        let per_fold = (if self.has_stance() {
            self.strategies.len() * params.c.len()
        } else {
            0
        }) + if self.has_sent() { params.c.len() } else { 0 }
            + if self.train_relevance() {
                params.relevance_c.len()
            } else {
                0
            };
        self.repeats() * params.vectorizers.len() * self.folds() * per_fold
    }

    /// Runs of the cross-validation (1 without CV).
    fn repeats(&self) -> usize {
        if self.folds() == 0 {
            1
        } else {
            self.params.cv_repeats.max(1)
        }
    }

    /// Authored statements train the heads but never count in a selection metric.
    fn real(&self, i: usize) -> bool {
        !is_authored(&self.records[i])
    }

    /// Loads what the parts need besides the vectorizer.
    fn sources<'t>(&self, topic_config: &'t TopicConfig) -> Result<Sources<'t>> {
        let (parts, params) = (&self.parts, self.params);
        let lexicon = parts.iter().any(|p| p.is_lexicon()).then_some(topic_config);
        let embeddings = if parts.iter().any(|p| p.is_embedding()) {
            let path = params
                .embeddings
                .as_ref()
                .ok_or_else(|| Error::InvalidParam {
                    name: "embeddings",
                    value: "none".into(),
                    msg:
                        "a head reads an embed_* part: set `embeddings` to a stance-embeddings file"
                            .into(),
                })?;
            let table = Embeddings::load(path)?.with_pooling(params.embedding_pooling)?;
            if parts.contains(&Part::EmbedTextSif) && !table.has_weights() {
                return Err(Error::InvalidParam {
                    name: "heads",
                    value: Part::EmbedTextSif.name(),
                    msg: format!(
                        "SIF pooling needs per-word weights, and {} has none",
                        path.display()
                    ),
                });
            }
            Some(Arc::new(table))
        } else {
            None
        };
        let valence = if parts.contains(&Part::Valence) {
            Some(Arc::new(Valence::new()?))
        } else {
            None
        };
        Ok(Sources {
            lexicon,
            embeddings,
            valence,
        })
    }

    fn featurizer(&self, v: Vectorizer, src: &Sources) -> Featurizer {
        Featurizer::new(v, &self.topics, src.lexicon)
            .with_embeddings(src.embeddings.clone())
            .with_valence(src.valence.clone())
    }

    /// The texts a vectorizer is fitted on: text, context and lead of the records `idx`.
    fn docs_of(&self, idx: impl Iterator<Item = usize>) -> Vec<&'a str> {
        let records = self.records;
        let mut d = Vec::new();
        for i in idx {
            d.push(records[i].text.as_str());
            if let Some(c) = &records[i].context {
                d.push(c.as_str());
            }
            if let Some(l) = &records[i].lead {
                d.push(l.as_str());
            }
        }
        d
    }

    fn cross_validate(&self, src: &Sources, ticker: &mut Ticker) -> Result<CvScores> {
        let (records, params, nt) = (self.records, self.params, self.nt());
        let k = self.folds();
        let t0 = std::time::Instant::now();
        let stance_ex = &self.stance_ex;
        let repeats = self.repeats();
        let (n, n_ex) = (records.len(), stance_ex.len());
        let mut cv = CvScores {
            folds: k,
            repeats,
            topics: self.topics.clone(),
            strategies: self.strategies.clone(),
            stance_examples: stance_ex.iter().map(|e| (e.0, e.1)).collect(),
            ..CvScores::default()
        };
        // Grid C values from strongest to weakest penalty: each fit warm-starts from the last.
        let order_of = |cs: &[f64]| {
            let mut o: Vec<usize> = (0..cs.len()).collect();
            o.sort_by(|&a, &b| cs[a].total_cmp(&cs[b]));
            o
        };
        let c_order = order_of(&params.c);
        let rc_order = order_of(&params.relevance_c);
        if k < 2 {
            return Ok(cv);
        }
        for r in 0..repeats {
            let fold = assign_folds(records, k, params.seed.wrapping_add(r as u64));
            for (vi, vcfg) in params.vectorizers.iter().enumerate() {
                for f in 0..k {
                    let run = if repeats > 1 {
                        format!("cv run {}/{repeats} fold {}/{k}", r + 1, f + 1)
                    } else {
                        format!("cv fold {}/{k}", f + 1)
                    };
                    let docs = self.docs_of((0..records.len()).filter(|&i| fold[i] != f));
                    let v = Vectorizer::fit(vcfg, &docs)?;
                    let fz = self.featurizer(v, src);
                    let feats = featurize(&fz, records, &self.parts);
                    let stance_in = HeadInputs::new(&params.heads.stance, &fz);
                    let (tr, va): (Vec<Ex>, Vec<Ex>) =
                        stance_ex.iter().partition(|e| fold[e.0] != f);
                    let va_pos: Vec<usize> = (0..stance_ex.len())
                        .filter(|&j| fold[stance_ex[j].0] == f)
                        .collect();
                    for (si, &s) in self.strategies.iter().enumerate() {
                        if tr.is_empty() || va.is_empty() {
                            continue;
                        }
                        let mut warm: Option<StanceFit> = None;
                        for &ci in &c_order {
                            let c = params.c[ci];
                            let m = fit_stance(
                                &feats,
                                &stance_in,
                                &tr,
                                nt,
                                s,
                                &stance_head(params, c),
                                warm.take(),
                            )?;
                            let z = stance_scores(&m, &feats, &stance_in, &va, nt);
                            let slot = cv
                                .stance
                                .entry((vi, si, ci))
                                .or_insert_with(|| vec![None; repeats * n_ex]);
                            for (&j, z) in va_pos.iter().zip(z) {
                                slot[r * n_ex + j] = Some(z);
                            }
                            ticker.tick(format!("{run} stance {s:?} C={c}"));
                            warm = Some(m);
                        }
                    }
                    let (str_, sva): (Vec<usize>, Vec<usize>) =
                        self.sent_recs.iter().partition(|&&i| fold[i] != f);
                    if !str_.is_empty() && !sva.is_empty() {
                        let sent_in = HeadInputs::new(&params.heads.sentiment, &fz);
                        let y: Vec<usize> = str_
                            .iter()
                            .map(|&i| records[i].sentiment.unwrap().index())
                            .collect();
                        let xtr = SparseRecords::from(record_matrix(&feats, &sent_in, &str_));
                        let xva = SparseRecords::from(record_matrix(&feats, &sent_in, &sva));
                        let mut warm: Option<FittedLogistic> = None;
                        for &ci in &c_order {
                            let c = params.c[ci];
                            let head = sentiment_head(params, c).warm_start(warm.take());
                            let m = fit_rows(head, &feats, &xtr, &y, str_.iter().copied())?;
                            let slot = cv
                                .sentiment
                                .entry((vi, ci))
                                .or_insert_with(|| vec![None; repeats * n]);
                            for (&i, z) in sva.iter().zip(score_rows(&m, &xva)) {
                                slot[r * n + i] = Some(z);
                            }
                            ticker.tick(format!("{run} sentiment C={c}"));
                            warm = Some(m);
                        }
                    }
                    if self.train_relevance() {
                        let rel_in = HeadInputs::new(&params.heads.relevance, &fz);
                        let (rtr, rva): (Vec<usize>, Vec<usize>) =
                            self.rel_recs.iter().partition(|&&i| fold[i] != f);
                        if rtr.is_empty() || rva.is_empty() {
                            continue;
                        }
                        let xtr = SparseRecords::from(record_matrix(&feats, &rel_in, &rtr));
                        let xva = SparseRecords::from(record_matrix(&feats, &rel_in, &rva));
                        for &rci in &rc_order {
                            let c = params.relevance_c[rci];
                            let fits = fit_relevance_blocks(
                                &feats,
                                &xtr,
                                &rtr,
                                &self.gold_topics,
                                nt,
                                &relevance_head(params, c),
                            )?;
                            let slot = cv
                                .relevance
                                .entry((vi, rci))
                                .or_insert_with(|| vec![vec![0.0; nt]; repeats * n]);
                            for (t, m) in fits.iter().enumerate() {
                                let p = m.predict_probabilities(&xva);
                                for (&i, p) in rva.iter().zip(p.column(1)) {
                                    slot[r * n + i][t] = *p;
                                }
                            }
                            ticker.tick(format!("{run} relevance C={c}"));
                        }
                    }
                }
            }
        }
        cv.seconds = t0.elapsed().as_secs_f64();
        Ok(cv)
    }

    /// Checks that `cv` was computed on these records and parameters.
    fn check_cv(&self, cv: &CvScores) -> Result<()> {
        let repeats = cv.repeats.max(1);
        let n = repeats * self.records.len();
        let n_ex = repeats * self.stance_ex.len();
        let (nv, nc, nrc, ns) = (
            self.params.vectorizers.len(),
            self.params.c.len(),
            self.params.relevance_c.len(),
            self.strategies.len(),
        );
        let ok = repeats == self.repeats()
            && cv.topics == self.topics
            && cv.strategies == self.strategies
            && cv.stance_examples.len() == self.stance_ex.len()
            && cv
                .stance
                .iter()
                .all(|(&(v, s, c), z)| v < nv && s < ns && c < nc && z.len() == n_ex)
            && cv
                .sentiment
                .iter()
                .all(|(&(v, c), z)| v < nv && c < nc && z.len() == n)
            && cv.relevance.iter().all(|(&(v, c), p)| {
                v < nv && c < nrc && p.len() == n && p.iter().all(|p| p.len() == self.nt())
            });
        if ok {
            Ok(())
        } else {
            Err(Error::Training(
                "the CV scores were computed on other records or parameters".into(),
            ))
        }
    }

    fn select(&self, cv: &CvScores) -> Result<Selection> {
        self.check_cv(cv)?;
        let t0 = std::time::Instant::now();
        let (records, params, nt, topics) = (self.records, self.params, self.nt(), &self.topics);
        let stance_ex = &self.stance_ex;
        // Every score vector holds one block per run of the CV; selection pools them.
        let (n, repeats) = (records.len(), self.repeats());
        let mut sel = Selection::from_params(params);
        let report = &mut sel.report;
        report.folds = cv.folds;
        report.repeats = repeats;
        let stance_names: Vec<&str> = Stance::ALL.iter().map(|s| s.name()).collect();
        let sent_names: Vec<&str> = Sentiment::ALL.iter().map(|s| s.name()).collect();

        // Stance (vectorizer, strategy, C, neutral bias) by F_avg on real records.
        type GridPoint = (usize, usize, usize, usize);
        let mut best_stance: Option<(GridPoint, (f64, f64))> = None;
        let confusions = |z: &[Option<Vec<f32>>], bias: f32| {
            let b = [0.0, 0.0, bias];
            let mut pooled = Confusion::new(&stance_names);
            let mut per = vec![Confusion::new(&stance_names); nt];
            for (e, z) in stance_ex.iter().cycle().zip(z) {
                if let (Some(z), true) = (z, self.real(e.0)) {
                    let p = argmax_biased(z, &b);
                    pooled.add(e.2.index(), p);
                    per[e.1].add(e.2.index(), p);
                }
            }
            (pooled, per)
        };
        for (&(vi, si, ci), z) in &cv.stance {
            for (bi, &bias) in params.neutral_bias.iter().enumerate() {
                let (pooled, per) = confusions(z, bias);
                let rep = pooled.report();
                let score = (rep.f_avg.unwrap_or(0.0), rep.macro_f1);
                report.stance_grid.push(StanceCv {
                    vectorizer: vi,
                    strategy: cv.strategies[si],
                    c: params.c[ci],
                    neutral_bias: bias,
                    f_avg: score.0,
                    macro_f1: score.1,
                    per_topic_f_avg: topics
                        .iter()
                        .zip(&per)
                        .filter(|(_, c)| c.total() > 0)
                        .map(|(t, c)| (t.clone(), c.report().f_avg.unwrap_or(0.0)))
                        .collect(),
                });
                if best_stance.map(|(_, b)| better(score, b)).unwrap_or(true) {
                    best_stance = Some(((vi, si, ci, bi), score));
                }
            }
        }
        let sent_bias_grid: Vec<(f32, f32)> = params
            .sentiment_bias
            .iter()
            .flat_map(|&a| params.sentiment_bias.iter().map(move |&b| (a, b)))
            .collect();
        let sent_confusion = |z: &[Option<Vec<f32>>], (bn, bu): (f32, f32)| {
            let b = [0.0, bn, bu];
            let mut c = Confusion::new(&sent_names);
            for r in 0..repeats {
                for &i in &self.sent_recs {
                    if let (Some(z), true) = (&z[r * n + i], self.real(i)) {
                        c.add(records[i].sentiment.unwrap().index(), argmax_biased(z, &b));
                    }
                }
            }
            c
        };
        let chosen_v = match best_stance {
            Some(((vi, _, _, _), _)) => vi,
            None => {
                let mut best: Option<(usize, f64)> = None;
                for (&(vi, _), z) in &cv.sentiment {
                    let s = sent_confusion(z, (0.0, 0.0)).report().macro_f1;
                    if best.map(|b| s > b.1 + 1e-12).unwrap_or(true) {
                        best = Some((vi, s));
                    }
                }
                best.map(|b| b.0).unwrap_or(0)
            }
        };
        sel.vectorizer = chosen_v;
        report.chosen_vectorizer = chosen_v;
        if let Some(((_, si, ci, bi), _)) = best_stance {
            let (pooled, per) =
                confusions(&cv.stance[&(chosen_v, si, ci)], params.neutral_bias[bi]);
            report.stance_pooled = Some(pooled.report());
            report.stance_per_topic = topics
                .iter()
                .zip(&per)
                .filter(|(_, c)| c.total() > 0)
                .map(|(t, c)| (t.clone(), c.report()))
                .collect();
            sel.stance_strategy = cv.strategies[si];
            sel.stance_c = params.c[ci];
            sel.neutral_bias = params.neutral_bias[bi];
        }
        report.chosen_neutral_bias = sel.neutral_bias;
        let mut best_sent: Option<f64> = None;
        for (&(vi, ci), z) in &cv.sentiment {
            let mut best_here: Option<(f64, (f32, f32), ClassifyReport)> = None;
            for &b in &sent_bias_grid {
                let rep = sent_confusion(z, b).report();
                if best_here
                    .as_ref()
                    .is_none_or(|h| rep.macro_f1 > h.0 + 1e-12)
                {
                    best_here = Some((rep.macro_f1, b, rep));
                }
            }
            let Some((f1, b, rep)) = best_here else {
                continue;
            };
            report.sentiment_grid.push(SentimentCv {
                vectorizer: vi,
                c: params.c[ci],
                bias: b,
                macro_f1: f1,
            });
            if vi == chosen_v && best_sent.map(|x| f1 > x + 1e-12).unwrap_or(true) {
                best_sent = Some(f1);
                sel.sentiment_c = params.c[ci];
                sel.sentiment_bias = b;
                report.sentiment = Some(rep);
            }
        }
        report.chosen_sentiment_bias = sel.sentiment_bias;
        // Detection: relevance C, thresholds and topics per quote.
        let real_rel: Vec<usize> = self
            .rel_recs
            .iter()
            .copied()
            .filter(|&i| self.real(i) && !is_off_domain(&records[i]))
            .collect();
        let off_rel: Vec<usize> = self
            .rel_recs
            .iter()
            .copied()
            .filter(|&i| is_off_domain(&records[i]))
            .collect();
        // Run r's copy of record i is row r * n + i of P(topic) and of `gold`.
        let in_runs = |groups: Vec<Vec<usize>>| -> Vec<Vec<usize>> {
            (0..repeats)
                .flat_map(|r| {
                    groups
                        .iter()
                        .map(move |g| g.iter().map(|&i| r * n + i).collect())
                })
                .collect()
        };
        let real_rel = in_runs(article_groups(records, &real_rel));
        let off_rel = in_runs(article_groups(records, &off_rel));
        let gold: Vec<BTreeSet<usize>> = (0..repeats)
            .flat_map(|_| self.gold_topics.iter().cloned())
            .collect();
        let mut best_det: Option<(f64, f64)> = None;
        let mut chosen_detection = None;
        for (&(vi, rci), p) in &cv.relevance {
            if vi != chosen_v {
                continue;
            }
            let (rule, s) = tune_detection(p, &gold, &real_rel, &off_rel, nt, repeats, params);
            let entry = DetectionCv {
                c: params.relevance_c[rci],
                max_topics: rule.max_topics,
                second_threshold: rule.second_threshold,
                article_threshold: rule.article_threshold,
                precision: s.0,
                recall: s.1,
                f1: s.2,
                off_domain_rate: s.3,
            };
            report.detection_grid.push(entry.clone());
            let feasible = s.3 <= params.max_off_domain_rate + 1e-12;
            let key = (if feasible { 1.0 } else { 0.0 }, s.2);
            if best_det.is_none_or(|b| better(key, b)) {
                best_det = Some(key);
                sel.relevance_c = params.relevance_c[rci];
                sel.detection = rule.to_detection(topics, params.threshold);
                report.detection = Some(entry);
                chosen_detection = Some((rule, p));
            }
        }
        // How likely a detected topic is right, from the chosen rule's out-of-fold
        // detections on real records (calibrate.rs).
        if let Some((rule, p)) = &chosen_detection {
            let (mut raw, mut lengths, mut right) = (Vec::new(), Vec::new(), Vec::new());
            for g in &real_rel {
                for (&i, chosen) in g.iter().zip(detect_in_article(p, g, rule)) {
                    for t in chosen {
                        raw.push(p[i][t]);
                        lengths.push(length_feature(&records[i % n].text));
                        right.push(gold[i].contains(&t));
                    }
                }
            }
            sel.calibration = Platt::fit(&raw, &lengths, &right)?.map(|topic| Calibration {
                topic,
                examples: raw.len(),
            });
        }
        report.cv_seconds = cv.seconds + t0.elapsed().as_secs_f64();
        Ok(sel)
    }

    fn fit_final(
        &self,
        src: &Sources,
        selection: Selection,
        ticker: &mut Ticker,
    ) -> Result<(Model, TrainReport)> {
        let (records, params, nt, topics) = (self.records, self.params, self.nt(), &self.topics);
        let Selection {
            vectorizer: chosen_v,
            stance_strategy,
            stance_c,
            neutral_bias,
            sentiment_c,
            sentiment_bias,
            relevance_c,
            detection,
            calibration,
            mut report,
        } = selection;
        let t1 = std::time::Instant::now();
        let vcfg = &params.vectorizers[chosen_v];
        let v = Vectorizer::fit(vcfg, &self.docs_of(0..records.len()))?;
        let fz = self.featurizer(v, src);
        let feats = featurize(&fz, records, &self.parts);
        let stance_in = HeadInputs::new(&params.heads.stance, &fz);
        let stance = if self.has_stance() {
            report.chosen_stance = Some((stance_strategy, stance_c));
            let m = fit_stance(
                &feats,
                &stance_in,
                &self.stance_ex,
                nt,
                stance_strategy,
                &stance_head(params, stance_c),
                None,
            )?;
            ticker.tick("final stance".into());
            Some(into_head(m, stance_in.width, nt, neutral_bias))
        } else {
            None
        };
        let sentiment = if self.has_sent() {
            report.chosen_sentiment_c = Some(sentiment_c);
            let sent_in = HeadInputs::new(&params.heads.sentiment, &fz);
            let y: Vec<usize> = self
                .sent_recs
                .iter()
                .map(|&i| records[i].sentiment.unwrap().index())
                .collect();
            let x = SparseRecords::from(record_matrix(&feats, &sent_in, &self.sent_recs));
            let m = fit_rows(
                sentiment_head(params, sentiment_c),
                &feats,
                &x,
                &y,
                self.sent_recs.iter().copied(),
            )?;
            ticker.tick("final sentiment".into());
            let mut bias = m.bias;
            bias[Sentiment::Negative.index()] += sentiment_bias.0;
            bias[Sentiment::Neutral.index()] += sentiment_bias.1;
            Some(Block {
                k: 3,
                rows: sent_in.width,
                w: m.weights,
                index: None,
                bias,
            })
        } else {
            None
        };
        let relevance = if self.train_relevance() {
            report.chosen_relevance_c = Some(relevance_c);
            let rel_in = HeadInputs::new(&params.heads.relevance, &fz);
            let x = SparseRecords::from(record_matrix(&feats, &rel_in, &self.rel_recs));
            let fits = fit_relevance_blocks(
                &feats,
                &x,
                &self.rel_recs,
                &self.gold_topics,
                nt,
                &relevance_head(params, relevance_c),
            )?;
            report.relevance_note = format!(
                "trained on {} records (C={relevance_c}, balanced, one-vs-rest){}",
                self.rel_recs.len(),
                if report.folds >= 2 {
                    "; thresholds and topics per quote chosen by CV"
                } else {
                    "; not cross-validated"
                }
            );
            Some(
                fits.into_iter()
                    .map(|m| Block {
                        k: 1,
                        rows: rel_in.width,
                        w: m.weights,
                        index: None,
                        bias: m.bias,
                    })
                    .collect(),
            )
        } else {
            report.relevance_note = self.relevance_note.clone().unwrap_or_default();
            None
        };
        ticker.tick("final relevance".into());
        report.final_fit_seconds = t1.elapsed().as_secs_f64();
        let stance_names: Vec<&str> = Stance::ALL.iter().map(|s| s.name()).collect();
        let sent_names: Vec<&str> = Sentiment::ALL.iter().map(|s| s.name()).collect();
        let train_relevance = self.train_relevance();
        let (lexicon, embeddings, valence) = (src.lexicon, &src.embeddings, &src.valence);
        // Only the heads that were trained: a head without weights reads nothing.
        let heads = HeadSpecs {
            stance: if stance.is_some() {
                params.heads.stance.clone()
            } else {
                Vec::new()
            },
            sentiment: if sentiment.is_some() {
                params.heads.sentiment.clone()
            } else {
                Vec::new()
            },
            relevance: if train_relevance {
                params.heads.relevance.clone()
            } else {
                Vec::new()
            },
        };
        let manifest = Manifest {
            format: FORMAT_NAME.into(),
            // The oldest format that can express these heads and this calibration (what
            // `store::save` writes).
            format_version: format_version_for(&heads, calibration.as_ref()),
            crate_version: env!("CARGO_PKG_VERSION").into(),
            created: creation_time(),
            training_data_sha256: String::new(),
            training_files: Vec::new(),
            n_records: records.len(),
            labels: LabelSets {
                stance: stance_names.iter().map(|s| s.to_string()).collect(),
                sentiment: sent_names.iter().map(|s| s.to_string()).collect(),
            },
            topics: topics.clone(),
            vectorizer: vcfg.clone(),
            n_features: fz.vectorizer.n_features(),
            stance_strategy: stance.as_ref().map(|s| s.strategy),
            heads,
            detection,
            calibration,
            topic_lexicon: lexicon.map(|c| TopicConfig {
                topics: c
                    .topics
                    .iter()
                    .filter(|t| topics.contains(&t.id))
                    .cloned()
                    .collect(),
            }),
            embeddings: embeddings.as_ref().map(|e| EmbeddingsInfo {
                dim: e.dim(),
                words: e.len(),
                pooling: params.embedding_pooling,
                source: params
                    .embeddings
                    .as_ref()
                    .and_then(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            }),
            valence_lexicon_sha256: valence
                .as_ref()
                .map(|_| crate::features::valence::lexicon_sha256()),
            // The embeddings table is saved inside the model: keep its file name, not the path
            // it was read from (which depends on how the recipe was named on the command line).
            train_params: {
                let mut p = params.clone();
                p.embeddings = p
                    .embeddings
                    .as_ref()
                    .and_then(|e| e.file_name())
                    .map(std::path::PathBuf::from);
                serde_json::to_value(&p)?
            },
            cv: serde_json::to_value(&report)?,
            blocks: Vec::new(),
            files: BTreeMap::new(),
            attribution: None,
        };
        Ok((
            Model::from_parts(
                manifest,
                fz,
                topics.clone(),
                stance,
                relevance.map(|r: Vec<Block>| super::fuse_binary(&r.iter().collect::<Vec<_>>())),
                sentiment,
            ),
            report,
        ))
    }
}

/// Why the relevance head cannot be trained on these records (`None` = it can).
fn relevance_possible(
    records: &[Record],
    rel_recs: &[usize],
    topics: &[String],
    params: &TrainParams,
) -> Option<String> {
    if !params.relevance || topics.is_empty() {
        return Some("not trained (disabled or no topics)".into());
    }
    // Topic detection is learned from quotes that take up *no* topic (`"topics": {}`): data
    // where every record names its topic (SemEval: the target is given) has no detection task.
    if !rel_recs
        .iter()
        .any(|&i| records[i].topics.as_ref().is_some_and(|m| m.is_empty()))
    {
        return Some("not trained: no records about none of the topics (\"topics\": {})".into());
    }
    topics
        .iter()
        .find(|t| {
            rel_recs.iter().all(|&i| {
                records[i]
                    .topics
                    .as_ref()
                    .is_some_and(|m| m.contains_key(*t))
            })
        })
        .map(|t| format!("not trained: no negative records for topic {t}"))
}

/// One binary relevance model per topic over the rows `x` (records `recs`).
fn fit_relevance_blocks(
    feats: &Feats,
    x: &SparseRecords,
    recs: &[usize],
    gold: &[BTreeSet<usize>],
    n_topics: usize,
    head: &LogisticParams,
) -> Result<Vec<FittedLogistic>> {
    (0..n_topics)
        .into_par_iter()
        .map(|t| {
            let y: Vec<usize> = recs
                .iter()
                .map(|&i| gold[i].contains(&t) as usize)
                .collect();
            if !y.contains(&1) || !y.contains(&0) {
                // A topic with no positives (or negatives) in this fold: never detected.
                let d = x.matrix().cols();
                return Ok(FittedLogistic {
                    n_features: d,
                    n_outputs: 1,
                    weights: vec![0.0; d],
                    bias: vec![if y.contains(&1) { 10.0 } else { -10.0 }],
                    iterations: 0,
                });
            }
            fit_weighted(
                head.clone(),
                &feats.relevance_w,
                x,
                &y,
                recs.iter().copied(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_names_are_the_recipe_spellings() {
        for s in [Strategy::Joint, Strategy::PerTopic, Strategy::Auto] {
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.name())
            );
        }
    }

    #[test]
    fn detection_tuning_prefers_feasible_settings() {
        // Two topics; real record 0 is about topic 0, record 1 about nothing; record 2 is
        // off-domain with a high P(topic 1).
        let p = vec![vec![0.9, 0.2], vec![0.3, 0.1], vec![0.1, 0.7]];
        let gold = vec![BTreeSet::from([0]), BTreeSet::new(), BTreeSet::new()];
        let params = TrainParams {
            max_topics: vec![1],
            threshold_min_positives: 1,
            ..TrainParams::default()
        };
        let (rule, s) = tune_detection(&p, &gold, &[vec![0], vec![1]], &[vec![2]], 2, 1, &params);
        assert_eq!(rule.max_topics, 1);
        assert!((s.2 - 1.0).abs() < 1e-9, "{s:?}");
        assert_eq!(
            s.3, 0.0,
            "the off-domain record must stay without a topic: {rule:?}"
        );
        assert!(rule.thresholds[1] > 0.7);
    }

    #[test]
    fn pooled_runs_count_each_records_positives_once() {
        // Topic 1 (one positive, D) needs its own threshold above B's 0.4 while topic 0 needs
        // one at most C's 0.3: F1 1 with per-topic thresholds, 6/7 with one threshold.
        let p = vec![
            vec![0.9, 0.0],
            vec![0.3, 0.0],
            vec![0.0, 0.4],
            vec![0.0, 0.95],
        ];
        let gold = vec![
            BTreeSet::from([0]),
            BTreeSet::from([0]),
            BTreeSet::new(),
            BTreeSet::from([1]),
        ];
        let real = [vec![0], vec![1], vec![2], vec![3]];
        let params = |min| TrainParams {
            max_topics: vec![1],
            threshold_min_positives: min,
            article_threshold: false,
            ..TrainParams::default()
        };
        let (_, own) = tune_detection(&p, &gold, &real, &[], 2, 1, &params(1));
        assert!((own.2 - 1.0).abs() < 1e-9, "{own:?}");
        let (one_rule, one) = tune_detection(&p, &gold, &real, &[], 2, 1, &params(2));
        assert!((one.2 - 6.0 / 7.0).abs() < 1e-9, "{one:?}");
        // The same records twice, as two pooled runs of the CV: topic 1 still has one
        // positive, so it still shares the global threshold.
        let p2: Vec<Vec<f32>> = p.iter().chain(&p).cloned().collect();
        let gold2: Vec<BTreeSet<usize>> = gold.iter().chain(&gold).cloned().collect();
        let real2: Vec<Vec<usize>> = (0..8).map(|i| vec![i]).collect();
        let (two_rule, two) = tune_detection(&p2, &gold2, &real2, &[], 2, 2, &params(2));
        assert_eq!(two_rule, one_rule);
        assert!((two.2 - one.2).abs() < 1e-9, "{two:?}");
    }

    #[test]
    fn detection_tuning_lowers_the_bar_for_topics_of_the_same_article() {
        // One article of three quotes about topic 0: one clear (0.9), two short ones (0.3,
        // 0.35) that alone look like the unrelated record 3 (0.3 in another article).
        let p = vec![
            vec![0.9, 0.0],
            vec![0.3, 0.0],
            vec![0.35, 0.0],
            vec![0.3, 0.0],
        ];
        let gold = vec![
            BTreeSet::from([0]),
            BTreeSet::from([0]),
            BTreeSet::from([0]),
            BTreeSet::new(),
        ];
        let params = TrainParams {
            max_topics: vec![1],
            threshold_min_positives: 0,
            ..TrainParams::default()
        };
        let real = [vec![0, 1, 2], vec![3]];
        let (rule, s) = tune_detection(&p, &gold, &real, &[], 2, 1, &params);
        assert!((s.2 - 1.0).abs() < 1e-9, "{s:?} {rule:?}");
        assert!(rule.thresholds[0] > 0.3, "{rule:?}");
        assert!(rule.article_threshold.is_some_and(|a| a <= 0.3), "{rule:?}");
        let without = TrainParams {
            article_threshold: false,
            ..params
        };
        let (_, s) = tune_detection(&p, &gold, &real, &[], 2, 1, &without);
        assert!(
            s.2 < 0.9,
            "without the article threshold two quotes are lost: {s:?}"
        );
    }
}
