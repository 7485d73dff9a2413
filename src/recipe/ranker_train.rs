//! Training the source ranker ([`crate::speakers::ranker`]) from attribution data in PolNeAR's brat
//! layout: `<root>/train` is fitted, `<root>/dev` picks C (and is reported), the test split is
//! never read. Two trainers fit the same L2 binary logistic loss: the project's sparse L-BFGS
//! ([`crate::model::logistic`]) and linfa-logistic (dense, which suits the ranker's few dense
//! features); [`compare_trainers`] reports both on dev.

use crate::corpora::polnear::{self, PolnearArticle};
use crate::error::{Error, Result};
use crate::model::logistic::{LogisticParams, SparseRecords};
use crate::quotes::{match_overlapping, QuoteExtractor};
use crate::speakers::ranker::{Ranker, FEATURES, N_FEATURES};
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;

/// Which solver fits the ranker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trainer {
    /// The project's sparse L-BFGS trainer.
    SparseLbfgs,
    /// linfa-logistic (dense).
    LinfaLogistic,
}

impl Trainer {
    /// Name stored in the ranker.
    pub fn name(self) -> &'static str {
        match self {
            Trainer::SparseLbfgs => "sparse-lbfgs",
            Trainer::LinfaLogistic => "linfa-logistic",
        }
    }
}

/// Training settings.
#[derive(Debug, Clone)]
pub struct RankerTrainConfig {
    pub trainer: Trainer,
    /// C values tried: the smallest whose dev speaker-mention accuracy is within one standard
    /// error of the best wins.
    pub c_grid: Vec<f64>,
    /// Marked spans outside every attributed Content span (scare quotes, titles) teach `none`.
    pub unattributed_as_none: bool,
    /// Quotes whose gold source is none of the candidates also teach `none` (else they are
    /// left out: abstaining there is as wrong as a wrong name for mention accuracy).
    pub none_when_no_candidate: bool,
    /// Fit on within-quote candidate pairs ([`RankData::pairs`]) instead of single candidates.
    pub pairwise: bool,
}

impl Default for RankerTrainConfig {
    fn default() -> Self {
        RankerTrainConfig {
            trainer: Trainer::LinfaLogistic,
            c_grid: vec![0.1, 1.0],
            unattributed_as_none: false,
            none_when_no_candidate: false,
            pairwise: true,
        }
    }
}

/// Candidate rows of many quotes with their labels.
#[derive(Debug, Clone, Default)]
pub struct RankData {
    pub x: Vec<[f32; N_FEATURES]>,
    pub y: Vec<bool>,
    /// Row range of each quote, and whether the quote has a gold mention (scored).
    pub groups: Vec<(std::ops::Range<usize>, bool)>,
}

impl RankData {
    /// Candidate rows of `articles`, labelled by overlap with the gold Source spans.
    pub fn from_polnear(
        x: &QuoteExtractor,
        articles: &[PolnearArticle],
        unattributed_as_none: bool,
        none_when_no_candidate: bool,
    ) -> Self {
        let parts: Vec<RankData> = articles
            .par_iter()
            .map(|a| {
                let mut d = RankData::default();
                let groups = x.ranker_candidates(&a.article);
                let gs: Vec<(usize, usize)> = a.quotes.iter().map(|q| (q.start, q.end)).collect();
                let ps: Vec<(usize, usize)> = groups.iter().map(|g| g.quote).collect();
                let mut gold_of = vec![None; ps.len()];
                for (i, j) in match_overlapping(&gs, &ps) {
                    gold_of[j] = Some(i);
                }
                for (j, g) in groups.into_iter().enumerate() {
                    let gold = match gold_of[j] {
                        Some(i) => match a.quotes[i].mention {
                            Some(m) => Some(m),
                            None => continue,
                        },
                        None if unattributed_as_none => None,
                        None => continue,
                    };
                    let start = d.x.len();
                    let labels: Vec<bool> = g
                        .candidates
                        .iter()
                        .map(|(m, _)| match (m, gold) {
                            (Some((ps, pe)), Some((gs, ge))) => *ps < ge && gs < *pe,
                            _ => false,
                        })
                        .collect();
                    let any = labels.iter().any(|&l| l);
                    if gold.is_some() && !any && !none_when_no_candidate {
                        // Scored (it counts in the accuracy) but teaches nothing.
                        d.groups.push((d.x.len()..d.x.len(), true));
                        continue;
                    }
                    for ((m, x), l) in g.candidates.into_iter().zip(labels) {
                        d.x.push(x);
                        // `none` (no mention) is right when no candidate is.
                        d.y.push(if m.is_none() { !any } else { l });
                    }
                    d.groups.push((start..d.x.len(), gold.is_some()));
                }
                d
            })
            .collect();
        let mut out = RankData::default();
        for p in parts {
            let off = out.x.len();
            out.x.extend(p.x);
            out.y.extend(p.y);
            out.groups.extend(
                p.groups
                    .into_iter()
                    .map(|(r, s)| (r.start + off..r.end + off, s)),
            );
        }
        out
    }

