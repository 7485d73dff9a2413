//! Training: k-fold cross-validation over a grid (vectorizer configs × C × stance strategy),
//! then a final fit of every head on all the data with the chosen settings.
//!
//! * **Folds** are over records; records with the same text share a fold (NewsMTSC has one
//!   record per target of a sentence), and folds are stratified by the first label. The
//!   vectorizer is refitted inside every fold, so CV never sees held-out vocabulary or IDF.
//! * **Stance strategies**: `joint` = one multinomial model over all topics with shared
//!   n-grams plus topic × n-gram features and a topic indicator (topic-specific intercepts);
//!   `per-topic` = one multinomial model per topic; `auto` picks the better by CV F_avg.
//! * **Selection**: stance by pooled F_avg (SemEval's score; macro-F1 breaks ties), sentiment
//!   by macro-F1. Ties go to the earlier grid entry, so selection is deterministic.
//! * **Relevance** (one-vs-rest per topic) is trained when every topic has positive and negative
//!   records; a record's `topics` keys are its positives, `"topics": {}` is a negative for all.

use super::logistic::{self, ClassWeight, Fitted, LogisticConfig};
use super::store::{creation_time, LabelSets, Manifest, FORMAT_NAME, FORMAT_VERSION};
use super::{Block, Label, Model, Sentiment, Stance, StanceHead};
use crate::dataset::Record;
use crate::eval::classify::{ClassifyReport, Confusion};
use crate::features::{Vectorizer, VectorizerConfig};
use crate::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sprs::CsMat;
use std::collections::{BTreeMap, BTreeSet};

/// How stance is modelled across topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// One model, shared + topic-conjoined features.
    Joint,
    /// One model per topic.
    PerTopic,
    /// Choose by cross-validation (training parameter only).
    Auto,
}

/// Training parameters (checked by [`TrainParams::validate`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    /// Vectorizer configurations to cross-validate (the first is used without CV).
    pub vectorizers: Vec<VectorizerConfig>,
    /// Values of C (inverse L2 strength) to cross-validate; without CV the first is used.
    pub c: Vec<f64>,
    /// Number of CV folds; 0 or 1 = no cross-validation (first grid entries are used).
    pub cv_folds: usize,
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
    /// C of the relevance head.
    pub relevance_c: f64,
    /// P(topic) threshold for detecting a topic.
    pub relevance_threshold: f32,
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

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            vectorizers: vec![default_vectorizer()],
            c: vec![10.0, 1.0],
            cv_folds: 0,
            class_weight: ClassWeight::Balanced,
            strategy: Strategy::Auto,
            seed: 0,
            max_iter: 100,
            tol: 1e-4,
            relevance: true,
            sentiment: true,
            relevance_c: 10.0,
            relevance_threshold: 0.5,
        }
    }
}

impl TrainParams {
    /// Rejects empty grids, bad C values, bad fold counts and bad vectorizer configs.
    pub fn validate(&self) -> Result<()> {
        if self.vectorizers.is_empty() {
            return Err(Error::InvalidParam {
                name: "vectorizers",
                value: "[]".into(),
                msg: "need at least one vectorizer config".into(),
            });
        }
        for v in &self.vectorizers {
            v.validate()?;
        }
        if self.c.is_empty() {
            return Err(Error::InvalidParam {
                name: "C",
                value: "[]".into(),
                msg: "need at least one C".into(),
            });
        }
        for &c in self.c.iter().chain([&self.relevance_c]) {
            LogisticConfig {
                c,
                max_iter: self.max_iter,
                tol: self.tol,
            }
            .validate()?;
        }
        if self.cv_folds > 50 {
            return Err(Error::InvalidParam {
                name: "cv",
                value: self.cv_folds.to_string(),
                msg: "use 0 (no CV) or 2..=50 folds".into(),
            });
        }
        if !(0.0..=1.0).contains(&self.relevance_threshold) {
            return Err(Error::InvalidParam {
                name: "relevance_threshold",
                value: self.relevance_threshold.to_string(),
                msg: "must be in [0, 1]".into(),
            });
        }
        Ok(())
    }

