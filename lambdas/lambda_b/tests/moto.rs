//! lambda_b with a real S3 client against moto server: what is archived
//! reads back equal, once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "in a test, a panic is the failure message"
)]

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, VersioningConfiguration,
};
use lambda_b::{Archiver, s3_client};
use local_harness::{MotoServer, REGION};
use serde_json::{Value, json};

const BUCKET: &str = "results-local-test";

/// The client as `main` builds it (path-style on, as the emulator needs),
/// with a versioned bucket like the real one.
async fn setup(moto: &MotoServer) -> Client {
    let client = s3_client(&moto.sdk_config().await, true);
    client
        .create_bucket()
        .bucket(BUCKET)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(REGION))
                .build(),
        )
        .send()
        .await
        .expect("bucket created");
    client
        .put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning enabled");
    client
}

async fn read_back(client: &Client, key: &str) -> (Value, Option<String>) {
    let object = client
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .expect("object exists");
    let content_type = object.content_type.clone();
    let bytes = object.body.collect().await.unwrap().into_bytes();
    (serde_json::from_slice(&bytes).unwrap(), content_type)
}

#[tokio::test]
async fn an_archived_order_reads_back_equal() {
    let moto = MotoServer::start().expect("moto starts");
    let client = setup(&moto).await;
    let archiver = Archiver::new(client.clone(), BUCKET);

    // Parsed from text, as the runtime does: 2.10 keeps its text.
    let order: Value = serde_json::from_str(r#"{"status": "accepted", "power": 1, "price": 2.10}"#).unwrap();
    let outcome = archiver.archive(order.clone()).await.expect("archived");
    assert_eq!(outcome.bucket, BUCKET);
    assert!(outcome.key.starts_with("orders/order_"), "{}", outcome.key);
    assert!(!outcome.already_stored);

    let (stored, content_type) = read_back(&client, &outcome.key).await;
    assert_eq!(stored, order);
    assert_eq!(stored["price"].to_string(), "2.10");
    assert_eq!(content_type.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn a_retried_envelope_does_not_create_a_second_object() {
    let moto = MotoServer::start().expect("moto starts");
    let client = setup(&moto).await;
    let archiver = Archiver::new(client.clone(), BUCKET);
    let envelope = json!({
        "order": {"status": "accepted", "power": 1},
        "run_id": "nightly-42",
        "run_started_at": "2026-11-21T10:15:30.123456+00:00",
        "item_index": 0
    });

    let first = archiver.archive(envelope.clone()).await.expect("first invocation");
    let retry = archiver.archive(envelope).await.expect("retried invocation");
    let key = "orders/order_2026-11-21T10:15:30.123456Z_nightly-42_0.json";
    assert_eq!((first.key.as_str(), first.already_stored), (key, false));
    // moto 5.2.5 honours If-None-Match: * with a 412, as S3 does.
    assert_eq!((retry.key.as_str(), retry.already_stored), (key, true));

    // Versioned bucket: a second PUT would show as a second version.
    let versions = client.list_object_versions().bucket(BUCKET).send().await.unwrap();
    assert_eq!(versions.versions().len(), 1, "{:?}", versions.versions());
    let (stored, content_type) = read_back(&client, key).await;
    assert_eq!(stored, json!({"status": "accepted", "power": 1}));
    assert_eq!(content_type.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn a_rejected_order_leaves_the_bucket_empty() {
    let moto = MotoServer::start().expect("moto starts");
    let client = setup(&moto).await;
    let archiver = Archiver::new(client.clone(), BUCKET);
    let error = archiver
        .archive(json!({"status": "rejected", "power": 2}))
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "Order status is rejected!");
    let listing = client.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    assert_eq!(listing.key_count(), Some(0));
}

#[tokio::test]
async fn a_missing_bucket_is_archive_write_rejected() {
    let moto = MotoServer::start().expect("moto starts");
    let client = setup(&moto).await;
    let archiver = Archiver::new(client, "no-such-bucket");
    let error = archiver
        .archive(json!({"status": "accepted", "power": 1}))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "ArchiveWriteRejected", "{error}");
    assert!(error.to_string().contains("NoSuchBucket"), "{error}");
}
