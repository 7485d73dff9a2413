//! `stance eval labels`: the whole labeler (quotes, speakers, topics, stance, sentiment)
//! against gold quotes in the annotation guide's JSON Lines, with the end-to-end figures
//! defined in `stance::eval::labels`, and optionally the off-domain topic rate.

use super::args::{ArticleArgs, ConfigArgs, LimitArgs, ModelArg, ReportArgs, RunArgs};
use super::Outcome;
use anyhow::Result;
use stance::corpora::gold::read_gold;
use stance::eval::labels::{evaluate, off_domain, OffDomain};
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
    /// Off-domain articles (news about none of the topics, e.g. PolNeAR dev texts): report
    /// the share of their quotes that get a topic.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub off_domain: Vec<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(a: EvalLabelsArgs) -> Result<Outcome> {
    a.run.init_global_pool();
    let pipeline = a.config.pipeline(&a.model)?;
    let gold = read_gold(&a.gold)?;
    let (articles, mut outcome) = super::stream::collect_articles(&ArticleArgs {
        paths: a.articles.clone(),
        limits: a.limits.clone(),
    });
    let mut report = evaluate(&pipeline, &articles, &gold).report();
    if !a.off_domain.is_empty() {
        let (docs, off) = super::stream::collect_articles(&ArticleArgs {
            paths: a.off_domain.clone(),
            limits: a.limits.clone(),
        });
        outcome.failed_inputs += off.failed_inputs;
        report.off_domain = Some(OffDomain::new(off_domain(&pipeline, &docs)));
    }
    a.report.write(&report)?;
    Ok(outcome)
}
