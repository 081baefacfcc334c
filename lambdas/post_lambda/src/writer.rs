//! BatchWriteItem in chunks of 25, a few chunks at a time, retrying
//! `UnprocessedItems` and throttling with exponential backoff and full jitter,
//! all inside one deadline. A chunk's items are built from the records' text
//! only when it is sent, and the chunks in flight are bounded by the memory
//! their items take, so a 6 MB body never becomes hundreds of MB of items.

use std::collections::HashSet;
use std::ops::Range;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemError;
use aws_sdk_dynamodb::types::WriteRequest;
use futures::StreamExt;
use orders_domain::{OrderRecord, PARTITION_KEY};
use rand::RngExt;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::convert::{ConvertError, to_write_request};

/// BatchWriteItem's maximum number of requests per call.
pub const BATCH_SIZE: usize = 25;
/// Rough memory of one JSON value as an AttributeValue, beside its bytes
/// (the enum, its heap cell, a map slot, its part of the serialized call).
const VALUE_COST_BYTES: usize = 128;
/// A chunk stops growing past this estimate (unless it holds one record).
const CHUNK_WEIGHT_BYTES: usize = 2 << 20;
/// Estimated memory of the items of every chunk in flight at once.
const IN_FLIGHT_BYTES: usize = 32 << 20;

/// How writes are retried. Tests use millisecond delays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Backoff ceiling of the first retry; doubles on each retry.
    pub base_delay: Duration,
    /// Largest backoff ceiling.
    pub max_delay: Duration,
    /// Time budget for the whole request's writes, well under API Gateway's
    /// 30 s integration timeout.
    pub deadline: Duration,
    /// Batches in flight at once.
    pub max_concurrency: usize,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(2),
            deadline: Duration::from_secs(20),
            max_concurrency: 8,
        }
    }
}

impl RetryPolicy {
    /// Full jitter: a uniform delay in `[0, min(max, base × 2^(retry-1))]`.
    pub fn backoff(&self, retry: u32, rng: &mut impl rand::Rng) -> Duration {
        let factor = 1u32.checked_shl(retry.saturating_sub(1)).unwrap_or(u32::MAX);
        let ceiling = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let ceiling_us = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
        Duration::from_micros(rng.random_range(0..=ceiling_us))
    }
}

/// Why some records were not confirmed as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteFailure {
    /// DynamoDB kept throttling (or returning unprocessed items) until the
    /// deadline. Retrying the request later is safe.
    Throttled,
    /// The deadline passed (slow or failing calls). Retrying is safe.
    DeadlineExceeded,
    /// DynamoDB refused the write for another reason (missing table, access
    /// denied, ...): retrying will not help.
    Rejected { code: String, message: String },
    /// A validated record's item did not build (a bug, not the caller's).
    Unbuildable { message: String },
}

/// What happened to a request's writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteSummary {
    /// Records sent.
    pub requested: usize,
    /// Records DynamoDB confirmed as stored.
    pub stored: usize,
    /// Chunks of up to 25.
    pub batches: usize,
    /// BatchWriteItem calls, first tries and retries.
    pub calls: usize,
    /// Retries (calls after a chunk's first).
    pub retries: usize,
    /// The most serious failure, if any record is not confirmed.
    pub failure: Option<WriteFailure>,
}

impl WriteSummary {
    /// Records not confirmed as stored.
    pub fn unconfirmed(&self) -> usize {
        self.requested - self.stored
    }
}

/// What the writes of one request are: who writes, and when items expire.
#[derive(Debug, Clone, Copy)]
pub struct Stamp<'a> {
    /// The caller's client id, stored in the writer attribute.
    pub writer: &'a str,
    /// The TTL attribute's value, epoch seconds.
    pub expires_at: u64,
}

