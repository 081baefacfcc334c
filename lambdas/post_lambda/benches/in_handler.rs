//! post_lambda's in-handler cost per record: parse the body, validate every
//! record against DynamoDB's limits, build the BatchWriteItem requests.
//! Network time is not in it (see BENCHMARKS.md for the end-to-end figures).
//!
//! `make bench` runs it and reads criterion's estimates from
//! `$CRITERION_HOME/in_handler/<records>/new/estimates.json`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "in a test, a panic is the failure message"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use orders_domain::parse_and_validate;
use post_lambda::to_write_requests;

/// Request sizes measured: one record up to the per-request limit.
const SIZES: [usize; 4] = [1, 100, 1_000, 10_000];
const EXPIRES_AT: u64 = 1_800_086_400;

/// `n` records shaped like the spec's example (a string, an integer and a
/// decimal beside the key).
fn body(n: usize) -> String {
    let records: Vec<String> = (0..n)
        .map(|i| {
            format!(r#"{{"record_id": "unique_id_{i}", "parameter_1": "abc", "parameter_2": {i}, "parameter_3": 2.1}}"#)
        })
        .collect();
    format!("[{}]", records.join(", "))
}

fn in_handler(c: &mut Criterion) {
    let mut group = c.benchmark_group("in_handler");
    for n in SIZES {
        let body = body(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &body, |b, body| {
            b.iter(|| {
                let records = parse_and_validate(black_box(body.as_bytes())).expect("the body is valid");
                to_write_requests(&records, "bench-client", EXPIRES_AT).expect("the items build")
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Enough for stable medians in about 20 s on two cores.
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = in_handler
}
criterion_main!(benches);
