//! Flags shared by the subcommands, defined once so every subcommand spells them the same way
//! (see "CLI conventions" in ARCHITECTURE.md): `--model`, `-o/--out`, `--threads`,
//! `-q/--quiet`, `--max-bytes`, `--input-format`, and the report `--format`.

use super::builtin_model;
use super::output::Output;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use stance::input::{InputOptions, DEFAULT_MAX_BYTES};
use stance::model::Model;
use stance::pipeline::Pipeline;
use stance::quotes::QuoteExtractor;
use stance::speakers::{Cues, Gazetteer};
use stance::topics::TopicConfig;
use stance::TomlConfig;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `--model DIR`: every subcommand that uses a model.
#[derive(Args, Debug, Clone)]
pub struct ModelArg {
    /// Model directory [default: the built-in model, a copy of models/default made at build
    /// time].
    #[arg(long, value_name = "DIR", env = "STANCE_MODEL")]
    pub model: Option<PathBuf>,
}

impl ModelArg {
    /// The model: `--model DIR` / `STANCE_MODEL`, else the one built into the binary.
    pub fn load(&self) -> Result<Model> {
        match &self.model {
            None => builtin_model::load(),
            Some(dir) => load_dir(dir),
        }
    }

    /// Only the model's attribution source ranker (quote extraction needs nothing else).
    pub fn load_ranker(&self) -> Result<Option<stance::speakers::Ranker>> {
        match &self.model {
            None => builtin_model::load_ranker(),
            Some(dir) => {
                check_model_dir(dir)?;
                Model::load_ranker_from(stance::model::store::ModelSource::Dir(dir))
                    .with_context(|| format!("cannot use the model at {}", dir.display()))
            }
        }
    }

    /// How to name the model in reports.
    pub fn describe(&self) -> String {
        match &self.model {
            None => "built-in model".into(),
            Some(dir) => dir.display().to_string(),
        }
    }
}

/// Loads a model directory. The "which model" hint goes only with a model that is not there;
/// a damaged model gets the loader's reason alone.
fn load_dir(dir: &Path) -> Result<Model> {
    check_model_dir(dir)?;
    Model::load(dir).with_context(|| format!("cannot use the model at {}", dir.display()))
}

/// A clear error, with the "which model" hint, for a model directory that is not there.
fn check_model_dir(dir: &Path) -> Result<()> {
    let missing = if !dir.exists() {
        Some("no such directory")
    } else if !dir.join("manifest.json").exists() {
        Some("missing manifest.json: not a model directory")
    } else {
        None
    };
    if let Some(why) = missing {
        anyhow::bail!(
            "no model at {} ({why}); pass --model DIR or set STANCE_MODEL to a model \
             directory, or give neither to use the built-in model",
            dir.display()
        );
    }
    Ok(())
}

/// `--threads N` and `-q/--quiet`: every subcommand that works through a batch.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Worker threads: a number, or `all` for one per core.
    #[arg(long, value_name = "N", default_value = "all", value_parser = parse_threads)]
    pub threads: Threads,
    /// No progress bar or progress notes on stderr (warnings and errors still appear).
    #[arg(long, short)]
    pub quiet: bool,
}

/// A thread count; 0 = all cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threads(pub usize);

fn parse_threads(s: &str) -> Result<Threads, String> {
    if s.eq_ignore_ascii_case("all") {
        return Ok(Threads(0));
    }
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(Threads(n)),
        _ => Err(format!(
            "{s:?} is not a thread count (a positive number, or `all`)"
        )),
    }
}

impl RunArgs {
    /// The thread count for rayon (0 = all cores).
    pub fn threads(&self) -> usize {
        self.threads.0
    }

    /// Sizes rayon's global pool (used by the subcommands that do not stream).
    pub fn init_global_pool(&self) {
        // Fails only when the pool already exists, which is then the pool to use.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads())
            .build_global();
    }
}

/// `-o/--out FILE`: every subcommand that writes results.
#[derive(Args, Debug, Clone)]
pub struct OutArg {
    /// Write the output to FILE (complete or not at all) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Article inputs and `--max-bytes`.
#[derive(Args, Debug, Clone)]
pub struct ArticleArgs {
    /// Articles: .txt files, folders of them, .jsonl files of {"id","text"}, or - for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// `--max-bytes SIZE`.
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Skip articles larger than SIZE (bytes, or with K, M, G = powers of 1024).
    #[arg(long, value_name = "SIZE", default_value = "512M", value_parser = parse_size)]
    pub max_bytes: u64,
}

impl LimitArgs {
    pub fn input_options(&self) -> InputOptions {
        InputOptions {
            max_bytes: self.max_bytes,
        }
    }
}

// The displayed default must stay the library's default.
const _: () = assert!(DEFAULT_MAX_BYTES == 512 << 20);

/// `10M`, `500k`, `2G`, `4096`: K, M, G are powers of 1024; a trailing `B` or `iB` is allowed.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let bad = || format!("{s:?} is not a size (e.g. 4096, 500K, 10M, 2G)");
    let n: u64 = num.parse().map_err(|_| bad())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(bad()),
    };
    n.checked_mul(1 << shift).ok_or_else(bad)
}

/// `--input-format` of annotated data files.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InputFormat {
    /// Decide from the extension and the first line.
    #[default]
    Auto,
    /// The annotation guide's JSON Lines.
    Jsonl,
    /// Comma-separated with a header row.
    Csv,
    /// Tab-separated with a header row.
    Tsv,
    /// SemEval-2016 Task 6 TSV.
    Semeval,
    /// NewsMTSC JSON Lines.
    Newsmtsc,
}

