//! `stance eval cv`: grouped cross-validation of a training recipe over real labelled news
//! (see `stance::eval::cv`): every fold trains with the recipe, labels its held-out stories
//! end to end and scores them; pooled figures and the per-fold spread are printed.

use super::args::{ArticleArgs, LimitArgs, ReportArgs, RunArgs};
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
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub folds: usize,
    /// Drop only the training records that share 6 consecutive words with a held-out quote:
    /// keep those that may retell one in other words (two shared word 4-grams, or content-word
    /// Jaccard ≥ 0.3 with ≥ 3 shared), which are dropped by default.
    #[arg(long)]
    pub exact_copies_only: bool,
    /// Off-domain articles (e.g. ../shared/corpora/polnear/dev/text): every fold's model
    /// reports the share of their quotes that get a topic.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub off_domain: Vec<PathBuf>,
    /// Write every held-out quote as labeled by its fold's model (JSON Lines, as `stance
    /// label --relevance`: with every topic's P(topic)) to this file, for error analysis.
    #[arg(long, value_name = "FILE")]
    pub predictions: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(a: EvalCvArgs) -> Result<Outcome> {
    a.run.init_global_pool();
    let recipe = Recipe::load(&a.recipe)
        .with_context(|| format!("cannot read the recipe {}", a.recipe.display()))?;
    let extractor = QuoteExtractor::with_defaults();
    let data = recipe.load_data(&extractor)?;
    let (off_domain, outcome) = if a.off_domain.is_empty() {
        (Vec::new(), Outcome::default())
    } else {
        super::stream::collect_articles(&ArticleArgs {
            paths: a.off_domain.clone(),
            limits: a.limits.clone(),
        })
    };
    let opts = CvOptions {
        folds: a.folds,
        near_copies: !a.exact_copies_only,
        off_domain,
        ..CvOptions::default()
    };
    let verbose = !a.run.quiet && std::io::stderr().is_terminal();
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
    a.report.write(&report)?;
    Ok(outcome)
}
