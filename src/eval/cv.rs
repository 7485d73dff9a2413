//! Grouped cross-validation of a whole training recipe over real labelled news: every fold
//! trains a model with the recipe's exact settings on the other folds' stories (plus the
//! recipe's statements and off-domain negatives), labels the held-out articles end to end and
//! scores them with [`super::labels`]. Counts are pooled over folds; the per-fold figures show
//! the spread.
//!
//! - **Groups** are stories (`groups.tsv`; a gold set without one has one group per article);
//!   folds get whole groups, largest first, each to the fold with the fewest gold quotes so
//!   far (deterministic). `folds = 0` is leave-one-group-out.
//! - **No copies across the split**: a fold's [`CopyGuard`], built from its held-out gold
//!   quotes, drops every training record whose text, context or wide context shares
//!   [`CvOptions::copy_ngram`] consecutive words with one of them (the same quote reported by
//!   several outlets, or a statement copied from it) and, with [`CvOptions::near_copies`] (the
//!   default), every record whose quote text may *retell* one in other words: two or more
//!   shared word 4-grams, or a content-word Jaccard similarity of at least 0.3 with at least 3
//!   shared content words (the criterion of `scripts/annotate/overlap_check.py --near`). The
//!   near check has false positives (shared diplomatic boilerplate), which only cost a fold a
//!   few training records. [`FoldResult`] counts both kinds.
//! - Statements tied to a gold article (`article` field) are held out with its group.

use super::labels::{off_domain, score_predictions, LabelCounts, LabelEval};
use crate::article::Article;
use crate::error::{Error, Result};
use crate::pipeline::LabeledQuote;
use crate::pipeline::Pipeline;
use crate::quotes::QuoteExtractor;
use crate::recipe::{CopyGuard, Recipe, RecipeData};
use crate::topics::TopicConfig;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;

/// Options of a cross-validation run.
#[derive(Debug, Clone)]
pub struct CvOptions {
    /// Number of folds; 0 = one fold per group.
    pub folds: usize,
    /// Consecutive words shared with a held-out quote that make a training record a copy.
    pub copy_ngram: usize,
    /// Also drop the training records whose quote text may retell a held-out quote in other
    /// words ([`CopyGuard::is_near_copy`]); on by default.
    pub near_copies: bool,
    /// Off-domain articles on which every fold's model reports its topic rate.
    pub off_domain: Vec<Article>,
}

impl Default for CvOptions {
    fn default() -> Self {
        CvOptions {
            folds: 5,
            copy_ngram: 6,
            near_copies: true,
            off_domain: Vec::new(),
        }
    }
}

/// One fold's result.
#[derive(Debug, Clone, Serialize)]
pub struct FoldResult {
    /// Held-out groups.
    pub groups: Vec<String>,
    /// Training records used, and those dropped as copies of held-out quotes (exact and near).
    pub train_records: usize,
    pub dropped_copies: usize,
    /// Of `dropped_copies`, those dropped only by the near check (0 without it).
    pub dropped_near_copies: usize,
    /// The fold's figures.
    pub eval: LabelEval,
    /// Off-domain quotes, and how many of them got a topic.
    pub off_domain: (usize, usize),
    /// What the fold's training chose (its own inner cross-validation).
    pub chosen: serde_json::Value,
    /// The held-out articles' labeled quotes (for error analysis; not serialised).
    #[serde(skip)]
    pub predictions: Vec<LabeledQuote>,
}

/// The report: pooled figures and every fold's.
#[derive(Debug, Clone, Serialize)]
pub struct CvReport {
    pub pooled: LabelEval,
    /// Off-domain quotes over all folds' models, and how many got a topic.
    pub off_domain: (usize, usize),
    pub folds: Vec<FoldResult>,
}

/// Splits groups into `k` folds (0 = one per group): largest groups first, each to the
/// currently smallest fold (by gold quotes); ties by name, so the split is deterministic.
pub fn assign_groups(sizes: &[(String, usize)], k: usize) -> Vec<Vec<String>> {
    let k = if k == 0 {
        sizes.len()
    } else {
        k.min(sizes.len())
    };
    let mut order: Vec<&(String, usize)> = sizes.iter().collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut folds: Vec<(usize, Vec<String>)> = vec![(0, Vec::new()); k];
    for (g, n) in order {
        let f = (0..k)
            .min_by_key(|&i| (folds[i].0, i))
            .expect("at least one fold");
        folds[f].0 += n;
        folds[f].1.push(g.clone());
    }
    folds
        .into_iter()
        .map(|(_, mut g)| {
            g.sort();
            g
        })
        .collect()
}

