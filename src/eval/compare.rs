//! Is run B really better than run A? A **paired bootstrap over story groups** of two sets of
//! predictions of the same gold data (typically the `--predictions` of two `stance eval cv`
//! runs of different recipes).
//!
//! Both runs are scored per group (the gold sets' story groups: the unit cross-validation
//! holds out) into additive [`LabelCounts`]. Each bootstrap replicate draws as many groups as
//! there are, with replacement, sums the drawn groups' counts for A and for B alike (paired:
//! the same stories for both) and takes the difference B − A of every figure. Reported per
//! figure: A's and B's pooled values, their difference, the 2.5th and 97.5th percentiles of
//! the replicates' differences (a 95% interval) and the share of replicates in which B is
//! above A. With a dozen stories an interval that contains 0 says "not shown".
//!
//! The figures are those of [`super::labels`], with one difference: summary rows are counted
//! per story group (a speaker's row in two stories counts twice), so the summary figure can
//! differ slightly from `stance eval cv`'s, which counts rows per fold. Replicates draw their
//! groups from `xxh3(seed, replicate, draw)`, so the same inputs give the same report.

use super::labels::{score, LabelCounts, LabelEval};
use crate::article::Article;
use crate::corpora::gold::{GoldQuote, GoldSet};
use crate::pipeline::LabeledQuote;
use crate::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// A figure of [`LabelEval`].
type FigureOf = fn(&LabelEval) -> f64;

/// The figures compared, in report order.
const FIGURES: [(&str, FigureOf); 7] = [
    ("topic precision", |e| e.topics.precision),
    ("topic recall", |e| e.topics.recall),
    ("topic F1", |e| e.topics.f1),
    ("stance F_avg", |e| e.stance_f_avg),
    ("sentiment macro-F1", |e| e.sentiment_macro_f1),
    ("summary sign F1", |e| e.summary.f1),
    ("speaker accuracy", |e| e.speaker_accuracy),
];

/// Reads labeled quotes (JSON Lines as `stance label` and `stance eval cv --predictions`
/// write them). Every line must be one: a comparison on part of a run would mislead.
pub fn read_labeled_quotes(path: &Path) -> Result<Vec<LabeledQuote>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    crate::corpora::numbered_records(&text)
        .map(|(n, line)| {
            serde_json::from_str(line)
                .map_err(|e| Error::data(path, n, format!("not a labeled quote: {e}")))
        })
        .collect()
}

/// One figure of a [`Comparison`].
#[derive(Debug, Clone, Serialize)]
pub struct FigureComparison {
    pub figure: String,
    /// Pooled over all groups.
    pub a: f64,
    pub b: f64,
    /// `b - a`.
    pub diff: f64,
    /// 2.5th and 97.5th percentiles of the replicates' `b - a`.
    pub low: f64,
    pub high: f64,
    /// Share of replicates with `b > a`.
    pub b_above: f64,
}

/// The report of [`paired_bootstrap`].
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub groups: usize,
    pub resamples: usize,
    pub seed: u64,
    pub figures: Vec<FigureComparison>,
}

