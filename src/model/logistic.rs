//! L2-regularised logistic regression on sparse CSR input, trained with argmin's L-BFGS and
//! More–Thuente line search — the solver and loss linfa-logistic uses, which only takes dense
//! matrices. Multinomial (softmax over K classes, K weight columns) and binary (one weight column)
//! variants; per-sample weights carry class weights (`balanced` = n / (K · n_c)).
//!
//! Loss, as in linfa-logistic: `Σ_i s_i · logloss_i + α/2 · ‖W‖²` with α = 1/C (scikit-learn's C),
//! intercepts unpenalised. Internally the objective is divided by `Σ s_i` (same optimum, a
//! gradient tolerance that does not grow with the data). Only columns that occur in the data get
//! parameters (an unused column's optimal weight is exactly 0 under L2), which keeps the L-BFGS
//! history small for topic-conjoined feature spaces. Every reduction is in a fixed order, so the
//! result does not depend on the number of threads: same data → same weights, bit for bit.

use crate::{Error, Result};
use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use ndarray::Array1;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sprs::CsMat;
use std::sync::Mutex;

/// How training samples are weighted by class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeight {
    /// `n / (K · n_c)`: every class contributes equally (scikit-learn's `balanced`).
    #[default]
    Balanced,
    /// Every sample weighs 1.
    None,
}

impl std::str::FromStr for ClassWeight {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "balanced" => Ok(ClassWeight::Balanced),
            "none" => Ok(ClassWeight::None),
            _ => Err(Error::InvalidParam {
                name: "class_weight",
                value: s.into(),
                msg: "expected balanced or none".into(),
            }),
        }
    }
}

/// Solver settings for one fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LogisticConfig {
    /// Inverse regularisation strength (α = 1/C); larger C = weaker penalty.
    pub c: f64,
    /// Maximum L-BFGS iterations.
    pub max_iter: u64,
    /// Stop when the L2 norm of the (sample-weight-normalised) gradient falls below this.
    pub tol: f64,
}

impl Default for LogisticConfig {
    fn default() -> Self {
        LogisticConfig {
            c: 1.0,
            max_iter: 100,
            tol: 1e-4,
        }
    }
}

impl LogisticConfig {
    /// Rejects non-positive or non-finite C and tolerances.
    pub fn validate(&self) -> Result<()> {
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(Error::InvalidParam {
                name: "C",
                value: self.c.to_string(),
                msg: "must be a finite number > 0".into(),
            });
        }
        if !(self.tol.is_finite() && self.tol > 0.0) || self.max_iter == 0 {
            return Err(Error::InvalidParam {
                name: "tol/max_iter",
                value: format!("{}/{}", self.tol, self.max_iter),
                msg: "tolerance must be > 0 and max_iter ≥ 1".into(),
            });
        }
        Ok(())
    }
}

/// A fitted linear model: `score_c(x) = Σ_j x_j · weights[j·K + c] + bias[c]`.
/// Weights are row-major by feature (all classes of a feature are adjacent), so a sparse
/// row's dot product touches one short contiguous run per non-zero.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// Number of input features (columns).
    pub n_features: usize,
    /// Number of weight columns: K for multinomial, 1 for binary.
    pub n_outputs: usize,
    /// `n_features × n_outputs`, feature-major.
    pub weights: Vec<f32>,
    /// One intercept per output.
    pub bias: Vec<f32>,
    /// L-BFGS iterations used.
    pub iterations: u64,
}

/// Per-sample weights from class weights (`y[i] < n_classes`).
pub fn sample_weights(y: &[usize], n_classes: usize, cw: ClassWeight) -> Vec<f64> {
    match cw {
        ClassWeight::None => vec![1.0; y.len()],
        ClassWeight::Balanced => {
            let mut counts = vec![0usize; n_classes];
            for &c in y {
                counts[c] += 1;
            }
            let present = counts.iter().filter(|&&n| n > 0).count().max(1);
            y.iter()
                .map(|&c| y.len() as f64 / (present as f64 * counts[c] as f64))
                .collect()
        }
    }
}

/// Fits a multinomial model (`binary = false`, K = `n_classes` columns) or a binary model
/// (`binary = true`, `n_classes` must be 2, class 1 is the positive class, one column).
pub fn fit(
    x: &CsMat<f32>,
    y: &[usize],
    n_classes: usize,
    binary: bool,
    sample_weight: &[f64],
    cfg: &LogisticConfig,
) -> Result<Fitted> {
    fit_warm(x, y, n_classes, binary, sample_weight, cfg, None)
}

