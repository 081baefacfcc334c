//! The orders table in the emulator, for the test binaries that use one.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use local_harness::MotoServer;
use orders_domain::{PARTITION_KEY, TTL_ATTRIBUTE};
use post_lambda::dynamodb_client;

/// The client as `main` builds it (the SDK's retries off, ours on), pointed
/// at the emulator.
pub async fn client(moto: &MotoServer) -> Client {
    dynamodb_client(&moto.sdk_config().await)
}

/// The orders table as the infrastructure defines it: `record_id` key, TTL
/// on `expires_at`.
pub async fn create_orders_table(client: &Client, table: &str) {
    client
        .create_table()
        .table_name(table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(PARTITION_KEY)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("valid attribute definition"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(PARTITION_KEY)
                .key_type(KeyType::Hash)
                .build()
                .expect("valid key schema"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("table created");
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TTL_ATTRIBUTE)
                .build()
                .expect("valid TTL specification"),
        )
        .send()
        .await
        .expect("TTL enabled");
}

/// Every item of the table, page by page.
pub async fn scan_all(client: &Client, table: &str) -> Vec<HashMap<String, AttributeValue>> {
    let pages: Vec<_> = client
        .scan()
        .table_name(table)
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    pages.into_iter().map(|item| item.expect("scan page")).collect()
}
