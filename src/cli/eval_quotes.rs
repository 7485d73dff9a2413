//! `stance eval quotes` (stub, being written).
use super::Outcome;
#[derive(clap::Args, Debug)]
pub struct EvalQuotesArgs {}
pub fn run(_a: EvalQuotesArgs) -> anyhow::Result<Outcome> { anyhow::bail!("not yet implemented") }
