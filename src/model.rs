//! (stub: being written)
use serde::Serialize; use std::collections::BTreeMap;
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)] #[serde(rename_all="lowercase")] pub enum Stance { Favor, Against, Neutral }
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)] #[serde(rename_all="lowercase")] pub enum Sentiment { Positive, Negative, Neutral }
impl std::fmt::Display for Stance { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{:?}", self) } }
impl std::fmt::Display for Sentiment { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{:?}", self) } }
pub struct Statement<'a> { pub text: &'a str, pub context: Option<&'a str>, pub topics: Option<Vec<String>>, pub target: Option<(usize, usize)> }
pub struct SP { pub favor: f32, pub against: f32, pub neutral: f32 }
pub struct SeP { pub positive: f32, pub negative: f32, pub neutral: f32 }
pub struct TopicPrediction { pub stance: Stance, pub probs: SP }
pub struct SentimentPrediction { pub label: Sentiment, pub probs: SeP }
pub struct Prediction { pub topics: BTreeMap<String, TopicPrediction>, pub sentiment: Option<SentimentPrediction> }
pub struct Model;
impl Model { pub fn load(_d: impl AsRef<std::path::Path>) -> crate::Result<Model> { Ok(Model) } pub fn topics(&self) -> &[String] { &[] } pub fn predict(&self, _s: &Statement) -> Prediction { Prediction { topics: BTreeMap::new(), sentiment: None } } pub fn topic_relevance(&self, _t: &str, _c: Option<&str>) -> Vec<(String, f32)> { vec![] } }
