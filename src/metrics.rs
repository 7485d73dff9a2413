//! Label metrics: per-class precision / recall / F1, macro-F1, accuracy, SemEval-2016's
//! F_avg = (F1_favor + F1_against) / 2 (computed from counts pooled over all records), and a
//! confusion matrix (rows = gold, columns = predicted), and the reliability of stated
//! probabilities ([`Reliability`]: expected calibration error, Brier score). Reports serialise
//! with serde and print as plain-text tables.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct ClassScores {
    /// TP / (TP + FP); 0 when nothing was predicted as this class.
    pub precision: f64,
    /// TP / (TP + FN); 0 when the class has no gold examples.
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// Number of gold examples of the class.
    pub support: usize,
}

/// Gold × predicted counts over a fixed label list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    /// Label names in row/column order.
    pub labels: Vec<String>,
    /// `matrix[gold][pred]`.
    pub matrix: Vec<Vec<usize>>,
}

impl Confusion {
    /// An empty matrix over `labels`.
    pub fn new(labels: &[&str]) -> Confusion {
        Confusion {
            labels: labels.iter().map(|s| s.to_string()).collect(),
            matrix: vec![vec![0; labels.len()]; labels.len()],
        }
    }

    /// Counts one (gold, predicted) pair of class indices.
    pub fn add(&mut self, gold: usize, pred: usize) {
        self.matrix[gold][pred] += 1;
    }

    /// Adds another matrix over the same labels.
    pub fn merge(&mut self, other: &Confusion) {
        for (a, b) in self.matrix.iter_mut().zip(&other.matrix) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }

    /// Number of counted pairs.
    pub fn total(&self) -> usize {
        self.matrix.iter().flatten().sum()
    }

    /// Scores of class `c`.
    pub fn scores(&self, c: usize) -> ClassScores {
        let tp = self.matrix[c][c] as f64;
        let support: usize = self.matrix[c].iter().sum();
        let predicted: usize = self.matrix.iter().map(|r| r[c]).sum();
        let precision = if predicted > 0 {
            tp / predicted as f64
        } else {
            0.0
        };
        let recall = if support > 0 {
            tp / support as f64
        } else {
            0.0
        };
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        ClassScores {
            precision,
            recall,
            f1,
            support,
        }
    }

    /// The full report of this matrix.
    pub fn report(&self) -> ClassifyReport {
        let per_class: BTreeMap<String, ClassScores> = self
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.clone(), self.scores(i)))
            .collect();
        let n = self.total();
        let correct: usize = (0..self.labels.len()).map(|i| self.matrix[i][i]).sum();
        let macro_f1 = if self.labels.is_empty() {
            0.0
        } else {
            per_class.values().map(|s| s.f1).sum::<f64>() / self.labels.len() as f64
        };
        let f_avg = match (per_class.get("favor"), per_class.get("against")) {
            (Some(f), Some(a)) => Some((f.f1 + a.f1) / 2.0),
            _ => None,
        };
        ClassifyReport {
            n,
            accuracy: if n > 0 {
                correct as f64 / n as f64
            } else {
                0.0
            },
            macro_f1,
            f_avg,
            per_class,
            confusion: self.clone(),
        }
    }
}

/// Metrics of one label set on one slice of the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifyReport {
    /// Number of evaluated items.
    pub n: usize,
    /// Fraction correct.
    pub accuracy: f64,
    /// Unweighted mean of per-class F1 over all labels.
    pub macro_f1: f64,
    /// SemEval-2016 Task 6: (F1_favor + F1_against) / 2; only for stance labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub f_avg: Option<f64>,
    /// Per-class scores by label name.
    pub per_class: BTreeMap<String, ClassScores>,
    /// Gold × predicted counts.
    pub confusion: Confusion,
}

impl fmt::Display for ClassifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "n={} accuracy={:.4} macro-F1={:.4}",
            self.n, self.accuracy, self.macro_f1
        )?;
        if let Some(fa) = self.f_avg {
            write!(f, " F_avg={:.4}", fa)?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "  {:<10} {:>9} {:>9} {:>9} {:>8}",
            "class", "precision", "recall", "F1", "support"
        )?;
        for l in &self.confusion.labels {
            let s = &self.per_class[l];
            writeln!(
                f,
                "  {:<10} {:>9.4} {:>9.4} {:>9.4} {:>8}",
                l, s.precision, s.recall, s.f1, s.support
            )?;
        }
        write!(f, "  confusion (rows gold, cols predicted): {:>8}", "")?;
        for l in &self.confusion.labels {
            write!(f, "{:>9}", l)?;
        }
        writeln!(f)?;
        for (l, row) in self.confusion.labels.iter().zip(&self.confusion.matrix) {
            write!(f, "  {:<48}", l)?;
            for v in row {
                write!(f, "{:>9}", v)?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Stance metrics per topic and pooled, plus sentiment metrics: what `stance eval` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Stance over all (record, topic) pairs; its `f_avg` is SemEval's score.
    pub stance_pooled: Option<ClassifyReport>,
    /// Stance per topic.
    pub stance_per_topic: BTreeMap<String, ClassifyReport>,
    /// Sentiment over records with a gold sentiment.
    pub sentiment: Option<ClassifyReport>,
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.stance_pooled {
            writeln!(f, "== stance, pooled over topics ==\n{p}")?;
        }
        for (t, r) in &self.stance_per_topic {
            writeln!(f, "== stance, topic {t} ==\n{r}")?;
        }
        if let Some(s) = &self.sentiment {
            writeln!(f, "== sentiment ==\n{s}")?;
        }
        Ok(())
    }
}

