//! The stance / sentiment / topic-relevance model (stub while being written).
pub mod labels;
pub mod logistic;
