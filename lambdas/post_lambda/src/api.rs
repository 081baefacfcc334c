//! POST /orders: checks the request, writes the records, answers JSON.

use std::time::{Instant, SystemTime};

use aws_sdk_dynamodb::Client;
use lambda_http::http::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use lambda_http::http::{Response, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use orders_domain::{MAX_WRITER_BYTES, OrderRecord, ValidationError, expires_at, parse_and_validate};
use serde_json::json;
use thiserror::Error;
use tracing::{error, info, warn};

use crate::writer::{RetryPolicy, Stamp, WriteFailure, WriteSummary, write_all};

/// Why a request was refused before anything was written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RequestRejection {
    #[error(
        "The request carries no caller identity: the JWT authorizer's client_id claim is missing or over {MAX_WRITER_BYTES} bytes"
    )]
    NoWriter,
    #[error("Content-Type '{0}' is not supported; send application/json")]
    UnsupportedMediaType(String),
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

impl RequestRejection {
    /// 403 without a caller identity, 415 for the media type, else the
    /// validation error's 400 or 413.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::NoWriter => 403,
            Self::UnsupportedMediaType(_) => 415,
            Self::Invalid(e) => e.status_code(),
        }
    }
}

/// The POST /orders handler, holding the clients built once at start-up.
#[derive(Debug, Clone)]
pub struct OrdersApi {
    client: Client,
    table_name: String,
    policy: RetryPolicy,
}

impl OrdersApi {
    pub fn new(client: Client, table_name: impl Into<String>, policy: RetryPolicy) -> Self {
        Self {
            client,
            table_name: table_name.into(),
            policy,
        }
    }

    /// Handles one API Gateway (HTTP API v2) request. Errors are answered as
    /// JSON responses; the `Err` case is only a response that failed to build.
    pub async fn handle(&self, request: Request) -> Result<Response<Body>, lambda_http::Error> {
        let started = Instant::now();
        let api_request_id = api_request_id(&request);
        let checked = writer(&request).and_then(|writer| Ok((writer, validate_request(&request)?)));
        let (writer, records) = match checked {
            Ok(checked) => checked,
            Err(rejection) => {
                warn!(api_request_id, status = rejection.status_code(), reason = %rejection, "request refused");
                return error_response(rejection.status_code(), &rejection.to_string(), false);
            }
        };
        let count = records.len();
        let stamp = Stamp {
            writer: &writer,
            expires_at: expires_at(SystemTime::now()),
        };
        let summary = write_all(&self.client, &self.table_name, &records, stamp, &self.policy).await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &summary.failure {
            None => info!(
                api_request_id,
                records = count,
                batches = summary.batches,
                calls = summary.calls,
                retries = summary.retries,
                duration_ms,
                "records stored"
            ),
            Some(failure) => error!(
                api_request_id,
                records = count,
                stored = summary.stored,
                batches = summary.batches,
                calls = summary.calls,
                retries = summary.retries,
                duration_ms,
                failure = ?failure,
                "records not all stored"
            ),
        }
        write_response(&summary)
    }
}

/// The caller's app client id, from the claims API Gateway's JWT authorizer
/// put in the event. Every route is authorized, so its absence means the
/// function was reached some other way: refused, never stored anonymously.
pub fn writer(request: &Request) -> Result<String, RequestRejection> {
    let client_id = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .authorizer
            .as_ref()
            .and_then(|authorizer| authorizer.jwt.as_ref())
            .and_then(|jwt| jwt.claims.get("client_id")),
        #[allow(unreachable_patterns)]
        _ => None,
    };
    match client_id {
        Some(id) if !id.is_empty() && id.len() <= MAX_WRITER_BYTES => Ok(id.clone()),
        _ => Err(RequestRejection::NoWriter),
    }
}

/// Every check that needs no AWS call: body present, media type, size,
/// UTF-8, JSON shape and every record. Base64 bodies arrive decoded.
pub fn validate_request(request: &Request) -> Result<Vec<OrderRecord<'_>>, RequestRejection> {
    let body: &[u8] = request.body().as_ref();
    if body.iter().all(u8::is_ascii_whitespace) {
        // The original API's exact answer, whatever the headers say.
        return Err(ValidationError::EmptyBody.into());
    }
    check_content_type(request.headers())?;
    Ok(parse_and_validate(body)?)
}

