//! The saved model: a directory with `manifest.json` (metadata, configs, CV metrics, sha256 and
//! size of every other file), `vectorizer.json` (vocabulary + IDF) and `weights.bin` (linear
//! blocks, little-endian, zero rows omitted). See `docs/model-format.md` for the layout.
//!
//! Loading checks, in order: the manifest exists and parses, its format version is not newer
//! than [`FORMAT_VERSION`], every listed file exists with the listed size (else "truncated")
//! and sha256 (else "checksum mismatch"), and the weights agree with the manifest's block
//! table. Saving writes a sibling temp directory and renames it into place, so a reader never
//! sees half a model. The creation time comes from `SOURCE_DATE_EPOCH` when set, which makes
//! the whole directory byte-for-byte reproducible.

use super::inputs::{Featurizer, HeadInputs, Part};
use super::{Block, Model, StanceHead, Strategy};
use crate::dataset::hex;
use crate::features::{Vectorizer, VectorizerConfig};
use crate::speakers::Ranker;
use crate::topics::TopicConfig;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The newest directory format this build writes; it writes the oldest version that can
/// express the model ([`format_version_for`]) and reads versions
/// [`MIN_FORMAT_VERSION`]`..=FORMAT_VERSION`: version 11 adds the `wide_lexicon` part (only a
/// model whose heads read it is written as 11); version 10 adds the quote's length to the topic
/// calibration (`calibration.topic.length`; only a model whose calibration reads it is written
/// as 10); version 9 adds the `embed_text_sif` part
/// (only a model whose heads read it is written as 9); version 8 adds the `text_unigrams` and
/// `context_unigrams` parts (only a model whose heads read one is written as 8, so older
/// builds keep reading the others); version 7 adds the `wide_context` and
/// `embed_wide_context` parts (a build that predates them refuses the model by its version,
/// not by an unknown part name); version 6 adds the optional `calibration`
/// (how likely a detected topic is right: its `confidence`; an older model reports none);
/// version 5 stores the relevance head as one
/// block `relevance` with a column per topic (before: a `relevance:<topic>` block per topic,
/// each repeating the same row index); version 4 added the detection rule's
/// `second_threshold` and `article_threshold` (a version 3 model has neither and labels as
/// before). Versions 1 (stance 0.1: heads over `[text | context]` only, topics found by a
/// keyword rule pooled with the model) and 2 (fixed heads) are refused with a message saying
/// how to retrain.
pub const FORMAT_VERSION: u32 = 11;
/// The oldest directory format this build reads.
pub const MIN_FORMAT_VERSION: u32 = 3;
/// The manifest's `format` tag.
pub const FORMAT_NAME: &str = "stance-model";

/// The format version a model with these heads and this calibration is written as: 11 when a
/// head reads `wide_lexicon`, else 10 when the calibration reads the quote's length, else 9
/// when a head reads SIF-pooled vectors, else 8 when a head reads a single-word part, else 7.
pub fn format_version_for(heads: &HeadSpecs, calibration: Option<&super::Calibration>) -> u32 {
    let reads = |wanted: &dyn Fn(Part) -> bool| {
        [&heads.stance, &heads.relevance, &heads.sentiment]
            .iter()
            .any(|parts| parts.iter().any(|&p| wanted(p)))
    };
    if reads(&|p| p == Part::WideLexicon) {
        11
    } else if calibration.is_some_and(|c| c.topic.length != 0.0) {
        10
    } else if reads(&|p| p == Part::EmbedTextSif) {
        9
    } else if reads(&|p| matches!(p, Part::TextUnigrams | Part::ContextUnigrams)) {
        8
    } else {
        7
    }
}

