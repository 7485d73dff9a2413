//! `stance quotes` (stub, being written).
use super::Outcome;
#[derive(clap::Args, Debug)]
pub struct QuotesArgs {}
pub fn run(_a: QuotesArgs) -> anyhow::Result<Outcome> { anyhow::bail!("not yet implemented") }