/// Runs grouped cross-validation of `recipe` on `data`. `progress(done, total, message)` is
/// called before each fold.
pub fn cross_validate(
    recipe: &Recipe,
    data: &RecipeData,
    extractor: &QuoteExtractor,
    topics: &TopicConfig,
    opts: &CvOptions,
    mut progress: impl FnMut(usize, usize, &str),
) -> Result<CvReport> {
    if opts.folds == 1 {
        return Err(Error::InvalidParam {
            name: "folds",
            value: "1".into(),
            msg: "one fold leaves nothing to train on: use 2 or more (0 = one fold per group)"
                .into(),
        });
    }
    if opts.copy_ngram == 0 {
        return Err(Error::InvalidParam {
            name: "copy_ngram",
            value: "0".into(),
            msg: "the copy guard compares word sequences of at least one word".into(),
        });
    }
    let sizes: Vec<(String, usize)> = data.quotes_per_group().into_iter().collect();
    if sizes.len() < 2 {
        return Err(Error::Training(
            "grouped cross-validation needs gold data with at least two groups".into(),
        ));
    }
    let folds = assign_groups(&sizes, opts.folds);
    // The ranker learns from PolNeAR only (never from the gold sets), so one ranker serves
    // every fold: speakers and the summary are scored as the shipped pipeline would make them.
    let extractor = &match extractor.ranker() {
        Some(_) => extractor.clone(),
        None => extractor
            .clone()
            .with_ranker(recipe.train_ranker(extractor)?),
    };
    let mut pooled = LabelCounts::default();
    let mut off_total = (0, 0);
    let mut results = Vec::new();
    for (fi, held) in folds.iter().enumerate() {
        progress(
            fi,
            folds.len(),
            &format!("fold {}/{}: {}", fi + 1, folds.len(), held.join(" ")),
        );
        let held_set: BTreeSet<&str> = held.iter().map(String::as_str).collect();
        let mut test_articles = Vec::new();
        let mut test_gold = Vec::new();
        let mut held_quotes: Vec<&str> = Vec::new();
        for (s, _) in &data.sets {
            for a in &s.articles {
                if held_set.contains(s.groups[&a.id].as_str()) {
                    test_articles.push(a.clone());
                }
            }
            for q in &s.quotes {
                if held_set.contains(s.groups[&q.article].as_str()) {
                    let a = s
                        .articles
                        .iter()
                        .find(|a| a.id == q.article)
                        .expect("gold sets check their articles");
                    let idx = crate::article::CharIndex::new(&a.text);
                    held_quotes.push(idx.slice(&a.text, q.start, q.end));
                    test_gold.push(q.clone());
                }
            }
        }
        let guard = CopyGuard::new(held_quotes, opts.copy_ngram, opts.near_copies);
        let (records, dropped) =
            data.training_records(extractor, |g| !held_set.contains(g), Some(&guard));
        let (model, train_report) = crate::model::train(&records, &recipe.train, |_| {})?;
        let chosen = serde_json::json!({
            "vectorizer": train_report.chosen_vectorizer,
            "stance": train_report.chosen_stance,
            "neutral_bias": train_report.chosen_neutral_bias,
            "sentiment_c": train_report.chosen_sentiment_c,
            "sentiment_bias": train_report.chosen_sentiment_bias,
            "relevance_c": train_report.chosen_relevance_c,
            "detection": model.detection(),
            "calibration": model.calibration(),
            "inner_detection": train_report.detection,
            "inner_stance_f_avg": train_report.stance_pooled.as_ref().and_then(|r| r.f_avg),
            "inner_sentiment_macro_f1": train_report.sentiment.as_ref().map(|r| r.macro_f1),
        });
        let pipeline = Pipeline::new(extractor.clone(), model, topics)?;
        // Off-domain quotes are only counted; the held-out ones carry every topic's P(topic)
        // into the predictions (error analysis wants the missed topics too).
        let off = off_domain(&pipeline, &opts.off_domain);
        let pipeline = pipeline.with_relevance_scores(true);
        let predicted: Vec<Vec<LabeledQuote>> = test_articles
            .par_iter()
            .map(|a| pipeline.label(a))
            .collect();
        let counts = score_predictions(&pipeline, &test_articles, &predicted, &test_gold);
        off_total.0 += off.0;
        off_total.1 += off.1;
        pooled.merge(&counts);
        results.push(FoldResult {
            groups: held.clone(),
            train_records: records.len(),
            dropped_copies: dropped.total(),
            dropped_near_copies: dropped.near,
            eval: counts.report(),
            off_domain: off,
            chosen,
            predictions: predicted.into_iter().flatten().collect(),
        });
    }
    progress(folds.len(), folds.len(), "done");
    let mut pooled = pooled.report();
    if !opts.off_domain.is_empty() {
        pooled.off_domain = Some(super::labels::OffDomain::new(off_total));
    }
    Ok(CvReport {
        pooled,
        off_domain: off_total,
        folds: results,
    })
}

