//! Training and evaluation data as one [`Record`] type: an annotated statement with its
//! topics' stances, sentiment and sentiment target. The readers that fill it from files (the
//! annotation guide's JSON Lines, CSV/TSV, SemEval-2016 Task 6, NewsMTSC) are in
//! [`crate::corpora`]; [`data_hash`] identifies the files a model was trained on.

use crate::labels::{Sentiment, Stance};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A char-offset span (end exclusive) of the person a record's sentiment is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// First char of the mention.
    pub start: usize,
    /// One past the last char.
    pub end: usize,
}

/// One annotated statement (a quote, a tweet, a news sentence).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The statement's words.
    pub text: String,
    /// The sentence that introduces the quote, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// `context` widened to the sentence before the quote's, if known (`None`: the context).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wide_context: Option<String>,
    /// Canonical speaker name, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    /// Topic → stance. `None`: the record says nothing about topics (no relevance
    /// supervision); `Some({})`: the record is about no topic (a negative for every topic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topics: Option<BTreeMap<String, Stance>>,
    /// Tone of the quoted words (or, with `target`, how the target is portrayed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Sentiment>,
    /// The person the sentiment is about (char offsets into `text`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// The lead (headline and first sentence) of the article the statement comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<String>,
    /// Sample weight in training (default 1; a JSONL record may set `"weight"`).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub weight: f32,
    /// Sample weight in the topic relevance head when it differs from `weight` (set by
    /// recipes: `[[statements]] relevance_weight`); `None` = `weight`.
    #[serde(skip)]
    pub relevance_weight: Option<f32>,
    /// Cross-validation group: records of one group always share a fold (set by recipes:
    /// the story an article belongs to). `None` = grouped by identical text.
    #[serde(skip)]
    pub group: Option<String>,
    /// Every other field of the input (`id`, `article`, `source`, …), kept as is.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn one() -> f32 {
    1.0
}

fn is_one(w: &f32) -> bool {
    *w == 1.0
}

impl Record {
    /// A record with only a text.
    pub fn new(text: impl Into<String>) -> Record {
        Record {
            text: text.into(),
            context: None,
            wide_context: None,
            speaker: None,
            topics: None,
            sentiment: None,
            target: None,
            lead: None,
            weight: 1.0,
            relevance_weight: None,
            group: None,
            extra: Map::new(),
        }
    }
}

/// A stable hash of the data files (sha256 over each file's length and bytes, in order).
pub fn data_hash(paths: &[PathBuf]) -> Result<String> {
    let mut h = Sha256::new();
    for p in paths {
        let b = std::fs::read(p).map_err(|e| Error::io(p, e))?;
        h.update((b.len() as u64).to_le_bytes());
        h.update(&b);
    }
    Ok(hex(&h.finalize()))
}

/// What a model records of the files it was trained on ([`crate::model::Model::set_training_data`]):
/// their [`data_hash`] and their file names, in order.
pub fn data_identity(paths: &[PathBuf]) -> Result<(String, Vec<String>)> {
    let names = paths
        .iter()
        .map(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    Ok((data_hash(paths)?, names))
}

/// Lowercase hex of bytes.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