    /// Scored quotes with at least one right candidate (the ranker's ceiling), and all
    /// scored quotes.
    pub fn oracle(&self) -> (usize, usize) {
        let scored = self.groups.iter().filter(|g| g.1);
        let n = scored.clone().count();
        let ok = scored
            .filter(|(r, _)| r.clone().skip(1).any(|i| self.y[i]))
            .count();
        (ok, n)
    }

    /// Share of scored quotes whose chosen candidate is a right one (speaker-mention accuracy
    /// over the extractor's quotes matched to gold quotes with a Source).
    pub fn accuracy(&self, r: &Ranker) -> (usize, usize) {
        let (mut ok, mut n) = (0, 0);
        for (range, scored) in &self.groups {
            if !*scored {
                continue;
            }
            n += 1;
            let best = range.clone().map(|i| (i, r.score(&self.x[i]))).fold(
                None,
                |b: Option<(usize, f32)>, (i, s)| match b {
                    Some((_, bs)) if bs >= s => b,
                    _ => Some((i, s)),
                },
            );
            // Row `range.start` is always the `none` candidate.
            if let Some((i, _)) = best {
                ok += (i != range.start && self.y[i]) as usize;
            }
        }
        (ok, n)
    }
}

impl RankData {
    /// Pairwise rows for ranking: within each quote, every (right, wrong) candidate pair gives
    /// `x_right − x_wrong` labelled 1 or, alternately, `x_wrong − x_right` labelled 0. A
    /// logistic model on these differences learns which candidate of a quote wins (its
    /// intercept is ~0 and unused at prediction: only score differences matter).
    pub fn pairs(&self) -> RankData {
        let mut out = RankData::default();
        let mut flip = false;
        for (range, _) in &self.groups {
            let (pos, neg): (Vec<usize>, Vec<usize>) = range.clone().partition(|&i| self.y[i]);
            for &p in &pos {
                for &n in &neg {
                    let mut d = [0f32; N_FEATURES];
                    for (j, v) in d.iter_mut().enumerate() {
                        *v = if flip {
                            self.x[n][j] - self.x[p][j]
                        } else {
                            self.x[p][j] - self.x[n][j]
                        };
                    }
                    out.x.push(d);
                    out.y.push(!flip);
                    flip = !flip;
                }
            }
        }
        out
    }
}