    fn solver(&self, c: f64) -> LogisticConfig {
        LogisticConfig {
            c,
            max_iter: self.max_iter,
            tol: self.tol,
        }
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
    /// Macro-F1 over positive / negative / neutral.
    pub macro_f1: f64,
}

/// What training found; the deterministic parts go into the manifest's `cv` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TrainReport {
    /// Folds used (0 = no CV).
    pub folds: usize,
    /// Stance grid.
    pub stance_grid: Vec<StanceCv>,
    /// Sentiment grid.
    pub sentiment_grid: Vec<SentimentCv>,
    /// Chosen vectorizer index.
    pub chosen_vectorizer: usize,
    /// Chosen stance strategy and C.
    pub chosen_stance: Option<(Strategy, f64)>,
    /// Chosen sentiment C.
    pub chosen_sentiment_c: Option<f64>,
    /// CV stance metrics of the chosen setting, pooled.
    pub stance_pooled: Option<ClassifyReport>,
    /// CV stance metrics of the chosen setting, per topic.
    pub stance_per_topic: BTreeMap<String, ClassifyReport>,
    /// CV sentiment metrics of the chosen setting.
    pub sentiment: Option<ClassifyReport>,
    /// Why the relevance head was or was not trained.
    pub relevance_note: String,
    /// Seconds spent in cross-validation (not saved in the model).
    #[serde(skip)]
    pub cv_seconds: f64,
    /// Seconds spent on the final fit (not saved in the model).
    #[serde(skip)]
    pub final_fit_seconds: f64,
}

/// Sparse features of every record, from one fitted vectorizer.
struct Feats {
    nf: usize,
    text: CsMat<f32>,
    ctx: CsMat<f32>,
    /// Sentiment: marked text, left and right of the target (empty rows without a target).
    marked: CsMat<f32>,
    left: CsMat<f32>,
    right: CsMat<f32>,
}

