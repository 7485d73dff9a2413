//! Stage 3 of the pipeline: who said it. Attribution cues ([`Cues`]), the gazetteer of
//! canonical speakers ([`Gazetteer`]) and the attribution rules ([`attribute`]) that the quote
//! extractor ([`crate::quotes::QuoteExtractor`]) runs on every quotation.

pub mod attribute;
pub mod cues;
pub mod gazetteer;

pub use attribute::Attribution;
pub use cues::Cues;
pub use gazetteer::{Entry, Gazetteer, Gender, Kind};
