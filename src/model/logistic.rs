//! L2-regularised logistic regression on sparse CSR input, trained with argmin's L-BFGS and
//! More–Thuente line search — the solver and loss linfa-logistic uses, which only takes dense
//! matrices. Multinomial (softmax over K classes, K weight columns) and binary (one weight column)
//! variants; per-sample weights carry class weights (`balanced` = n / (K · n_c)).
//!
//! The API is linfa's: [`LogisticParams`] is checked through [`ParamGuard`] into
//! [`LogisticValidParams`], which implements [`Fit`] over a linfa [`DatasetBase`] whose records
//! are [`SparseRecords`] (a CSR matrix), targets class indices and `weights` the sample
//! weights; the [`FittedLogistic`] model implements [`PredictInplace`] (class indices, hence
//! linfa's `Predict` and `ConfusionMatrix`) and gives probabilities and raw scores.
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
use linfa::dataset::{AsSingleTargets, DatasetBase, Records};
use linfa::traits::{Fit, PredictInplace};
use linfa::ParamGuard;
use ndarray::{Array1, Array2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sprs::CsMat;
use std::borrow::{Borrow, Cow};
use std::sync::{Arc, Mutex};

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

/// The records of a linfa dataset for [`LogisticParams`]: a sparse matrix of `f32` features,
/// one CSR row per sample. It implements [`linfa::dataset::Records`], so
/// `DatasetBase::new(SparseRecords::from(x), targets)` is a linfa dataset (targets: class
/// indices, e.g. `Array1<usize>`; optional per-sample weights with `.with_weights(…)`).
#[derive(Debug, Clone, PartialEq)]
pub struct SparseRecords(CsMat<f32>);

impl SparseRecords {
    /// The CSR matrix.
    pub fn matrix(&self) -> &CsMat<f32> {
        &self.0
    }

    /// Unwraps the CSR matrix.
    pub fn into_inner(self) -> CsMat<f32> {
        self.0
    }
}

impl From<CsMat<f32>> for SparseRecords {
    /// Wraps `x` (a CSC matrix is converted to CSR).
    fn from(x: CsMat<f32>) -> Self {
        SparseRecords(x.into_csr())
    }
}

impl Records for SparseRecords {
    type Elem = f32;

    fn nsamples(&self) -> usize {
        self.0.rows()
    }

    fn nfeatures(&self) -> usize {
        self.0.cols()
    }
}

/// Unchecked hyper-parameters of a logistic regression fit, in linfa's style: set them with
/// the builder methods, then either call [`ParamGuard::check`] to get the checked
/// [`LogisticValidParams`], or call [`Fit::fit`] directly (linfa checks them first). The
/// checks: `C` finite and > 0, `max_iter` ≥ 1, `tol` finite and > 0, 2 to 16 classes, and a
/// warm-start model with as many weight columns as the fit has. Failures are
/// [`Error::InvalidParam`].
///
/// | method | default | meaning |
/// |---|---|---|
/// | [`c`](Self::c) | 1.0 | inverse L2 strength, α = 1/C (scikit-learn's C) |
/// | [`class_weight`](Self::class_weight) | [`ClassWeight::None`] | weight of a sample by its class, multiplied by the dataset's weight of the sample (linfa's `DatasetBase::weights`, 1 when absent) |
/// | [`max_iter`](Self::max_iter) | 100 | L-BFGS iteration cap |
/// | [`tol`](Self::tol) | 1e-4 | stop when the L2 norm of the (weight-normalised) gradient is below this |
/// | [`warm_start`](Self::warm_start) | none | start from a fitted model (same features and classes) instead of zeros |
///
/// The dataset is a linfa [`DatasetBase`] whose records are [`SparseRecords`] (or a reference
/// to them) and whose targets are class indices (`usize` < number of classes). The fitted
/// [`FittedLogistic`] predicts class indices through linfa's [`Predict`](linfa::traits::Predict),
/// so linfa's metrics apply:
///
/// ```
/// use linfa::prelude::*;
/// use ndarray::array;
/// use sprs::TriMat;
/// use stance::model::logistic::{ClassWeight, LogisticParams, SparseRecords};
///
/// // Four samples, two sparse features: feature 0 means class 0, feature 1 class 1.
/// let mut x = TriMat::new((4, 2));
/// x.add_triplet(0, 0, 1.0f32);
/// x.add_triplet(1, 0, 1.0);
/// x.add_triplet(2, 1, 1.0);
/// x.add_triplet(3, 1, 1.0);
/// let data = DatasetBase::new(SparseRecords::from(x.to_csr()), array![0usize, 0, 1, 1])
///     .with_weights(array![1.0f32, 1.0, 2.0, 1.0]);
///
/// let model = LogisticParams::binary()
///     .c(10.0)
///     .class_weight(ClassWeight::Balanced)
///     .max_iter(200)
///     .fit(&data)?;
///
/// let predicted: ndarray::Array1<usize> = model.predict(&data);
/// assert_eq!(predicted, array![0, 0, 1, 1]);
/// let cm = predicted.confusion_matrix(&data)?;
/// assert_eq!(cm.accuracy(), 1.0);
/// let p = model.predict_probabilities(&data.records); // rows × classes
/// assert!(p[[2, 1]] > 0.9);
///
/// // Invalid settings are refused before any work is done.
/// assert!(LogisticParams::binary().c(0.0).check().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticParams(LogisticValidParams);

/// Checked hyper-parameters (see [`LogisticParams`]); they implement linfa's [`Fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticValidParams {
    c: f64,
    max_iter: u64,
    tol: f64,
    class_weight: ClassWeight,
    n_classes: usize,
    binary: bool,
    warm_start: Option<Arc<FittedLogistic>>,
}