/// Magic bytes at the start of `weights.bin`.
pub const WEIGHTS_MAGIC: &[u8; 8] = b"STNCWTS1";
/// File names inside a model directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Vectorizer file name.
pub const VECTORIZER_FILE: &str = "vectorizer.json";
/// Weights file name.
pub const WEIGHTS_FILE: &str = "weights.bin";
/// The attribution source ranker's file (optional).
pub const ATTRIBUTION_FILE: &str = "attribution.json";
/// Embeddings table file name (only in models whose heads read `embed_*` parts).
pub const EMBEDDINGS_FILE: &str = "embeddings.emb";

/// The word-vector table a model carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingsInfo {
    /// Vector dimensions.
    pub dim: usize,
    /// Words in the table.
    pub words: usize,
    /// How vectors are pooled over a text.
    pub pooling: crate::features::Pooling,
    /// File name the table was made from (for the record).
    pub source: String,
}

/// Size and checksum of one file in the model directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// Length in bytes.
    pub bytes: u64,
    /// Lowercase hex sha256 of the contents.
    pub sha256: String,
}

/// One linear block in `weights.bin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockInfo {
    /// `stance.shared`, `stance.topic:<id>`, `relevance:<id>` or `sentiment`.
    pub name: String,
    /// Outputs per feature row.
    pub k: usize,
    /// Feature rows (columns of the input space).
    pub rows: usize,
    /// Rows stored (rows with a non-zero weight).
    pub stored_rows: usize,
}

/// Label sets in class-index order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelSets {
    /// Stance labels.
    pub stance: Vec<String>,
    /// Sentiment labels.
    pub sentiment: Vec<String>,
}

/// The parts each head reads (see [`super::inputs`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeadSpecs {
    pub stance: Vec<Part>,
    pub relevance: Vec<Part>,
    pub sentiment: Vec<Part>,
}

impl Default for HeadSpecs {
    fn default() -> Self {
        HeadSpecs {
            stance: vec![Part::Text, Part::Context],
            relevance: vec![Part::Text, Part::Context, Part::Lexicon],
            sentiment: vec![Part::SentimentText, Part::Left, Part::Right],
        }
    }
}

/// How topics are detected from the relevance head's P(topic).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detection {
    /// A topic is detected when P(topic) reaches its threshold.
    pub thresholds: BTreeMap<String, f32>,
    /// Threshold of topics not in `thresholds`.
    pub default_threshold: f32,
    /// At most this many topics per quote (the most probable).
    pub max_topics: usize,
    /// Topics after a quote's most probable one must also reach this P(topic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_threshold: Option<f32>,
    /// A topic detected in another quote of the same article is detected from this P(topic)
    /// on (when labeling whole articles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_threshold: Option<f32>,
}

impl Default for Detection {
    fn default() -> Self {
        Detection {
            thresholds: BTreeMap::new(),
            default_threshold: 0.5,
            max_topics: 3,
            second_threshold: None,
            article_threshold: None,
        }
    }
}

impl Detection {
    /// The threshold of `topic`.
    pub fn threshold(&self, topic: &str) -> f32 {
        self.thresholds
            .get(topic)
            .copied()
            .unwrap_or(self.default_threshold)
    }
}

