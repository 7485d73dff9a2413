//! How likely a detected topic is right. The relevance head, a logistic model fitted with
//! weak regularisation on a few hundred real quotes, is overconfident on news it has not seen:
//! on grouped CV, the topics it detected had a mean P(topic) of 0.88 and were right 69% of the
//! time. Training fits a Platt scaling on the out-of-fold P(topic) of its own inner
//! cross-validation — scores of records the scoring model never saw — over the topics inner CV
//! *detected* with the chosen rule, against whether each is a gold topic; the model reports
//! `confidence = σ(a · logit(P(topic)) + length · ln(1 + words) + b)` beside each detected
//! topic's raw `relevance`, `words` being the quote's whitespace-separated words. The length
//! term is there because fragments ("absurd,") take their topic from the sentence around them
//! and are wrong more often at the same P(topic): on grouped CV, topics detected in quotes of at
//! most 3 words were right 62% of the time, in quotes of more than 15 words 83%, both stated
//! 0.77 by a map of P(topic) alone. The map is increasing in P(topic), so it changes no label.
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
        let Platt { a, b, length } = self.topic;
        if !self.topic.is_increasing() {
            return Err(format!(
                "calibration: topic map a = {a}, b = {b}, length = {length} (a must be > 0 and all finite)"
            ));
        }
        Ok(())
    }
}

/// `σ(a · logit(p) + length · ln(1 + words) + b)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Platt {
    pub a: f32,
    pub b: f32,
    /// Weight of the quote's length (model format 10; absent, 0, in older models).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub length: f32,
}

fn is_zero(x: &f32) -> bool {
    *x == 0.0
}

/// The words of a quote as the calibration counts them: whitespace-separated.
pub fn quote_words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// The length input of the calibration: `ln(1 + words)` ([`quote_words`]).
pub fn length_feature(text: &str) -> f32 {
    (1.0 + quote_words(text) as f32).ln()
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
        self.a.is_finite() && self.a > 0.0 && self.b.is_finite() && self.length.is_finite()
    }

    /// The calibrated probability of a raw one, for a quote whose [`length_feature`] is
    /// `quote_length`.
    pub fn apply(&self, p: f32, quote_length: f32) -> f32 {
        1.0 / (1.0 + (-(self.a * logit(p) + self.length * quote_length + self.b)).exp())
    }

    /// Fits `a`, `length` and `b` by (nearly unregularised) logistic regression of `correct`
    /// on `logit(p)` and the quotes' `lengths` ([`length_feature`]). `None` when there is
    /// nothing to learn from (fewer than 10 examples, or all right, or all wrong) or the fit
    /// is not increasing in `p`.
    pub fn fit(p: &[f32], lengths: &[f32], correct: &[bool]) -> Result<Option<Platt>> {
        if lengths.len() != p.len() {
            return Err(crate::Error::InvalidParam {
                name: "lengths",
                value: lengths.len().to_string(),
                msg: format!("need one length per score ({})", p.len()),
            });
        }
        let n_right = correct.iter().filter(|&&c| c).count();
        if p.len() < 10 || n_right == 0 || n_right == p.len() {
            return Ok(None);
        }
        let x = sprs::CsMat::new(
            (p.len(), 2),
            (0..=p.len()).map(|i| 2 * i).collect(),
            (0..p.len()).flat_map(|_| [0, 1]).collect(),
            p.iter()
                .zip(lengths)
                .flat_map(|(&p, &l)| [logit(p), l])
                .collect(),
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
            length: fit.weights[1],
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
    fn platt_recovers_an_overconfident_score_and_the_length_effect() {
        // The truth is P(right) = σ(0.5 · logit(p) + 0.6 · ln(1 + words) − 1.5): the raw p
        // is overconfident, and more so for short quotes.
        let truth = Platt {
            a: 0.5,
            b: -1.5,
            length: 0.6,
        };
        let mut seed = 42u64;
        let (mut p, mut len, mut right) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..8000 {
            let raw = uniform(&mut seed) as f32 * 0.98 + 0.01;
            let words = 1 + (uniform(&mut seed) * 40.0) as usize;
            let l = length_feature(&"word ".repeat(words));
            p.push(raw);
            len.push(l);
            right.push(uniform(&mut seed) < truth.apply(raw, l) as f64);
        }
        let fit = Platt::fit(&p, &len, &right).unwrap().unwrap();
        assert!((fit.a - 0.5).abs() < 0.08, "{fit:?}");
        assert!((fit.length - 0.6).abs() < 0.12, "{fit:?}");
        assert!((fit.b + 1.5).abs() < 0.35, "{fit:?}");
        let (short, long) = (length_feature("absurd,"), length_feature(&"w ".repeat(30)));
        assert!(fit.apply(0.9, short) < fit.apply(0.9, long));
        assert!(fit.apply(0.99, long) < 0.99 && fit.apply(0.2, short) > fit.apply(0.1, short));
    }

    #[test]
    fn length_feature_counts_whitespace_separated_words() {
        assert_eq!(length_feature(""), 0.0);
        assert_eq!(length_feature("  absurd,  "), 2f32.ln());
        assert_eq!(length_feature("We are ready\nto talk."), 6f32.ln());
    }

    #[test]
    fn a_model_without_the_length_weight_reads_and_writes_as_before() {
        let old: Platt = serde_json::from_str(r#"{"a":0.6,"b":-0.2}"#).unwrap();
        assert_eq!(old.length, 0.0);
        assert_eq!(old.apply(0.8, 3.0), old.apply(0.8, 0.0));
        assert_eq!(
            serde_json::to_string(&old).unwrap(),
            r#"{"a":0.6,"b":-0.2}"#
        );
    }

    #[test]
    fn nothing_to_learn_from_gives_no_map() {
        assert_eq!(
            Platt::fit(&[0.9; 20], &[1.0; 20], &[true; 20]).unwrap(),
            None
        );
        assert_eq!(
            Platt::fit(&[0.9; 5], &[1.0; 5], &[true, false, true, false, true]).unwrap(),
            None
        );
        assert_eq!(
            Platt::fit(&[0.2; 30], &[1.0; 30], &[false; 30]).unwrap(),
            None
        );
        assert!(Platt::fit(&[0.2; 30], &[1.0; 29], &[false; 30]).is_err());
    }

    #[test]
    fn invalid_maps_are_refused() {
        let ok = Calibration {
            topic: Platt {
                a: 0.6,
                b: -0.2,
                length: 0.4,
            },
            examples: 100,
        };
        assert!(ok.validate().is_ok());
        for (a, b, length) in [
            (-1.0, 0.0, 0.0),
            (0.0, 0.0, 0.0),
            (f32::NAN, 0.0, 0.0),
            (1.0, f32::INFINITY, 0.0),
            (1.0, 0.0, f32::NAN),
        ] {
            let c = Calibration {
                topic: Platt { a, b, length },
                ..ok.clone()
            };
            assert!(c.validate().is_err(), "{c:?}");
        }
    }
}