impl LogisticParams {
    fn new(n_classes: usize, binary: bool) -> Self {
        LogisticParams(LogisticValidParams {
            c: 1.0,
            max_iter: 100,
            tol: 1e-4,
            class_weight: ClassWeight::None,
            n_classes,
            binary,
            warm_start: None,
        })
    }

    /// A multinomial (softmax) model over `n_classes` classes: one weight column per class.
    /// Classes absent from the training targets still get a column.
    pub fn multinomial(n_classes: usize) -> Self {
        Self::new(n_classes, false)
    }

    /// A binary model: classes 0 and 1, one weight column, class 1 is the positive class.
    pub fn binary() -> Self {
        Self::new(2, true)
    }

    /// Inverse regularisation strength (α = 1/C); larger C = weaker penalty.
    pub fn c(mut self, c: f64) -> Self {
        self.0.c = c;
        self
    }

    /// How samples are weighted by class (multiplied by the dataset's sample weights).
    pub fn class_weight(mut self, class_weight: ClassWeight) -> Self {
        self.0.class_weight = class_weight;
        self
    }

    /// Start the solver from `init` (e.g. the solution for a neighbouring C in a grid)
    /// instead of zeros; `None` starts from zeros. The optimum is the same, reached in fewer
    /// iterations. `init` must have been fitted on as many features and classes.
    pub fn warm_start(mut self, init: Option<FittedLogistic>) -> Self {
        self.0.warm_start = init.map(Arc::new);
        self
    }

    /// Maximum L-BFGS iterations.
    pub fn max_iter(mut self, max_iter: u64) -> Self {
        self.0.max_iter = max_iter;
        self
    }

    /// Gradient tolerance: stop when the L2 norm of the sample-weight-normalised gradient
    /// falls below it.
    pub fn tol(mut self, tol: f64) -> Self {
        self.0.tol = tol;
        self
    }
}

impl ParamGuard for LogisticParams {
    type Checked = LogisticValidParams;
    type Error = Error;

    fn check_ref(&self) -> Result<&LogisticValidParams> {
        let p = &self.0;
        let bad = |name: &'static str, value: String, msg: &str| {
            Err(Error::InvalidParam {
                name,
                value,
                msg: msg.into(),
            })
        };
        if !(p.c.is_finite() && p.c > 0.0) {
            return bad("C", p.c.to_string(), "must be a finite number > 0");
        }
        if p.max_iter == 0 {
            return bad("max_iter", "0".into(), "must be ≥ 1");
        }
        if !(p.tol.is_finite() && p.tol > 0.0) {
            return bad("tol", p.tol.to_string(), "must be a finite number > 0");
        }
        if !(2..=16).contains(&p.n_classes) {
            return bad(
                "n_classes",
                p.n_classes.to_string(),
                "a logistic model has 2 to 16 classes",
            );
        }
        if let Some(w) = &p.warm_start {
            if w.n_outputs != p.n_outputs() {
                return bad(
                    "warm_start",
                    format!("{} weight columns", w.n_outputs),
                    &format!("this fit has {} weight columns", p.n_outputs()),
                );
            }
        }
        Ok(p)
    }

    fn check(self) -> Result<LogisticValidParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

