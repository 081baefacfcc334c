//! lambda_b against a mocked S3 client (aws-smithy-mocks): the errors the
//! state machine sees and the objects written.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "in a test, a panic is the failure message"
)]

use std::sync::{Arc, Mutex};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::operation::put_object::{PutObjectInput, PutObjectOutput};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use lambda_b::{ArchiveError, Archiver};
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde_json::{Value, json};

const BUCKET: &str = "results-test";

/// What a PutObject carried.
#[derive(Debug, Clone)]
struct Put {
    bucket: String,
    key: String,
    content_type: Option<String>,
    if_none_match: Option<String>,
    body: Vec<u8>,
}

type Puts = Arc<Mutex<Vec<Put>>>;

fn record(puts: &Puts, input: &PutObjectInput) {
    puts.lock().unwrap().push(Put {
        bucket: input.bucket().unwrap_or_default().to_owned(),
        key: input.key().unwrap_or_default().to_owned(),
        content_type: input.content_type().map(str::to_owned),
        if_none_match: input.if_none_match().map(str::to_owned),
        body: input.body().bytes().unwrap_or_default().to_vec(),
    });
}

fn client(rules: &[&Rule]) -> Client {
    // No SDK retries: each test counts calls exactly.
    mock_client!(aws_sdk_s3, RuleMode::MatchAny, rules, |b| b
        .retry_config(RetryConfig::disabled()))
}

fn succeeding(puts: &Puts) -> Rule {
    let puts = Arc::clone(puts);
    mock!(Client::put_object).then_compute_output(move |input| {
        record(&puts, input);
        PutObjectOutput::builder().build()
    })
}

/// An S3 XML error response, as the service sends it.
fn s3_error(status: u16, code: &str) -> HttpResponse {
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>mocked {code}</Message><RequestId>R</RequestId><HostId>H</HostId></Error>"#
    );
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
}

fn failing(status: u16, code: &'static str) -> Rule {
    mock!(Client::put_object).then_http_response(move || s3_error(status, code))
}

fn envelope(item_index: u64) -> Value {
    json!({
        "order": {"status": "accepted", "power": 1},
        "run_id": "run-2026-11-21",
        "run_started_at": "2026-11-21T10:15:30.123456+00:00",
        "item_index": item_index
    })
}

async fn invoke(archiver: &Archiver, event: Value) -> Result<Value, Diagnostic> {
    archiver
        .handle(LambdaEvent::new(event, Context::default()))
        .await
        .map(|outcome| serde_json::to_value(outcome).unwrap())
        .map_err(Diagnostic::from)
}

#[tokio::test]
async fn a_rejected_order_fails_with_order_rejected_and_writes_nothing() {
    let puts = Puts::default();
    let rule = succeeding(&puts);
    let archiver = Archiver::new(client(&[&rule]), BUCKET);
    for event in [
        json!({"status": "rejected", "power": 2}),
        json!({"order": {"status": "rejected", "power": 2}, "run_id": "r", "run_started_at": "2026-11-21T10:15:30Z", "item_index": 1}),
    ] {
        let error = invoke(&archiver, event).await.unwrap_err();
        assert_eq!(error.error_type, "OrderRejected");
        assert_eq!(error.error_message, "Order status is rejected!");
    }
    assert_eq!(rule.num_calls(), 0);
}

