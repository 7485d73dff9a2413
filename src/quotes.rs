//! (stub: being written)
use crate::article::{Article, Mention};
use serde::Serialize;
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote { pub start: usize, pub end: usize, pub text: String, pub fragment: bool, pub speaker: Option<String>, pub speaker_mention: Option<Mention>, pub cue: Option<Mention>, pub confidence: f32, #[serde(skip)] pub context: (usize, usize) }
pub struct QuoteExtractor;
impl QuoteExtractor { pub fn new(_g: crate::speakers::Gazetteer, _c: crate::speakers::Cues) -> Self { QuoteExtractor } pub fn with_defaults() -> Self { QuoteExtractor } pub fn extract(&self, _a: &Article) -> Vec<Quote> { vec![] } }
