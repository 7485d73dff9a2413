//! The configuration files — speaker gazetteer, attribution cues, topics — are TOML, read
//! from the copy built into the library, from a user's file, or from a string. One trait gives
//! all three the same `load` and `from_toml_str`, with errors that name the file and line.

use crate::{Error, Result};
use serde::de::DeserializeOwned;
use std::path::Path;

/// A configuration read from TOML.
pub trait TomlConfig: Sized {
    /// Parses TOML text; `origin` names its file in errors.
    fn parse(s: &str, origin: &Path) -> Result<Self>;

    /// Parses TOML text (errors name it `<TOML string>`).
    fn from_toml_str(s: &str) -> Result<Self> {
        Self::parse(s, Path::new("<TOML string>"))
    }

    /// Reads a TOML file.
    fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let s = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&s, path)
    }
}

/// Deserializes TOML text; a syntax or type error becomes [`Error::Data`] with its line.
pub(crate) fn from_toml<T: DeserializeOwned>(s: &str, origin: &Path) -> Result<T> {
    toml::from_str(s).map_err(|e| {
        let line = e
            .span()
            .map(|sp| s[..sp.start.min(s.len())].matches('\n').count() + 1)
            .unwrap_or(0);
        Error::data(origin, line, e.message())
    })
}