/// No Content-Type is accepted (machines forget it); one that is present must
/// be `application/json` or `<type>/<subtype>+json`, parameters allowed.
pub fn check_content_type(headers: &HeaderMap) -> Result<(), RequestRejection> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or_default();
    let essence = text.split(';').next().unwrap_or_default().trim();
    let json = match essence.split_once('/') {
        Some((kind, subtype)) if !kind.is_empty() && !kind.contains(char::is_whitespace) => {
            let plain = kind.eq_ignore_ascii_case("application") && subtype.eq_ignore_ascii_case("json");
            // `application/vnd.orders+json` and the like: a non-empty name before `+json`.
            let suffixed = subtype.len() > 5
                && subtype
                    .get(subtype.len() - 5..)
                    .is_some_and(|suffix| suffix.eq_ignore_ascii_case("+json"));
            plain || suffixed
        }
        _ => false,
    };
    if json {
        Ok(())
    } else {
        Err(RequestRejection::UnsupportedMediaType(truncate(text, 100)))
    }
}

fn truncate(text: &str, max: usize) -> String {
    text.char_indices()
        .take_while(|(at, _)| *at < max)
        .map(|(_, c)| c)
        .collect()
}

/// 201 when every record is stored; 503 when throttling or the deadline left
/// some unconfirmed (a retry is safe); 500 when DynamoDB refused the write.
fn write_response(summary: &WriteSummary) -> Result<Response<Body>, lambda_http::Error> {
    let unconfirmed = summary.unconfirmed();
    let total = summary.requested;
    match &summary.failure {
        None if unconfirmed == 0 => json_response(201, &json!({ "stored": summary.stored }), false),
        Some(WriteFailure::Unbuildable { message }) => error_response(
            500,
            &format!(
                "Internal error: could not build the write requests ({message}); {unconfirmed} of {total} records were not confirmed as stored"
            ),
            false,
        ),
        Some(WriteFailure::Rejected { message, .. }) => error_response(
            500,
            &format!(
                "DynamoDB refused the write ({message}); {unconfirmed} of {total} records were not confirmed as stored"
            ),
            false,
        ),
        Some(WriteFailure::Throttled) => error_response(
            503,
            &format!(
                "DynamoDB is throttling writes: {unconfirmed} of {total} records were not confirmed as stored before the deadline; retrying the same request is safe"
            ),
            true,
        ),
        Some(WriteFailure::DeadlineExceeded) | None => error_response(
            503,
            &format!(
                "The write deadline passed: {unconfirmed} of {total} records were not confirmed as stored; retrying the same request is safe"
            ),
            true,
        ),
    }
}

fn error_response(status: u16, message: &str, retry_later: bool) -> Result<Response<Body>, lambda_http::Error> {
    json_response(status, &json!({ "errorMessage": message }), retry_later)
}

fn json_response(
    status: u16,
    body: &serde_json::Value,
    retry_later: bool,
) -> Result<Response<Body>, lambda_http::Error> {
    let mut response = Response::builder()
        .status(StatusCode::from_u16(status)?)
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if retry_later {
        response = response.header(RETRY_AFTER, HeaderValue::from_static("1"));
    }
    Ok(response.body(Body::Text(body.to_string()))?)
}

/// API Gateway's own request id, to match the access log.
fn api_request_id(request: &Request) -> Option<String> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context.request_id.clone(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        headers
    }

    #[test]
    fn json_media_types_are_accepted() {
        for ok in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/vnd.orders+json",
            "application/merge-patch+json;v=1",
        ] {
            assert_eq!(check_content_type(&headers(ok)), Ok(()), "{ok}");
        }
        assert_eq!(check_content_type(&HeaderMap::new()), Ok(()));
    }

    #[test]
    fn other_media_types_are_415() {
        for bad in [
            "text/plain",
            "application/xml",
            "json",
            "application/+json",
            "application/jsonp",
        ] {
            let err = check_content_type(&headers(bad)).unwrap_err();
            assert_eq!(err.status_code(), 415, "{bad}");
            assert!(err.to_string().contains(bad), "{err}");
        }
    }
}
