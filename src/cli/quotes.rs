//! `stance quotes`: quotations and speakers of articles, as JSON Lines or a table.

use super::output::{report_bad_input, Output};
use super::Outcome;
use anyhow::{Context, Result};
use clap::ValueEnum;
use stance::input::{read_inputs, InputOptions, DEFAULT_MAX_BYTES};
use stance::model::store;
use stance::quotes::{QuoteExtractor, QuoteRecord};
use stance::speakers::{Cues, Gazetteer, Ranker};
use std::io::Write;
use std::path::PathBuf;

/// Output format of `stance quotes`.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum QuotesFormat {
    /// One JSON object per quote.
    #[default]
    Jsonl,
    /// Aligned columns for reading.
    Table,
}

#[derive(clap::Args, Debug)]
pub struct QuotesArgs {
    /// `.txt` files, directories of them, `.jsonl` files of {"id","text"}, or `-` for stdin.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = QuotesFormat::Jsonl)]
    pub format: QuotesFormat,
    /// Extra speaker gazetteer (TOML, see data/speakers.toml); extends the built-in one.
    #[arg(long, value_name = "FILE")]
    pub speakers: Option<PathBuf>,
    /// Extra attribution cues (TOML, see data/cues.toml); extends the built-in list.
    #[arg(long, value_name = "FILE")]
    pub cues: Option<PathBuf>,
    /// Write to FILE instead of stdout (atomically).
    #[arg(long, short, value_name = "FILE", visible_alias = "output")]
    pub out: Option<PathBuf>,
    /// Skip articles larger than this many bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_BYTES)]
    pub max_bytes: u64,
    #[command(flatten)]
    pub ranker: RankerArgs,
}

/// Where the attribution source ranker comes from.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct RankerArgs {
    /// Model directory whose attribution ranker ranks candidate speakers (default:
    /// models/default when present; without a ranker the sieves decide alone).
    #[arg(long, value_name = "DIR", env = "STANCE_MODEL")]
    pub model: Option<PathBuf>,
    /// Attribute with the sieves only, without the model's source ranker.
    #[arg(long)]
    pub sieves_only: bool,
}

impl RankerArgs {
    /// The ranker to use: from --model, else from models/default when it exists.
    pub fn load(&self) -> Result<Option<Ranker>> {
        if self.sieves_only {
            return Ok(None);
        }
        let dir = match &self.model {
            Some(d) => d.clone(),
            None => {
                let d = PathBuf::from("models/default");
                if !d.join(store::MANIFEST_FILE).exists() {
                    return Ok(None);
                }
                d
            }
        };
        let manifest = store::read_manifest(&dir)
            .with_context(|| format!("cannot read the model {}", dir.display()))?;
        Ok(store::load_attribution(&dir, &manifest)?)
    }
}

/// Builds the extractor from the built-in data plus the user's files.
pub fn extractor(speakers: Option<&PathBuf>, cues: Option<&PathBuf>) -> Result<QuoteExtractor> {
    let mut g = Gazetteer::builtin();
    if let Some(p) = speakers {
        g.extend(
            Gazetteer::load(p).with_context(|| format!("reading --speakers {}", p.display()))?,
        );
    }
    let mut c = Cues::builtin();
    if let Some(p) = cues {
        c.extend(Cues::load(p).with_context(|| format!("reading --cues {}", p.display()))?);
    }
    Ok(QuoteExtractor::new(g, c))
}

pub fn run(a: QuotesArgs) -> Result<Outcome> {
    let x = extractor(a.speakers.as_ref(), a.cues.as_ref())?.with_ranker(a.ranker.load()?);
    let mut out = Output::open(a.out.as_deref())?;
    let opts = InputOptions {
        max_bytes: a.max_bytes,
    };
    let mut outcome = Outcome::default();
    if matches!(a.format, QuotesFormat::Table) {
        writeln!(
            out,
            "{:<24} {:>6} {:>6} {:<24} {:>4}  text",
            "article", "start", "end", "speaker", "conf"
        )?;
    }
    for item in read_inputs(&a.paths, &opts) {
        let article = match item {
            Ok(art) => art,
            Err(bad) => {
                report_bad_input(&bad);
                outcome.failed_inputs += 1;
                continue;
            }
        };
        for q in x.extract(&article) {
            match a.format {
                QuotesFormat::Jsonl => {
                    serde_json::to_writer(
                        &mut out,
                        &QuoteRecord {
                            article: &article.id,
                            quote: &q,
                        },
                    )?;
                    out.write_all(b"\n")?;
                }
                QuotesFormat::Table => {
                    let text: String = q.text.chars().take(70).collect();
                    writeln!(
                        out,
                        "{:<24} {:>6} {:>6} {:<24} {:>4.2}  {}",
                        article.id,
                        q.start,
                        q.end,
                        q.speaker.as_deref().unwrap_or("-"),
                        q.confidence,
                        text.replace('\n', " ")
                    )?;
                }
            }
        }
    }
    out.finish()?;
    Ok(outcome)
}
