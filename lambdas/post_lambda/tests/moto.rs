//! post_lambda's handler with a real DynamoDB client against moto server:
//! what a caller posts is what the table holds.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use common::{SPEC_BODY, json_request, read, records_body};
use local_harness::{MotoServer, REGION};
use post_lambda::{OrdersApi, RetryPolicy, dynamodb_client};

const TABLE: &str = "orders-local-test";

/// The client as `main` builds it, pointed at the emulator.
async fn client(moto: &MotoServer) -> Client {
    let sdk_config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(moto.endpoint_url())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .load()
        .await;
    dynamodb_client(&sdk_config)
}

/// The orders table as the infrastructure defines it: `record_id` key, TTL
/// on `expires_at`.
async fn create_table(client: &Client) {
    client
        .create_table()
        .table_name(TABLE)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("record_id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("record_id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("table created");
    client
        .update_time_to_live()
        .table_name(TABLE)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires_at")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("TTL enabled");
}

async fn scan_all(client: &Client) -> Vec<HashMap<String, AttributeValue>> {
    let pages: Vec<_> = client
        .scan()
        .table_name(TABLE)
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    pages.into_iter().map(|item| item.expect("scan page")).collect()
}

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
    let client = client(&moto).await;
    create_table(&client).await;
    let api = OrdersApi::new(client.clone(), TABLE, RetryPolicy::default());

    let posted_at = now();
    let (status, body) = read(&api.handle(json_request(&records_body(1000))).await.unwrap());
    assert_eq!((status, body), (201, serde_json::json!({"stored": 1000})));

    let items = scan_all(&client).await;
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
    let client = client(&moto).await;
    create_table(&client).await;
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
        assert_eq!(item.len(), 4, "record_id, two parameters, TTL: {item:?}");
    }
}

#[tokio::test]
async fn posting_the_same_request_again_is_safe() {
    let moto = MotoServer::start().expect("moto starts");
    let client = client(&moto).await;
    create_table(&client).await;
    let api = OrdersApi::new(client.clone(), TABLE, RetryPolicy::default());

    for _ in 0..2 {
        let (status, _) = read(&api.handle(json_request(SPEC_BODY)).await.unwrap());
        assert_eq!(status, 201);
    }
    let items = scan_all(&client).await;
    assert_eq!(items.len(), 2);
}

#[tokio::test]
async fn a_missing_table_answers_500_naming_the_error() {
    let moto = MotoServer::start().expect("moto starts");
    let client = client(&moto).await;
    let api = OrdersApi::new(client, "no-such-table", RetryPolicy::default());
    let (status, body) = read(&api.handle(json_request(SPEC_BODY)).await.unwrap());
    assert_eq!(status, 500);
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.contains("ResourceNotFoundException"), "{message}");
    assert!(message.contains("2 of 2 records were not confirmed"), "{message}");
}
