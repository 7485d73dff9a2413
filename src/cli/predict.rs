//! `stance predict` (stub, being written).
use super::Outcome;
#[derive(clap::Args, Debug)]
pub struct PredictArgs {}
pub fn run(_a: PredictArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("not yet implemented")
}