/// Everything about a model except its numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// Directory format version ([`FORMAT_VERSION`] when written by this build).
    pub format_version: u32,
    /// `stance` crate version that wrote the model.
    pub crate_version: String,
    /// Creation time, RFC 3339 UTC (from `SOURCE_DATE_EPOCH` when set).
    pub created: String,
    /// sha256 over the training files (see `dataset::data_hash`).
    pub training_data_sha256: String,
    /// Training file names (without directories).
    pub training_files: Vec<String>,
    /// Number of training records.
    pub n_records: usize,
    /// Label sets.
    pub labels: LabelSets,
    /// Topic ids, sorted.
    pub topics: Vec<String>,
    /// Vectorizer (and tokenizer) configuration.
    pub vectorizer: VectorizerConfig,
    /// Vectorizer columns (`nf`).
    pub n_features: usize,
    /// Stance strategy, when a stance head exists.
    pub stance_strategy: Option<Strategy>,
    /// The parts each head reads.
    pub heads: HeadSpecs,
    /// Topic detection: thresholds and topics per quote.
    pub detection: Detection,
    /// The topic configuration whose keywords feed the `lexicon` part (saved so the part means
    /// at labeling time what it meant in training).
    pub topic_lexicon: Option<TopicConfig>,
    /// The word-vector table in `embeddings.emb`, when a head reads `embed_*` parts.
    #[serde(default)]
    pub embeddings: Option<EmbeddingsInfo>,
    /// sha256 of the valence lexicons the `valence` part was trained with.
    #[serde(default)]
    pub valence_lexicon_sha256: Option<String>,
    /// Training parameters as given.
    pub train_params: serde_json::Value,
    /// Cross-validation results (see `TrainReport`).
    pub cv: serde_json::Value,
    /// The map from a detected topic's P(topic) to its `confidence`, fitted on training's
    /// inner CV (format 6; `None`: no `confidence`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<super::Calibration>,
    /// Blocks in `weights.bin`, in file order.
    pub blocks: Vec<BlockInfo>,
    /// Every other file of the directory with size and sha256.
    pub files: BTreeMap<String, FileInfo>,
    /// The attribution source ranker, when the model has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<AttributionInfo>,
}

/// Where the attribution source ranker is and how it was trained (the numbers are in
/// [`ATTRIBUTION_FILE`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributionInfo {
    /// File name inside the directory ([`ATTRIBUTION_FILE`]).
    pub file: String,
    /// `sparse-lbfgs` or `linfa-logistic`.
    pub trainer: String,
    /// Regularisation chosen on the tuning split.
    pub c: f64,
    /// Number of features.
    pub features: usize,
}

