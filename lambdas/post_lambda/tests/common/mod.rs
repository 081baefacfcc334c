//! Helpers shared by post_lambda's test binaries.
#![allow(dead_code)]

pub mod emulator;
pub mod mock;

use lambda_http::{Body, Request, Response};
use serde_json::Value;

/// A real HTTP API v2 event (requestContext, JWT claims, timeEpoch...).
pub const FIXTURE: &str = include_str!("../fixtures/apigw_v2_post_orders.json");

/// The spec's example body.
pub const SPEC_BODY: &str = r#"[{"record_id": "unique_id_1", "parameter_1": "abc", "parameter_2": 4}, {"record_id": "unique_id_2", "parameter_1": "def", "parameter_2": 2.1}]"#;

/// How a test request carries its body.
#[derive(Clone, Copy, Debug)]
pub enum Payload<'a> {
    Missing,
    Text(&'a str),
    /// API Gateway sends non-text bodies base64-encoded.
    Base64(&'a [u8]),
}

/// An API Gateway event for POST /orders, decoded by lambda_http exactly as
/// the runtime does it.
pub fn request(payload: Payload<'_>, content_type: Option<&str>) -> Request {
    let mut event: Value = serde_json::from_str(FIXTURE).expect("fixture is JSON");
    let headers = event["headers"].as_object_mut().expect("headers");
    headers.remove("content-length");
    match content_type {
        Some(ct) => {
            headers.insert("content-type".into(), Value::String(ct.into()));
        }
        None => {
            headers.remove("content-type");
        }
    }
    let object = event.as_object_mut().expect("event object");
    match payload {
        Payload::Missing => {
            object.remove("body");
            object.insert("isBase64Encoded".into(), Value::Bool(false));
        }
        Payload::Text(text) => {
            object.insert("body".into(), Value::String(text.into()));
            object.insert("isBase64Encoded".into(), Value::Bool(false));
        }
        Payload::Base64(bytes) => {
            object.insert("body".into(), Value::String(base64(bytes)));
            object.insert("isBase64Encoded".into(), Value::Bool(true));
        }
    }
    lambda_http::request::from_str(&event.to_string()).expect("lambda_http reads the event")
}

/// A JSON request with the given body.
pub fn json_request(body: &str) -> Request {
    request(Payload::Text(body), Some("application/json"))
}

/// Status and parsed JSON body of a response, checking it is JSON.
pub fn read(response: &Response<Body>) -> (u16, Value) {
    assert_eq!(
        response.headers().get("content-type").map(|v| v.to_str().unwrap()),
        Some("application/json"),
        "every answer is JSON"
    );
    let text = match response.body() {
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8(bytes.clone()).expect("utf-8"),
        Body::Empty => String::new(),
        _ => panic!("unexpected body kind"),
    };
    let json = serde_json::from_str(&text).expect("body is JSON");
    (response.status().as_u16(), json)
}

/// `n` records `r0..r{n-1}` with a couple of fields each.
pub fn records_body(n: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"record_id": "r{i}", "parameter_1": "value {i}", "parameter_2": {i}.5}}"#))
        .collect();
    format!("[{}]", items.join(","))
}

/// Standard base64 (no dependency just for tests).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