/// Scores `predicted` (labeled quotes of the sets' articles, any order) against the gold sets,
/// one [`LabelCounts`] per story group. A group's articles without predicted quotes count as
/// such (their gold quotes are missed). Errors when a prediction names an article no set has,
/// or two sets share an article id (predictions could not tell them apart).
pub fn counts_per_group(
    sets: &[GoldSet],
    predicted: Vec<LabeledQuote>,
) -> Result<BTreeMap<String, LabelCounts>> {
    let mut by_article: BTreeMap<String, Vec<LabeledQuote>> = BTreeMap::new();
    for p in predicted {
        by_article.entry(p.article.clone()).or_default().push(p);
    }
    // Group → its articles and gold quotes.
    let mut groups: BTreeMap<&str, (Vec<Article>, Vec<GoldQuote>)> = BTreeMap::new();
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for s in sets {
        for a in &s.articles {
            if let Some(other) = seen.insert(a.id.as_str(), s.name.as_str()) {
                return Err(Error::InvalidParam {
                    name: "gold",
                    value: a.id.clone(),
                    msg: format!(
                        "article id in both gold sets {other} and {}: predictions name articles by id only",
                        s.name
                    ),
                });
            }
            groups
                .entry(s.groups[&a.id].as_str())
                .or_default()
                .0
                .push(a.clone());
        }
        for q in &s.quotes {
            groups
                .entry(s.groups[&q.article].as_str())
                .or_default()
                .1
                .push(q.clone());
        }
    }
    if let Some(unknown) = by_article.keys().find(|a| !seen.contains_key(a.as_str())) {
        return Err(Error::InvalidParam {
            name: "predictions",
            value: unknown.to_string(),
            msg: "a predicted quote names an article that no gold set has: predictions of other data?"
                .into(),
        });
    }
    Ok(groups
        .into_iter()
        .map(|(g, (articles, gold))| {
            let predicted: Vec<Vec<LabeledQuote>> = articles
                .iter()
                .map(|a| by_article.remove(&a.id).unwrap_or_default())
                .collect();
            (g.to_string(), score(&articles, &predicted, &gold, None))
        })
        .collect())
}