/// Creation time: `SOURCE_DATE_EPOCH` (seconds) when set and valid, else now; RFC 3339 UTC.
pub fn creation_time() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    rfc3339(secs)
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, days-from-civil).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn sha256_hex(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

/// The named blocks of a model, in file order.
fn named_blocks(m: &Model) -> Vec<(String, &Block)> {
    let mut out = Vec::new();
    if let Some(h) = &m.stance {
        if let Some(s) = &h.shared {
            out.push(("stance.shared".to_string(), s));
        }
        for (t, b) in m.topics.iter().zip(&h.per_topic) {
            out.push((format!("stance.topic:{t}"), b));
        }
    }
    if let Some(r) = &m.relevance {
        out.push(("relevance".to_string(), r));
    }
    if let Some(s) = &m.sentiment {
        out.push(("sentiment".to_string(), s));
    }
    out
}

fn encode_weights(blocks: &[(String, &Block)]) -> (Vec<u8>, Vec<BlockInfo>) {
    let mut out = WEIGHTS_MAGIC.to_vec();
    let mut infos = Vec::new();
    for (name, b) in blocks {
        let stored: Vec<(usize, &[f32])> = b
            .stored_rows()
            .into_iter()
            .filter(|(_, w)| w.iter().any(|&x| x != 0.0))
            .collect();
        for v in [b.k, b.rows, stored.len()] {
            out.extend_from_slice(&(v as u32).to_le_bytes());
        }
        for &(j, _) in &stored {
            out.extend_from_slice(&(j as u32).to_le_bytes());
        }
        for (_, w) in &stored {
            for x in *w {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        for x in &b.bias {
            out.extend_from_slice(&x.to_le_bytes());
        }
        infos.push(BlockInfo {
            name: name.clone(),
            k: b.k,
            rows: b.rows,
            stored_rows: stored.len(),
        });
    }
    (out, infos)
}

/// Writes `model` to `dir` atomically; an existing model at `dir` is replaced.
pub fn save(model: &Model, dir: &Path) -> Result<()> {
    let named = named_blocks(model);
    let (weights, blocks) = encode_weights(&named);
    let vec_json = serde_json::to_vec(&model.featurizer.vectorizer)?;
    let emb_bytes = model.featurizer.embeddings().map(|e| e.to_bytes());
    let mut manifest = model.manifest.clone();
    manifest.format_version = format_version_for(&manifest.heads, manifest.calibration.as_ref());
    manifest.blocks = blocks;
    let ranker_json = match &model.attribution {
        Some(r) => {
            let mut b = serde_json::to_vec_pretty(r)?;
            b.push(b'\n');
            Some(b)
        }
        None => None,
    };
    manifest.attribution = model.attribution.as_ref().map(|r| AttributionInfo {
        file: ATTRIBUTION_FILE.to_string(),
        trainer: r.trainer.clone(),
        c: r.c,
        features: r.features.len(),
    });
    manifest.files = BTreeMap::from([
        (
            VECTORIZER_FILE.to_string(),
            FileInfo {
                bytes: vec_json.len() as u64,
                sha256: sha256_hex(&vec_json),
            },
        ),
        (
            WEIGHTS_FILE.to_string(),
            FileInfo {
                bytes: weights.len() as u64,
                sha256: sha256_hex(&weights),
            },
        ),
    ]);
    if let Some(b) = &ranker_json {
        manifest.files.insert(
            ATTRIBUTION_FILE.to_string(),
            FileInfo {
                bytes: b.len() as u64,
                sha256: sha256_hex(b),
            },
        );
    }
    if let Some(b) = &emb_bytes {
        manifest.files.insert(
            EMBEDDINGS_FILE.to_string(),
            FileInfo {
                bytes: b.len() as u64,
                sha256: sha256_hex(b),
            },
        );
    }
    let mut man_json = serde_json::to_vec_pretty(&manifest)?;
    man_json.push(b'\n');

    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let name = dir
        .file_name()
        .ok_or_else(|| Error::model(dir, "model path has no directory name"))?
        .to_string_lossy()
        .into_owned();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    }
    std::fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let write = |f: &str, b: &[u8]| -> Result<()> {
        let p = tmp.join(f);
        let mut file = std::fs::File::create(&p).map_err(|e| Error::io(&p, e))?;
        std::io::Write::write_all(&mut file, b).map_err(|e| Error::io(&p, e))?;
        file.sync_all().map_err(|e| Error::io(&p, e))
    };
    let result = (|| {
        write(VECTORIZER_FILE, &vec_json)?;
        write(WEIGHTS_FILE, &weights)?;
        if let Some(b) = &emb_bytes {
            write(EMBEDDINGS_FILE, b)?;
        }
        if let Some(b) = &ranker_json {
            write(ATTRIBUTION_FILE, b)?;
        }
        // The manifest last: a directory with a manifest has every file it lists.
        write(MANIFEST_FILE, &man_json)?;
        if dir.exists() {
            // rename(2) cannot replace a non-empty directory: move the old one aside first.
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            std::fs::rename(dir, &old).map_err(|e| Error::io(dir, e))?;
            std::fs::rename(&tmp, dir).map_err(|e| Error::io(dir, e))?;
            std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))
        } else {
            std::fs::rename(&tmp, dir).map_err(|e| Error::io(dir, e))
        }
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// Where a model's files are read from.
#[derive(Debug, Clone, Copy)]
pub enum ModelSource<'a> {
    /// A model directory.
    Dir(&'a Path),
    /// The files of a model directory held in memory, e.g. `include_bytes!`-ed into a
    /// program: `(file name, bytes)` pairs. `name` names the model in messages.
    Embedded {
        name: &'a str,
        files: &'a [(&'a str, &'a [u8])],
    },
}

impl<'a> ModelSource<'a> {
    /// The model's name in messages.
    fn origin(&self) -> PathBuf {
        match self {
            ModelSource::Dir(d) => d.to_path_buf(),
            ModelSource::Embedded { name, .. } => PathBuf::from(name),
        }
    }

    /// The bytes of one file of the model.
    fn read(&self, name: &str) -> std::io::Result<std::borrow::Cow<'a, [u8]>> {
        match self {
            ModelSource::Dir(d) => std::fs::read(d.join(name)).map(Into::into),
            ModelSource::Embedded { files, .. } => files
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, b)| (*b).into())
                .ok_or_else(|| std::io::ErrorKind::NotFound.into()),
        }
    }
}

