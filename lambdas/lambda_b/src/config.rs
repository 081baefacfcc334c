//! Start-up: settings from the environment and the S3 client.

use aws_sdk_s3::Client;
use orders_domain::contract;
use thiserror::Error;

/// lambda_b's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The results bucket (`LOG_BUCKET`).
    pub bucket: String,
    /// `S3_FORCE_PATH_STYLE=true`: path-style addressing, for the emulator.
    pub force_path_style: bool,
}

/// A setting that stops the function from starting.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("LOG_BUCKET is not set: lambda_b needs the name of the results bucket")]
    MissingBucket,
}

impl Config {
    /// Reads the settings through `lookup` (`std::env::var` in production).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let bucket = lookup(contract::LOG_BUCKET)
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .ok_or(ConfigError::MissingBucket)?;
        let force_path_style =
            lookup(contract::S3_FORCE_PATH_STYLE).is_some_and(|value| value.trim().eq_ignore_ascii_case("true"));
        Ok(Self {
            bucket,
            force_path_style,
        })
    }

    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }
}

/// The S3 client; endpoints come from the SDK's `AWS_ENDPOINT_URL*` variables.
pub fn s3_client(sdk_config: &aws_config::SdkConfig, force_path_style: bool) -> Client {
    let config = aws_sdk_s3::config::Builder::from(sdk_config)
        .force_path_style(force_path_style)
        .build();
    Client::from_conf(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_is_required_and_path_style_optional() {
        assert_eq!(Config::from_lookup(|_| None), Err(ConfigError::MissingBucket));
        let config = Config::from_lookup(|name| match name {
            "LOG_BUCKET" => Some("results-dev".into()),
            "S3_FORCE_PATH_STYLE" => Some("TRUE".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.bucket, "results-dev");
        assert!(config.force_path_style);
        let config = Config::from_lookup(|name| (name == "LOG_BUCKET").then(|| "b".into())).unwrap();
        assert!(!config.force_path_style);
    }
}
