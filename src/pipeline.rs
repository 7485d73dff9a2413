//! Stage 7: the whole path for one article — quotes → speakers → topics → stance and
//! sentiment — as one [`Pipeline`] that is cheap to share across threads.
//!
//! Topics are detected by the model's learned relevance head, which reads the quote, its
//! introducing context and the topic keywords found in each (as evidence, not as a rule;
//! see [`crate::model::inputs`]); a topic is kept when P(topic) reaches its threshold, at
//! most the model's number of topics per quote (both chosen by cross-validation).

use crate::article::Article;
use crate::error::{Error, Result};
use crate::model::{Model, Sentiment, Stance, Statement};
use crate::quotes::{Quote, QuoteExtractor};
use crate::topics::TopicConfig;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Stance probabilities for one topic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct StanceProbs {
    #[serde(serialize_with = "crate::model::labels::serialize_prob")]
    pub favor: f32,
    #[serde(serialize_with = "crate::model::labels::serialize_prob")]
    pub against: f32,
    #[serde(serialize_with = "crate::model::labels::serialize_prob")]
    pub neutral: f32,
}

/// The label of one topic a quote takes up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicLabel {
    pub stance: Stance,
    pub probs: StanceProbs,
    /// How sure the detector is that the quote takes up this topic, 0..=1.
    #[serde(serialize_with = "crate::model::labels::serialize_prob")]
    pub relevance: f32,
}

/// Sentiment probabilities of a quote.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct SentimentProbs {
    #[serde(serialize_with = "crate::model::labels::serialize_prob")]
    pub positive: f32,
    #[serde(serialize_with = "crate::model::labels::serialize_prob")]
    pub negative: f32,
    #[serde(serialize_with = "crate::model::labels::serialize_prob")]
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

/// Quote extractor + trained model.
pub struct Pipeline {
    extractor: QuoteExtractor,
    model: Model,
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
        Ok(Pipeline { extractor, model })
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
                self.label_quote(&article.id, q, context, article.lead())
            })
            .collect()
    }

    /// Labels one quote given its introducing context and its article's lead.
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
        let topics = pred
            .topics
            .into_iter()
            .map(|(topic, tp)| {
                (
                    topic,
                    TopicLabel {
                        stance: tp.stance,
                        probs: StanceProbs {
                            favor: tp.probs.favor,
                            against: tp.probs.against,
                            neutral: tp.probs.neutral,
                        },
                        relevance: tp.relevance.unwrap_or(1.0),
                    },
                )
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
        let d = self.model.detection();
        let th: Vec<f32> = self.model.topics().iter().map(|t| d.threshold(t)).collect();
        crate::model::choose_topics(&p, &th, d.max_topics)
            .into_iter()
            .map(|t| (self.model.topics()[t].clone(), p[t]))
            .collect()
    }
}