/// The paired bootstrap of B − A over the groups both count maps have (see the module docs).
/// Errors when the two maps do not have the same groups or there are fewer than two.
pub fn paired_bootstrap(
    a: &BTreeMap<String, LabelCounts>,
    b: &BTreeMap<String, LabelCounts>,
    resamples: usize,
    seed: u64,
) -> Result<Comparison> {
    if !a.keys().eq(b.keys()) {
        return Err(Error::InvalidParam {
            name: "groups",
            value: format!("{} vs {}", a.len(), b.len()),
            msg: "the two runs were scored on different story groups".into(),
        });
    }
    if a.len() < 2 || resamples == 0 {
        return Err(Error::InvalidParam {
            name: "groups",
            value: a.len().to_string(),
            msg: "a bootstrap over groups needs at least two groups and one resample".into(),
        });
    }
    let groups: Vec<(&LabelCounts, &LabelCounts)> = a.values().zip(b.values()).collect();
    let n = groups.len();
    let pool = |pick: &mut dyn Iterator<Item = usize>| {
        let (mut sa, mut sb) = (LabelCounts::default(), LabelCounts::default());
        for i in pick {
            sa.merge(groups[i].0);
            sb.merge(groups[i].1);
        }
        let values = |c: &LabelCounts| {
            let e = c.report();
            FIGURES.map(|(_, f)| f(&e))
        };
        (values(&sa), values(&sb))
    };
    let (all_a, all_b) = pool(&mut (0..n));
    let mut diffs: Vec<Vec<f64>> = vec![Vec::with_capacity(resamples); FIGURES.len()];
    for r in 0..resamples {
        let mut draws = (0..n).map(|d| {
            let mut key = [0u8; 24];
            key[..8].copy_from_slice(&seed.to_le_bytes());
            key[8..16].copy_from_slice(&(r as u64).to_le_bytes());
            key[16..].copy_from_slice(&(d as u64).to_le_bytes());
            (xxhash_rust::xxh3::xxh3_64(&key) % n as u64) as usize
        });
        let (va, vb) = pool(&mut draws);
        for (f, d) in diffs.iter_mut().enumerate() {
            d.push(vb[f] - va[f]);
        }
    }
    let figures = FIGURES
        .iter()
        .zip(diffs)
        .enumerate()
        .map(|(f, ((name, _), mut d))| {
            let above = d.iter().filter(|&&x| x > 0.0).count() as f64 / resamples as f64;
            d.sort_by(f64::total_cmp);
            let at = |q: f64| d[((q * (resamples - 1) as f64).round() as usize).min(resamples - 1)];
            FigureComparison {
                figure: name.to_string(),
                a: all_a[f],
                b: all_b[f],
                diff: all_b[f] - all_a[f],
                low: at(0.025),
                high: at(0.975),
                b_above: above,
            }
        })
        .collect();
    Ok(Comparison {
        groups: n,
        resamples,
        seed,
        figures,
    })
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "paired bootstrap over {} story groups, {} resamples (seed {})",
            self.groups, self.resamples, self.seed
        )?;
        writeln!(
            f,
            "{:<20} {:>7} {:>7} {:>8}   {:<19} {:>7}",
            "figure", "A", "B", "B - A", "95% interval", "B > A"
        )?;
        for c in &self.figures {
            writeln!(
                f,
                "{:<20} {:>7.3} {:>7.3} {:>+8.3}   [{:>+7.3}, {:>+7.3}] {:>6.1}%",
                c.figure,
                c.a,
                c.b,
                c.diff,
                c.low,
                c.high,
                100.0 * c.b_above
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::labels::PrfCounts;

    fn group(tp: usize, predicted: usize, gold: usize) -> LabelCounts {
        LabelCounts {
            topics: PrfCounts {
                tp,
                predicted,
                gold,
            },
            ..Default::default()
        }
    }

    #[test]
    fn identical_runs_differ_by_nothing() {
        let a: BTreeMap<String, LabelCounts> =
            (0..5).map(|i| (format!("g{i}"), group(i, 5, 6))).collect();
        let c = paired_bootstrap(&a, &a, 200, 7).unwrap();
        for f in &c.figures {
            assert_eq!(
                (f.diff, f.low, f.high, f.b_above),
                (0.0, 0.0, 0.0, 0.0),
                "{f:?}"
            );
        }
    }

    #[test]
    fn a_gain_in_every_group_is_shown_and_one_story_is_not() {
        // B finds one more right topic than A in each of 8 groups: every replicate gains.
        let a: BTreeMap<String, LabelCounts> =
            (0..8).map(|i| (format!("g{i}"), group(3, 6, 6))).collect();
        let b: BTreeMap<String, LabelCounts> =
            (0..8).map(|i| (format!("g{i}"), group(4, 6, 6))).collect();
        let c = paired_bootstrap(&a, &b, 500, 1).unwrap();
        let f1 = c.figures.iter().find(|f| f.figure == "topic F1").unwrap();
        assert!((f1.diff - 1.0 / 6.0).abs() < 1e-12, "{f1:?}");
        assert!(f1.low > 0.0 && f1.b_above == 1.0, "{f1:?}");
        // The same total gain from one story alone: many replicates leave that story out.
        let mut b1 = a.clone();
        b1.insert("g0".into(), group(6, 6, 6));
        let c = paired_bootstrap(&a, &b1, 500, 1).unwrap();
        let f1 = c.figures.iter().find(|f| f.figure == "topic F1").unwrap();
        assert!(
            f1.diff > 0.0 && f1.low <= 0.0 && f1.b_above < 0.95,
            "{f1:?}"
        );
        // Same seed, same report; the order of the figures is fixed.
        let again = paired_bootstrap(&a, &b1, 500, 1).unwrap();
        assert_eq!(format!("{c}"), format!("{again}"));
        assert_eq!(c.figures[2].figure, "topic F1");
    }

    #[test]
    fn runs_over_different_groups_are_refused() {
        let a: BTreeMap<String, LabelCounts> =
            (0..3).map(|i| (format!("g{i}"), group(1, 2, 2))).collect();
        let mut b = a.clone();
        b.remove("g2");
        assert!(paired_bootstrap(&a, &b, 10, 0).is_err());
        let one: BTreeMap<String, LabelCounts> = a.into_iter().take(1).collect();
        assert!(paired_bootstrap(&one, &one, 10, 0).is_err());
    }
}