/// [`fit`] starting from `init` (e.g. the solution for a neighbouring C in a grid) instead
/// of zeros; `init` must have the same shape. The optimum is the same; fewer iterations.
pub fn fit_warm(
    x: &CsMat<f32>,
    y: &[usize],
    n_classes: usize,
    binary: bool,
    sample_weight: &[f64],
    cfg: &LogisticConfig,
    init: Option<&Fitted>,
) -> Result<Fitted> {
    cfg.validate()?;
    let n = x.rows();
    if !x.is_csr() {
        return Err(Error::Training("feature matrix must be CSR".into()));
    }
    if n == 0 || y.len() != n || sample_weight.len() != n {
        return Err(Error::Training(format!(
            "need ≥1 row and one label and weight per row (rows {n}, labels {}, weights {})",
            y.len(),
            sample_weight.len()
        )));
    }
    if binary && n_classes != 2 {
        return Err(Error::Training("binary fit needs exactly 2 classes".into()));
    }
    if let Some(bad) = y.iter().find(|&&c| c >= n_classes) {
        return Err(Error::Training(format!(
            "label index {bad} ≥ {n_classes} classes"
        )));
    }
    if n_classes > 16 {
        return Err(Error::Training(format!(
            "{n_classes} classes: at most 16 supported"
        )));
    }
    let k = if binary { 1 } else { n_classes };
    if let Some(f) = init {
        if f.n_features != x.cols() || f.n_outputs != k {
            return Err(Error::Training(
                "warm-start model has a different shape".into(),
            ));
        }
    }

    // Compact the column space to the columns that occur.
    let d_full = x.cols();
    let mut used = vec![u32::MAX; d_full];
    let mut cols: Vec<usize> = x.indices().to_vec();
    cols.sort_unstable();
    cols.dedup();
    for (new, &old) in cols.iter().enumerate() {
        used[old] = new as u32;
    }
    let d = cols.len();
    let indices: Vec<usize> = x.indices().iter().map(|&j| used[j] as usize).collect();
    let xc = CsMat::new(
        (n, d),
        x.indptr().raw_storage().to_vec(),
        indices,
        x.data().to_vec(),
    );
    let xt = xc.to_csc();

    let total_w: f64 = sample_weight.iter().sum();
    if !(total_w.is_finite() && total_w > 0.0) {
        return Err(Error::Training(
            "sample weights must sum to a positive number".into(),
        ));
    }
    let problem = Objective {
        x: &xc,
        xt: &xt,
        y,
        sw: sample_weight.iter().map(|w| w / total_w).collect(),
        k,
        binary,
        alpha: 1.0 / (cfg.c * total_w),
        d,
        cache: Mutex::new(None),
    };
    let mut init_p = Array1::<f64>::zeros(d * k + k);
    if let Some(f) = init {
        for (new, &old) in cols.iter().enumerate() {
            for c in 0..k {
                init_p[new * k + c] = f.weights[old * k + c] as f64;
            }
        }
        for c in 0..k {
            init_p[d * k + c] = f.bias[c] as f64;
        }
    }
    let init = init_p;
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(cfg.tol)
        .map_err(|e| Error::Training(e.to_string()))?
        .with_tolerance_cost(1e-12)
        .map_err(|e| Error::Training(e.to_string()))?;
    let res = Executor::new(problem, solver)
        .configure(|s| s.param(init).max_iters(cfg.max_iter))
        .run()
        .map_err(|e| Error::Training(format!("L-BFGS failed: {e}")))?;
    let state = res.state();
    let p = state
        .get_best_param()
        .ok_or_else(|| Error::Training("L-BFGS returned no parameters".into()))?;
    let mut weights = vec![0f32; d_full * k];
    for (new, &old) in cols.iter().enumerate() {
        for c in 0..k {
            weights[old * k + c] = p[new * k + c] as f32;
        }
    }
    let bias = (0..k).map(|c| p[d * k + c] as f32).collect();
    Ok(Fitted {
        n_features: d_full,
        n_outputs: k,
        weights,
        bias,
        iterations: state.get_iter(),
    })
}

struct Cache {
    w: Array1<f64>,
    loss: f64,
    /// n × k weighted residuals `s_i (p_ic − y_ic)`.
    resid: Vec<f64>,
}

struct Objective<'a> {
    x: &'a CsMat<f32>,
    xt: &'a CsMat<f32>,
    y: &'a [usize],
    sw: Vec<f64>,
    k: usize,
    binary: bool,
    alpha: f64,
    d: usize,
    cache: Mutex<Option<Cache>>,
}

/// `ln(1 + e^z)` without overflow.
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

