//! The Terraform-JSON core: expressions and references, documents, errors.

pub mod canonical;
pub mod document;
pub mod expr;

pub use document::{Configuration, DataSource, Dependency, Handle, Meta, Output, Resource, TfFile, Variable};
pub use expr::Ref;

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("malformed template string: {0}")]
    Template(String),
    #[error("defined twice in one configuration: {0}")]
    Duplicate(String),
    #[error("invalid environment setting: {0}")]
    Config(String),
    #[error("JSON encoding failed: {0}")]
    Json(#[from] serde_json::Error),
}
