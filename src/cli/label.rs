//! `stance label` (stub, being written).
use super::Outcome;
#[derive(clap::Args, Debug)]
pub struct LabelArgs {}
pub fn run(_a: LabelArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("not yet implemented")
}
