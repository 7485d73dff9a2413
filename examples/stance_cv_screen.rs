//! A one-minute screen of the stance head: grouped cross-validation of the stance head alone,
//! over several assignments of stories to folds, scored on the gold quotes of a recipe's
//! `[[gold]]` sets with their gold topics given. A full `stance eval cv` takes 20 minutes and
//! measures the whole chain; this measures only "stance given the topic", in about a minute,
//! so that stance-head variants (parts, data, weights) can be compared before a full run.
//!
//! ```text
//! cargo run --release --example stance_cv_screen -- models/default.recipe.toml [RUNS]
//! ```
//!
//! For every grid point of the recipe (strategy × C × neutral bias) it prints the stance
//! F_avg (mean F1 of favor and against) pooled over RUNS runs (default 3; run r assigns
//! stories to folds with seed `seed + r`) and each run's own figure, then the same for the
//! mean of every grid point's probabilities (an ensemble of the grid, nothing chosen). The
//! relevance and sentiment heads are not trained; the topic lexicon is the built-in one. The
//! figures are inner-CV figures: statements that retell a held-out quote are not filtered out
//! as `stance eval cv` does, so compare variants with each other, not with `stance eval cv`.

use stance::labels::{Label, Stance};
use stance::metrics::Confusion;
use stance::model::{cross_validate, CvScores};
use stance::quotes::QuoteExtractor;
use stance::recipe::Recipe;
use stance::topics::TopicConfig;
use std::process::ExitCode;

/// Stance F_avg (mean F1 of favor and against) of predicted class indices, by the library's
/// metric.
fn f_avg(gold: &[usize], pred: &[usize]) -> f64 {
    let names: Vec<&str> = Stance::ALL.iter().map(|s| s.name()).collect();
    let mut c = Confusion::new(&names);
    for (&g, &p) in gold.iter().zip(pred) {
        c.add(g, p);
    }
    c.report().f_avg.unwrap_or(0.0)
}

fn softmax(z: &[f32]) -> Vec<f64> {
    let m = z.iter().copied().fold(f32::MIN, f32::max);
    let e: Vec<f64> = z.iter().map(|&v| f64::from(v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.into_iter().map(|v| v / s).collect()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), runs) = (args.first(), args.get(1).map(|r| r.parse::<usize>())) else {
        eprintln!("usage: stance_cv_screen RECIPE.toml [RUNS]");
        return ExitCode::from(2);
    };
    let runs = match runs.unwrap_or(Ok(3)) {
        Ok(r) if (1..=10).contains(&r) => r,
        _ => {
            eprintln!("RUNS must be a number from 1 to 10");
            return ExitCode::from(2);
        }
    };
    match screen(path, runs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stance_cv_screen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn screen(path: &str, runs: usize) -> stance::Result<()> {
    let recipe = Recipe::load(path)?;
    let extractor = QuoteExtractor::with_defaults();
    let data = recipe.load_data(&extractor)?;
    let (records, _) = data.training_records(&extractor, |_| true, None);
    // The gold sets' quotes come first in the training records.
    let n_gold: usize = data.sets.iter().map(|(s, _)| s.quotes.len()).sum();
    let mut params = recipe.train.clone();
    params.relevance = false;
    params.sentiment = false;
    params.cv_repeats = runs;
    let cv: CvScores = cross_validate(&records, &params, &TopicConfig::builtin(), |_| {})?;

    // The stance examples of gold quotes: (position in the CV's example list, gold class).
    // Every gold quote belongs to a story group, so each run holds it out once and scores it.
    let n_ex = cv.stance_examples.len();
    let scored = |j: usize| {
        cv.stance
            .values()
            .all(|z| (0..runs).all(|r| z[r * n_ex + j].is_some()))
    };
    let gold: Vec<(usize, usize)> = cv
        .stance_examples
        .iter()
        .enumerate()
        .filter(|&(j, &(i, _))| i < n_gold && scored(j))
        .filter_map(|(j, &(i, t))| {
            let s = records[i].topics.as_ref()?.get(&cv.topics[t])?;
            Some((j, s.index()))
        })
        .collect();
    let labels: Vec<usize> = gold.iter().map(|g| g.1).collect();
    println!(
        "{}: {} gold (quote, topic) pairs, {} folds, {} runs",
        path,
        gold.len(),
        cv.folds,
        runs
    );

    // Mean probabilities of the grid points `keys` for run `r`, one row per gold example.
    let probs = |keys: &[(usize, usize, usize)], r: usize| -> Vec<Vec<f64>> {
        gold.iter()
            .map(|&(j, _)| {
                let mut p = vec![0.0; 3];
                for k in keys {
                    let z = cv.stance[k][r * n_ex + j].as_deref().unwrap_or_default();
                    for (a, b) in p.iter_mut().zip(softmax(z)) {
                        *a += b / keys.len() as f64;
                    }
                }
                p
            })
            .collect()
    };
    let report = |name: &str, keys: &[(usize, usize, usize)]| {
        let run_probs: Vec<Vec<Vec<f64>>> = (0..runs).map(|r| probs(keys, r)).collect();
        for &bias in &params.neutral_bias {
            let mut per_run = Vec::new();
            let (mut all_gold, mut all_pred) = (Vec::new(), Vec::new());
            for probs in &run_probs {
                let pred: Vec<usize> = probs
                    .iter()
                    .map(|p| {
                        let s = [p[0], p[1], p[2] * f64::from(bias).exp()];
                        (0..3).fold(0, |b, c| if s[c] > s[b] { c } else { b })
                    })
                    .collect();
                per_run.push(format!("{:.3}", f_avg(&labels, &pred)));
                all_gold.extend_from_slice(&labels);
                all_pred.extend(pred);
            }
            println!(
                "{name:<22} neutral bias {bias:<4} F_avg {:.4}  runs {}",
                f_avg(&all_gold, &all_pred),
                per_run.join(" ")
            );
        }
    };
    let keys: Vec<(usize, usize, usize)> = cv.stance.keys().copied().collect();
    for k in &keys {
        let strategy = cv.strategies[k.1].name();
        let name = match params.vectorizers.len() {
            1 => format!("{strategy} C={}", params.c[k.2]),
            _ => format!("v{} {strategy} C={}", k.0, params.c[k.2]),
        };
        report(&name, std::slice::from_ref(k));
    }
    report("mean of the grid", &keys);
    Ok(())
}
