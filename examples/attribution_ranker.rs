//! The attribution source ranker's trainer comparison (docs/attribution.md): builds the
//! candidate data of PolNeAR train and dev once, fits the project's sparse L-BFGS trainer and
//! linfa-logistic over the same C grid, prints every grid point and the chosen ranker's 20
//! largest weights; with `--attach MODEL_DIR --out DIR` it also saves a copy of MODEL_DIR with
//! the chosen ranker (the same as `stance train --attribution-data`, without retraining the
//! other heads).
//!
//! ```text
//! cargo run --release --example attribution_ranker -- ../shared/corpora/polnear \
//!     [--trainer linfa|sparse] [--c 0.01,0.1,1,10] [--pointwise] [--one-trainer] \
//!     [--attach models/default --out /tmp/model-with-ranker]
//! ```

use stance::model::Model;
use stance::quotes::QuoteExtractor;
use stance::recipe::ranker_train::{compare_trainers, fit_tuned, polnear_data, GridPoint, Trainer};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("attribution_ranker: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = args.first().ok_or("usage: attribution_ranker POLNEAR_DIR [--trainer linfa|sparse] [--c 0.1,1] [--pointwise] [--one-trainer] [--no-unattributed] [--none-when-no-candidate] [--attach MODEL_DIR --out DIR]")?;
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let trainer = match flag("--trainer").as_deref() {
        None | Some("linfa") => Trainer::LinfaLogistic,
        Some("sparse") => Trainer::SparseLbfgs,
        Some(t) => return Err(format!("unknown trainer {t}").into()),
    };
    let grid: Vec<f64> = flag("--c")
        .unwrap_or_else(|| "0.01,0.1,1,10".into())
        .split(',')
        .map(|c| c.trim().parse::<f64>())
        .collect::<Result<_, _>>()?;
    let x = QuoteExtractor::with_defaults();
    let (train, dev) = polnear_data(
        &x,
        std::path::Path::new(root),
        !args.iter().any(|a| a == "--no-unattributed"),
        args.iter().any(|a| a == "--none-when-no-candidate"),
    )?;
    println!(
        "train: {} quotes, {} candidates; dev: {} quotes, {} candidates",
        train.groups.len(),
        train.x.len(),
        dev.groups.len(),
        dev.x.len()
    );
    let ceil = |(ok, n): (usize, usize)| ok as f64 / n.max(1) as f64;
    println!(
        "candidate ceiling (a right candidate exists): train {:.4}, dev {:.4}",
        ceil(train.oracle()),
        ceil(dev.oracle())
    );
    println!("| trainer | pairwise | C | train acc | dev acc | fit seconds |");
    println!("|---|---|---:|---:|---:|---:|");
    let pairwise = !args.iter().any(|a| a == "--pointwise");
    let points = if args.iter().any(|a| a == "--one-trainer") {
        fit_tuned(&train, &dev, trainer, &grid, pairwise)?.1
    } else {
        compare_trainers(&train, &dev, &grid, pairwise)?
    };
    for p in &points {
        println!(
            "| {} | {} | {} | {:.4} | {:.4} | {:.2} |",
            p.trainer.name(),
            p.pairwise,
            p.c,
            p.train_accuracy,
            p.dev_accuracy,
            p.seconds
        );
    }
    let best = points
        .iter()
        .filter(|p| p.trainer == trainer)
        .fold(None, |b: Option<&GridPoint>, p| match b {
            Some(b) if b.dev_accuracy >= p.dev_accuracy => Some(b),
            _ => Some(p),
        })
        .ok_or("no grid point")?;
    // Refit at the chosen C (deterministic: the same weights as the grid point).
    let (mut ranker, _) = fit_tuned(&train, &dev, trainer, &[best.c], pairwise)?;
    ranker.report["grid_all_trainers"] = serde_json::to_value(&points)?;
    println!(
        "\nchosen: {} C={}; top 20 weights (bias {:+.3}):",
        ranker.trainer, ranker.c, ranker.bias
    );
    println!("| feature | weight |\n|---|---:|");
    for (f, w) in ranker.top_weights(20) {
        println!("| `{f}` | {w:+.3} |");
    }
    if let (Some(src), Some(out)) = (flag("--attach"), flag("--out")) {
        let mut m = Model::load(&src)?;
        m.set_attribution_ranker(Some(ranker));
        m.save(&out)?;
        println!("\nsaved {src} with the ranker to {out}");
    }
    Ok(())
}
