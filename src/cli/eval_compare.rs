//! `stance eval compare`: is run B really better than run A? A paired bootstrap over the story
//! groups of a recipe's gold data (`stance::eval::compare`), from the `--predictions` files of
//! two `stance eval cv` runs (or any two labelings of the gold articles).

use super::args::{ReportArgs, RunArgs};
use super::Outcome;
use anyhow::{Context, Result};
use stance::eval::compare::{counts_per_group, paired_bootstrap, read_labeled_quotes};
use stance::recipe::Recipe;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct EvalCompareArgs {
    /// The recipe whose `[[gold]]` sets (articles, gold quotes, story groups) both runs
    /// labeled; only those are read.
    #[arg(long, value_name = "FILE")]
    pub recipe: PathBuf,
    /// Run A's labeled quotes (JSON Lines, as `stance eval cv --predictions` or `stance
    /// label` write them).
    #[arg(value_name = "A")]
    pub a: PathBuf,
    /// Run B's labeled quotes.
    #[arg(value_name = "B")]
    pub b: PathBuf,
    /// Bootstrap replicates.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub resamples: usize,
    /// Seed of the replicates' draws.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(a: EvalCompareArgs) -> Result<Outcome> {
    a.run.init_global_pool();
    let recipe = Recipe::load(&a.recipe)
        .with_context(|| format!("cannot read the recipe {}", a.recipe.display()))?;
    let sets: Vec<_> = recipe.load_gold()?.into_iter().map(|(s, _)| s).collect();
    let count = |p: &Path| -> Result<_> {
        counts_per_group(&sets, read_labeled_quotes(p)?).with_context(|| p.display().to_string())
    };
    let (ca, cb) = (count(&a.a)?, count(&a.b)?);
    a.report
        .write(&paired_bootstrap(&ca, &cb, a.resamples, a.seed)?)?;
    Ok(Outcome::default())
}
