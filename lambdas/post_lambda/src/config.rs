//! Start-up: settings from the environment and the DynamoDB client.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use orders_domain::contract;
use thiserror::Error;
use tracing::{info, warn};

/// Longest wait for the init-time DescribeTable.
const WARM_UP_TIMEOUT: Duration = Duration::from_secs(3);

/// post_lambda's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The orders table (`TABLE_NAME`).
    pub table_name: String,
}

/// A setting that stops the function from starting.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("TABLE_NAME is not set: post_lambda needs the name of the DynamoDB orders table")]
    MissingTableName,
}

impl Config {
    /// Reads the settings through `lookup` (`std::env::var` in production).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let table_name = lookup(contract::TABLE_NAME)
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .ok_or(ConfigError::MissingTableName)?;
        Ok(Self { table_name })
    }

    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }
}

/// The DynamoDB client, with the SDK's own retries off: [`crate::RetryPolicy`]
/// retries throttling inside the request's deadline, and two retry layers
/// would multiply the waits.
pub fn dynamodb_client(sdk_config: &aws_config::SdkConfig) -> Client {
    let config = aws_sdk_dynamodb::config::Builder::from(sdk_config)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// One cheap DescribeTable during init opens the TLS connection before the
/// first request (it otherwise costs the first caller hundreds of ms). A
/// failure is only logged: the function can still serve.
pub async fn warm_up(client: &Client, table_name: &str) {
    // Bounded: Lambda's init phase has a 10 s limit.
    let call = client.describe_table().table_name(table_name).send();
    match tokio::time::timeout(WARM_UP_TIMEOUT, call).await {
        Ok(Ok(_)) => info!(table_name, "DynamoDB connection ready"),
        Ok(Err(e)) => warn!(
            table_name,
            error = %aws_sdk_dynamodb::error::DisplayErrorContext(&e),
            "DescribeTable failed during init; carrying on"
        ),
        Err(_) => warn!(table_name, "DescribeTable timed out during init; carrying on"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_name_is_required() {
        assert_eq!(Config::from_lookup(|_| None), Err(ConfigError::MissingTableName));
        assert_eq!(
            Config::from_lookup(|_| Some("  ".into())),
            Err(ConfigError::MissingTableName)
        );
        assert_eq!(
            Config::from_lookup(|_| Some("orders-dev".into())).unwrap().table_name,
            "orders-dev"
        );
    }
}
