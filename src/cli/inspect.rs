//! `stance inspect` (stub, being written).
use super::Outcome;
#[derive(clap::Args, Debug)]
pub struct InspectArgs {}
pub fn run(_a: InspectArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("not yet implemented")
}
