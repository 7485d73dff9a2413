//! `stance eval labels`: the whole labeler (quotes, speakers, topics, stance, sentiment)
//! against gold quotes in the annotation guide's JSON Lines.

use super::args::{ArticleArgs, LimitArgs, ModelArg, OutArg, ReportFormat, RunArgs};
use super::label::ConfigArgs;
use super::output::Output;
use super::Outcome;
use anyhow::Result;
use stance::eval::labels::{evaluate, read_gold};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct EvalLabelsArgs {
    #[command(flatten)]
    pub model: ModelArg,
    /// Gold quotes with topics, stance and sentiment (annotation-guide JSON Lines).
    #[arg(long, value_name = "FILE")]
    pub gold: PathBuf,
    /// The articles to label and score (files, folders, .jsonl); gold quotes of other
    /// articles are ignored.
    #[arg(long, value_name = "PATH", num_args = 1.., required = true)]
    pub articles: Vec<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub out: OutArg,
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(a: EvalLabelsArgs) -> Result<Outcome> {
    a.run.init_global_pool();
    let pipeline = a.config.pipeline(&a.model)?;
    let gold = read_gold(&a.gold)?;
    let (articles, outcome) = super::stream::collect_articles(&ArticleArgs {
        paths: a.articles.clone(),
        limits: a.limits.clone(),
    });
    let report = evaluate(&pipeline, &articles, &gold);
    let mut out = Output::open(a.out.out.as_deref())?;
    match a.format {
        ReportFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        ReportFormat::Text => write!(out, "{report}")?,
    }
    out.finish()?;
    Ok(outcome)
}
