//! Stage 7: the whole path for one article — quotes → speakers → topics → stance and
//! sentiment — as one [`Pipeline`] that is cheap to share across threads.
//!
//! Topics are detected by the model's learned relevance head, which reads the quote, its
//! introducing context and the topic keywords found in each (as evidence, not as a rule;
//! see [`crate::model::inputs`]); a topic is kept when P(topic) reaches its threshold, at
//! most the model's number of topics per quote (both chosen by cross-validation).

use crate::article::Article;
use crate::config::TomlConfig;
use crate::error::{Error, Result};
use crate::labels::{round_prob, SentimentPrediction, TopicPrediction};
use crate::model::{Model, Statement};
use crate::quotes::{Quote, QuoteExtractor};
use crate::speakers::{Cues, Gazetteer};
use crate::topics::TopicConfig;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;

/// One quote with its labels: the `stance quotes` record plus `topics` and `sentiment`. The
/// labels are the model's predictions (one set of types, in [`crate::labels`]; relevance
/// always present, explanations absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabeledQuote {
    pub article: String,
    #[serde(flatten)]
    pub quote: Quote,
    /// Only the topics detected, by id.
    pub topics: BTreeMap<String, TopicPrediction>,
    pub sentiment: Option<SentimentPrediction>,
    /// P(topic) of every topic the model knows, detected or not, rounded as written (4
    /// decimals); only when asked for ([`Pipeline::with_relevance_scores`]) and the model has
    /// a relevance head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevance: Option<BTreeMap<String, f64>>,
}

/// Quote extractor + trained model.
pub struct Pipeline {
    extractor: QuoteExtractor,
    model: Model,
    /// Workers of [`Pipeline::label_many`] (`None`: rayon's global pool).
    pool: Option<Arc<rayon::ThreadPool>>,
    /// Detected topics whose `confidence`, as written (4 decimals), is below this bar (itself
    /// rounded so: an f32 bar of 0.3 is 0.30000001) are dropped.
    min_confidence: Option<f64>,
    /// Every topic's P(topic) goes into each [`LabeledQuote::relevance`].
    relevance_scores: bool,
}

/// Builds a [`Pipeline`] from a model directory and the user's configuration files, each
/// merged over the built-in one (as the CLI's `--speakers`, `--cues`, `--topics`, `--threads`).
///
/// ```
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/models/default");
/// let pipeline = stance::pipeline::Pipeline::builder(dir).threads(2).build()?;
/// # Ok::<(), stance::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PipelineBuilder {
    model_dir: PathBuf,
    speakers: Vec<PathBuf>,
    cues: Vec<PathBuf>,
    topics: Vec<PathBuf>,
    threads: Option<usize>,
    min_confidence: Option<f32>,
    relevance_scores: bool,
}

impl PipelineBuilder {
    /// An extra speaker gazetteer (TOML, like `data/speakers.toml`).
    pub fn speakers(mut self, file: impl Into<PathBuf>) -> Self {
        self.speakers.push(file.into());
        self
    }

    /// Extra attribution cues (TOML, like `data/cues.toml`).
    pub fn cues(mut self, file: impl Into<PathBuf>) -> Self {
        self.cues.push(file.into());
        self
    }

    /// An extra topic configuration (TOML, like `data/topics.toml`).
    pub fn topics(mut self, file: impl Into<PathBuf>) -> Self {
        self.topics.push(file.into());
        self
    }