impl LogisticValidParams {
    /// C (inverse L2 strength).
    pub fn c(&self) -> f64 {
        self.c
    }

    /// The class weighting.
    pub fn class_weight(&self) -> ClassWeight {
        self.class_weight
    }

    /// The warm-start model, if any.
    pub fn warm_start(&self) -> Option<&FittedLogistic> {
        self.warm_start.as_deref()
    }

    /// The L-BFGS iteration cap.
    pub fn max_iter(&self) -> u64 {
        self.max_iter
    }

    /// The gradient tolerance.
    pub fn tol(&self) -> f64 {
        self.tol
    }

    /// Number of classes (2 for a binary model).
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Whether the model is binary (one weight column).
    pub fn is_binary(&self) -> bool {
        self.binary
    }

    /// Weight columns of the fitted model: K for multinomial, 1 for binary.
    fn n_outputs(&self) -> usize {
        if self.binary {
            1
        } else {
            self.n_classes
        }
    }
}

impl<R, T> Fit<R, T, Error> for LogisticValidParams
where
    R: Records + Borrow<SparseRecords>,
    T: AsSingleTargets<Elem = usize>,
{
    type Object = FittedLogistic;

    /// Fits on the dataset's records, targets (class indices) and sample weights (all 1
    /// when the dataset has none), each sample weighted by its class weight times its sample
    /// weight.
    fn fit(&self, data: &DatasetBase<R, T>) -> Result<FittedLogistic> {
        let x = data.records.borrow().matrix();
        let targets = data.targets.as_single_targets();
        let y: Cow<'_, [usize]> = match targets.as_slice() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(targets.to_vec()),
        };
        let n = x.rows();
        if n == 0 || y.len() != n {
            return Err(Error::Training(format!(
                "need ≥1 row and one target per row (rows {n}, targets {})",
                y.len()
            )));
        }
        if let Some(bad) = y.iter().find(|&&c| c >= self.n_classes) {
            return Err(Error::Training(format!(
                "label index {bad} ≥ {} classes",
                self.n_classes
            )));
        }
        let mut sw = sample_weights(&y, self.n_classes, self.class_weight);
        if let Some(w) = data.weights() {
            if w.len() != n {
                return Err(Error::Training(format!(
                    "{} sample weights for {n} rows",
                    w.len()
                )));
            }
            if let Some(bad) = w.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
                return Err(Error::Training(format!(
                    "sample weight {bad}: weights must be finite and ≥ 0"
                )));
            }
            for (s, &w) in sw.iter_mut().zip(w) {
                *s *= f64::from(w);
            }
        }
        solve(x, &y, &sw, self)
    }
}

/// A fitted linear model: `score_c(x) = Σ_j x_j · weights[j·K + c] + bias[c]`.
/// Weights are row-major by feature (all classes of a feature are adjacent), so a sparse
/// row's dot product touches one short contiguous run per non-zero. A binary model has one
/// column (the score of class 1); a multinomial model one per class.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedLogistic {
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

impl FittedLogistic {
    /// Number of classes (2 for a binary model).
    pub fn n_classes(&self) -> usize {
        self.n_outputs.max(2)
    }

    /// Raw scores (logits), `rows × n_outputs`: for a binary model the log-odds of class 1.
    ///
    /// # Panics
    /// When `x` has another number of features than the model.
    pub fn decision_function(&self, x: &SparseRecords) -> Array2<f32> {
        let x = x.matrix();
        assert_eq!(
            x.cols(),
            self.n_features,
            "records have {} features, the model {}",
            x.cols(),
            self.n_features
        );
        let k = self.n_outputs;
        let mut out = Array2::zeros((x.rows(), k));
        for (row, mut z) in x.outer_iterator().zip(out.outer_iter_mut()) {
            let z = z.as_slice_mut().expect("standard layout");
            z.copy_from_slice(&self.bias);
            for (j, &v) in row.iter() {
                for (zc, w) in z.iter_mut().zip(&self.weights[j * k..j * k + k]) {
                    *zc += v * w;
                }
            }
        }
        out
    }

