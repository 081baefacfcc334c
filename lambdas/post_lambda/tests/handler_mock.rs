//! post_lambda's handler against a mocked DynamoDB client (aws-smithy-mocks):
//! what a caller gets back, and what is (or is not) sent to DynamoDB.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "in a test, a panic is the failure message"
)]

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_mocks::mock;
use common::mock::{Sent, TABLE, client, dynamodb_error, fast_policy, item_by_id, items, record_ids, recording_rule};
use common::{Payload, SPEC_BODY, json_request, read, records_body, request};
use post_lambda::OrdersApi;

async fn post(api: &OrdersApi, req: lambda_http::Request) -> (u16, serde_json::Value) {
    read(&api.handle(req).await.expect("a response"))
}

#[tokio::test]
async fn bad_requests_answer_4xx_naming_the_problem_and_write_nothing() {
    let sent = Sent::default();
    let rule = recording_rule(&sent, |_, _| Vec::new());
    let api = OrdersApi::new(client(&[&rule]), TABLE, fast_policy());

    let long_id = "x".repeat(2049);
    let deep = format!("{}{}", "[".repeat(33), "]".repeat(33));
    let big = "y".repeat(400 * 1024);
    let over_6mb = format!("[{}]", " ".repeat(6 * 1024 * 1024));
    let too_many = records_body(10_001);
    let cases: Vec<(&str, lambda_http::Request, u16, String)> = vec![
        (
            "missing body",
            request(Payload::Missing, Some("application/json")),
            400,
            "Request body is empty".into(),
        ),
        ("empty body", json_request(""), 400, "Request body is empty".into()),
        (
            "whitespace body",
            json_request("  \n"),
            400,
            "Request body is empty".into(),
        ),
        (
            "invalid JSON",
            json_request(r#"[{"record_id": "a",]"#),
            400,
            "Request body is not valid JSON".into(),
        ),
        (
            "not an array",
            json_request(r#"{"record_id": "a"}"#),
            400,
            "must be a JSON array of records, not an object".into(),
        ),
        (
            "empty array",
            json_request("[]"),
            400,
            "Request body is an empty array".into(),
        ),
        (
            "item not an object",
            json_request(r#"[{"record_id": "a"}, 1]"#),
            400,
            "Record 1 must be a JSON object, not a number".into(),
        ),
        (
            "null item",
            json_request("[null]"),
            400,
            "Record 0 must be a JSON object, not null".into(),
        ),
        (
            "missing record_id",
            json_request(r#"[{"p": 1}]"#),
            400,
            "Record 0: field 'record_id' is missing".into(),
        ),
        (
            "empty record_id",
            json_request(r#"[{"record_id": ""}]"#),
            400,
            "Record 0: field 'record_id' is empty".into(),
        ),
        (
            "numeric record_id",
            json_request(r#"[{"record_id": 7}]"#),
            400,
            "Record 0: field 'record_id' must be a string, not a number".into(),
        ),
        (
            "duplicate record_id",
            json_request(r#"[{"record_id": "a"}, {"record_id": "b"}, {"record_id": "a"}]"#),
            400,
            "Record 2: record_id 'a' is a duplicate of record 0".into(),
        ),
        (
            "record_id over 2048 bytes",
            json_request(&format!(r#"[{{"record_id": "{long_id}"}}]"#)),
            400,
            "Record 0: field 'record_id' is 2049 bytes; DynamoDB's partition key limit is 2048 bytes".into(),
        ),
        (
            "39 significant digits",
            json_request(r#"[{"record_id": "a", "p": 123456789012345678901234567890123456789}]"#),
            400,
            "Record 0: field 'p': number 123456789012345678901234567890123456789 has 39 significant digits".into(),
        ),
        (
            "number too large",
            json_request(r#"[{"record_id": "a", "p": {"q": 1e126}}]"#),
            400,
            "Record 0: field 'p.q': number 1e+126 is outside DynamoDB's range".into(),
        ),
        (
            "number too small",
            json_request(r#"[{"record_id": "a", "p": [0, -1e-131]}]"#),
            400,
            "Record 0: field 'p[1]': number -1e-131 is outside DynamoDB's range".into(),
        ),
        (
            "nesting over 32 levels",
            json_request(&format!(r#"[{{"record_id": "a", "deep": {deep}}}]"#)),
            400,
            "Record 0: field 'deep".into(),
        ),
        (
            "empty nested map key",
            json_request(r#"[{"record_id": "a", "m": {"ok": {"": 1}}}]"#),
            400,
            "Record 0: field 'm.ok': contains an empty map key".into(),
        ),
        (
            "empty field name",
            json_request(r#"[{"record_id": "a", "": 1}]"#),
            400,
            "Record 0 has a field with an empty name".into(),
        ),
        (
            "item over 400 KB",
            json_request(&format!(r#"[{{"record_id": "a", "blob": "{big}"}}]"#)),
            400,
            // The size counts the writer attribute at its longest (10 + 128 bytes).
            "Record 0 is 409768 bytes as stored; DynamoDB's item limit is 409600 bytes (400 KB)".into(),
        ),
        (
            "reserved expires_at",
            json_request(r#"[{"record_id": "a", "expires_at": 1}]"#),
            400,
            "Record 0: field 'expires_at' is a reserved name".into(),
        ),
        (
            "body not UTF-8",
            request(
                Payload::Base64(b"[{\"record_id\": \"\xff\"}]"),
                Some("application/json"),
            ),
            400,
            "Request body is not valid UTF-8".into(),
        ),
        (
            "base64 invalid JSON",
            request(Payload::Base64(b"[{]"), None),
            400,
            "Request body is not valid JSON".into(),
        ),
        (
            "text/plain",
            request(Payload::Text(SPEC_BODY), Some("text/plain")),
            415,
            "Content-Type 'text/plain' is not supported".into(),
        ),
        (
            "form encoded",
            request(Payload::Text(SPEC_BODY), Some("application/x-www-form-urlencoded")),
            415,
            "is not supported; send application/json".into(),
        ),
        (
            "body over 6 MB",
            json_request(&over_6mb),
            413,
            "Request body is 6291458 bytes; the limit is 6291456 bytes (6 MB)".into(),
        ),
        (
            "10,001 records",
            json_request(&too_many),
            413,
            "Request has 10001 records; the limit is 10000 records per request".into(),
        ),
        (
            "valid then invalid",
            json_request(r#"[{"record_id": "a", "p": 1}, {"record_id": "b", "p": 1e400}]"#),
            400,
            "Record 1: field 'p'".into(),
        ),
    ];
    assert!(cases.len() >= 20);
    for (name, req, status, message) in cases {
        let (got_status, body) = post(&api, req).await;
        let got_message = body["errorMessage"].as_str().unwrap_or_default();
        assert_eq!(got_status, status, "{name}: {got_message}");
        assert!(
            got_message.contains(&message),
            "{name}: {got_message:?} lacks {message:?}"
        );
        assert_eq!(body.as_object().unwrap().len(), 1, "{name}: only errorMessage");
    }
    assert_eq!(rule.num_calls(), 0, "a refused request reaches DynamoDB");
    assert!(sent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn every_item_names_its_writer_and_a_request_without_one_is_refused() {
    let sent = Sent::default();
    let rule = recording_rule(&sent, |_, _| Vec::new());
    let api = OrdersApi::new(client(&[&rule]), TABLE, fast_policy());
    let (status, _) = post(&api, json_request(SPEC_BODY)).await;
    assert_eq!(status, 201);
    // The fixture's claims, as API Gateway's JWT authorizer passes them.
    let item = item_by_id(&sent, "unique_id_1");
    assert_eq!(item["written_by"], AttributeValue::S("6example0client0id".into()));

    let mut anonymous = json_request(SPEC_BODY);
    *anonymous.extensions_mut() = Default::default();
    let (status, body) = post(&api, anonymous).await;
    assert_eq!(status, 403);
    assert!(
        body["errorMessage"].as_str().unwrap().contains("client_id claim"),
        "{body}"
    );
    assert_eq!(rule.num_calls(), 1, "the refused request wrote nothing");
}

#[tokio::test]
async fn empty_body_answers_the_original_exact_message() {
    let rule = recording_rule(&Sent::default(), |_, _| Vec::new());
    let api = OrdersApi::new(client(&[&rule]), TABLE, fast_policy());
    let response = api.handle(request(Payload::Missing, None)).await.unwrap();
    assert_eq!(response.status(), 400);
    let lambda_http::Body::Text(text) = response.body() else {
        panic!("text body")
    };
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(text).unwrap(),
        serde_json::json!({"errorMessage": "Request body is empty"})
    );
    assert_eq!(rule.num_calls(), 0);
}

#[tokio::test]
async fn sixty_records_make_three_batch_calls() {
    let sent = Sent::default();
    let rule = recording_rule(&sent, |_, _| Vec::new());
    let api = OrdersApi::new(client(&[&rule]), TABLE, fast_policy());
    let (status, body) = post(&api, json_request(&records_body(60))).await;
    assert_eq!((status, body), (201, serde_json::json!({"stored": 60})));
    assert_eq!(rule.num_calls(), 3);
    let mut sizes: Vec<usize> = sent.lock().unwrap().iter().map(Vec::len).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [10, 25, 25]);
    assert_eq!(record_ids(&sent).len(), 60);
}

#[tokio::test]
async fn unprocessed_items_are_retried_until_none_are_left() {
    let sent = Sent::default();
    // The first four calls store only the first item of what they get.
    let rule = recording_rule(
        &sent,
        |call, batch| {
            if call < 4 { batch[1..].to_vec() } else { Vec::new() }
        },
    );
    let api = OrdersApi::new(client(&[&rule]), TABLE, fast_policy());
    let (status, body) = post(&api, json_request(&records_body(30))).await;
    assert_eq!((status, body), (201, serde_json::json!({"stored": 30})));
    assert!(rule.num_calls() > 2, "retries happened: {}", rule.num_calls());
    // Every record was in some batch; the last batch of each chunk succeeded.
    assert_eq!(record_ids(&sent).len(), 30);
}

#[tokio::test]
async fn persistent_throttling_answers_503_within_the_deadline() {
    let rule = mock!(Client::batch_write_item)
        .then_http_response(|| dynamodb_error(400, "ProvisionedThroughputExceededException"));
    let api = OrdersApi::new(client(&[&rule]), TABLE, fast_policy());
    let started = Instant::now();
    let (status, body) = post(&api, json_request(&records_body(30))).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(status, 503);
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.contains("30 of 30 records were not confirmed"), "{message}");
    assert!(message.contains("retrying the same request is safe"), "{message}");
    assert!(rule.num_calls() > 2, "throttled calls were retried");
}

#[tokio::test]
async fn unprocessed_items_until_the_deadline_answer_503_with_the_count() {
    let sent = Sent::default();
    // Only the very first call stores anything (its first item).
    let rule = recording_rule(
        &sent,
        |call, batch| {
            if call == 0 { batch[1..].to_vec() } else { batch.to_vec() }
        },
    );
    let api = OrdersApi::new(client(&[&rule]), TABLE, fast_policy());
    let (status, body) = post(&api, json_request(&records_body(10))).await;
    assert_eq!(status, 503);
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.contains("9 of 10 records were not confirmed"), "{message}");
}

#[tokio::test]
async fn other_dynamodb_errors_answer_500_without_retrying() {
    let rule = mock!(Client::batch_write_item).then_http_response(|| dynamodb_error(400, "ResourceNotFoundException"));
    let api = OrdersApi::new(client(&[&rule]), TABLE, fast_policy());
    let (status, body) = post(&api, json_request(&records_body(30))).await;
    assert_eq!(status, 500);
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.contains("ResourceNotFoundException"), "{message}");
    assert!(message.contains("30 of 30 records were not confirmed"), "{message}");
    assert_eq!(rule.num_calls(), 2, "one call per batch, no retries");
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let rule = mock!(Client::batch_write_item)
        .sequence()
        .http_response(|| dynamodb_error(500, "InternalServerError"))
        .times(2)
        .output(|| BatchWriteItemOutput::builder().build())
        .repeatedly()
        .build();
    let api = OrdersApi::new(client(&[&rule]), TABLE, fast_policy());
    let (status, body) = post(&api, json_request(&records_body(5))).await;
    assert_eq!((status, body), (201, serde_json::json!({"stored": 5})));
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test]
async fn numbers_and_nested_values_are_stored_exactly() {
    let sent = Sent::default();
    let rule = recording_rule(&sent, |_, _| Vec::new());
    let api = OrdersApi::new(client(&[&rule]), TABLE, fast_policy());
    let body = r#"[{"record_id": "unique_id_1", "parameter_1": "abc", "parameter_2": 4},
                   {"record_id": "unique_id_2", "parameter_1": "def", "parameter_2": 2.1,
                    "nested": {"list": [1, 2.50, {"deep": null}, "s"], "flag": true, "big": 12345678901234567890123456789.123456789}}]"#;
    let (status, _) = post(&api, json_request(body)).await;
    assert_eq!(status, 201);

    let first = item_by_id(&sent, "unique_id_1");
    assert_eq!(first["parameter_2"], AttributeValue::N("4".into()));
    assert_eq!(first["parameter_1"], AttributeValue::S("abc".into()));
    let second = item_by_id(&sent, "unique_id_2");
    assert_eq!(second["parameter_2"], AttributeValue::N("2.1".into()));
    let nested = second["nested"].as_m().unwrap();
    assert_eq!(nested["flag"], AttributeValue::Bool(true));
    assert_eq!(
        nested["big"],
        AttributeValue::N("12345678901234567890123456789.123456789".into())
    );
    let list = nested["list"].as_l().unwrap();
    assert_eq!(list[0], AttributeValue::N("1".into()));
    assert_eq!(list[1], AttributeValue::N("2.50".into()));
    assert_eq!(list[2].as_m().unwrap()["deep"], AttributeValue::Null(true));
    assert_eq!(list[3], AttributeValue::S("s".into()));
}

#[tokio::test]
async fn every_item_expires_one_day_after_the_write() {
    let sent = Sent::default();
    let rule = recording_rule(&sent, |_, _| Vec::new());
    let api = OrdersApi::new(client(&[&rule]), TABLE, fast_policy());
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let (status, _) = post(&api, json_request(&records_body(3))).await;
    assert_eq!(status, 201);
    for item in items(&sent) {
        let ttl: u64 = item["expires_at"].as_n().unwrap().parse().unwrap();
        assert!(ttl.abs_diff(now + 86_400) <= 5, "ttl {ttl}, now {now}");
    }
}

#[tokio::test]
async fn base64_bodies_and_json_media_types_are_accepted() {
    let sent = Sent::default();
    let rule = recording_rule(&sent, |_, _| Vec::new());
    let api = OrdersApi::new(client(&[&rule]), TABLE, fast_policy());
    let accepted = [
        request(Payload::Base64(SPEC_BODY.as_bytes()), Some("application/json")),
        request(Payload::Text(SPEC_BODY), None),
        request(Payload::Text(SPEC_BODY), Some("application/json; charset=utf-8")),
        request(Payload::Text(SPEC_BODY), Some("application/vnd.orders+json")),
    ];
    for req in accepted {
        let (status, body) = post(&api, req).await;
        assert_eq!((status, body), (201, serde_json::json!({"stored": 2})));
    }
    assert_eq!(
        item_by_id(&sent, "unique_id_2")["parameter_2"],
        AttributeValue::N("2.1".into())
    );
}

#[tokio::test]
async fn a_32_level_nested_value_is_accepted() {
    let sent = Sent::default();
    let rule = recording_rule(&sent, |_, _| Vec::new());
    let api = OrdersApi::new(client(&[&rule]), TABLE, fast_policy());
    let deep = format!("{}{}", "[".repeat(32), "]".repeat(32));
    let (status, _) = post(
        &api,
        json_request(&format!(r#"[{{"record_id": "a", "deep": {deep}}}]"#)),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn a_real_api_gateway_event_is_read_with_exact_numbers_on() {
    // arbitrary_precision changes how serde_json hands numbers to serde;
    // lambda_http must still read a full HTTP API v2 event.
    let req = lambda_http::request::from_str(common::FIXTURE).expect("event deserializes");
    use lambda_http::RequestExt;
    match req.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) => {
            assert_eq!(ctx.time_epoch, 1_763_720_130_123);
            assert_eq!(ctx.request_id.as_deref(), Some("Ux7Fzj2xDoEEMkQ="));
            let jwt = ctx
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .expect("jwt authorizer");
            assert_eq!(jwt.scopes.as_deref(), Some(&["orders/write".to_string()][..]));
        }
        other => panic!("not an HTTP API v2 context: {other:?}"),
    }
    let sent = Sent::default();
    let rule = recording_rule(&sent, |_, _| Vec::new());
    let api = OrdersApi::new(client(&[&rule]), TABLE, fast_policy());
    let (status, body) = post(&api, req).await;
    assert_eq!((status, body), (201, serde_json::json!({"stored": 2})));
}

#[tokio::test]
async fn warm_up_issues_one_describe_table_and_survives_its_failure() {
    use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
    let ok = mock!(Client::describe_table)
        .match_requests(|input| input.table_name() == Some(TABLE))
        .then_output(|| DescribeTableOutput::builder().build());
    post_lambda::warm_up(&client(&[&ok]), TABLE).await;
    assert_eq!(ok.num_calls(), 1);

    let denied = mock!(Client::describe_table).then_http_response(|| dynamodb_error(400, "AccessDeniedException"));
    // Returns (logging a warning) instead of failing the cold start.
    post_lambda::warm_up(&client(&[&denied]), TABLE).await;
    assert_eq!(denied.num_calls(), 1);
}
