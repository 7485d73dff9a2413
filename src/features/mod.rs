//! Feature extraction, the hot path: text → tokens ([`mod@tokenize`]) → hashed word and
//! character n-gram TF-IDF vectors ([`vectorize`]), as sparse CSR rows.
//!
//! Entry points: [`VectorizerConfig`], [`Vectorizer::fit`], [`Vectorizer::transform`] (a
//! batch, parallel over documents with rayon) and [`Vectorizer::transform_one`] (one document
//! into a reusable [`SparseRow`], for the labeler). [`hf`] holds the Hugging Face pipeline
//! equivalent to the fast tokenizer.
//!
//! Saving: a [`Vectorizer`] is serde-serialisable (format `stance-vectorizer/1`: config,
//! feature names in column order, IDF); [`Vectorizer::save`]/[`Vectorizer::load`] write and
//! read it as JSON. Feature keys are recomputed from the names on load (xxh3, see
//! [`vectorize`]); loading 148k features (3.3 MB) took ~26 ms here.
//!
//! Dense blocks to append to the sparse rows: [`Embeddings`] (a pretrained static word
//! table in the `stance-embeddings` format, `docs/embeddings-format.md`;
//! [`Embeddings::pool_into`] gives a quote's L2-normalised mean word vector) and [`Valence`]
//! (VADER and Pattern lexicon scores with negation, boosters and "but":
//! [`VALENCE_FEATURES`] values named by [`VALENCE_FEATURE_NAMES`]).
//!
//! Throughput and the comparison with scikit-learn: see `benches/README.md`.

pub mod embed;
pub mod hf;
mod key_table;
pub mod tokenize;
pub mod valence;
pub mod vectorize;

pub use embed::{Embeddings, Pooling, StoredDtype};
pub use tokenize::{
    joins_cleanly, tokenize, CasedTokens, LowerTokens, Tokenizer, TokenizerKind, Tokens,
    FAST_TOKEN_PATTERN,
};
pub use valence::{Valence, ValenceScores, VALENCE_FEATURES, VALENCE_FEATURE_NAMES};
pub use vectorize::{feature_key, FeatureCounts, SparseRow, Vectorizer, VectorizerConfig};
