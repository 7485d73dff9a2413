//! The default model, built into the binary (see `build.rs`): `stance` finds it wherever it
//! is installed, and `--model DIR` or `STANCE_MODEL` choose another.

use anyhow::{Context, Result};
use stance::model::{store::ModelSource, Model};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/default_model.rs"));
}

/// How the built-in model is named in messages.
pub const NAME: &str = "<built-in model>";

const BROKEN: &str = "the built-in model is unusable (this build of stance is broken)";

fn source() -> ModelSource<'static> {
    ModelSource::Embedded {
        name: NAME,
        files: embedded::FILES,
    }
}

/// Loads the built-in model, with the same checks as a model directory.
pub fn load() -> Result<Model> {
    Model::load_from(source()).context(BROKEN)
}

/// Only the built-in model's attribution source ranker (for quote extraction).
pub fn load_ranker() -> Result<Option<stance::speakers::Ranker>> {
    Model::load_ranker_from(source()).context(BROKEN)
}
