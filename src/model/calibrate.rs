//! How likely a detected topic is right. The relevance head, a logistic model fitted with
//! weak regularisation on a few hundred real quotes, is overconfident on news it has not seen:
//! on grouped CV, the topics it detected had a mean P(topic) of 0.88 and were right 69% of the
//! time. Training fits a Platt scaling on the out-of-fold P(topic) of its own inner
//! cross-validation — scores of records the scoring model never saw — over the topics inner CV
//! *detected* with the chosen rule, against whether each is a gold topic; the model reports
//! `confidence = σ(a · logit(P(topic)) + b)` beside each detected topic's raw `relevance`.
//! The map is increasing, so it changes no label.
//!
//! A temperature per softmax head (stance, sentiment) fitted the same way was measured and
//! left out: on grouped CV it made both heads underconfident (the inner folds' models are
//! weaker than the final one) and did not lower their calibration error (`docs/training.md`).

use super::logistic::{ClassWeight, LogisticParams, SparseRecords};
use crate::Result;
use linfa::prelude::Fit;
use serde::{Deserialize, Serialize};

/// The calibration a model applies to its outputs (saved in the manifest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// Platt scaling of a detected topic's P(topic): `confidence = σ(a · logit(p) + b)`.
    pub topic: Platt,
    /// Out-of-fold detected topics it was fitted on (for the record).
    pub examples: usize,
}

impl Calibration {
    /// Checks that the map is increasing and finite (a saved model could say otherwise).
    pub fn validate(&self) -> std::result::Result<(), String> {
        let Platt { a, b } = self.topic;
        if !self.topic.is_increasing() {
            return Err(format!(
                "calibration: topic map a = {a}, b = {b} (a must be > 0 and both finite)"
            ));
        }
        Ok(())
    }
}

/// `σ(a · logit(p) + b)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Platt {
    pub a: f32,
    pub b: f32,
}

/// P(topic) is kept this far from 0 and 1 before its logit is taken.
const EPS: f32 = 1e-6;

fn logit(p: f32) -> f32 {
    let p = p.clamp(EPS, 1.0 - EPS);
    (p / (1.0 - p)).ln()
}

impl Platt {
    /// Finite and increasing in `p` (`a > 0`): a map that keeps the order of the scores.
    pub fn is_increasing(&self) -> bool {
        self.a.is_finite() && self.a > 0.0 && self.b.is_finite()
    }

    /// The calibrated probability of a raw one.
    pub fn apply(&self, p: f32) -> f32 {
        1.0 / (1.0 + (-(self.a * logit(p) + self.b)).exp())
    }

    /// Fits `a`, `b` by (nearly unregularised) logistic regression of `correct` on
    /// `logit(p)`. `None` when there is nothing to learn from (fewer than 10 examples, or all
    /// right, or all wrong) or the fit is not increasing in `p`.
    pub fn fit(p: &[f32], correct: &[bool]) -> Result<Option<Platt>> {
        let n_right = correct.iter().filter(|&&c| c).count();
        if p.len() < 10 || n_right == 0 || n_right == p.len() {
            return Ok(None);
        }
        let x = sprs::CsMat::new(
            (p.len(), 1),
            (0..=p.len()).collect(),
            vec![0; p.len()],
            p.iter().map(|&p| logit(p)).collect(),
        );
        let y: ndarray::Array1<usize> = correct.iter().map(|&c| c as usize).collect();
        let fit = LogisticParams::binary()
            .c(1e4)
            .class_weight(ClassWeight::None)
            .max_iter(200)
            .tol(1e-6)
            .fit(&linfa::DatasetBase::new(SparseRecords::from(x), y))?;
        let map = Platt {
            a: fit.weights[0],
            b: fit.bias[0],
        };
        Ok(map.is_increasing().then_some(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic uniform numbers in [0, 1) (xorshift).
    fn uniform(seed: &mut u64) -> f64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn platt_recovers_an_overconfident_score() {
        // The truth is P(right) = σ(0.5 · logit(p) − 0.3): the raw p is overconfident.
        let mut seed = 42u64;
        let (mut p, mut right) = (Vec::new(), Vec::new());
        for _ in 0..5000 {
            let raw = uniform(&mut seed) as f32 * 0.98 + 0.01;
            let truth = Platt { a: 0.5, b: -0.3 }.apply(raw) as f64;
            p.push(raw);
            right.push(uniform(&mut seed) < truth);
        }
        let fit = Platt::fit(&p, &right).unwrap().unwrap();
        assert!((fit.a - 0.5).abs() < 0.08, "{fit:?}");
        assert!((fit.b + 0.3).abs() < 0.12, "{fit:?}");
        assert!(fit.apply(0.99) < 0.99 && fit.apply(0.2) > 0.2);
    }

    #[test]
    fn nothing_to_learn_from_gives_no_map() {
        assert_eq!(Platt::fit(&[0.9; 20], &[true; 20]).unwrap(), None);
        assert_eq!(
            Platt::fit(&[0.9; 5], &[true, false, true, false, true]).unwrap(),
            None
        );
        assert_eq!(Platt::fit(&[0.2; 30], &[false; 30]).unwrap(), None);
    }

    #[test]
    fn invalid_maps_are_refused() {
        let ok = Calibration {
            topic: Platt { a: 0.6, b: -0.2 },
            examples: 100,
        };
        assert!(ok.validate().is_ok());
        for (a, b) in [
            (-1.0, 0.0),
            (0.0, 0.0),
            (f32::NAN, 0.0),
            (1.0, f32::INFINITY),
        ] {
            let c = Calibration {
                topic: Platt { a, b },
                ..ok.clone()
            };
            assert!(c.validate().is_err(), "{c:?}");
        }
    }
}
