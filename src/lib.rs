//! # stance — who said what, about which topic, for or against, in what tone
//!
//! `stance` reads news articles and labels every quotation in them. The library is the
//! pipeline; each stage is a module that can be used and evaluated on its own:
//!
//! 1. [`input`] / [`article`] — articles from files, directories, JSON Lines, stdin.
//! 2. [`quotes`] — quotation spans (direct, partial, multi-paragraph, split).
//! 3. [`speakers`] — who said it: cues, names, pronouns, a gazetteer of canonical names.
//! 4. [`topics`] — which of the configured topics a quote takes up.
//! 5. [`features`] — tokenization and n-gram TF-IDF vectors (the hot path).
//! 6. [`model`] — sparse multinomial logistic regression, saved as a versioned directory.
//! 7. [`pipeline`] — article → labeled quotes (topic, stance, sentiment).
//! 8. [`summary`] — speaker × topic aggregation across articles.
//!
//! [`batch`] streams any number of articles through a stage in parallel, in order;
//! [`dataset`] reads training data, [`corpora`] the public corpora, [`eval`] holds the metrics.

pub mod article;
pub mod batch;
pub mod corpora;
pub mod dataset;
pub mod error;
pub mod eval;
pub mod features;
pub mod input;
pub mod model;
pub mod pipeline;
pub mod quotes;
pub mod speakers;
pub mod summary;
pub mod topics;

pub use article::Article;
pub use error::{Error, Result};
pub use model::labels::{Sentiment, Stance};