/// Fits a ranker on `data` with `trainer` and regularisation `c`: pointwise (each candidate
/// right or wrong) or, with `pairwise`, on [`RankData::pairs`].
pub fn fit(data: &RankData, trainer: Trainer, c: f64, pairwise: bool) -> Result<Ranker> {
    let paired;
    let data = if pairwise {
        paired = data.pairs();
        &paired
    } else {
        data
    };
    if data.x.is_empty() || !data.y.iter().any(|&y| y) || data.y.iter().all(|&y| y) {
        return Err(Error::Training(
            "attribution data gives no positive and negative candidates".into(),
        ));
    }
    let (weights, bias) = match trainer {
        Trainer::SparseLbfgs => {
            let mut tri = sprs::TriMat::new((data.x.len(), N_FEATURES));
            for (i, row) in data.x.iter().enumerate() {
                for (j, &v) in row.iter().enumerate() {
                    if v != 0.0 {
                        tri.add_triplet(i, j, v);
                    }
                }
            }
            use linfa::prelude::Fit;
            let y: ndarray::Array1<usize> = data.y.iter().map(|&b| b as usize).collect();
            let f = LogisticParams::binary().c(c).max_iter(300).tol(1e-4).fit(
                &linfa::DatasetBase::new(SparseRecords::from(tri.to_csr()), y),
            )?;
            (f.weights, f.bias[0])
        }
        Trainer::LinfaLogistic => {
            use linfa::prelude::Fit;
            let mut x = ndarray::Array2::<f64>::zeros((data.x.len(), N_FEATURES));
            for (i, row) in data.x.iter().enumerate() {
                for (j, &v) in row.iter().enumerate() {
                    x[[i, j]] = v as f64;
                }
            }
            let y: ndarray::Array1<bool> = data.y.iter().copied().collect();
            let m = linfa_logistic::LogisticRegression::default()
                .alpha(1.0 / c)
                .max_iterations(300)
                .gradient_tolerance(1e-4)
                .fit(&linfa::Dataset::new(x, y))
                .map_err(|e| Error::Training(format!("linfa-logistic: {e}")))?;
            // linfa makes the more frequent label its positive class: flip to "is the source".
            let sign = if m.labels().pos.class { 1.0 } else { -1.0 };
            (
                m.params().iter().map(|&w| (sign * w) as f32).collect(),
                (sign * m.intercept()) as f32,
            )
        }
    };
    let r = Ranker {
        features: FEATURES.iter().map(|s| s.to_string()).collect(),
        weights,
        // Pairwise: only differences were seen, the intercept means nothing.
        bias: if pairwise { 0.0 } else { bias },
        trainer: trainer.name().to_string(),
        c,
        report: serde_json::Value::Null,
    };
    r.validate().map_err(Error::Training)?;
    Ok(r)
}

/// One point of the C grid.
#[derive(Debug, Clone, Serialize)]
pub struct GridPoint {
    pub trainer: Trainer,
    pub c: f64,
    pub pairwise: bool,
    pub train_accuracy: f64,
    pub dev_accuracy: f64,
    pub dev_scored: usize,
    /// Wall time: printed, never saved (the model bytes must not depend on it).
    #[serde(skip)]
    pub seconds: f64,
}

/// Fits every C of the grid on `train`, scores on `dev`, returns the best ranker (its
/// `report` holds the grid) and the grid.
pub fn fit_tuned(
    train: &RankData,
    dev: &RankData,
    trainer: Trainer,
    grid: &[f64],
    pairwise: bool,
) -> Result<(Ranker, Vec<GridPoint>)> {
    let mut fitted = Vec::new();
    let mut points = Vec::new();
    for &c in grid {
        let t = std::time::Instant::now();
        let r = fit(train, trainer, c, pairwise)?;
        let seconds = t.elapsed().as_secs_f64();
        let frac = |(ok, n): (usize, usize)| ok as f64 / n.max(1) as f64;
        let (tr, (dok, dn)) = (frac(train.accuracy(&r)), dev.accuracy(&r));
        let dv = dok as f64 / dn.max(1) as f64;
        points.push(GridPoint {
            trainer,
            c,
            pairwise,
            train_accuracy: tr,
            dev_accuracy: dv,
            dev_scored: dn,
            seconds,
        });
        fitted.push((c, dv, r));
    }
    let n_dev = points.first().map_or(0, |p| p.dev_scored);
    let (_, mut r) = one_standard_error_pick(fitted, n_dev)
        .ok_or_else(|| Error::Training("empty C grid".into()))?;
    r.report = serde_json::json!({
        "data": "PolNeAR train (fit), dev (C: the smallest within one standard error of the best candidate-level speaker-mention accuracy)",
        "pairwise": pairwise,
        "train_candidates": train.x.len(),
        "train_quotes": train.groups.len(),
        "grid": points,
    });
    Ok((r, points))
}

