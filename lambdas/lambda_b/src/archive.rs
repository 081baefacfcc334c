//! Archiving one order in the results bucket.

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::put_object::PutObjectError;
use aws_sdk_s3::primitives::ByteStream;
use lambda_runtime::LambdaEvent;
use orders_domain::{envelope_key, parse_order_event, unique_key};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use tracing::{info, warn};
use uuid::Uuid;

use crate::ArchiveError;

/// Where the order was archived. `already_stored` is true when an earlier
/// invocation for the same run and item had stored it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveOutcome {
    pub bucket: String,
    pub key: String,
    pub already_stored: bool,
}

/// The handler, holding the S3 client built once at start-up.
#[derive(Debug, Clone)]
pub struct Archiver {
    client: Client,
    bucket: String,
}

/// How a failed PutObject is reported.
enum PutFailure {
    /// 412 on a conditional write: the object is already there.
    AlreadyStored,
    Retryable,
    Permanent,
}

impl Archiver {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// Handles one invocation.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<ArchiveOutcome, ArchiveError> {
        self.archive(event.payload).await
    }

    /// Archives the order in `event` (bare or in an envelope), or reports
    /// why not.
    pub async fn archive(&self, event: Value) -> Result<ArchiveOutcome, ArchiveError> {
        let event = parse_order_event(event).inspect_err(|e| warn!(error = %e, "invalid order event"))?;
        if event.is_rejected() {
            info!(run = ?event.run().map(|r| (&r.run_id, r.item_index)), "order rejected");
            return Err(ArchiveError::OrderRejected);
        }
        // A pipeline order's key is fixed by its run and position, so it is
        // written only if absent; a bare order's key is unique by itself.
        let (key, conditional) = match event.run() {
            Some(run) => (envelope_key(run), true),
            None => (unique_key(OffsetDateTime::now_utc(), Uuid::new_v4()), false),
        };
        let body = Value::Object(event.into_order()).to_string();
        let mut put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("application/json")
            .body(ByteStream::from(body.into_bytes()));
        if conditional {
            put = put.if_none_match("*");
        }
        let already_stored = match put.send().await {
            Ok(_) => false,
            Err(error) => match classify(&error) {
                PutFailure::AlreadyStored if conditional => true,
                PutFailure::AlreadyStored | PutFailure::Retryable => {
                    return Err(ArchiveError::ArchiveWriteFailed {
                        bucket: self.bucket.clone(),
                        key,
                        detail: describe(&error),
                    });
                }
                PutFailure::Permanent => {
                    return Err(ArchiveError::ArchiveWriteRejected {
                        bucket: self.bucket.clone(),
                        key,
                        detail: describe(&error),
                    });
                }
            },
        };
        info!(bucket = %self.bucket, key, already_stored, "order archived");
        Ok(ArchiveOutcome {
            bucket: self.bucket.clone(),
            key,
            already_stored,
        })
    }
}

fn classify(error: &SdkError<PutObjectError>) -> PutFailure {
    match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => PutFailure::Retryable,
        SdkError::ServiceError(service) => {
            const RETRYABLE: [&str; 7] = [
                "ConditionalRequestConflict",
                "SlowDown",
                "RequestTimeout",
                "InternalError",
                "ServiceUnavailable",
                "Throttling",
                "ThrottlingException",
            ];
            let status = service.raw().status().as_u16();
            let code = error.code().unwrap_or_default();
            if status == 412 || code == "PreconditionFailed" {
                PutFailure::AlreadyStored
            } else if status == 409 || status == 429 || status >= 500 || RETRYABLE.contains(&code) {
                PutFailure::Retryable
            } else {
                PutFailure::Permanent
            }
        }
        _ => PutFailure::Permanent,
    }
}

/// `Code (HTTP status): message` of an S3 error, for the error message.
fn describe(error: &SdkError<PutObjectError>) -> String {
    match error {
        SdkError::ServiceError(service) => format!(
            "{} (HTTP {}): {}",
            error.code().unwrap_or("unknown error"),
            service.raw().status().as_u16(),
            error.message().unwrap_or("no message")
        ),
        other => aws_sdk_s3::error::DisplayErrorContext(other).to_string(),
    }
}
