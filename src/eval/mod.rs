//! Evaluation of every stage, the top layer (it may use every other module; none uses it):
//! quote spans and speakers against gold ([`spans`]), the whole labeler end to end
//! ([`labels`]), grouped cross-validation of a training recipe ([`cv`]) and a paired bootstrap
//! over story groups that says whether one run's figures are really above another's
//! ([`compare`]). The label metrics
//! they report (P/R/F1, SemEval's F_avg, confusion matrices) are [`crate::metrics`], which
//! training uses too.

pub mod compare;
pub mod cv;
pub mod labels;
pub mod spans;
