//! post_lambda's handler against the emulator with injected DynamoDB faults
//! (the launcher's fault injection, local/motolocal/faults.py): throttled
//! and partly unprocessed BatchWriteItem calls lose no record. Either the
//! request answers 201 with everything stored, or it answers 5xx and sending
//! the same request again completes it, with nothing stored twice.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "in a test, a panic is the failure message"
)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use common::emulator::{self, create_orders_table, scan_all};
use common::{json_request, read, records_body};
use local_harness::MotoServer;
use post_lambda::{OrdersApi, RetryPolicy};
use serde_json::{Value, json};

const TABLE: &str = "orders-faults-test";
/// The share of BatchWriteItem calls that fail. The issue asks for at least
/// 30%: at half, the observed share stays above that in any run of this size.
const FAULT_RATE: f64 = 0.5;
/// Times the same request is sent at most before the test gives up.
const MAX_SENDS: usize = 4;

/// Every item, by record_id. A second copy of a key cannot exist in a table,
/// so "nothing stored twice" is "exactly the posted ids, with their values".
async fn stored(client: &Client) -> BTreeMap<String, HashMap<String, AttributeValue>> {
    scan_all(client, TABLE)
        .await
        .into_iter()
        .map(|item| (item["record_id"].as_s().expect("string key").clone(), item))
        .collect()
}

/// Each of `records_body(n)`'s records, stored exactly once and intact.
fn assert_all_stored_exactly(items: &BTreeMap<String, HashMap<String, AttributeValue>>, n: usize) {
    assert_eq!(items.len(), n, "records stored");
    for i in 0..n {
        let item = items.get(&format!("r{i}")).unwrap_or_else(|| panic!("r{i} was lost"));
        assert_eq!(item["parameter_1"], AttributeValue::S(format!("value {i}")));
        assert_eq!(item["parameter_2"], AttributeValue::N(format!("{i}.5")));
        assert!(item["expires_at"].as_n().is_ok(), "r{i} has its TTL");
        assert!(item["written_by"].as_s().is_ok(), "r{i} names its writer");
        assert_eq!(item.len(), 5, "r{i}: {item:?}");
    }
}

/// One call to the launcher's fault control endpoint; the answer's JSON.
/// `config` is the body of a POST; GET and DELETE send none.
fn fault_control(moto: &MotoServer, method: &str, config: Option<&Value>) -> Value {
    let body = config.map(Value::to_string).unwrap_or_default();
    let port = moto.port();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("emulator reachable");
    // Generous: with every test's emulator busy on two cores, an answer
    // has been seen to take over 10 s.
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout set");
    // One write: head and body arrive together.
    let request = format!(
        "{method} /moto-api/local/faults HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("request sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap_or_else(|error| {
        panic!(
            "no answer from the fault control: {error}; emulator log:\n{}",
            moto.log()
        )
    });
    let (head, json) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "fault control refused: {answer}");
    serde_json::from_str(json).expect("JSON answer")
}

/// (failed calls, all calls) of BatchWriteItem so far.
fn batch_write_faults(moto: &MotoServer) -> (u64, u64) {
    let counters = &fault_control(moto, "GET", None)["counters"];
    let count = |name: &str| counters[name].as_u64().unwrap_or_default();
    (
        count("batch_write_throttled") + count("batch_write_partial"),
        count("batch_write_calls"),
    )
}

fn faults(seed: u64, rate: f64) -> Value {
    json!({"seed": seed, "dynamodb_batch_write": {"rate": rate, "throttle_share": 0.5}})
}

#[tokio::test]
async fn with_half_of_the_batch_writes_failing_no_record_is_lost() {
    let moto = MotoServer::start().expect("moto starts");
    let client = emulator::client(&moto).await;
    create_orders_table(&client, TABLE).await;
    fault_control(&moto, "POST", Some(&faults(42, FAULT_RATE)));
    // The production policy: 20 s deadline, backoff from 50 ms.
    let api = OrdersApi::new(client.clone(), TABLE, RetryPolicy::default());
    let n = 2_000;
    let body = records_body(n);

    let mut answers = Vec::new();
    for _ in 0..MAX_SENDS {
        let (status, answer) = read(&api.handle(json_request(&body)).await.expect("a response"));
        answers.push(status);
        if status == 201 {
            assert_eq!(answer, json!({"stored": n}));
            break;
        }
        // Anything but success must be a 5xx that says a retry is safe.
        assert_eq!(status, 503, "{answer}");
        let message = answer["errorMessage"].as_str().expect("errorMessage");
        assert!(message.contains("retrying the same request is safe"), "{message}");
    }
    assert_eq!(answers.last(), Some(&201), "answers to the same request: {answers:?}");

    let (failed, calls) = batch_write_faults(&moto);
    let rate = failed as f64 / calls as f64;
    eprintln!(
        "fault injection: {failed} of {calls} BatchWriteItem calls failed ({:.1}%); answers {answers:?}",
        rate * 100.0
    );
    assert!(rate >= 0.3, "observed fault rate {rate:.3} is below 30%");
    assert_all_stored_exactly(&stored(&client).await, n);
}

#[tokio::test]
async fn a_request_that_runs_out_of_time_answers_503_and_sending_it_again_completes_it() {
    let moto = MotoServer::start().expect("moto starts");
    let client = emulator::client(&moto).await;
    create_orders_table(&client, TABLE).await;
    let n = 500;
    let body = records_body(n);

    // Every call comes back partly unprocessed: no chunk can finish, and a
    // short deadline ends the request with part of it stored.
    fault_control(
        &moto,
        "POST",
        Some(&json!({"seed": 7, "dynamodb_batch_write": {"rate": 1.0, "throttle_share": 0.0}})),
    );
    let impatient = RetryPolicy {
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        deadline: Duration::from_millis(400),
        max_concurrency: 8,
    };
    let api = OrdersApi::new(client.clone(), TABLE, impatient);
    let (status, answer) = read(&api.handle(json_request(&body)).await.expect("a response"));
    assert_eq!(status, 503, "{answer}");
    let message = answer["errorMessage"].as_str().expect("errorMessage");
    let unconfirmed: usize = message
        .split(" of ")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no count in {message:?}"));
    let partly = stored(&client).await;
    assert!(
        !partly.is_empty() && partly.len() < n,
        "a partial write: {} of {n} stored",
        partly.len()
    );
    // What the answer says was confirmed is stored (a call cut off by the
    // deadline may have stored more than it could confirm).
    assert!(
        partly.len() >= n - unconfirmed,
        "{} stored, {unconfirmed} unconfirmed",
        partly.len()
    );

    // The client retries the same request; DynamoDB still fails half the calls.
    fault_control(&moto, "POST", Some(&faults(8, FAULT_RATE)));
    let api = OrdersApi::new(client.clone(), TABLE, RetryPolicy::default());
    let (status, answer) = read(&api.handle(json_request(&body)).await.expect("a response"));
    assert_eq!((status, answer), (201, json!({"stored": n})));
    let (failed, calls) = batch_write_faults(&moto);
    eprintln!("retry under faults: {failed} of {calls} BatchWriteItem calls failed");
    assert_all_stored_exactly(&stored(&client).await, n);
}