impl From<InputFormat> for stance::corpora::Format {
    fn from(f: InputFormat) -> Self {
        use stance::corpora::Format;
        match f {
            InputFormat::Auto => Format::Auto,
            InputFormat::Jsonl => Format::Jsonl,
            InputFormat::Csv => Format::Csv,
            InputFormat::Tsv => Format::Tsv,
            InputFormat::Semeval => Format::Semeval,
            InputFormat::Newsmtsc => Format::Newsmtsc,
        }
    }
}

/// `--speakers FILE`, `--cues FILE`: the user's attribution data, over the built-in data.
#[derive(Args, Debug, Clone)]
pub struct ExtractorArgs {
    /// Extra speaker gazetteer (TOML, see data/speakers.toml), merged over the built-in one.
    #[arg(long, value_name = "FILE")]
    pub speakers: Option<PathBuf>,
    /// Extra attribution cues (TOML, see data/cues.toml), added to the built-in list.
    #[arg(long, value_name = "FILE")]
    pub cues: Option<PathBuf>,
}

impl ExtractorArgs {
    /// The quote extractor with the built-in data plus the user's files.
    pub fn extractor(&self) -> Result<QuoteExtractor> {
        Ok(QuoteExtractor::new(
            merged(
                Gazetteer::builtin(),
                "--speakers",
                &self.speakers,
                Gazetteer::extend,
            )?,
            merged(Cues::builtin(), "--cues", &self.cues, Cues::extend)?,
        ))
    }
}

/// `--model DIR` and `--sieves-only` for commands that only extract and attribute quotes: the
/// model supplies its learned attribution source ranker.
#[derive(Args, Debug, Clone)]
pub struct RankerArgs {
    #[command(flatten)]
    pub model: ModelArg,
    /// Attribute with the sieves only, without the model's learned source ranker.
    #[arg(long)]
    pub sieves_only: bool,
}

impl RankerArgs {
    /// The model's ranker (none with --sieves-only or for a model without one).
    pub fn ranker(&self) -> Result<Option<stance::speakers::Ranker>> {
        if self.sieves_only {
            return Ok(None);
        }
        self.model.load_ranker()
    }
}

/// `--topics FILE`: the user's topic configuration, over the built-in topics.
#[derive(Args, Debug, Clone)]
pub struct TopicsArg {
    /// Extra topic configuration (TOML, see data/topics.toml), merged over the built-in one.
    #[arg(long, value_name = "FILE")]
    pub topics: Option<PathBuf>,
}

impl TopicsArg {
    /// The built-in topics plus `--topics FILE`.
    pub fn config(&self) -> Result<TopicConfig> {
        merged(
            TopicConfig::builtin(),
            "--topics",
            &self.topics,
            TopicConfig::extend,
        )
    }
}

/// `builtin` with the file given by `flag` (if any) merged over it.
fn merged<T: TomlConfig>(
    mut builtin: T,
    flag: &str,
    file: &Option<PathBuf>,
    extend: impl FnOnce(&mut T, T),
) -> Result<T> {
    if let Some(p) = file {
        let user = T::load(p).with_context(|| format!("reading {flag} {}", p.display()))?;
        extend(&mut builtin, user);
    }
    Ok(builtin)
}

/// The whole labeler's configuration: `--speakers`, `--cues`, `--topics`.
#[derive(Args, Debug, Clone)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub extractor: ExtractorArgs,
    #[command(flatten)]
    pub topics: TopicsArg,
    /// Keep only detected topics whose `confidence` (how likely the topic is right) is at
    /// least P, compared as written (4 decimals): fewer, surer labels.
    #[arg(long, value_name = "P")]
    pub min_confidence: Option<f32>,
}

impl ConfigArgs {
    /// The pipeline for `model` with this configuration.
    pub fn pipeline(&self, model: &ModelArg) -> Result<Pipeline> {
        let model = model.load()?;
        Ok(
            Pipeline::new(self.extractor.extractor()?, model, &self.topics.config()?)?
                .with_min_confidence(self.min_confidence)?,
        )
    }
}

/// `--format text|json` and `-o/--out FILE` of a report.
#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub out: OutArg,
}

impl ReportArgs {
    /// Writes `report` as text (its `Display`) or JSON.
    pub fn write<R: serde::Serialize + std::fmt::Display>(&self, report: &R) -> Result<()> {
        let mut out = Output::open(self.out.out.as_deref())?;
        match self.format {
            ReportFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(report)?)?,
            ReportFormat::Text => write!(out, "{report}")?,
        }
        out.finish()
    }
}

/// `--format` of a report (eval, train, inspect).
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReportFormat {
    /// Plain text for reading.
    #[default]
    Text,
    /// One JSON document.
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_users_write_them() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert_eq!(parse_size("10mb"), Ok(10 << 20));
        assert_eq!(parse_size("500K"), Ok(500 << 10));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("10X").is_err());
        assert!(parse_size("99999999999999G").is_err());
    }

    #[test]
    fn threads_all_or_a_positive_count() {
        assert_eq!(parse_threads("all"), Ok(Threads(0)));
        assert_eq!(parse_threads("3"), Ok(Threads(3)));
        assert!(parse_threads("0").is_err());
        assert!(parse_threads("-1").is_err());
    }
}