/// Reads and checks a file listed in the manifest. The bytes of a built-in model are
/// borrowed, not copied.
fn read_checked<'a>(
    src: ModelSource<'a>,
    name: &str,
    info: &FileInfo,
) -> Result<std::borrow::Cow<'a, [u8]>> {
    let dir = &src.origin();
    let b = src
        .read(name)
        .map_err(|e| Error::model(dir, format!("cannot read {name}: {e}")))?;
    if (b.len() as u64) < info.bytes {
        return Err(Error::model(
            dir,
            format!(
                "{name} is truncated: {} bytes, the manifest says {}",
                b.len(),
                info.bytes
            ),
        ));
    }
    if b.len() as u64 != info.bytes {
        return Err(Error::model(
            dir,
            format!(
                "{name} has {} bytes, the manifest says {}",
                b.len(),
                info.bytes
            ),
        ));
    }
    let sum = sha256_hex(&b);
    if sum != info.sha256 {
        return Err(Error::model(
            dir,
            format!("{name}: checksum mismatch (sha256 {sum}, the manifest says {}); the file is corrupt", info.sha256),
        ));
    }
    Ok(b)
}

/// Reads and validates the manifest only (cheap; used by `inspect` and by the labeler to
/// check the topic set before loading weights).
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    read_manifest_from(ModelSource::Dir(dir))
}

fn read_manifest_from(src: ModelSource<'_>) -> Result<Manifest> {
    let dir = &src.origin();
    let bytes = match src.read(MANIFEST_FILE) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::model(
                dir,
                if matches!(src, ModelSource::Embedded { .. }) || dir.is_dir() {
                    "missing manifest.json: not a model directory, or an interrupted copy"
                        .to_string()
                } else {
                    "no such model directory".to_string()
                },
            ))
        }
        Err(e) => return Err(Error::model(dir, format!("cannot read manifest.json: {e}"))),
    };
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::model(dir, format!("manifest.json is not valid JSON: {e}")))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT_NAME) {
        return Err(Error::model(
            dir,
            format!("manifest.json: not a {FORMAT_NAME} manifest"),
        ));
    }
    let version = v
        .get("format_version")
        .and_then(|x| x.as_u64())
        .ok_or_else(|| Error::model(dir, "manifest.json: missing format_version"))?;
    if version > FORMAT_VERSION as u64 {
        return Err(Error::model(
            dir,
            format!(
                "model format version {version} is newer than this build of stance supports ({FORMAT_VERSION}); upgrade stance"
            ),
        ));
    }
    if version == 0 {
        return Err(Error::model(
            dir,
            "manifest.json: format_version 0 is invalid",
        ));
    }
    if version < MIN_FORMAT_VERSION as u64 {
        return Err(Error::model(
            dir,
            format!(
                "model format version {version} predates this build's learned topic detection and feature heads (format {MIN_FORMAT_VERSION}); retrain it (e.g. `stance train --recipe models/default.recipe.toml --out DIR`, or `stance train --data …` as before)"
            ),
        ));
    }
    serde_json::from_value(v).map_err(|e| Error::model(dir, format!("manifest.json: {e}")))
}

/// Little-endian reader over the weights with bounds checks.
struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
}

