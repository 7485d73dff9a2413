//! `stance eval cv`: grouped cross-validation of a training recipe over real labelled news
//! (see `stance::eval::cv`): every fold trains with the recipe, labels its held-out stories
//! end to end and scores them; pooled figures and the per-fold spread are printed.

use super::eval_labels::read_articles;
use super::Outcome;
use anyhow::{Context, Result};
use stance::eval::cv::{cross_validate, CvOptions};
use stance::quotes::QuoteExtractor;
use stance::recipe::Recipe;
use stance::topics::TopicConfig;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct EvalCvArgs {
    /// The training recipe to cross-validate (TOML; see models/default.recipe.toml).
    #[arg(long, value_name = "FILE")]
    pub recipe: PathBuf,
    /// Number of folds (whole story groups per fold); 0 = leave one group out.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Off-domain articles (e.g. ../shared/corpora/polnear/dev/text): every fold's model
    /// reports the share of their quotes that get a topic.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub off_domain: Vec<PathBuf>,
    /// Write every held-out quote as labeled by its fold's model (JSON Lines, as `stance
    /// label`) to this file, for error analysis.
    #[arg(long, value_name = "FILE")]
    pub predictions: Option<PathBuf>,
    /// Report format: text or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
    /// No progress messages.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(a: EvalCvArgs) -> Result<Outcome> {
    let recipe = Recipe::load(&a.recipe)
        .with_context(|| format!("cannot read the recipe {}", a.recipe.display()))?;
    let extractor = QuoteExtractor::with_defaults();
    let data = recipe.load_data(&extractor)?;
    let mut failed = 0;
    let opts = CvOptions {
        folds: a.folds,
        off_domain: read_articles(&a.off_domain, &mut failed),
        ..CvOptions::default()
    };
    let verbose = !a.quiet && std::io::stderr().is_terminal();
    let t = std::time::Instant::now();
    let report = cross_validate(
        &recipe,
        &data,
        &extractor,
        &TopicConfig::builtin(),
        &opts,
        |_, _, msg| {
            if verbose {
                eprintln!("[{:>6.1}s] {msg}", t.elapsed().as_secs_f64());
            }
        },
    )?;
    if let Some(p) = &a.predictions {
        let mut out = String::new();
        for q in report.folds.iter().flat_map(|f| &f.predictions) {
            out.push_str(&serde_json::to_string(q)?);
            out.push('\n');
        }
        std::fs::write(p, out).with_context(|| format!("cannot write {}", p.display()))?;
    }
    if a.format == "json" {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(Outcome {
        failed_inputs: failed,
    })
}