    /// Class probabilities, `rows × n_classes` (a binary model gives `[1 − p, p]`).
    ///
    /// # Panics
    /// When `x` has another number of features than the model.
    pub fn predict_probabilities(&self, x: &SparseRecords) -> Array2<f32> {
        let z = self.decision_function(x);
        if self.n_outputs == 1 {
            let mut p = Array2::zeros((z.nrows(), 2));
            for (mut p, z) in p.outer_iter_mut().zip(z.column(0)) {
                let p1 = 1.0 / (1.0 + (-z).exp());
                p[0] = 1.0 - p1;
                p[1] = p1;
            }
            p
        } else {
            let mut p = z;
            for mut row in p.outer_iter_mut() {
                let m = row.fold(f32::NEG_INFINITY, |a, &b| a.max(b));
                row.mapv_inplace(|v| (v - m).exp());
                let s = row.sum();
                row /= s;
            }
            p
        }
    }
}

impl PredictInplace<SparseRecords, Array1<usize>> for FittedLogistic {
    /// The most probable class of every row (binary: class 1 when P(1) > 0.5; ties go to the
    /// lower class).
    fn predict_inplace(&self, x: &SparseRecords, y: &mut Array1<usize>) {
        assert_eq!(y.len(), x.nsamples(), "one target per row");
        let z = self.decision_function(x);
        for (y, z) in y.iter_mut().zip(z.outer_iter()) {
            *y = if self.n_outputs == 1 {
                usize::from(z[0] > 0.0)
            } else {
                let mut best = 0;
                for (c, &v) in z.iter().enumerate() {
                    if v > z[best] {
                        best = c;
                    }
                }
                best
            };
        }
    }

    fn default_target(&self, x: &SparseRecords) -> Array1<usize> {
        Array1::zeros(x.nsamples())
    }
}

