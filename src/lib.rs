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
//! [`labels`] holds the label sets, their probabilities and the predictions every stage
//! shares; [`metrics`] the classification metrics. [`batch`] streams any number of articles
//! through a stage in parallel, in order; [`config`] reads the TOML configuration (speakers,
//! cues, topics) from files or strings; [`dataset`] is the training record type, [`corpora`]
//! every reader of training and evaluation data, [`recipe`] the training recipes and
//! [`eval`] the evaluation of every stage. The modules form layers without cycles
//! (`ARCHITECTURE.md`, checked by `tests/layering.rs`).
//!
//! ## Labeling an article with the shipped model
//!
//! ```
//! use stance::{pipeline::Pipeline, Article};
//!
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/models/default");
//! let pipeline = Pipeline::load(dir)?; // checks format version, checksums and topics
//! let article = Article::new(
//!     "riyadh",
//!     "Russia rejects any European troops in Ukraine. “This is, of course, unacceptable \
//!      to us,” Foreign Minister Sergei Lavrov said of sending NATO peacekeepers.",
//! );
//! let quotes = pipeline.label(&article);
//! assert_eq!(quotes[0].quote.speaker.as_deref(), Some("Sergey Lavrov"));
//! assert!(quotes[0].topics.contains_key("peacekeepers"));
//! # Ok::<(), stance::Error>(())
//! ```
//!
//! ## Predicting one statement
//!
//! ```
//! use stance::model::{Model, Statement};
//!
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/models/default");
//! let model = Model::load(dir)?;
//! let p = model.predict(&Statement {
//!     text: "We will never recognise the occupied territories as Russian.",
//!     context: None,
//!     topics: Some(vec!["territory".into()]), // topic given: stance only for it
//!     ..Default::default()                      // no context, target or article lead
//! });
//! let label = &p.topics["territory"];
//! assert!(label.probs.favor + label.probs.against + label.probs.neutral > 0.99);
//! println!("{:?} {:?}", label.stance, p.sentiment.map(|s| s.label));
//! # Ok::<(), stance::Error>(())
//! ```

pub mod article;
pub mod batch;
pub mod config;
pub mod corpora;
pub mod dataset;
pub mod error;
pub mod eval;
pub mod features;
pub mod input;
pub mod labels;
pub mod metrics;
pub mod model;
pub mod pipeline;
pub mod quotes;
pub mod recipe;
pub mod speakers;
pub mod summary;
pub mod topics;

pub use article::Article;
pub use config::TomlConfig;
pub use error::{Error, Result};
pub use labels::{Sentiment, Stance};

/// Helpers for the unit tests of several modules.
#[cfg(test)]
pub(crate) mod test_support {
    /// The texts of the seed articles (`data/articles`), the corpus of the differential tests.
    pub(crate) fn seed_texts() -> Vec<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/articles");
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }
}
