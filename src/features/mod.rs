//! Feature extraction, the hot path: text → tokens ([`tokenize`]) → hashed word and
//! character n-gram TF-IDF vectors ([`vectorize`]), as sparse CSR rows.
//!
//! Entry points: [`VectorizerConfig`], [`Vectorizer::fit`], [`Vectorizer::transform`] (a
//! batch, parallel) and [`Vectorizer::transform_one`] (one document into a reusable
//! [`SparseRow`]). [`hf`] holds the Hugging Face pipeline equivalent to the fast tokenizer.

pub mod hf;
pub mod tokenize;

pub use tokenize::{tokenize, Tokenizer, TokenizerKind, Tokens, FAST_TOKEN_PATTERN};
pub mod vectorize;

pub use vectorize::{feature_key, SparseRow, Vectorizer, VectorizerConfig};