fn featurize(v: &Vectorizer, recs: &[Record]) -> Feats {
    let texts: Vec<&str> = recs.iter().map(|r| r.text.as_str()).collect();
    let ctxs: Vec<&str> = recs
        .iter()
        .map(|r| r.context.as_deref().unwrap_or(""))
        .collect();
    let mut marked = Vec::with_capacity(recs.len());
    let mut left = Vec::with_capacity(recs.len());
    let mut right = Vec::with_capacity(recs.len());
    for r in recs {
        match r.target {
            Some(t) => {
                let mut m = String::new();
                let (s, e) = super::target_views(&r.text, (t.start, t.end), &mut m);
                marked.push(m);
                left.push(&r.text[..s]);
                right.push(&r.text[e..]);
            }
            None => {
                marked.push(r.text.clone());
                left.push("");
                right.push("");
            }
        }
    }
    let marked: Vec<&str> = marked.iter().map(String::as_str).collect();
    Feats {
        nf: v.n_features(),
        text: v.transform(&texts),
        ctx: v.transform(&ctxs),
        marked: v.transform(&marked),
        left: v.transform(&left),
        right: v.transform(&right),
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

fn stance_matrix(f: &Feats, ex: &[Ex], joint: Option<usize>) -> CsMat<f32> {
    let d = 2 * f.nf;
    let mut r = Rows::new();
    for &(i, t, _) in ex {
        r.piece(&f.text, i, 0);
        r.piece(&f.ctx, i, f.nf);
        if let Some(n_topics) = joint {
            let off = (t + 1) * d;
            r.piece(&f.text, i, off);
            r.piece(&f.ctx, i, off + f.nf);
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

fn sentiment_matrix(f: &Feats, recs: &[usize]) -> CsMat<f32> {
    let mut r = Rows::new();
    for &i in recs {
        r.piece(&f.marked, i, 0);
        r.piece(&f.left, i, f.nf);
        r.piece(&f.right, i, 2 * f.nf);
        r.end_row();
    }
    r.build(3 * f.nf)
}

fn predict_rows(fit: &Fitted, x: &CsMat<f32>) -> Vec<usize> {
    let k = fit.n_outputs;
    x.outer_iterator()
        .map(|row| {
            let mut z = fit.bias.clone();
            for (j, &v) in row.iter() {
                for (zc, w) in z.iter_mut().zip(&fit.weights[j * k..j * k + k]) {
                    *zc += v * w;
                }
            }
            super::argmax(&z)
        })
        .collect()
}

/// A fitted stance model during training (before it becomes a [`StanceHead`]).
enum StanceFit {
    Joint(Fitted),
    PerTopic(Vec<Option<Fitted>>),
}

fn fit_stance(
    f: &Feats,
    ex: &[Ex],
    n_topics: usize,
    strategy: Strategy,
    cfg: &LogisticConfig,
    cw: ClassWeight,
    warm: Option<&StanceFit>,
) -> Result<StanceFit> {
    let ys = |e: &[Ex]| e.iter().map(|x| x.2.index()).collect::<Vec<_>>();
    match strategy {
        Strategy::PerTopic => {
            let fits: Result<Vec<Option<Fitted>>> = (0..n_topics)
                .into_par_iter()
                .map(|t| {
                    let sub: Vec<Ex> = ex.iter().copied().filter(|e| e.1 == t).collect();
                    if sub.is_empty() {
                        return Ok(None);
                    }
                    let y = ys(&sub);
                    let sw = logistic::sample_weights(&y, 3, cw);
                    let init = match warm {
                        Some(StanceFit::PerTopic(ms)) => ms[t].as_ref(),
                        _ => None,
                    };
                    let x = stance_matrix(f, &sub, None);
                    logistic::fit_warm(&x, &y, 3, false, &sw, cfg, init).map(Some)
                })
                .collect();
            Ok(StanceFit::PerTopic(fits?))
        }
        _ => {
            let y = ys(ex);
            let sw = logistic::sample_weights(&y, 3, cw);
            let x = stance_matrix(f, ex, Some(n_topics));
            let init = match warm {
                Some(StanceFit::Joint(m)) => Some(m),
                _ => None,
            };
            Ok(StanceFit::Joint(logistic::fit_warm(
                &x, &y, 3, false, &sw, cfg, init,
            )?))
        }
    }
}

fn predict_stance(fit: &StanceFit, f: &Feats, ex: &[Ex], n_topics: usize) -> Vec<usize> {
    match fit {
        StanceFit::Joint(m) => predict_rows(m, &stance_matrix(f, ex, Some(n_topics))),
        StanceFit::PerTopic(ms) => ex
            .iter()
            .map(|e| match &ms[e.1] {
                Some(m) => predict_rows(m, &stance_matrix(f, std::slice::from_ref(e), None))[0],
                None => Stance::Neutral.index(),
            })
            .collect(),
    }
}

fn into_head(fit: StanceFit, nf: usize, n_topics: usize) -> StanceHead {
    let d = 2 * nf;
    let block = |w: &[f32], bias: Vec<f32>| Block {
        k: 3,
        rows: d,
        w: w.to_vec(),
        bias,
    };
    match fit {
        StanceFit::Joint(m) => {
            let ind = (n_topics + 1) * d;
            let per_topic = (0..n_topics)
                .map(|t| {
                    let bias = (0..3).map(|c| m.weights[(ind + t) * 3 + c]).collect();
                    block(&m.weights[(t + 1) * d * 3..(t + 2) * d * 3], bias)
                })
                .collect();
            StanceHead {
                strategy: Strategy::Joint,
                shared: Some(block(&m.weights[..d * 3], m.bias.clone())),
                per_topic,
            }
        }
        StanceFit::PerTopic(ms) => StanceHead {
            strategy: Strategy::PerTopic,
            shared: None,
            per_topic: ms
                .into_iter()
                .map(|m| match m {
                    Some(m) => block(&m.weights, m.bias),
                    None => block(&vec![0.0; d * 3], vec![0.0; 3]),
                })
                .collect(),
        },
    }
}

/// Fold of every record: same text → same fold; stratified by the first label.
fn assign_folds(recs: &[Record], k: usize, seed: u64) -> Vec<usize> {
    use xxhash_rust::xxh3::xxh3_64_with_seed;
    let mut groups: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, r) in recs.iter().enumerate() {
        groups
            .entry(xxh3_64_with_seed(r.text.as_bytes(), seed))
            .or_default()
            .push(i);
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

/// Trains a model on `records`. `progress` is called after every fit.
pub fn train(
    records: &[Record],
    params: &TrainParams,
    mut progress: impl FnMut(&TrainProgress),
) -> Result<(Model, TrainReport)> {
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
    let nt = topics.len();
    let strategies: Vec<Strategy> = match params.strategy {
        Strategy::Auto => vec![Strategy::Joint, Strategy::PerTopic],
        s => vec![s],
    };
    let cw = params.class_weight;
    let k = if params.cv_folds >= 2 {
        params.cv_folds
    } else {
        0
    };
    let mut report = TrainReport {
        folds: k,
        ..Default::default()
    };
    let has_stance = !stance_ex.is_empty();
    let has_sent = !sent_recs.is_empty();
    let per_fold = (if has_stance {
        strategies.len() * params.c.len()
    } else {
        0
    }) + if has_sent { params.c.len() } else { 0 };
    let total = params.vectorizers.len() * k * per_fold + 3;
    let mut done = 0;
    let mut tick = |stage: String| {
        done += 1;
        progress(&TrainProgress { done, total, stage });
    };
    let docs_of = |idx: &mut dyn Iterator<Item = usize>| -> Vec<&str> {
        let mut d = Vec::new();
        for i in idx {
            d.push(records[i].text.as_str());
            if let Some(c) = &records[i].context {
                d.push(c.as_str());
            }
        }
        d
    };

    let t0 = std::time::Instant::now();
    let stance_names: Vec<&str> = Stance::ALL.iter().map(|s| s.name()).collect();
    let sent_names: Vec<&str> = Sentiment::ALL.iter().map(|s| s.name()).collect();
    // (vectorizer, strategy, c) → (pooled, per-topic) confusions
    let mut stance_conf: BTreeMap<(usize, usize, usize), (Confusion, Vec<Confusion>)> =
        BTreeMap::new();
    let mut sent_conf: BTreeMap<(usize, usize), Confusion> = BTreeMap::new();
    // Grid C values from strongest to weakest penalty: each fit warm-starts from the last.
    let mut c_order: Vec<usize> = (0..params.c.len()).collect();
    c_order.sort_by(|&a, &b| params.c[a].total_cmp(&params.c[b]));
    if k >= 2 {
        let fold = assign_folds(records, k, params.seed);
        for (vi, vcfg) in params.vectorizers.iter().enumerate() {
            for f in 0..k {
                let docs = docs_of(&mut (0..records.len()).filter(|&i| fold[i] != f));
                let v = Vectorizer::fit(vcfg, &docs)?;
                let feats = featurize(&v, records);
                let (tr, va): (Vec<Ex>, Vec<Ex>) = stance_ex.iter().partition(|e| fold[e.0] != f);
                for (si, &s) in strategies.iter().enumerate() {
                    if tr.is_empty() || va.is_empty() {
                        continue;
                    }
                    let mut warm: Option<StanceFit> = None;
                    for &ci in &c_order {
                        let c = params.c[ci];
                        let m =
                            fit_stance(&feats, &tr, nt, s, &params.solver(c), cw, warm.as_ref())?;
                        let pred = predict_stance(&m, &feats, &va, nt);
                        let entry = stance_conf.entry((vi, si, ci)).or_insert_with(|| {
                            (
                                Confusion::new(&stance_names),
                                vec![Confusion::new(&stance_names); nt],
                            )
                        });
                        for (e, p) in va.iter().zip(pred) {
                            entry.0.add(e.2.index(), p);
                            entry.1[e.1].add(e.2.index(), p);
                        }
                        tick(format!("cv fold {}/{k} stance {s:?} C={c}", f + 1));
                        warm = Some(m);
                    }
                }
                let (str_, sva): (Vec<usize>, Vec<usize>) =
                    sent_recs.iter().partition(|&&i| fold[i] != f);
                if !str_.is_empty() && !sva.is_empty() {
                    let y: Vec<usize> = str_
                        .iter()
                        .map(|&i| records[i].sentiment.unwrap().index())
                        .collect();
                    let sw = logistic::sample_weights(&y, 3, cw);
                    let xtr = sentiment_matrix(&feats, &str_);
                    let xva = sentiment_matrix(&feats, &sva);
                    let mut warm: Option<Fitted> = None;
                    for &ci in &c_order {
                        let c = params.c[ci];
                        let m = logistic::fit_warm(
                            &xtr,
                            &y,
                            3,
                            false,
                            &sw,
                            &params.solver(c),
                            warm.as_ref(),
                        )?;
                        let entry = sent_conf
                            .entry((vi, ci))
                            .or_insert_with(|| Confusion::new(&sent_names));
                        for (&i, p) in sva.iter().zip(predict_rows(&m, &xva)) {
                            entry.add(records[i].sentiment.unwrap().index(), p);
                        }
                        tick(format!("cv fold {}/{k} sentiment C={c}", f + 1));
                        warm = Some(m);
                    }
                }
            }
        }
    }
    // Selection.
    type GridPoint = (usize, usize, usize);
    let mut best_stance: Option<(GridPoint, (f64, f64))> = None;
    for (&(vi, si, ci), (pooled, per)) in &stance_conf {
        let rep = pooled.report();
        let score = (rep.f_avg.unwrap_or(0.0), rep.macro_f1);
        report.stance_grid.push(StanceCv {
            vectorizer: vi,
            strategy: strategies[si],
            c: params.c[ci],
            f_avg: score.0,
            macro_f1: score.1,
            per_topic_f_avg: topics
                .iter()
                .zip(per)
                .filter(|(_, c)| c.total() > 0)
                .map(|(t, c)| (t.clone(), c.report().f_avg.unwrap_or(0.0)))
                .collect(),
        });
        if best_stance.map(|(_, b)| better(score, b)).unwrap_or(true) {
            best_stance = Some(((vi, si, ci), score));
        }
    }
    let chosen_v = match best_stance {
        Some(((vi, _, _), _)) => vi,
        None => {
            let mut best: Option<(usize, f64)> = None;
            for (&(vi, _), c) in &sent_conf {
                let s = c.report().macro_f1;
                if best.map(|b| s > b.1 + 1e-12).unwrap_or(true) {
                    best = Some((vi, s));
                }
            }
            best.map(|b| b.0).unwrap_or(0)
        }
    };
    report.chosen_vectorizer = chosen_v;
    let (stance_s, stance_c) = match best_stance {
        Some(((_, si, ci), _)) => {
            let (pooled, per) = &stance_conf[&(chosen_v, si, ci)];
            report.stance_pooled = Some(pooled.report());
            report.stance_per_topic = topics
                .iter()
                .zip(per)
                .filter(|(_, c)| c.total() > 0)
                .map(|(t, c)| (t.clone(), c.report()))
                .collect();
            (strategies[si], params.c[ci])
        }
        // No CV: `auto` means per-topic, the strategy SemEval-2016 CV favoured (see report).
        None => match params.strategy {
            Strategy::Auto => (Strategy::PerTopic, params.c[0]),
            s => (s, params.c[0]),
        },
    };
    let mut sent_c = params.c[0];
    let mut best_sent: Option<f64> = None;
    for (&(vi, ci), conf) in &sent_conf {
        let rep = conf.report();
        report.sentiment_grid.push(SentimentCv {
            vectorizer: vi,
            c: params.c[ci],
            macro_f1: rep.macro_f1,
        });
        if vi == chosen_v && best_sent.map(|b| rep.macro_f1 > b + 1e-12).unwrap_or(true) {
            best_sent = Some(rep.macro_f1);
            sent_c = params.c[ci];
            report.sentiment = Some(rep);
        }
    }
    report.cv_seconds = t0.elapsed().as_secs_f64();

    // Final fit on everything.
    let t1 = std::time::Instant::now();
    let vcfg = &params.vectorizers[chosen_v];
    let v = Vectorizer::fit(vcfg, &docs_of(&mut (0..records.len())))?;
    let feats = featurize(&v, records);
    let stance = if has_stance {
        report.chosen_stance = Some((stance_s, stance_c));
        let m = fit_stance(
            &feats,
            &stance_ex,
            nt,
            stance_s,
            &params.solver(stance_c),
            cw,
            None,
        )?;
        tick("final stance".into());
        Some(into_head(m, feats.nf, nt))
    } else {
        None
    };
    let sentiment = if has_sent {
        report.chosen_sentiment_c = Some(sent_c);
        let y: Vec<usize> = sent_recs
            .iter()
            .map(|&i| records[i].sentiment.unwrap().index())
            .collect();
        let sw = logistic::sample_weights(&y, 3, cw);
        let m = logistic::fit(
            &sentiment_matrix(&feats, &sent_recs),
            &y,
            3,
            false,
            &sw,
            &params.solver(sent_c),
        )?;
        tick("final sentiment".into());
        Some(Block {
            k: 3,
            rows: 3 * feats.nf,
            w: m.weights,
            bias: m.bias,
        })
    } else {
        None
    };
    let relevance = fit_relevance(records, &topics, &feats, params, &mut report)?;
    tick("final relevance".into());
    report.final_fit_seconds = t1.elapsed().as_secs_f64();

    let manifest = Manifest {
        format: FORMAT_NAME.into(),
        format_version: FORMAT_VERSION,
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
        n_features: feats.nf,
        stance_strategy: stance.as_ref().map(|s| s.strategy),
        relevance_threshold: params.relevance_threshold,
        train_params: serde_json::to_value(params)?,
        cv: serde_json::to_value(&report)?,
        blocks: Vec::new(),
        files: BTreeMap::new(),
        attribution: None,
    };
    Ok((
        Model::from_parts(manifest, v, topics, stance, relevance, sentiment),
        report,
    ))
}

fn fit_relevance(
    records: &[Record],
    topics: &[String],
    feats: &Feats,
    params: &TrainParams,
    report: &mut TrainReport,
) -> Result<Option<Vec<Block>>> {
    if !params.relevance || topics.is_empty() {
        report.relevance_note = "not trained (disabled or no topics)".into();
        return Ok(None);
    }
    let recs: Vec<usize> = (0..records.len())
        .filter(|&i| records[i].topics.is_some())
        .collect();
    let has = |i: usize, t: &str| {
        records[i]
            .topics
            .as_ref()
            .is_some_and(|m| m.contains_key(t))
    };
    // Topic detection is learned from quotes that take up *no* topic (`"topics": {}`): data
    // where every record names its topic (SemEval: the target is given) has no detection task.
    if !recs
        .iter()
        .any(|&i| records[i].topics.as_ref().is_some_and(|m| m.is_empty()))
    {
        report.relevance_note =
            "not trained: no records about none of the topics (\"topics\": {})".into();
        return Ok(None);
    }
    if let Some(t) = topics.iter().find(|t| recs.iter().all(|&i| has(i, t))) {
        report.relevance_note = format!("not trained: no negative records for topic {t}");
        return Ok(None);
    }
    let mut r = Rows::new();
    for &i in &recs {
        r.piece(&feats.text, i, 0);
        r.piece(&feats.ctx, i, feats.nf);
        r.end_row();
    }
    let x = r.build(2 * feats.nf);
    let cfg = params.solver(params.relevance_c);
    let blocks: Result<Vec<Block>> = topics
        .par_iter()
        .map(|t| {
            let y: Vec<usize> = recs.iter().map(|&i| has(i, t) as usize).collect();
            let sw = logistic::sample_weights(&y, 2, ClassWeight::Balanced);
            let m = logistic::fit(&x, &y, 2, true, &sw, &cfg)?;
            Ok(Block {
                k: 1,
                rows: 2 * feats.nf,
                w: m.weights,
                bias: m.bias,
            })
        })
        .collect();
    report.relevance_note = format!(
        "trained on {} records (C={}, balanced, one-vs-rest); not cross-validated",
        recs.len(),
        params.relevance_c
    );
    Ok(Some(blocks?))
}