impl Objective<'_> {
    /// Loss (data part) and residuals at `w`, computed row-parallel; summed in row order.
    fn forward(&self, w: &Array1<f64>) -> (f64, Vec<f64>) {
        let k = self.k;
        let n = self.x.rows();
        let w = w.as_slice().expect("contiguous params");
        let bias = &w[self.d * k..];
        let mut resid = vec![0f64; n * k];
        let mut losses = vec![0f64; n];
        let indptr = self.x.indptr();
        let (ind, val) = (self.x.indices(), self.x.data());
        resid
            .par_chunks_mut(k)
            .zip(losses.par_iter_mut())
            .enumerate()
            .with_min_len(256)
            .for_each(|(i, (r, loss))| {
                let range = indptr.outer_inds_sz(i);
                let mut z = [0f64; 16];
                let z = if k <= 16 {
                    &mut z[..k]
                } else {
                    unreachable!("≤16 classes")
                };
                z.copy_from_slice(bias);
                for t in range {
                    let (j, v) = (ind[t], val[t] as f64);
                    let wj = &w[j * k..j * k + k];
                    for c in 0..k {
                        z[c] += v * wj[c];
                    }
                }
                let s = self.sw[i];
                let yi = self.y[i];
                if self.binary {
                    let (zz, pos) = (z[0], yi == 1);
                    *loss = s * if pos { softplus(-zz) } else { softplus(zz) };
                    let p = 1.0 / (1.0 + (-zz).exp());
                    r[0] = s * (p - if pos { 1.0 } else { 0.0 });
                } else {
                    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let sum: f64 = z.iter().map(|v| (v - m).exp()).sum();
                    let lse = m + sum.ln();
                    *loss = s * (lse - z[yi]);
                    for c in 0..k {
                        r[c] = s * ((z[c] - lse).exp() - if c == yi { 1.0 } else { 0.0 });
                    }
                }
            });
        (losses.iter().sum(), resid)
    }

    fn cached<T>(&self, w: &Array1<f64>, f: impl FnOnce(&Cache) -> T) -> T {
        let mut guard = self.cache.lock().expect("objective cache poisoned");
        if guard.as_ref().map(|c| c.w != *w).unwrap_or(true) {
            let (loss, resid) = self.forward(w);
            *guard = Some(Cache {
                w: w.clone(),
                loss,
                resid,
            });
        }
        f(guard.as_ref().expect("just filled"))
    }
}

impl CostFunction for Objective<'_> {
    type Param = Array1<f64>;
    type Output = f64;
    fn cost(&self, w: &Array1<f64>) -> std::result::Result<f64, argmin::core::Error> {
        let wd = w.slice(ndarray::s![..self.d * self.k]);
        let pen = 0.5 * self.alpha * wd.dot(&wd);
        Ok(self.cached(w, |c| c.loss) + pen)
    }
}