/// Writes every record to `table`, chunked and concurrent, retrying as the
/// policy says. Never fails as a whole: the summary says what was stored.
pub async fn write_all(
    client: &Client,
    table: &str,
    records: &[OrderRecord<'_>],
    stamp: Stamp<'_>,
    policy: &RetryPolicy,
) -> WriteSummary {
    let deadline = Instant::now() + policy.deadline;
    let chunks = plan_chunks(records);
    let batches = chunks.len();
    let in_flight = Semaphore::new(kib(IN_FLIGHT_BYTES) as usize);
    let outcomes: Vec<ChunkOutcome> = futures::stream::iter(chunks)
        .map(|chunk| {
            let in_flight = &in_flight;
            async move {
                let weight = kib(chunk_weight(&records[chunk.clone()])).min(kib(IN_FLIGHT_BYTES));
                // Closed never: the semaphore lives as long as the stream.
                let _permit = in_flight.acquire_many(weight).await.ok();
                write_chunk(client, table, &records[chunk], stamp, policy, deadline).await
            }
        })
        .buffer_unordered(policy.max_concurrency.max(1))
        .collect()
        .await;

    let mut summary = WriteSummary {
        requested: records.len(),
        stored: 0,
        batches,
        calls: 0,
        retries: 0,
        failure: None,
    };
    for outcome in outcomes {
        summary.stored += outcome.stored;
        summary.calls += outcome.calls;
        summary.retries += outcome.calls.saturating_sub(1);
        summary.failure = most_serious(summary.failure.take(), outcome.failure);
    }
    summary
}

fn build_chunk(
    records: &[OrderRecord<'_>],
    pending: &[usize],
    stamp: Stamp<'_>,
) -> Result<Vec<WriteRequest>, ConvertError> {
    pending
        .iter()
        .map(|&i| to_write_request(&records[i], stamp.writer, stamp.expires_at))
        .collect()
}

/// Estimated memory of a record's item: its bytes and its values.
fn record_weight(record: &OrderRecord<'_>) -> usize {
    record.stored_size() + record.values() * VALUE_COST_BYTES
}

fn chunk_weight(records: &[OrderRecord<'_>]) -> usize {
    records.iter().map(record_weight).sum()
}

fn kib(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX)
}

/// Chunks of at most [`BATCH_SIZE`] records and, unless one record is
/// heavier alone, at most [`CHUNK_WEIGHT_BYTES`] of estimated memory.
fn plan_chunks(records: &[OrderRecord<'_>]) -> Vec<Range<usize>> {
    let mut chunks = Vec::with_capacity(records.len().div_ceil(BATCH_SIZE));
    let mut start = 0;
    let mut weight = 0;
    for (index, record) in records.iter().enumerate() {
        let next = record_weight(record);
        let full = index - start == BATCH_SIZE || (index > start && weight + next > CHUNK_WEIGHT_BYTES);
        if full {
            chunks.push(start..index);
            start = index;
            weight = 0;
        }
        weight += next;
    }
    if start < records.len() {
        chunks.push(start..records.len());
    }
    chunks
}

/// A rejection outranks running out of time: it needs a person, not a retry.
fn most_serious(a: Option<WriteFailure>, b: Option<WriteFailure>) -> Option<WriteFailure> {
    fn rank(f: &Option<WriteFailure>) -> u8 {
        match f {
            None => 0,
            Some(WriteFailure::DeadlineExceeded) => 1,
            Some(WriteFailure::Throttled) => 2,
            Some(WriteFailure::Rejected { .. } | WriteFailure::Unbuildable { .. }) => 3,
        }
    }
    if rank(&b) > rank(&a) { b } else { a }
}

struct ChunkOutcome {
    stored: usize,
    calls: usize,
    failure: Option<WriteFailure>,
}

/// Why the last call of a chunk did not store everything.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Setback {
    Unprocessed,
    Throttled,
    Transient,
}

/// Writes one chunk's records, retrying what DynamoDB did not store. The
/// items of a call are built from the records' text for that call, and
/// rebuilt for a retry: nothing is kept (or cloned) across the call.
async fn write_chunk(
    client: &Client,
    table: &str,
    records: &[OrderRecord<'_>],
    stamp: Stamp<'_>,
    policy: &RetryPolicy,
    deadline: Instant,
) -> ChunkOutcome {
    let mut outcome = ChunkOutcome {
        stored: 0,
        calls: 0,
        failure: None,
    };
    // Indices into `records` not yet confirmed as stored.
    let mut pending: Vec<usize> = (0..records.len()).collect();
    let mut retry: u32 = 0;
    loop {
        let batch = match build_chunk(records, &pending, stamp) {
            Ok(batch) => batch,
            Err(e) => {
                outcome.failure = Some(WriteFailure::Unbuildable { message: e.to_string() });
                return outcome;
            }
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        outcome.calls += 1;
        let call = client.batch_write_item().request_items(table, batch).send();
        let setback = match tokio::time::timeout(remaining, call).await {
            Err(_elapsed) => {
                outcome.failure = Some(WriteFailure::DeadlineExceeded);
                return outcome;
            }
            Ok(Ok(output)) => {
                let unprocessed = output
                    .unprocessed_items
                    .and_then(|mut by_table| by_table.remove(table))
                    .unwrap_or_default();
                let left = unconfirmed(records, &pending, &unprocessed);
                outcome.stored += pending.len() - left.len();
                if left.is_empty() {
                    return outcome;
                }
                pending = left;
                Setback::Unprocessed
            }
            Ok(Err(error)) => match classify(&error) {
                Some(setback) => setback,
                None => {
                    outcome.failure = Some(WriteFailure::Rejected {
                        code: error.code().unwrap_or("unknown").to_owned(),
                        message: describe(&error),
                    });
                    return outcome;
                }
            },
        };
        retry += 1;
        // ThreadRng is not Send: draw the delay before awaiting.
        let delay = policy.backoff(retry, &mut rand::rng());
        if Instant::now() + delay >= deadline {
            outcome.failure = Some(match setback {
                Setback::Unprocessed | Setback::Throttled => WriteFailure::Throttled,
                Setback::Transient => WriteFailure::DeadlineExceeded,
            });
            return outcome;
        }
        tokio::time::sleep(delay).await;
    }
}

/// The pending records DynamoDB handed back as unprocessed, by their key.
fn unconfirmed(records: &[OrderRecord<'_>], pending: &[usize], unprocessed: &[WriteRequest]) -> Vec<usize> {
    let keys: HashSet<&str> = unprocessed
        .iter()
        .filter_map(|w| w.put_request()?.item().get(PARTITION_KEY)?.as_s().ok())
        .map(String::as_str)
        .collect();
    pending
        .iter()
        .copied()
        .filter(|&i| keys.contains(records[i].record_id()))
        .collect()
}

/// Throttling and transient failures are worth retrying; anything else is
/// returned as it is (`None`).
fn classify(error: &SdkError<BatchWriteItemError>) -> Option<Setback> {
    match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Some(Setback::Transient)
        }
        SdkError::ServiceError(service) => {
            const THROTTLING: [&str; 4] = [
                "ProvisionedThroughputExceededException",
                "ThrottlingException",
                "RequestLimitExceeded",
                "Throttling",
            ];
            let code = error.code().unwrap_or_default();
            match service.err() {
                BatchWriteItemError::ProvisionedThroughputExceededException(_)
                | BatchWriteItemError::RequestLimitExceeded(_)
                | BatchWriteItemError::ThrottlingException(_) => Some(Setback::Throttled),
                BatchWriteItemError::InternalServerError(_) => Some(Setback::Transient),
                _ if THROTTLING.contains(&code) => Some(Setback::Throttled),
                _ if service.raw().status().is_server_error() => Some(Setback::Transient),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `Code: message` of an SDK error, for logs and the 500 body.
fn describe(error: &SdkError<BatchWriteItemError>) -> String {
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => aws_sdk_dynamodb::error::DisplayErrorContext(error).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_by_the_doubling_ceiling() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(35),
            ..RetryPolicy::default()
        };
        let mut rng = rand::rng();
        for _ in 0..200 {
            assert!(policy.backoff(1, &mut rng) <= Duration::from_millis(10));
            assert!(policy.backoff(2, &mut rng) <= Duration::from_millis(20));
            assert!(policy.backoff(9, &mut rng) <= Duration::from_millis(35));
            assert!(policy.backoff(u32::MAX, &mut rng) <= Duration::from_millis(35));
        }
    }

    fn sizes(body: &str) -> Vec<usize> {
        let records = orders_domain::parse_and_validate(body.as_bytes()).unwrap();
        plan_chunks(&records).iter().map(|c| c.len()).collect()
    }

    #[test]
    fn chunks_hold_at_most_25() {
        let records: Vec<String> = (0..60).map(|i| format!(r#"{{"record_id": "r{i}"}}"#)).collect();
        assert_eq!(sizes(&format!("[{}]", records.join(","))), [25, 25, 10]);
    }

    #[test]
    fn heavy_records_make_smaller_chunks() {
        // ~30,000 values each: about 4 MB of items per record.
        let list = vec!["0"; 30_000].join(",");
        let records: Vec<String> = (0..5)
            .map(|i| format!(r#"{{"record_id": "r{i}", "l": [{list}]}}"#))
            .collect();
        assert_eq!(sizes(&format!("[{}]", records.join(","))), [1, 1, 1, 1, 1]);
    }

    #[test]
    fn defaults_stay_well_under_the_api_timeout() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.deadline, Duration::from_secs(20));
        assert_eq!(policy.max_concurrency, 8);
    }
}
