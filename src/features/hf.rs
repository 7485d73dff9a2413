//! The Hugging Face `tokenizers` pipeline that is equivalent to the fast tokenizer. It is the
//! reference the fast tokenizer is tested against (`tests/features.rs`), and its json is a
//! starting point for users who want to edit the rules and train with
//! [`super::TokenizerKind::HuggingFace`].

use tokenizers::models::wordlevel::WordLevel;
use tokenizers::normalizers::{Lowercase, NormalizerWrapper, Replace, Sequence};
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{
    Normalizer, OffsetReferential, OffsetType, PreTokenizedString, PreTokenizer,
    SplitDelimiterBehavior,
};

use super::tokenize::FAST_TOKEN_PATTERN;
use crate::{Error, Result};

fn hf_err(e: impl std::fmt::Display) -> Error {
    Error::Training(format!(
        "building the Hugging Face reference tokenizer: {e}"
    ))
}

/// Builds the Hugging Face pipeline equivalent to `TokenizerKind::Fast { lowercase }`:
/// normalizer `Sequence[Replace("’", "'"), Lowercase]` (without `Lowercase` when
/// `lowercase` is false) and pre-tokenizer `Split(Regex(FAST_TOKEN_PATTERN), Removed,
/// invert = true)`, which keeps exactly the regex matches. The model is an empty
/// `WordLevel` (every token is `[UNK]`), so use [`pre_tokenize`] to get the words.
pub fn fast_equivalent(lowercase: bool) -> Result<tokenizers::Tokenizer> {
    let mut norms: Vec<NormalizerWrapper> =
        vec![Replace::new("\u{2019}", "'").map_err(hf_err)?.into()];
    if lowercase {
        norms.push(Lowercase.into());
    }
    let split = Split::new(
        SplitPattern::Regex(FAST_TOKEN_PATTERN.to_string()),
        SplitDelimiterBehavior::Removed,
        true,
    )
    .map_err(hf_err)?;
    let model = WordLevel::builder()
        .unk_token("[UNK]".into())
        .build()
        .map_err(hf_err)?;
    let mut tk = tokenizers::Tokenizer::new(model);
    tk.with_normalizer(Some(Sequence::new(norms)))
        .map_err(hf_err)?;
    tk.with_pre_tokenizer(Some(split));
    Ok(tk)
}

/// Runs only the normalizer and pre-tokenizer of `tk` on `text` and returns the pieces
/// (the "words" before the model splits them further).
pub fn pre_tokenize(tk: &tokenizers::Tokenizer, text: &str) -> Result<Vec<String>> {
    let mut normalized = tokenizers::NormalizedString::from(text);
    if let Some(n) = tk.get_normalizer() {
        n.normalize(&mut normalized).map_err(hf_err)?;
    }
    let mut pre = PreTokenizedString::from(normalized);
    if let Some(p) = tk.get_pre_tokenizer() {
        p.pre_tokenize(&mut pre).map_err(hf_err)?;
    }
    Ok(pre
        .get_splits(OffsetReferential::Normalized, OffsetType::Byte)
        .into_iter()
        .map(|(s, _, _)| s.to_string())
        .collect())
}