/// Per-sample weights from class weights (`y[i] < n_classes`).
fn sample_weights(y: &[usize], n_classes: usize, cw: ClassWeight) -> Vec<f64> {
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

/// The L-BFGS fit behind [`Fit`]: `x` CSR, labels checked, `sample_weight` final.
fn solve(
    x: &CsMat<f32>,
    y: &[usize],
    sample_weight: &[f64],
    p: &LogisticValidParams,
) -> Result<FittedLogistic> {
    let n = x.rows();
    let k = p.n_outputs();
    if !x.is_csr() {
        return Err(Error::Training("feature matrix must be CSR".into()));
    }
    let init = p.warm_start();
    if let Some(f) = init {
        if f.n_features != x.cols() || f.n_outputs != k {
            return Err(Error::Training(format!(
                "warm-start model has shape {}×{}, this fit {}×{k}",
                f.n_features,
                f.n_outputs,
                x.cols()
            )));
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
        binary: p.binary,
        alpha: 1.0 / (p.c * total_w),
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
        .with_tolerance_grad(p.tol)
        .map_err(|e| Error::Training(e.to_string()))?
        .with_tolerance_cost(1e-12)
        .map_err(|e| Error::Training(e.to_string()))?;
    let res = Executor::new(problem, solver)
        .configure(|s| s.param(init).max_iters(p.max_iter))
        .run()
        .map_err(|e| Error::Training(format!("L-BFGS failed: {e}")))?;
    let state = res.state();
    let best = state
        .get_best_param()
        .ok_or_else(|| Error::Training("L-BFGS returned no parameters".into()))?;
    let mut weights = vec![0f32; d_full * k];
    for (new, &old) in cols.iter().enumerate() {
        for c in 0..k {
            weights[old * k + c] = best[new * k + c] as f32;
        }
    }
    let bias = (0..k).map(|c| best[d * k + c] as f32).collect();
    Ok(FittedLogistic {
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

    fn dataset(x: &Array2<f64>, y: &[usize]) -> DatasetBase<SparseRecords, A1<usize>> {
        DatasetBase::new(SparseRecords::from(to_csr(x)), A1::from(y.to_vec()))
    }

    fn tight(p: LogisticParams, c: f64) -> LogisticParams {
        p.c(c).max_iter(1000).tol(1e-9)
    }

    fn refusal(p: LogisticParams) -> String {
        p.check().expect_err("invalid params accepted").to_string()
    }

    #[test]
    fn param_guard_refuses_invalid_params() {
        let b = LogisticParams::binary;
        assert_eq!(
            refusal(b().c(0.0)),
            "invalid parameter C = 0: must be a finite number > 0"
        );
        assert_eq!(
            refusal(b().c(-1.0)),
            "invalid parameter C = -1: must be a finite number > 0"
        );
        assert!(refusal(b().c(f64::NAN)).starts_with("invalid parameter C = NaN"));
        assert!(refusal(b().c(f64::INFINITY)).starts_with("invalid parameter C = inf"));
        assert_eq!(
            refusal(b().max_iter(0)),
            "invalid parameter max_iter = 0: must be ≥ 1"
        );
        assert_eq!(
            refusal(b().tol(0.0)),
            "invalid parameter tol = 0: must be a finite number > 0"
        );
        assert!(refusal(b().tol(f64::NAN)).starts_with("invalid parameter tol = NaN"));
        assert_eq!(
            refusal(LogisticParams::multinomial(1)),
            "invalid parameter n_classes = 1: a logistic model has 2 to 16 classes"
        );
        assert!(refusal(LogisticParams::multinomial(17)).contains("n_classes = 17"));
        // A warm start must have the fit's number of weight columns.
        let binary_model = FittedLogistic {
            n_features: 2,
            n_outputs: 1,
            weights: vec![0.0; 2],
            bias: vec![0.0],
            iterations: 0,
        };
        assert_eq!(
            refusal(LogisticParams::multinomial(3).warm_start(Some(binary_model.clone()))),
            "invalid parameter warm_start = 1 weight columns: this fit has 3 weight columns"
        );
        // Fit checks through the guard: the same error, no work done.
        let (x, y) = problem(10, 2, 2);
        let e = b().c(0.0).fit(&dataset(&x, &y)).unwrap_err().to_string();
        assert!(e.contains("C = 0"), "{e}");
        // Valid settings pass and are kept.
        let v = b()
            .c(2.5)
            .max_iter(7)
            .tol(1e-3)
            .class_weight(ClassWeight::Balanced)
            .warm_start(Some(binary_model.clone()))
            .check()
            .unwrap();
        assert_eq!(
            (v.c(), v.max_iter(), v.tol(), v.class_weight()),
            (2.5, 7, 1e-3, ClassWeight::Balanced)
        );
        assert_eq!((v.n_classes(), v.is_binary()), (2, true));
        assert_eq!(v.warm_start(), Some(&binary_model));
    }

    #[test]
    fn data_problems_are_training_errors() {
        let (x, y) = problem(10, 2, 2);
        let p = LogisticParams::binary();
        let mut bad_y = y.clone();
        bad_y[0] = 2;
        let e = p.fit(&dataset(&x, &bad_y)).unwrap_err().to_string();
        assert!(e.contains("label index 2 ≥ 2 classes"), "{e}");
        let weighted_error = |w: Vec<f32>| {
            p.fit(&dataset(&x, &y).with_weights(A1::from(w)))
                .unwrap_err()
                .to_string()
        };
        let e = weighted_error(vec![1.0; 3]);
        assert!(e.contains("3 sample weights for 10 rows"), "{e}");
        let mut w = vec![1.0f32; 10];
        w[4] = -1.0;
        let e = weighted_error(w);
        assert!(e.contains("must be finite and ≥ 0"), "{e}");
        let e = weighted_error(vec![0.0; 10]);
        assert!(e.contains("sum to a positive number"), "{e}");
        // A warm start fitted on other features.
        let m = p.fit(&dataset(&x, &y)).unwrap();
        let (x3, y3) = problem(10, 3, 2);
        let e = p
            .warm_start(Some(m))
            .fit(&dataset(&x3, &y3))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("warm-start model has shape 2×1, this fit 3×1"),
            "{e}"
        );
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
        let ours = tight(LogisticParams::multinomial(3), 1.0 / alpha)
            .fit(&dataset(&x, &y))
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
        let ours_p = ours.predict_probabilities(&SparseRecords::from(to_csr(&x)));
        assert_eq!(ours_p.dim(), (120, 3));
        for i in 0..x.nrows() {
            for c in 0..3 {
                let (a, b) = (probs[[i, c]], ours_p[[i, c]] as f64);
                assert!(
                    (a - b).abs() < 1e-3,
                    "row {i} class {c}: linfa {a} ours {b}"
                );
            }
        }
        // Predict agrees with linfa's labels wherever the top two are not nearly tied.
        let ours_y: A1<usize> = ours.predict(&dataset(&x, &y));
        let linfa_y = oracle.predict(&x);
        for i in 0..x.nrows() {
            let mut p: Vec<f64> = probs.row(i).to_vec();
            p.sort_by(|a, b| b.total_cmp(a));
            if p[0] - p[1] > 1e-2 {
                assert_eq!(ours_y[i], linfa_y[i], "row {i}");
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
        let ours = tight(LogisticParams::binary(), 1.0 / alpha)
            .fit(&dataset(&x, &y))
            .unwrap();
        // linfa orders its two labels and makes the larger (`true`) the positive class.
        for j in 0..4 {
            let (a, b) = (oracle.params()[j], ours.weights[j] as f64);
            assert!((a - b).abs() < 2e-3, "w[{j}] linfa {a} ours {b}");
        }
        assert!((oracle.intercept() - ours.bias[0] as f64).abs() < 2e-3);
        let probs = oracle.predict_probabilities(&x);
        let ours_p = ours.predict_probabilities(&SparseRecords::from(to_csr(&x)));
        for i in 0..x.nrows() {
            let p = ours_p[[i, 1]] as f64;
            assert!(
                (probs[i] - p).abs() < 1e-3,
                "row {i}: linfa {} ours {p}",
                probs[i]
            );
            assert!((ours_p[[i, 0]] + ours_p[[i, 1]] - 1.0).abs() < 1e-6);
        }
    }

    /// Fit through a linfa dataset (class weights × dataset weights) is the solver run on
    /// the product weights, bit for bit; the records may be owned or borrowed.
    #[test]
    fn fit_through_a_dataset_is_the_direct_solver() {
        let (x, y) = problem(90, 6, 3);
        let xs = to_csr(&x);
        let w: Vec<f32> = (0..y.len()).map(|i| [0.5, 1.0, 2.0][i % 3]).collect();
        let p = LogisticParams::multinomial(3)
            .c(3.0)
            .class_weight(ClassWeight::Balanced);
        let records = SparseRecords::from(xs.clone());
        let via_linfa = p
            .fit(&DatasetBase::new(&records, A1::from(y.clone())).with_weights(A1::from(w.clone())))
            .unwrap();
        let sw: Vec<f64> = sample_weights(&y, 3, ClassWeight::Balanced)
            .iter()
            .zip(&w)
            .map(|(c, &r)| c * f64::from(r))
            .collect();
        let direct = solve(&xs, &y, &sw, &p.clone().check().unwrap()).unwrap();
        assert_eq!(via_linfa, direct);
        // The dataset weights matter: without them the fit differs.
        let unweighted = p.fit(&dataset(&x, &y)).unwrap();
        assert_ne!(unweighted.weights, direct.weights);
        // Probabilities are the softmax of the decision function.
        let z = direct.decision_function(&records);
        let pr = direct.predict_probabilities(&records);
        for i in 0..y.len() {
            let m = z.row(i).fold(f32::MIN, |a, &b| a.max(b));
            let s: f32 = z.row(i).iter().map(|v| (v - m).exp()).sum();
            for c in 0..3 {
                assert!((pr[[i, c]] - (z[[i, c]] - m).exp() / s).abs() < 1e-6);
            }
        }
    }

    /// A sample weight of 2 is the sample seen twice (without class weights).
    #[test]
    fn integer_weights_equal_repeated_rows() {
        let (x, y) = problem(60, 4, 2);
        let w: Vec<f32> = (0..60)
            .map(|i| if i % 4 == 0 { 2.0 } else { 1.0 })
            .collect();
        let weighted = tight(LogisticParams::binary(), 1.0)
            .fit(&dataset(&x, &y).with_weights(A1::from(w)))
            .unwrap();
        let rows: Vec<usize> = (0..60).chain((0..60).step_by(4)).collect();
        let xr = x.select(ndarray::Axis(0), &rows);
        let yr: Vec<usize> = rows.iter().map(|&i| y[i]).collect();
        let repeated = tight(LogisticParams::binary(), 1.0)
            .fit(&dataset(&xr, &yr))
            .unwrap();
        for (a, b) in weighted.weights.iter().zip(&repeated.weights) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        assert!((weighted.bias[0] - repeated.bias[0]).abs() < 1e-4);
    }

    #[test]
    fn confusion_matrix_from_predict_matches_hand_counts() {
        let (x, y) = problem(200, 3, 3);
        let data = dataset(&x, &y);
        // A strong penalty, so that the model makes mistakes to count.
        let model = LogisticParams::multinomial(3).c(0.05).fit(&data).unwrap();
        let pred: A1<usize> = model.predict(&data);
        // The same predictions as argmax of the probabilities.
        let pr = model.predict_probabilities(&data.records);
        for (i, &p) in pred.iter().enumerate() {
            let best = (0..3)
                .max_by(|&a, &b| pr[[i, a]].total_cmp(&pr[[i, b]]))
                .unwrap();
            assert_eq!(p, best, "row {i}");
        }
        let cm = pred.confusion_matrix(&data).unwrap();
        let mut hand = [[0usize; 3]; 3];
        for (&p, &t) in pred.iter().zip(&y) {
            hand[p][t] += 1;
        }
        assert!(
            (0..3).any(|c| (0..3).any(|t| c != t && hand[c][t] > 0)),
            "no errors to count: {hand:?}"
        );
        // linfa's matrix (its Debug output is the only view of the cells): a header line
        // with the classes sorted (0, 1, 2), then cells indexed [first operand, second];
        // `predictions.confusion_matrix(&dataset)` puts the dataset's targets first, so a
        // row is an actual class and a column a predicted one.
        let printed = format!("{cm:?}");
        let rows: Vec<Vec<String>> = printed
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split('|').map(|c| c.trim().to_string()).collect())
            .collect();
        assert_eq!(rows[0], ["classes", "0", "1", "2"], "{printed}");
        for t in 0..3 {
            assert_eq!(rows[t + 1][0], t.to_string(), "{printed}");
            for p in 0..3 {
                let n: f32 = rows[t + 1][p + 1].parse().unwrap();
                assert_eq!(n, hand[p][t] as f32, "predicted {p} actual {t}: {printed}");
            }
        }
        let correct = (0..3).map(|c| hand[c][c]).sum::<usize>() as f32;
        assert!((cm.accuracy() - correct / 200.0).abs() < 1e-6);
        // One-vs-all splits hold the hand counts too: accuracy of "class c or not".
        for (c, bin) in cm.split_one_vs_all().iter().enumerate() {
            let right = (0..3)
                .flat_map(|p| (0..3).map(move |t| (p, t)))
                .filter(|&(p, t)| (p == c) == (t == c))
                .map(|(p, t)| hand[p][t])
                .sum::<usize>() as f32;
            assert!((bin.accuracy() - right / 200.0).abs() < 1e-6, "class {c}");
        }
    }

    #[test]
    fn balanced_weights_and_determinism() {
        let y = vec![0, 0, 0, 1];
        let w = sample_weights(&y, 2, ClassWeight::Balanced);
        assert!((w[0] - 4.0 / 6.0).abs() < 1e-12 && (w[3] - 2.0).abs() < 1e-12);
        let (x, y) = problem(80, 6, 3);
        let p = LogisticParams::multinomial(3).class_weight(ClassWeight::Balanced);
        let a = p.fit(&dataset(&x, &y)).unwrap();
        let b = p.fit(&dataset(&x, &y)).unwrap();
        assert_eq!(a, b);
        assert!(LogisticParams::multinomial(2)
            .fit(&dataset(&x, &y))
            .is_err());
        // A warm start from the solution converges at once to the same optimum.
        let warm = p
            .clone()
            .warm_start(Some(a.clone()))
            .fit(&dataset(&x, &y))
            .unwrap();
        assert!(warm.iterations <= a.iterations);
        for (u, v) in warm.weights.iter().zip(&a.weights) {
            assert!((u - v).abs() < 1e-3);
        }
    }
}
