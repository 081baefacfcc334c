//! Mocked DynamoDB (aws-smithy-mocks) for the handler tests.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
use aws_sdk_dynamodb::types::{AttributeValue, WriteRequest};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use post_lambda::RetryPolicy;

pub const TABLE: &str = "orders-test";

pub type Sent = Arc<Mutex<Vec<Vec<WriteRequest>>>>;

pub fn client(rules: &[&Rule]) -> Client {
    // As in production: our retry policy is the only retry layer.
    mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, rules, |b| b
        .retry_config(RetryConfig::disabled()))
}

pub fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        deadline: Duration::from_millis(300),
        max_concurrency: 8,
    }
}

/// BatchWriteItem that records every batch and leaves `unprocessed(call, batch)`
/// unprocessed.
pub fn recording_rule(
    sent: &Sent,
    unprocessed: impl Fn(usize, &[WriteRequest]) -> Vec<WriteRequest> + Send + Sync + 'static,
) -> Rule {
    let sent = Arc::clone(sent);
    mock!(Client::batch_write_item).then_compute_output(move |input| {
        let batch = input.request_items().expect("request items")[TABLE].clone();
        let call = {
            let mut log = sent.lock().unwrap();
            log.push(batch.clone());
            log.len() - 1
        };
        let left = unprocessed(call, &batch);
        let mut output = BatchWriteItemOutput::builder();
        if !left.is_empty() {
            output = output.unprocessed_items(TABLE, left);
        }
        output.build()
    })
}

/// A DynamoDB JSON error response, as the service sends it.
pub fn dynamodb_error(status: u16, code: &str) -> HttpResponse {
    let body = format!(r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{code}","message":"mocked {code}"}}"#);
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
}

pub fn items(sent: &Sent) -> Vec<HashMap<String, AttributeValue>> {
    sent.lock()
        .unwrap()
        .iter()
        .flatten()
        .map(|w| w.put_request().expect("a put").item().clone())
        .collect()
}

pub fn item_by_id(sent: &Sent, id: &str) -> HashMap<String, AttributeValue> {
    items(sent)
        .into_iter()
        .find(|item| item["record_id"].as_s().map(String::as_str) == Ok(id))
        .unwrap_or_else(|| panic!("{id} was not sent"))
}

/// The distinct `record_id`s of every item sent in any batch.
pub fn record_ids(sent: &Sent) -> BTreeSet<String> {
    items(sent)
        .iter()
        .map(|item| item["record_id"].as_s().expect("string key").clone())
        .collect()
}