    /// Worker threads of [`Pipeline::label_many`] (0 = one per core).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n);
        self
    }

    /// Keep only detected topics with `confidence` ≥ `p` ([`Pipeline::with_min_confidence`]).
    pub fn min_confidence(mut self, p: f32) -> Self {
        self.min_confidence = Some(p);
        self
    }

    /// Give every quote the P(topic) of every topic ([`Pipeline::with_relevance_scores`]).
    pub fn relevance_scores(mut self, on: bool) -> Self {
        self.relevance_scores = on;
        self
    }

    /// Loads the model and the files; any unreadable or invalid one is an error naming it.
    pub fn build(self) -> Result<Pipeline> {
        let mut gazetteer = Gazetteer::builtin();
        for f in &self.speakers {
            gazetteer.extend(Gazetteer::load(f)?);
        }
        let mut cues = Cues::builtin();
        for f in &self.cues {
            cues.extend(Cues::load(f)?);
        }
        let mut topics = TopicConfig::builtin();
        for f in &self.topics {
            topics.extend(TopicConfig::load(f)?);
        }
        let model = Model::load(&self.model_dir)?;
        let mut p = Pipeline::new(QuoteExtractor::new(gazetteer, cues), model, &topics)?
            .with_min_confidence(self.min_confidence)?
            .with_relevance_scores(self.relevance_scores);
        if let Some(n) = self.threads {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| Error::InvalidParam {
                    name: "threads",
                    value: n.to_string(),
                    msg: e.to_string(),
                })?;
            p.pool = Some(Arc::new(pool));
        }
        Ok(p)
    }
}

impl Pipeline {
    /// A builder for a pipeline over the model saved in `model_dir`.
    pub fn builder(model_dir: impl Into<PathBuf>) -> PipelineBuilder {
        PipelineBuilder {
            model_dir: model_dir.into(),
            speakers: Vec::new(),
            cues: Vec::new(),
            topics: Vec::new(),
            threads: None,
            min_confidence: None,
            relevance_scores: false,
        }
    }

    /// Labels many articles in parallel (on the builder's threads, else rayon's global pool);
    /// `out[i]` are the quotes of `articles[i]`.
    pub fn label_many(&self, articles: &[Article]) -> Vec<Vec<LabeledQuote>> {
        let run = || articles.par_iter().map(|a| self.label(a)).collect();
        match &self.pool {
            Some(pool) => pool.install(run),
            None => run(),
        }
    }

