//! Readers for the public corpora the project trains and measures on. They are read from
//! `../shared/corpora` and never copied into the project.

pub mod gold;
pub mod newsmtsc;
pub mod polnear;
pub mod semeval;