/// Every block of `weights.bin`, by name, checked against the manifest's list.
fn decode_weights(
    wbytes: &[u8],
    blocks: &[BlockInfo],
) -> std::result::Result<BTreeMap<String, Block>, String> {
    if !wbytes.starts_with(WEIGHTS_MAGIC) {
        return Err("bad magic (not a stance weights file)".into());
    }
    let mut c = Cursor { b: wbytes, at: 8 };
    let mut by_name = BTreeMap::new();
    for info in blocks {
        by_name.insert(info.name.clone(), decode_block(&mut c, info)?);
    }
    if c.at != wbytes.len() {
        return Err("trailing bytes after the last block".into());
    }
    Ok(by_name)
}

fn decode_block(c: &mut Cursor<'_>, info: &BlockInfo) -> std::result::Result<Block, String> {
    let short = || format!("block {}: weights end early", info.name);
    let (k, rows, stored) = (
        c.u32().ok_or_else(short)? as usize,
        c.u32().ok_or_else(short)? as usize,
        c.u32().ok_or_else(short)? as usize,
    );
    if (k, rows, stored) != (info.k, info.rows, info.stored_rows) {
        return Err(format!(
            "block {}: header ({k}, {rows}, {stored}) disagrees with the manifest ({}, {}, {})",
            info.name, info.k, info.rows, info.stored_rows
        ));
    }
    if k == 0 || stored > rows {
        return Err(format!("block {}: bad shape", info.name));
    }
    let idx = c.take(stored * 4).ok_or_else(short)?;
    let vals = c.take(stored * k * 4).ok_or_else(short)?;
    let bias = c.take(k * 4).ok_or_else(short)?;
    let mut index = Vec::with_capacity(stored);
    let mut prev: Option<usize> = None;
    for ch in idx.chunks_exact(4) {
        let j = u32::from_le_bytes([ch[0], ch[1], ch[2], ch[3]]) as usize;
        if j >= rows || prev.is_some_and(|p| p >= j) {
            return Err(format!(
                "block {}: row index {j} out of order or range",
                info.name
            ));
        }
        prev = Some(j);
        index.push(j as u32);
    }
    let floats = |s: &[u8]| -> Option<Vec<f32>> {
        let mut finite = true;
        let v = s
            .chunks_exact(4)
            .map(|b| {
                let x = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                finite &= x.is_finite();
                x
            })
            .collect();
        finite.then_some(v)
    };
    let non_finite = || format!("block {}: non-finite weight", info.name);
    Ok(Block {
        k,
        rows,
        w: floats(vals).ok_or_else(non_finite)?,
        index: Some(index),
        bias: floats(bias).ok_or_else(non_finite)?,
    })
}

/// The word vectors of a model whose manifest names them, checked against the manifest.
fn read_embeddings(
    src: ModelSource<'_>,
    manifest: &Manifest,
) -> Result<Option<std::sync::Arc<crate::features::Embeddings>>> {
    let Some(info) = &manifest.embeddings else {
        return Ok(None);
    };
    let dir = &src.origin();
    let info_file = manifest.files.get(EMBEDDINGS_FILE).ok_or_else(|| {
        Error::model(
            dir,
            format!("manifest.json does not list {EMBEDDINGS_FILE}"),
        )
    })?;
    let b = read_checked(src, EMBEDDINGS_FILE, info_file)?;
    // A file's bytes become the table's storage (moved, not copied).
    let e = crate::features::Embeddings::from_vec(b.into_owned())
        .and_then(|e| e.with_pooling(info.pooling))
        .map_err(|e| Error::model(dir, format!("{EMBEDDINGS_FILE}: {e}")))?;
    if e.dim() != info.dim || e.len() != info.words {
        return Err(Error::model(
            dir,
            format!(
                "{EMBEDDINGS_FILE} has {} words × {} dims, the manifest says {} × {}",
                e.len(),
                e.dim(),
                info.words,
                info.dim
            ),
        ));
    }
    Ok(Some(std::sync::Arc::new(e)))
}

/// Loads and checks a model directory.
pub fn load(dir: &Path) -> Result<Model> {
    load_from(ModelSource::Dir(dir))
}

