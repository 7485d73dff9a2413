//! Stage 7: the whole path for one article — quotes → speakers → topics → stance and
//! sentiment — as one [`Pipeline`] that is cheap to share across threads.
//!
//! Topic detection combines two signals per quote, read with its introducing context:
//! the keyword lexicon of the topic configuration ([`crate::topics`]) and the model's learned
//! topic head. Their evidence is pooled as independent votes,
//! `relevance = 1 − (1 − lexicon_prior)(1 − p_model)`, and a topic is kept when the pooled
//! relevance reaches [`DetectionParams::threshold`]. A cue inside the quote is strong
//! evidence, a cue only in the surrounding sentence weaker (it may be about another clause).

use crate::article::Article;
use crate::error::{Error, Result};
use crate::model::{Model, Sentiment, Stance, Statement};
use crate::quotes::{Quote, QuoteExtractor};
use crate::topics::{TopicConfig, TopicLexicon};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Stance probabilities for one topic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct StanceProbs {
    pub favor: f32,
    pub against: f32,
    pub neutral: f32,
}

/// The label of one topic a quote takes up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicLabel {
    pub stance: Stance,
    pub probs: StanceProbs,
    /// How sure the detector is that the quote takes up this topic, 0..=1.
    pub relevance: f32,
}

/// Sentiment probabilities of a quote.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct SentimentProbs {
    pub positive: f32,
    pub negative: f32,
    pub neutral: f32,
}

/// The tone of a quote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentimentLabel {
    pub label: Sentiment,
    pub probs: SentimentProbs,
}

/// One quote with its labels: the `stance quotes` record plus `topics` and `sentiment`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabeledQuote {
    pub article: String,
    #[serde(flatten)]
    pub quote: Quote,
    /// Only the topics detected, by id.
    pub topics: BTreeMap<String, TopicLabel>,
    pub sentiment: Option<SentimentLabel>,
}

/// Thresholds of topic detection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectionParams {
    /// Prior given by a topic cue inside the quote.
    pub lexicon_in_quote: f32,
    /// Prior given by a cue only in the introducing context.
    pub lexicon_in_context: f32,
    /// Minimum pooled relevance for a topic to be reported.
    pub threshold: f32,
}

impl Default for DetectionParams {
    fn default() -> Self {
        DetectionParams {
            lexicon_in_quote: 0.6,
            lexicon_in_context: 0.35,
            threshold: 0.5,
        }
    }
}

/// Quote extractor + topic lexicon + trained model.
pub struct Pipeline {
    extractor: QuoteExtractor,
    model: Model,
    lexicon: TopicLexicon,
    /// For each lexicon topic, its index in the model's topic list.
    lexicon_to_model: Vec<usize>,
    detection: DetectionParams,
}

impl Pipeline {
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
        // Only topics the model can give a stance on are detected.
        let usable = TopicConfig {
            topics: topics
                .topics
                .iter()
                .filter(|t| model.topics().contains(&t.id))
                .cloned()
                .collect(),
        };
        let lexicon = TopicLexicon::new(&usable);
        let lexicon_to_model = lexicon
            .ids()
            .iter()
            .map(|id| {
                model
                    .topics()
                    .iter()
                    .position(|t| t == id)
                    .expect("usable topics are the model's")
            })
            .collect();
        Ok(Pipeline {
            extractor,
            lexicon,
            lexicon_to_model,
            model,
            detection: DetectionParams::default(),
        })
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

    /// Changes the detection thresholds.
    pub fn with_detection(mut self, p: DetectionParams) -> Self {
        self.detection = p;
        self
    }

    /// The model in use.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The quote extractor in use.
    pub fn extractor(&self) -> &QuoteExtractor {
        &self.extractor
    }

    /// Labels every quote of one article.
    pub fn label(&self, article: &Article) -> Vec<LabeledQuote> {
        let quotes = self.extractor.extract(article);
        if quotes.is_empty() {
            return Vec::new();
        }
        let idx = crate::article::CharIndex::new(&article.text);
        quotes
            .into_iter()
            .map(|q| {
                let context = idx.slice(&article.text, q.context.0, q.context.1);
                self.label_quote(&article.id, q, context)
            })
            .collect()
    }

    /// Labels one quote given its introducing context.
    pub fn label_quote(&self, article_id: &str, quote: Quote, context: &str) -> LabeledQuote {
        let hits = self.lexicon.hits(&quote.text, context);
        let mut relevance: Vec<(usize, f32)> = Vec::new();
        // One vectorization: the model hands us every topic's P(topic), we pool it with the
        // lexicon evidence and tell it which topics to give a stance for.
        let pred = self.model.predict_choosing(
            &Statement {
                text: &quote.text,
                context: Some(context),
                topics: None,
                target: None,
            },
            &mut |model_p: &[(usize, f32)]| {
                relevance = self.pool_relevance(&hits, model_p);
                relevance.iter().map(|&(t, _)| t).collect()
            },
        );
        let topics = relevance
            .into_iter()
            .filter_map(|(t, r)| {
                let topic = &self.model.topics()[t];
                let tp = pred.topics.get(topic)?;
                Some((
                    topic.clone(),
                    TopicLabel {
                        stance: tp.stance,
                        probs: StanceProbs {
                            favor: tp.probs.favor,
                            against: tp.probs.against,
                            neutral: tp.probs.neutral,
                        },
                        relevance: r,
                    },
                ))
            })
            .collect();
        let sentiment = pred.sentiment.map(|s| SentimentLabel {
            label: s.label,
            probs: SentimentProbs {
                positive: s.probs.positive,
                negative: s.probs.negative,
                neutral: s.probs.neutral,
            },
        });
        LabeledQuote {
            article: article_id.to_string(),
            quote,
            topics,
            sentiment,
        }
    }

    /// Pools lexicon hits (in lexicon order) with the model's relevance (by model topic
    /// index) into the detected topics `(model topic index, relevance)`.
    fn pool_relevance(
        &self,
        hits: &[crate::topics::LexiconHits],
        model_p: &[(usize, f32)],
    ) -> Vec<(usize, f32)> {
        let d = &self.detection;
        self.lexicon_to_model
            .iter()
            .zip(hits)
            .filter_map(|(&t, h)| {
                let prior = if h.in_quote > 0 {
                    d.lexicon_in_quote
                } else if h.in_context > 0 {
                    d.lexicon_in_context
                } else {
                    0.0
                };
                let p = model_p
                    .iter()
                    .find(|(i, _)| *i == t)
                    .map_or(0.0, |&(_, p)| p);
                let r = 1.0 - (1.0 - prior) * (1.0 - p);
                (r >= d.threshold).then_some((t, r))
            })
            .collect()
    }

    /// Topics the quote takes up, with their pooled relevance, by topic id.
    pub fn detect_topics(&self, quote: &str, context: &str) -> BTreeMap<String, f32> {
        let hits = self.lexicon.hits(quote, context);
        let model_p: Vec<(usize, f32)> = self
            .model
            .topic_relevance(quote, Some(context))
            .into_iter()
            .enumerate()
            .map(|(i, (_, p))| (i, p))
            .collect();
        self.pool_relevance(&hits, &model_p)
            .into_iter()
            .map(|(t, r)| (self.model.topics()[t].clone(), r))
            .collect()
    }
}