#[tokio::test]
async fn an_accepted_order_is_put_once_as_json() {
    let puts = Puts::default();
    let rule = succeeding(&puts);
    let archiver = Archiver::new(client(&[&rule]), BUCKET);
    // Parsed from text, as the runtime does: 12.50 keeps its text.
    let order: Value = serde_json::from_str(r#"{"status": "accepted", "power": 1, "price": 12.50}"#).unwrap();
    let outcome = invoke(&archiver, order.clone()).await.unwrap();

    assert_eq!(rule.num_calls(), 1);
    let put = puts.lock().unwrap()[0].clone();
    assert_eq!(put.bucket, BUCKET);
    assert_eq!(put.content_type.as_deref(), Some("application/json"));
    assert!(put.key.starts_with("orders/order_"), "{}", put.key);
    assert!(put.key.ends_with(".json"));
    assert_eq!(put.if_none_match, None, "a bare order's key is unique by itself");
    let stored: Value = serde_json::from_slice(&put.body).unwrap();
    assert_eq!(stored, order);
    assert!(
        String::from_utf8(put.body).unwrap().contains("12.50"),
        "numbers kept exactly"
    );
    assert_eq!(
        outcome,
        json!({"bucket": BUCKET, "key": put.key, "already_stored": false})
    );
}

#[tokio::test]
async fn bare_order_keys_carry_a_utc_timestamp_and_never_collide() {
    let puts = Puts::default();
    let rule = succeeding(&puts);
    let archiver = Archiver::new(client(&[&rule]), BUCKET);
    let order = json!({"status": "accepted", "power": 1});
    invoke(&archiver, order.clone()).await.unwrap();
    invoke(&archiver, order).await.unwrap();
    let keys: Vec<String> = puts.lock().unwrap().iter().map(|p| p.key.clone()).collect();
    assert_ne!(keys[0], keys[1]);
    for key in &keys {
        // orders/order_2026-11-21T10:15:30.123456Z_<uuid>.json
        let stamp = &key["orders/order_".len().."orders/order_".len() + 27];
        assert_eq!(stamp.len(), 27);
        assert_eq!(&stamp[10..11], "T");
        assert_eq!(&stamp[19..20], ".");
        assert!(stamp.ends_with('Z'), "{key}");
        assert_eq!(key.len(), "orders/order_".len() + 27 + 1 + 36 + ".json".len(), "{key}");
    }
}

#[tokio::test]
async fn an_envelope_gets_a_deterministic_conditional_key() {
    let puts = Puts::default();
    let rule = succeeding(&puts);
    let archiver = Archiver::new(client(&[&rule]), BUCKET);
    let first = invoke(&archiver, envelope(1)).await.unwrap();
    let again = invoke(&archiver, envelope(1)).await.unwrap();
    let other = invoke(&archiver, envelope(2)).await.unwrap();
    let expected = "orders/order_2026-11-21T10:15:30.123456Z_run-2026-11-21_1.json";
    assert_eq!(first["key"], expected);
    assert_eq!(again["key"], expected);
    assert_eq!(
        other["key"],
        "orders/order_2026-11-21T10:15:30.123456Z_run-2026-11-21_2.json"
    );
    let puts = puts.lock().unwrap();
    assert!(puts.iter().all(|p| p.if_none_match.as_deref() == Some("*")));
    // The archived body is the order, not the envelope.
    let stored: Value = serde_json::from_slice(&puts[0].body).unwrap();
    assert_eq!(stored, json!({"status": "accepted", "power": 1}));
}

#[tokio::test]
async fn precondition_failed_means_already_stored() {
    let rule = failing(412, "PreconditionFailed");
    let archiver = Archiver::new(client(&[&rule]), BUCKET);
    let outcome = invoke(&archiver, envelope(0)).await.unwrap();
    assert_eq!(outcome["already_stored"], true);
    assert_eq!(outcome["bucket"], BUCKET);
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn retryable_s3_failures_are_archive_write_failed() {
    for (status, code) in [
        (500, "InternalError"),
        (503, "SlowDown"),
        (503, "ServiceUnavailable"),
        (409, "ConditionalRequestConflict"),
    ] {
        let rule = failing(status, code);
        let archiver = Archiver::new(client(&[&rule]), BUCKET);
        let error = invoke(&archiver, envelope(0)).await.unwrap_err();
        assert_eq!(error.error_type, "ArchiveWriteFailed", "{status} {code}");
        assert!(error.error_message.contains(code), "{}", error.error_message);
        assert!(error.error_message.contains("s3://results-test/orders/order_"));
    }
}

#[tokio::test]
async fn permanent_s3_failures_are_not_retried_by_name() {
    for (status, code) in [(403, "AccessDenied"), (404, "NoSuchBucket")] {
        let rule = failing(status, code);
        let archiver = Archiver::new(client(&[&rule]), BUCKET);
        let error = invoke(&archiver, json!({"status": "accepted", "power": 1}))
            .await
            .unwrap_err();
        assert_eq!(error.error_type, "ArchiveWriteRejected", "{code}");
        assert!(error.error_message.contains(code));
    }
}

#[tokio::test]
async fn a_412_without_a_condition_is_not_success() {
    // Only a conditional write can be "already stored".
    let rule = failing(412, "PreconditionFailed");
    let archiver = Archiver::new(client(&[&rule]), BUCKET);
    let error = invoke(&archiver, json!({"status": "accepted", "power": 1}))
        .await
        .unwrap_err();
    assert_eq!(error.error_type, "ArchiveWriteFailed");
}

#[tokio::test]
async fn malformed_events_are_invalid_order_and_write_nothing() {
    let puts = Puts::default();
    let rule = succeeding(&puts);
    let archiver = Archiver::new(client(&[&rule]), BUCKET);
    for event in [
        json!("accepted"),
        json!({"power": 1}),
        json!({"order": {"status": "accepted"}, "run_id": "r", "item_index": 0}),
        json!({"order": {"status": "accepted"}, "run_id": "r", "run_started_at": "not a time", "item_index": 0}),
        json!({"order": {"status": "accepted"}, "run_id": 5, "run_started_at": "2026-11-21T10:15:30Z", "item_index": 0}),
        json!({"order": {"status": "accepted"}, "run_id": "r", "run_started_at": "2026-11-21T10:15:30Z", "item_index": "0"}),
    ] {
        let error = invoke(&archiver, event.clone()).await.unwrap_err();
        assert_eq!(error.error_type, "InvalidOrder", "{event}");
        assert!(
            error.error_message.starts_with("Invalid order event: "),
            "{}",
            error.error_message
        );
    }
    assert_eq!(rule.num_calls(), 0);
}

#[test]
fn archive_errors_convert_to_their_names() {
    assert_eq!(
        Diagnostic::from(ArchiveError::OrderRejected).error_type,
        "OrderRejected"
    );
}