/// Bins of [`Reliability`] (equal width over [0, 1]).
pub const RELIABILITY_BINS: usize = 10;

/// How well stated probabilities match how often they are right: (probability, right?) pairs
/// in equal-width bins. Additive, so folds are pooled by [`Reliability::merge`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Reliability {
    /// Per bin: how many, the sum of their probabilities, how many were right.
    pub n: [usize; RELIABILITY_BINS],
    pub p_sum: [f64; RELIABILITY_BINS],
    pub right: [usize; RELIABILITY_BINS],
    /// Σ (p − right)², for the Brier score.
    pub squared_error: f64,
}

/// The figures of a [`Reliability`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReliabilityReport {
    pub n: usize,
    /// Mean stated probability.
    pub mean_probability: f64,
    /// Share right.
    pub accuracy: f64,
    /// Expected calibration error: Σ_bins n_b / n · |accuracy_b − mean probability_b|.
    pub ece: f64,
    /// Mean of (p − right)².
    pub brier: f64,
}

impl Reliability {
    /// Adds one stated probability `p` and whether it was right.
    pub fn add(&mut self, p: f32, right: bool) {
        let p = (p as f64).clamp(0.0, 1.0);
        let b = ((p * RELIABILITY_BINS as f64) as usize).min(RELIABILITY_BINS - 1);
        self.n[b] += 1;
        self.p_sum[b] += p;
        self.right[b] += right as usize;
        self.squared_error += (p - right as u8 as f64).powi(2);
    }

    /// Adds another's pairs (another fold).
    pub fn merge(&mut self, o: &Reliability) {
        for b in 0..RELIABILITY_BINS {
            self.n[b] += o.n[b];
            self.p_sum[b] += o.p_sum[b];
            self.right[b] += o.right[b];
        }
        self.squared_error += o.squared_error;
    }

    /// The figures (zeros when empty).
    pub fn report(&self) -> ReliabilityReport {
        let n: usize = self.n.iter().sum();
        let total = n.max(1) as f64;
        let ece = (0..RELIABILITY_BINS)
            .filter(|&b| self.n[b] > 0)
            .map(|b| {
                let nb = self.n[b] as f64;
                (self.right[b] as f64 / nb - self.p_sum[b] / nb).abs() * nb / total
            })
            .sum();
        ReliabilityReport {
            n,
            mean_probability: self.p_sum.iter().sum::<f64>() / total,
            accuracy: self.right.iter().sum::<usize>() as f64 / total,
            ece,
            brier: self.squared_error / total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_scores() {
        let mut c = Confusion::new(&["favor", "against", "neutral"]);
        // gold favor: 2 right, 1 → against; gold against: 1 right, 1 → neutral; gold neutral: 1 → favor
        for (g, p) in [(0, 0), (0, 0), (0, 1), (1, 1), (1, 2), (2, 0)] {
            c.add(g, p);
        }
        let r = c.report();
        let fav = r.per_class["favor"];
        assert!(
            (fav.precision - 2.0 / 3.0).abs() < 1e-12 && (fav.recall - 2.0 / 3.0).abs() < 1e-12
        );
        let ag = r.per_class["against"];
        assert!((ag.precision - 0.5).abs() < 1e-12 && (ag.recall - 0.5).abs() < 1e-12);
        assert!((r.f_avg.unwrap() - (2.0 / 3.0 + 0.5) / 2.0).abs() < 1e-12);
        assert_eq!(r.per_class["neutral"].f1, 0.0);
        assert!((r.accuracy - 0.5).abs() < 1e-12);
        assert!(r.to_string().contains("F_avg=0.5833"));
    }

    #[test]
    fn reliability_by_hand() {
        let mut r = Reliability::default();
        // Bin 0.8: four at 0.875, three right; bin 0.2: two at 0.25, one right.
        for right in [true, true, true, false] {
            r.add(0.875, right);
        }
        r.add(0.25, true);
        r.add(0.25, false);
        let rep = r.report();
        assert_eq!(rep.n, 6);
        // ECE = 4/6 · |0.75 − 0.875| + 2/6 · |0.5 − 0.25|.
        assert!(
            (rep.ece - (4.0 / 6.0 * 0.125 + 2.0 / 6.0 * 0.25)).abs() < 1e-9,
            "{rep:?}"
        );
        let brier =
            (3.0 * 0.125f64.powi(2) + 0.875f64.powi(2) + 0.75f64.powi(2) + 0.25f64.powi(2)) / 6.0;
        assert!((rep.brier - brier).abs() < 1e-9);
        assert!((rep.accuracy - 4.0 / 6.0).abs() < 1e-12);
        // Pooling two halves is the whole; p = 1 goes to the last bin.
        let (mut a, mut b) = (Reliability::default(), Reliability::default());
        a.add(0.875, true);
        a.add(0.875, true);
        a.add(0.25, true);
        b.add(0.875, true);
        b.add(0.875, false);
        b.add(0.25, false);
        a.merge(&b);
        let pooled = a.report();
        assert_eq!(pooled.n, rep.n);
        assert!((pooled.ece - rep.ece).abs() < 1e-12 && (pooled.brier - rep.brier).abs() < 1e-12);
        let mut c = Reliability::default();
        c.add(1.0, true);
        assert_eq!(c.n[RELIABILITY_BINS - 1], 1);
        assert_eq!(c.report().ece, 0.0);
    }
}
