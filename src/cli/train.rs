//! `stance train` (stub, being written).
use super::Outcome;
#[derive(clap::Args, Debug)]
pub struct TrainArgs {}
pub fn run(_a: TrainArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("not yet implemented")
}
