//! post_lambda's handler with a real DynamoDB client against moto server:
//! what a caller posts is what the table holds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "in a test, a panic is the failure message"
)]

mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use common::emulator::{self, create_orders_table, scan_all};
use common::{SPEC_BODY, json_request, read, records_body};
use local_harness::MotoServer;
use post_lambda::{OrdersApi, RetryPolicy};

const TABLE: &str = "orders-local-test";

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn assert_ttl_about_a_day_ahead(item: &HashMap<String, AttributeValue>, posted_at: u64) {
    let ttl: u64 = item["expires_at"].as_n().expect("TTL is a number").parse().unwrap();
    assert!(
        (posted_at + 86_400..=now() + 86_400 + 2).contains(&ttl),
        "TTL {ttl} is not 24 h after {posted_at}"
    );
}

#[tokio::test]
async fn a_thousand_records_are_all_stored_with_their_ttl() {
    let moto = MotoServer::start().expect("moto starts");
    let client = emulator::client(&moto).await;
    create_orders_table(&client, TABLE).await;
    let api = OrdersApi::new(client.clone(), TABLE, RetryPolicy::default());

    let posted_at = now();
    let (status, body) = read(&api.handle(json_request(&records_body(1000))).await.unwrap());
    assert_eq!((status, body), (201, serde_json::json!({"stored": 1000})));

    let items = scan_all(&client, TABLE).await;
    assert_eq!(items.len(), 1000);
    let ids: BTreeSet<String> = items.iter().map(|i| i["record_id"].as_s().unwrap().clone()).collect();
    assert_eq!(ids, (0..1000).map(|i| format!("r{i}")).collect());
    for item in &items {
        assert_ttl_about_a_day_ahead(item, posted_at);
        let id: usize = item["record_id"].as_s().unwrap()[1..].parse().unwrap();
        assert_eq!(item["parameter_1"], AttributeValue::S(format!("value {id}")));
        assert_eq!(item["parameter_2"], AttributeValue::N(format!("{id}.5")));
    }
}

#[tokio::test]
async fn the_spec_example_is_stored_exactly() {
    let moto = MotoServer::start().expect("moto starts");
    let client = emulator::client(&moto).await;
    create_orders_table(&client, TABLE).await;
    let api = OrdersApi::new(client.clone(), TABLE, RetryPolicy::default());

    let posted_at = now();
    let (status, body) = read(&api.handle(json_request(SPEC_BODY)).await.unwrap());
    assert_eq!((status, body), (201, serde_json::json!({"stored": 2})));

    for (id, text, number) in [("unique_id_1", "abc", "4"), ("unique_id_2", "def", "2.1")] {
        let item = client
            .get_item()
            .table_name(TABLE)
            .key("record_id", AttributeValue::S(id.into()))
            .send()
            .await
            .unwrap()
            .item
            .unwrap_or_else(|| panic!("{id} not stored"));
        assert_eq!(item["parameter_1"], AttributeValue::S(text.into()));
        // The raw N string: exactly what was posted.
        assert_eq!(item["parameter_2"].as_n().unwrap(), number);
        assert_ttl_about_a_day_ahead(&item, posted_at);
        assert_eq!(item["written_by"], AttributeValue::S("6example0client0id".into()));
        assert_eq!(item.len(), 5, "record_id, two parameters, writer, TTL: {item:?}");
    }
}

#[tokio::test]
async fn posting_the_same_request_again_is_safe() {
    let moto = MotoServer::start().expect("moto starts");
    let client = emulator::client(&moto).await;
    create_orders_table(&client, TABLE).await;
    let api = OrdersApi::new(client.clone(), TABLE, RetryPolicy::default());

    for _ in 0..2 {
        let (status, _) = read(&api.handle(json_request(SPEC_BODY)).await.unwrap());
        assert_eq!(status, 201);
    }
    let items = scan_all(&client, TABLE).await;
    assert_eq!(items.len(), 2);
}

#[tokio::test]
async fn a_missing_table_answers_500_naming_the_error() {
    let moto = MotoServer::start().expect("moto starts");
    let client = emulator::client(&moto).await;
    let api = OrdersApi::new(client, "no-such-table", RetryPolicy::default());
    let (status, body) = read(&api.handle(json_request(SPEC_BODY)).await.unwrap());
    assert_eq!(status, 500);
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.contains("ResourceNotFoundException"), "{message}");
    assert!(message.contains("2 of 2 records were not confirmed"), "{message}");
}