fn mean_sd(xs: &[f64]) -> (f64, f64, f64, f64) {
    let n = xs.len().max(1) as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (m, v.sqrt(), lo, hi)
}

fn rate(o: (usize, usize)) -> f64 {
    if o.0 == 0 {
        0.0
    } else {
        o.1 as f64 / o.0 as f64
    }
}

impl fmt::Display for CvReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "== grouped cross-validation: {} folds, pooled ==",
            self.folds.len()
        )?;
        write!(f, "{}", self.pooled)?;
        writeln!(f, "\n== per fold ==")?;
        writeln!(
            f,
            "{:>4} {:>6} {:>6} {:>7} {:>5} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}  groups",
            "fold",
            "quotes",
            "train",
            "copies",
            "near",
            "topic",
            "F_avg",
            "sent",
            "speaker",
            "summary",
            "offdom"
        )?;
        let mut cols: [Vec<f64>; 6] = Default::default();
        for (i, r) in self.folds.iter().enumerate() {
            let e = &r.eval;
            let vals = [
                e.topics.f1,
                e.stance_f_avg,
                e.sentiment_macro_f1,
                e.speaker_accuracy,
                e.summary.f1,
                rate(r.off_domain),
            ];
            for (c, v) in cols.iter_mut().zip(vals) {
                c.push(v);
            }
            writeln!(
                f,
                "{:>4} {:>6} {:>6} {:>7} {:>5} {:>7.3} {:>7.3} {:>7.3} {:>7.3} {:>7.3} {:>7.3}  {}",
                i + 1,
                e.gold_quotes,
                r.train_records,
                r.dropped_copies,
                r.dropped_near_copies,
                vals[0],
                vals[1],
                vals[2],
                vals[3],
                vals[4],
                vals[5],
                r.groups.join(" ")
            )?;
        }
        let stats: Vec<(f64, f64, f64, f64)> = cols.iter().map(|c| mean_sd(c)).collect();
        write!(f, "{:>40}", "mean ± sd")?;
        for s in &stats {
            write!(f, " {:>3.3}±{:.2}", s.0, s.1)?;
        }
        writeln!(f)?;
        write!(f, "{:>40}", "min–max")?;
        for s in &stats {
            write!(f, " {:.2}–{:.2}", s.2, s.3)?;
        }
        writeln!(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_balanced_and_whole() {
        let sizes = vec![
            ("a".to_string(), 50),
            ("b".to_string(), 30),
            ("c".to_string(), 20),
            ("d".to_string(), 10),
            ("e".to_string(), 10),
        ];
        let f = assign_groups(&sizes, 2);
        // a(50) | b(30) c(20) → 50 | 50; d(10) to the first of the tied folds, e(10) to the other.
        assert_eq!(
            f,
            vec![
                vec!["a".to_string(), "d".into()],
                vec!["b".into(), "c".into(), "e".into()]
            ]
        );
        let all: Vec<String> = assign_groups(&sizes, 0).into_iter().flatten().collect();
        assert_eq!(all.len(), 5);
        assert_eq!(assign_groups(&sizes, 3).len(), 3);
    }
}
