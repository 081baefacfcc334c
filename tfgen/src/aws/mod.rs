//! Typed hashicorp/aws resources and data sources: only the types and
//! arguments this platform uses, named as in the provider schema. Optional
//! arguments are `Option`s and nested blocks are structs, so a typo is a
//! compile error and `terraform validate` checks the rest.

/// Declares the Terraform type of a struct and typed attribute references on
/// its handle: `resource!(DynamodbTable = "aws_dynamodb_table" { arn, name })`
/// gives `table.arn()` → `${aws_dynamodb_table.<name>.arn}`.
macro_rules! resource {
    ($ty:ident = $tf:literal { $($attr:ident),* $(,)? }) => {
        impl $crate::core::Resource for $ty {
            const TYPE: &'static str = $tf;
        }
        impl $crate::core::Handle<$ty> {
            $(
                pub fn $attr(&self) -> $crate::core::Ref {
                    self.attr(stringify!($attr))
                }
            )*
        }
    };
}

/// Same as `resource!` for data sources.
macro_rules! data_source {
    ($ty:ident = $tf:literal { $($attr:ident),* $(,)? }) => {
        impl $crate::core::DataSource for $ty {
            const TYPE: &'static str = $tf;
        }
        impl $crate::core::Handle<$ty> {
            $(
                pub fn $attr(&self) -> $crate::core::Ref {
                    self.attr(stringify!($attr))
                }
            )*
        }
    };
}

pub mod apigateway;
pub mod chatbot;
pub mod cloudwatch;
pub mod cognito;
pub mod devtools;
pub mod dynamodb;
pub mod iam;
pub mod kms;
pub mod lambda;
pub mod messaging;
pub mod meta;
pub mod s3;
pub mod scheduler;
pub mod sfn;

/// `{ "enabled": true }`, a common nested block.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Enabled {
    pub enabled: bool,
}