    /// Builds a pipeline. Every topic the model knows must be configured (its proposition
    /// gives the stance labels their meaning), else the model and configuration disagree.
    /// The model's attribution source ranker, if it has one, ranks the extractor's candidate
    /// speakers (unless the extractor was given its own).
    pub fn new(extractor: QuoteExtractor, model: Model, topics: &TopicConfig) -> Result<Self> {
        let extractor = match model.attribution_ranker() {
            Some(r) if extractor.ranker().is_none() => extractor.with_ranker(Some(r.clone())),
            _ => extractor,
        };
        let configured = topics.ids();
        let missing: Vec<&String> = model
            .topics()
            .iter()
            .filter(|t| !configured.contains(t))
            .collect();
        if !missing.is_empty() {
            return Err(Error::Config {
                path: "topics".into(),
                msg: format!(
                    "the model was trained on topics the topic configuration does not define: {}",
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        Ok(Pipeline {
            extractor,
            model,
            pool: None,
            min_confidence: None,
            relevance_scores: false,
        })
    }

    /// Keeps only the detected topics whose `confidence` is at least `min` (compared as
    /// written, to 4 decimals, so that the output equals filtering the full output on its
    /// `confidence` field); `None` keeps every topic. Fewer, surer labels: on the default
    /// model's grouped cross-validation, 0.7 kept 69% of the topics at precision 0.77 instead
    /// of 0.70 (README, *Calibrated probabilities*). Refused outside [0, 1] and for a model
    /// without a topic calibration (no `confidence` to compare).
    pub fn with_min_confidence(mut self, min: Option<f32>) -> Result<Self> {
        if let Some(p) = min {
            let bad = |msg: &str| Error::InvalidParam {
                name: "min_confidence",
                value: p.to_string(),
                msg: msg.to_string(),
            };
            if !(0.0..=1.0).contains(&p) {
                return Err(bad("must be between 0 and 1"));
            }
            if self.model.calibration().is_none() || self.model.relevance_head().is_none() {
                return Err(bad(
                    "this model gives its topics no confidence (it has no topic calibration: models of format 6 and later trained with cross-validation have one)",
                ));
            }
        }
        self.min_confidence = min.map(round_prob);
        Ok(self)
    }

    /// With `on`, every labeled quote also carries the P(topic) of every topic the model
    /// knows, detected or not ([`LabeledQuote::relevance`]): to set one's own thresholds
    /// (the model's own are in its manifest's `detection`), to rank quotes by a topic, or to
    /// see why a topic was missed. Off by default: it adds a map per quote.
    pub fn with_relevance_scores(mut self, on: bool) -> Self {
        self.relevance_scores = on;
        self
    }

    /// The default extractor and topics with the model saved in `dir`.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let model = Model::load(dir)?;
        Self::new(
            QuoteExtractor::with_defaults(),
            model,
            &TopicConfig::builtin(),
        )
    }

    /// The model in use.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The quote extractor in use.
    pub fn extractor(&self) -> &QuoteExtractor {
        &self.extractor
    }

    /// Labels every quote of one article. Its quotes are predicted together: a topic one quote
    /// takes up needs less evidence in the others (the model's article threshold).
    pub fn label(&self, article: &Article) -> Vec<LabeledQuote> {
        let quotes = self.extractor.extract(article);
        if quotes.is_empty() {
            return Vec::new();
        }
        let idx = crate::article::CharIndex::new(&article.text);
        let lead = article.lead();
        let statements: Vec<Statement> = quotes
            .iter()
            .map(|q| Statement {
                text: &q.text,
                context: Some(idx.slice(&article.text, q.context.0, q.context.1)),
                wide_context: Some(idx.slice(&article.text, q.wide_context.0, q.wide_context.1)),
                lead: Some(lead),
                ..Default::default()
            })
            .collect();
        let preds = self.model.predict_article(&statements);
        drop(statements); // they borrow the quotes moved below
        quotes
            .into_iter()
            .zip(preds)
            .map(|(q, pred)| self.labeled(&article.id, q, pred))
            .collect()
    }

    /// Labels one quote, seen alone, given its introducing context and its article's lead
    /// (the context stands for the wide context too).
    pub fn label_quote(
        &self,
        article_id: &str,
        quote: Quote,
        context: &str,
        lead: &str,
    ) -> LabeledQuote {
        let pred = self.model.predict(&Statement {
            text: &quote.text,
            context: Some(context),
            lead: Some(lead),
            ..Default::default()
        });
        self.labeled(article_id, quote, pred)
    }

    /// Topics the quote takes up, with their relevance, by topic id.
    pub fn detect_topics(&self, quote: &str, context: &str, lead: &str) -> BTreeMap<String, f32> {
        let p: Vec<f32> = self
            .model
            .topic_relevance(&Statement {
                text: quote,
                context: Some(context),
                lead: Some(lead),
                ..Default::default()
            })
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        self.model
            .topic_rule()
            .choose(&p)
            .into_iter()
            .map(|t| (self.model.topics()[t].clone(), p[t]))
            .collect()
    }

    /// The label record of one quote and its prediction, with the pipeline's options.
    fn labeled(
        &self,
        article_id: &str,
        quote: Quote,
        pred: crate::model::Prediction,
    ) -> LabeledQuote {
        let mut topics = pred.topics;
        for tp in topics.values_mut() {
            // A model without a relevance head detects nothing: its topics were all scored.
            tp.relevance = Some(tp.relevance.unwrap_or(1.0));
        }
        if let Some(min) = self.min_confidence {
            topics.retain(|_, tp| tp.confidence.is_some_and(|c| round_prob(c) >= min));
        }
        let relevance = (self.relevance_scores && !pred.relevance.is_empty()).then(|| {
            self.model
                .topics()
                .iter()
                .zip(&pred.relevance)
                .map(|(t, &p)| (t.clone(), round_prob(p)))
                .collect()
        });
        LabeledQuote {
            article: article_id.to_string(),
            quote,
            topics,
            sentiment: pred.sentiment,
            relevance,
        }
    }
}