/// The one-standard-error rule: of the fits whose dev accuracy is within one binomial standard
/// error of the best, the one with the strongest penalty (smallest C). A difference of a quote
/// or two among ~800 is noise, and the stronger penalty carries less of the training corpus's
/// habits to other news (C 1 against 0.1 differed by one PolNeAR dev quote and cost news-dev
/// three; `docs/attribution.md`).
fn one_standard_error_pick(fitted: Vec<(f64, f64, Ranker)>, n_dev: usize) -> Option<(f64, Ranker)> {
    let best = fitted.iter().map(|f| f.1).fold(f64::NEG_INFINITY, f64::max);
    let se = (best * (1.0 - best) / n_dev.max(1) as f64).sqrt();
    fitted
        .into_iter()
        .filter(|f| f.1 >= best - se)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(c, _, r)| (c, r))
}

/// Reads `<root>/train` and `<root>/dev` (brat layout, see [`polnear::read_split`]) and
/// builds the candidate data of both with `x` (its sieves, gazetteer and cues).
pub fn polnear_data(
    x: &QuoteExtractor,
    root: &Path,
    unattributed_as_none: bool,
    none_when_no_candidate: bool,
) -> Result<(RankData, RankData)> {
    let train = polnear::read_split(root, "train")?;
    let dev = polnear::read_split(root, "dev")?;
    // Candidates come from the sieves alone, whatever ranker `x` carries.
    let x = x.clone().with_ranker(None);
    Ok((
        RankData::from_polnear(&x, &train, unattributed_as_none, none_when_no_candidate),
        RankData::from_polnear(&x, &dev, unattributed_as_none, none_when_no_candidate),
    ))
}

/// Trains the source ranker from a PolNeAR-layout directory: fitted on `train`, C chosen
/// on `dev`.
pub fn train_from_polnear(
    x: &QuoteExtractor,
    root: &Path,
    cfg: &RankerTrainConfig,
) -> Result<Ranker> {
    let (train, dev) = polnear_data(
        x,
        root,
        cfg.unattributed_as_none,
        cfg.none_when_no_candidate,
    )?;
    Ok(fit_tuned(&train, &dev, cfg.trainer, &cfg.c_grid, cfg.pairwise)?.0)
}

/// Both trainers over the same grid and data: the figures of `docs/attribution.md`.
pub fn compare_trainers(
    train: &RankData,
    dev: &RankData,
    grid: &[f64],
    pairwise: bool,
) -> Result<Vec<GridPoint>> {
    let mut out = fit_tuned(train, dev, Trainer::SparseLbfgs, grid, pairwise)?.1;
    out.extend(fit_tuned(train, dev, Trainer::LinfaLogistic, grid, pairwise)?.1);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranker(c: f64) -> Ranker {
        Ranker {
            features: vec![],
            weights: vec![],
            bias: 0.0,
            trainer: "test".into(),
            c,
            report: serde_json::Value::Null,
        }
    }

    #[test]
    fn the_strongest_penalty_within_one_standard_error_wins() {
        // 800 dev quotes at ~0.9: one standard error is ~0.0106.
        let pick = |fits: &[(f64, f64)]| {
            let fitted = fits.iter().map(|&(c, a)| (c, a, ranker(c))).collect();
            one_standard_error_pick(fitted, 800).map(|(c, _)| c)
        };
        assert_eq!(pick(&[(0.1, 0.8977), (1.0, 0.8990)]), Some(0.1));
        assert_eq!(pick(&[(1.0, 0.8990), (0.1, 0.8977)]), Some(0.1));
        // Beyond one standard error the better fit wins.
        assert_eq!(pick(&[(0.1, 0.870), (1.0, 0.899)]), Some(1.0));
        assert_eq!(pick(&[]), None);
    }
}