impl Gradient for Objective<'_> {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;
    fn gradient(&self, w: &Array1<f64>) -> std::result::Result<Array1<f64>, argmin::core::Error> {
        let k = self.k;
        let ws = w.as_slice().expect("contiguous params");
        self.cached(w, |cache| {
            let mut g = vec![0f64; self.d * k + k];
            let (gw, gb) = g.split_at_mut(self.d * k);
            let indptr = self.xt.indptr();
            let (ind, val) = (self.xt.indices(), self.xt.data());
            // Column-parallel Xᵀ·R: each feature's sum runs over its column in row order.
            gw.par_chunks_mut(k)
                .enumerate()
                .with_min_len(256)
                .for_each(|(j, gj)| {
                    for t in indptr.outer_inds_sz(j) {
                        let (i, v) = (ind[t], val[t] as f64);
                        for (g, r) in gj.iter_mut().zip(&cache.resid[i * k..i * k + k]) {
                            *g += v * r;
                        }
                    }
                    for c in 0..k {
                        gj[c] += self.alpha * ws[j * k + c];
                    }
                });
            for r in cache.resid.chunks(k) {
                for c in 0..k {
                    gb[c] += r[c];
                }
            }
            Ok(Array1::from(g))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::prelude::*;
    use linfa_logistic::{LogisticRegression, MultiLogisticRegression};
    use ndarray::{Array1 as A1, Array2};

    /// A small deterministic dense problem (LCG, no rand dependency).
    fn problem(n: usize, d: usize, k: usize) -> (Array2<f64>, Vec<usize>) {
        let mut s: u64 = 12345;
        let mut rnd = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        let truth: Vec<f64> = (0..d * k).map(|_| rnd() * 2.0).collect();
        let mut x = Array2::zeros((n, d));
        let mut y = vec![0; n];
        for i in 0..n {
            for j in 0..d {
                // f32-representable values so the f32 CSR copy is exact
                x[[i, j]] = (rnd() as f32) as f64;
            }
            let scores: Vec<f64> = (0..k)
                .map(|c| (0..d).map(|j| x[[i, j]] * truth[j * k + c]).sum::<f64>() + rnd())
                .collect();
            y[i] = (0..k)
                .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
                .unwrap();
        }
        (x, y)
    }

    fn to_csr(x: &Array2<f64>) -> CsMat<f32> {
        let mut tri = sprs::TriMat::new(x.dim());
        for ((i, j), v) in x.indexed_iter() {
            tri.add_triplet(i, j, *v as f32);
        }
        tri.to_csr()
    }

    fn tight(c: f64) -> LogisticConfig {
        LogisticConfig {
            c,
            max_iter: 1000,
            tol: 1e-9,
        }
    }

    #[test]
    fn multinomial_matches_linfa_oracle() {
        let (x, y) = problem(120, 5, 3);
        let alpha = 0.5;
        let ds = Dataset::new(x.clone(), A1::from(y.clone()));
        let oracle = MultiLogisticRegression::default()
            .alpha(alpha)
            .gradient_tolerance(1e-10)
            .max_iterations(2000)
            .fit(&ds)
            .unwrap();
        let ours = fit(
            &to_csr(&x),
            &y,
            3,
            false,
            &vec![1.0; y.len()],
            &tight(1.0 / alpha),
        )
        .unwrap();
        // linfa's params: (features × classes) in its sorted class order (0, 1, 2 here).
        let p = oracle.params();
        for j in 0..5 {
            for c in 0..3 {
                let (a, b) = (p[[j, c]], ours.weights[j * 3 + c] as f64);
                assert!((a - b).abs() < 2e-3, "w[{j},{c}] linfa {a} ours {b}");
            }
        }
        let probs = oracle.predict_probabilities(&x);
        for i in 0..x.nrows() {
            let z: Vec<f64> = (0..3)
                .map(|c| {
                    (0..5)
                        .map(|j| x[[i, j]] * ours.weights[j * 3 + c] as f64)
                        .sum::<f64>()
                        + ours.bias[c] as f64
                })
                .collect();
            let m = z.iter().cloned().fold(f64::MIN, f64::max);
            let s: f64 = z.iter().map(|v| (v - m).exp()).sum();
            for c in 0..3 {
                let ours_p = (z[c] - m).exp() / s;
                assert!((probs[[i, c]] - ours_p).abs() < 1e-3, "row {i} class {c}");
            }
        }
    }

    #[test]
    fn binary_matches_linfa_oracle() {
        let (x, y) = problem(150, 4, 2);
        let alpha = 1.0;
        let labels: A1<bool> = y.iter().map(|&c| c == 1).collect();
        let ds = Dataset::new(x.clone(), labels);
        let oracle = LogisticRegression::default()
            .alpha(alpha)
            .gradient_tolerance(1e-10)
            .max_iterations(2000)
            .fit(&ds)
            .unwrap();
        let ours = fit(
            &to_csr(&x),
            &y,
            2,
            true,
            &vec![1.0; y.len()],
            &tight(1.0 / alpha),
        )
        .unwrap();
        // linfa orders its two labels and makes the larger (`true`) the positive class.
        for j in 0..4 {
            let (a, b) = (oracle.params()[j], ours.weights[j] as f64);
            assert!((a - b).abs() < 2e-3, "w[{j}] linfa {a} ours {b}");
        }
        assert!((oracle.intercept() - ours.bias[0] as f64).abs() < 2e-3);
        let probs = oracle.predict_probabilities(&x);
        for i in 0..x.nrows() {
            let z: f64 = (0..4)
                .map(|j| x[[i, j]] * ours.weights[j] as f64)
                .sum::<f64>()
                + ours.bias[0] as f64;
            let p = 1.0 / (1.0 + (-z).exp());
            assert!(
                (probs[i] - p).abs() < 1e-3,
                "row {i}: linfa {} ours {p}",
                probs[i]
            );
        }
    }

    #[test]
    fn balanced_weights_and_determinism() {
        let y = vec![0, 0, 0, 1];
        let w = sample_weights(&y, 2, ClassWeight::Balanced);
        assert!((w[0] - 4.0 / 6.0).abs() < 1e-12 && (w[3] - 2.0).abs() < 1e-12);
        let (x, y) = problem(80, 6, 3);
        let xs = to_csr(&x);
        let sw = sample_weights(&y, 3, ClassWeight::Balanced);
        let a = fit(&xs, &y, 3, false, &sw, &LogisticConfig::default()).unwrap();
        let b = fit(&xs, &y, 3, false, &sw, &LogisticConfig::default()).unwrap();
        assert_eq!(a, b);
        assert!(fit(&xs, &y, 2, false, &sw, &LogisticConfig::default()).is_err());
    }
}
