//! Every format reader for training and evaluation data: annotated statements in any of the
//! formats [`read_records`] takes ([`records`]: the annotation guide's JSON Lines, CSV/TSV;
//! [`semeval`], [`newsmtsc`]), gold sets of articles with their gold quotes ([`gold`]) and
//! PolNeAR's attributions ([`polnear`]). The public corpora are read from `../shared/corpora`
//! and never copied into the project.

pub mod gold;
pub mod newsmtsc;
pub mod polnear;
pub mod records;
pub mod semeval;

pub use records::{read_records, record_from_json, Format, ReadOptions};

use crate::error::{Error, Result};
use crate::speakers::Sieve;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A quote span with its speaker, gold or predicted, in char offsets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpanQuote {
    pub article: String,
    pub start: usize,
    pub end: usize,
    /// Canonical speaker (`None` = no speaker, or unknown in corpora without canonical names).
    pub speaker: Option<String>,
    /// Span of the speaker mention (PolNeAR's Source span), when the corpus has one.
    pub mention: Option<(usize, usize)>,
    /// Predictions: the attribution sieve that decided (gold: `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sieve: Option<Sieve>,
}

/// The files of `dir` with extension `ext`, sorted by path.
pub(crate) fn files_with_extension(dir: &Path, ext: &str) -> Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    paths.sort();
    Ok(paths)
}

/// The lines of `text` that are not blank, with their 1-based numbers: the records of a JSON
/// Lines file, which may hold blank lines.
pub(crate) fn numbered_records(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| (i + 1, line))
}

/// A file's id: its stem (`articles/a1.txt` → `a1`).
pub(crate) fn file_id(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
