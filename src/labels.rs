//! What a quote is labelled with — a leaf module every layer may use. The label vocabularies
//! of the annotation guide (§4 stance, §5 sentiment) as closed enums, their probabilities
//! ([`StanceProbs`], [`SentimentProbs`]) and the predictions built from them
//! ([`TopicPrediction`], [`SentimentPrediction`]: the model's output and the pipeline's labels,
//! one set of types).
//!
//! The enums serialise lowercase (`"favor"`, `"negative"`), parse case-insensitively (so SemEval's
//! `FAVOR`/`NONE` and NewsMTSC's numeric polarities map in one place) and have a fixed class
//! index that the model's weight matrices use.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A speaker's stance towards one topic's proposition (annotation guide §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stance {
    /// Supports the proposition.
    Favor,
    /// Opposes the proposition.
    Against,
    /// Takes up the topic without a position.
    Neutral,
}

/// The tone of the quoted words (annotation guide §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sentiment {
    /// Approval, optimism, praise, welcome.
    Positive,
    /// Criticism, threat, refusal, alarm, grief.
    Negative,
    /// Factual, procedural, balanced.
    Neutral,
}

/// A closed label set with a fixed class index (the column order of the model's weights).
pub trait Label: Copy + Ord + fmt::Display + FromStr + 'static {
    /// All labels in class-index order.
    const ALL: &'static [Self];
    /// The class index of this label.
    fn index(self) -> usize;
    /// The label of a class index (panics on an out-of-range index, a programming error).
    fn from_index(i: usize) -> Self {
        Self::ALL[i]
    }
    /// The lowercase name.
    fn name(self) -> &'static str;
}

impl Label for Stance {
    const ALL: &'static [Self] = &[Stance::Favor, Stance::Against, Stance::Neutral];
    fn index(self) -> usize {
        self as usize
    }
    fn name(self) -> &'static str {
        match self {
            Stance::Favor => "favor",
            Stance::Against => "against",
            Stance::Neutral => "neutral",
        }
    }
}

impl Label for Sentiment {
    const ALL: &'static [Self] = &[Sentiment::Positive, Sentiment::Negative, Sentiment::Neutral];
    fn index(self) -> usize {
        self as usize
    }
    fn name(self) -> &'static str {
        match self {
            Sentiment::Positive => "positive",
            Sentiment::Negative => "negative",
            Sentiment::Neutral => "neutral",
        }
    }
}

/// Probabilities, relevances and confidences are written with 4 decimals in every output
/// (JSON, CSV, tables), so `predict`, `label` and `quotes` agree and no float noise
/// (`0.80999994`) shows.
pub fn round_prob(p: f32) -> f64 {
    (f64::from(p) * 1e4).round() / 1e4
}

/// `serialize_with` for an `f32` probability: [`round_prob`].
pub fn serialize_prob<S: serde::Serializer>(p: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(round_prob(*p))
}

/// `serialize_with` for an optional probability.
pub fn serialize_opt_prob<S: serde::Serializer>(p: &Option<f32>, s: S) -> Result<S::Ok, S::Error> {
    match p {
        Some(p) => s.serialize_some(&round_prob(*p)),
        None => s.serialize_none(),
    }
}

/// Stance probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct StanceProbs {
    /// P(favor).
    #[serde(serialize_with = "serialize_prob")]
    pub favor: f32,
    /// P(against).
    #[serde(serialize_with = "serialize_prob")]
    pub against: f32,
    /// P(neutral).
    #[serde(serialize_with = "serialize_prob")]
    pub neutral: f32,
}

/// Sentiment probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct SentimentProbs {
    /// P(positive).
    #[serde(serialize_with = "serialize_prob")]
    pub positive: f32,
    /// P(negative).
    #[serde(serialize_with = "serialize_prob")]
    pub negative: f32,
    /// P(neutral).
    #[serde(serialize_with = "serialize_prob")]
    pub neutral: f32,
}

impl StanceProbs {
    /// The probability of `stance`.
    pub fn get(&self, stance: Stance) -> f32 {
        match stance {
            Stance::Favor => self.favor,
            Stance::Against => self.against,
            Stance::Neutral => self.neutral,
        }
    }
}

impl SentimentProbs {
    /// The probability of `sentiment`.
    pub fn get(&self, sentiment: Sentiment) -> f32 {
        match sentiment {
            Sentiment::Positive => self.positive,
            Sentiment::Negative => self.negative,
            Sentiment::Neutral => self.neutral,
        }
    }
}

/// A feature's contribution to a predicted class's score (`value × weight`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// Feature name (`w:` word n-gram, `c:` char n-gram; `ctx ` prefix = context block).
    pub feature: String,
    /// Contribution to the score.
    #[serde(serialize_with = "serialize_prob")]
    pub weight: f32,
}

/// Stance on one topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicPrediction {
    /// Most probable stance.
    pub stance: Stance,
    /// Class probabilities.
    pub probs: StanceProbs,
    /// P(statement is about the topic), when the model has a relevance head.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_opt_prob"
    )]
    pub relevance: Option<f32>,
    /// How likely the topic is right: `relevance` calibrated on the topics the model detected
    /// in training's inner cross-validation (models of format 6 and later; detected topics
    /// only, not topics the caller named).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_opt_prob"
    )]
    pub confidence: Option<f32>,
    /// Top contributing features (only with `explain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<Vec<Contribution>>,
}

/// Sentiment of the statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentimentPrediction {
    /// Most probable sentiment.
    pub label: Sentiment,
    /// Class probabilities.
    pub probs: SentimentProbs,
    /// Top contributing features (only with `explain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<Vec<Contribution>>,
}

/// A label string that is not in the label set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLabel(pub String);

impl fmt::Display for UnknownLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown label {:?}", self.0)
    }
}

impl std::error::Error for UnknownLabel {}

impl FromStr for Stance {
    type Err = UnknownLabel;
    /// Accepts the guide's names and SemEval's (`FAVOR`, `AGAINST`, `NONE`), any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "favor" | "favour" | "pro" => Ok(Stance::Favor),
            "against" | "con" => Ok(Stance::Against),
            "neutral" | "none" => Ok(Stance::Neutral),
            _ => Err(UnknownLabel(s.to_string())),
        }
    }
}

impl FromStr for Sentiment {
    type Err = UnknownLabel;
    /// Accepts the guide's names, SemEval's (`POSITIVE`, `NEGATIVE`, `NEITHER`) and
    /// NewsMTSC's polarity codes (`2`/`4`/`6` = negative/neutral/positive), any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "positive" | "pos" | "6" | "6.0" => Ok(Sentiment::Positive),
            "negative" | "neg" | "2" | "2.0" => Ok(Sentiment::Negative),
            "neutral" | "neither" | "none" | "4" | "4.0" => Ok(Sentiment::Neutral),
            _ => Err(UnknownLabel(s.to_string())),
        }
    }
}

impl fmt::Display for Stance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Sentiment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_serde() {
        assert_eq!("NONE".parse::<Stance>().unwrap(), Stance::Neutral);
        assert_eq!("FAVOR".parse::<Stance>().unwrap(), Stance::Favor);
        assert!("maybe".parse::<Stance>().is_err());
        assert_eq!("2".parse::<Sentiment>().unwrap(), Sentiment::Negative);
        assert_eq!(
            serde_json::to_string(&Stance::Against).unwrap(),
            "\"against\""
        );
        for (i, s) in Stance::ALL.iter().enumerate() {
            assert_eq!(s.index(), i);
            assert_eq!(s.to_string().parse::<Stance>().unwrap(), *s);
        }
    }
}
