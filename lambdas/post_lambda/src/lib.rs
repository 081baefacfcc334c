//! post_lambda: `POST /orders` behind an API Gateway HTTP API. Validates the
//! whole request, then stores every record in DynamoDB with a 24-hour TTL.
//!
//! The logic lives here so tests drive it with mocked or emulated clients;
//! `main.rs` only builds the client and starts the runtime.

mod api;
mod config;
mod convert;
mod writer;

pub use api::{OrdersApi, RequestRejection, check_content_type, validate_request, writer};
pub use config::{Config, ConfigError, dynamodb_client, warm_up};
pub use convert::{
    ConvertError, attribute_value_to_json, item_to_json, json_to_attribute_value, to_item, to_write_request,
    to_write_requests,
};
pub use orders_domain::{OrderRecord, ValidationError, parse_and_validate};
pub use writer::{BATCH_SIZE, RetryPolicy, Stamp, WriteFailure, WriteSummary, write_all};