/// Loads and checks a model from a directory or from files in memory.
pub fn load_from(src: ModelSource<'_>) -> Result<Model> {
    let dir = &src.origin();
    let manifest = read_manifest_from(src)?;
    for needed in [VECTORIZER_FILE, WEIGHTS_FILE] {
        if !manifest.files.contains_key(needed) {
            return Err(Error::model(
                dir,
                format!("manifest.json does not list {needed}"),
            ));
        }
    }
    // The three big files are read, checksummed and parsed independently, on as many threads
    // as there are: sha256 over ~27 MB and parsing the vocabulary are most of a load.
    let load_vectorizer = || -> Result<Vectorizer> {
        let vbytes = read_checked(src, VECTORIZER_FILE, &manifest.files[VECTORIZER_FILE])?;
        serde_json::from_slice(&vbytes)
            .map_err(|e| Error::model(dir, format!("{VECTORIZER_FILE}: {e}")))
    };
    let load_embeddings = || read_embeddings(src, &manifest);
    let load_weights = || -> Result<BTreeMap<String, Block>> {
        let wbytes = read_checked(src, WEIGHTS_FILE, &manifest.files[WEIGHTS_FILE])?;
        decode_weights(&wbytes, &manifest.blocks)
            .map_err(|m| Error::model(dir, format!("{WEIGHTS_FILE}: {m}")))
    };
    let ((vectorizer, embeddings), blocks) = rayon::join(
        || rayon::join(load_vectorizer, load_embeddings),
        load_weights,
    );
    let (vectorizer, embeddings, mut by_name) = (vectorizer?, embeddings?, blocks?);
    let nf = vectorizer.n_features();
    let valence = match &manifest.valence_lexicon_sha256 {
        None => None,
        Some(sum) => {
            let here = crate::features::valence::lexicon_sha256();
            if *sum != here {
                return Err(Error::model(
                    dir,
                    format!("the model's valence features were trained with other sentiment lexicons (sha256 {sum}) than this build has ({here}); retrain the model or use the stance version that trained it"),
                ));
            }
            Some(std::sync::Arc::new(crate::features::Valence::new()?))
        }
    };
    let featurizer = Featurizer::new(
        vectorizer,
        &manifest.topics,
        manifest.topic_lexicon.as_ref(),
    )
    .with_embeddings(embeddings)
    .with_valence(valence);
    let heads = &manifest.heads;
    for p in heads
        .stance
        .iter()
        .chain(&heads.relevance)
        .chain(&heads.sentiment)
    {
        if let Some(why) = featurizer.missing_for(*p) {
            return Err(Error::model(
                dir,
                format!(
                    "manifest.json: a head reads the `{}` part, but {why}",
                    p.name()
                ),
            ));
        }
    }
    let stance_rows = HeadInputs::new(&heads.stance, &featurizer).width;
    let relevance_rows = HeadInputs::new(&heads.relevance, &featurizer).width;
    let sentiment_rows = HeadInputs::new(&heads.sentiment, &featurizer).width;
    if nf != manifest.n_features {
        return Err(Error::model(
            dir,
            format!(
                "vectorizer has {nf} features, the manifest says {}",
                manifest.n_features
            ),
        ));
    }
    if let Some(c) = &manifest.calibration {
        c.validate()
            .map_err(|m| Error::model(dir, format!("manifest.json: {m}")))?;
    }
    let topics = manifest.topics.clone();
    if topics.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Error::model(
            dir,
            "manifest.json: topics must be sorted and unique",
        ));
    }
    // Blocks come decoded as stored (sparse) and get their scoring layout once their shape is
    // checked (a dense layout allocates `rows × k`).
    let mut take = |name: &str, rows: usize, k: usize| -> Result<Option<Block>> {
        match by_name.remove(name) {
            None => Ok(None),
            Some(b) if b.rows == rows && b.k == k => Ok(Some(b)),
            Some(b) => Err(Error::model(
                dir,
                format!(
                    "block {name} has shape {}×{}, expected {rows}×{k}",
                    b.rows, b.k
                ),
            )),
        }
    };
    let shared = take("stance.shared", stance_rows, 3)?.map(Block::for_scoring);
    let mut per_topic = Vec::new();
    for t in &topics {
        if let Some(b) = take(&format!("stance.topic:{t}"), stance_rows, 3)? {
            per_topic.push(b.for_scoring());
        }
    }
    let stance = match manifest.stance_strategy {
        Some(strategy) if per_topic.len() == topics.len() => Some(StanceHead {
            strategy,
            shared,
            per_topic,
        }),
        Some(_) => {
            return Err(Error::model(
                dir,
                "stance head does not have a block for every topic",
            ))
        }
        None => None,
    };
    // Format 5: one block, a column per topic. Formats 3 and 4: a block per topic, fused here.
    let mut relevance = take("relevance", relevance_rows, topics.len())?.map(Block::dense);
    let mut per_topic = Vec::new();
    for t in &topics {
        if let Some(b) = take(&format!("relevance:{t}"), relevance_rows, 1)? {
            per_topic.push(b);
        }
    }
    match per_topic.len() {
        0 => {}
        n if n == topics.len() && relevance.is_none() => {
            relevance = Some(super::fuse_binary(&per_topic.iter().collect::<Vec<_>>()));
        }
        _ => {
            return Err(Error::model(
                dir,
                "the relevance head needs one `relevance` block or a `relevance:<topic>` block for every topic",
            ))
        }
    }
    let sentiment = take("sentiment", sentiment_rows, 3)?.map(Block::for_scoring);
    if let Some(extra) = by_name.keys().next() {
        return Err(Error::model(
            dir,
            format!("weights.bin: unexpected block {extra}"),
        ));
    }
    let attribution = load_attribution(src, &manifest)?;
    let mut model = Model::from_parts(manifest, featurizer, topics, stance, relevance, sentiment);
    model.attribution = attribution;
    Ok(model)
}

