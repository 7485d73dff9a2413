//! Metrics for every stage: span matching for quotes and speakers ([`spans`]), per-class
//! precision / recall / F1, SemEval's F_avg and confusion matrices for labels ([`classify`]).

pub mod classify;
pub mod cv;
pub mod labels;
pub mod spans;
