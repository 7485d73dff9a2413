//! Stage 3 of the pipeline: who said it. Attribution cues ([`Cues`]), the gazetteer of
//! canonical speakers ([`Gazetteer`]) and attribution ([`attribute`]), which the quote
//! extractor ([`crate::quotes::QuoteExtractor`]) runs on every quotation, in stages: the
//! sentence [`frame`], [`mentions`], the ordered [`sieves`] and the learned [`ranker`]; the
//! word lists are data ([`lexicon`], `data/lexicon.toml`).

pub mod attribute;
pub mod cues;
pub(crate) mod frame;
pub mod gazetteer;
pub mod lexicon;
pub(crate) mod mentions;
pub mod ranker;
pub mod sieves;

pub use attribute::Attribution;
pub use cues::Cues;
pub use gazetteer::{Entry, Gazetteer, Gender, Kind};
pub use ranker::Ranker;
pub use sieves::Sieve;