/// Only the attribution source ranker of a model (its manifest and `attribution.json`, checked
/// as in a full load): what quote extraction needs, without reading the weights, vocabulary
/// and word vectors (~27 MB for the default model).
pub fn load_ranker_from(src: ModelSource<'_>) -> Result<Option<Ranker>> {
    let manifest = read_manifest_from(src)?;
    load_attribution(src, &manifest)
}

/// The attribution source ranker of a model whose manifest names one (checked like every
/// listed file); `None` for models without one.
pub fn load_attribution(src: ModelSource<'_>, manifest: &Manifest) -> Result<Option<Ranker>> {
    let dir = &src.origin();
    let Some(info) = &manifest.attribution else {
        return Ok(None);
    };
    let listed = manifest.files.get(&info.file).ok_or_else(|| {
        Error::model(
            dir,
            format!(
                "manifest.json does not list {} with its checksum",
                info.file
            ),
        )
    })?;
    let bytes = read_checked(src, &info.file, listed)?;
    let r: Ranker = serde_json::from_slice(&bytes)
        .map_err(|e| Error::model(dir, format!("{}: {e}", info.file)))?;
    r.validate()
        .map_err(|m| Error::model(dir, format!("{}: {m}", info.file)))?;
    Ok(Some(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model whose heads read `wide_lexicon` is written as format 11, so that older builds
    /// refuse it by its version, not by an unknown part name; one without it keeps its version.
    #[test]
    fn wide_lexicon_models_are_format_11() {
        let mut heads = HeadSpecs::default();
        let without = format_version_for(&heads, None);
        assert!(without < 11);
        heads.relevance.push(Part::WideLexicon);
        assert_eq!(format_version_for(&heads, None), 11);
        assert_eq!(FORMAT_VERSION, 11);
    }

    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_764_030_000), "2025-11-25T00:20:00Z");
    }
}
