//! The event lambda_b takes: a bare order, or the envelope the state machine
//! sends with the run's identity so the archive key can be deterministic.

use serde_json::{Map, Value};
use thiserror::Error;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::validation::kind_of;

/// Longest run id accepted; Step Functions execution names are at most 80.
const MAX_RUN_ID_BYTES: usize = 256;

/// Which pipeline run an order belongs to and where in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunIdentity {
    /// The execution name.
    pub run_id: String,
    /// When the execution started.
    pub run_started_at: OffsetDateTime,
    /// The order's position in the run's results.
    pub item_index: u64,
}

/// A parsed lambda_b event.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderEvent {
    /// `{"status": "accepted", "power": 1}`
    Bare { order: Map<String, Value> },
    /// `{"order": {...}, "run_id": ..., "run_started_at": ..., "item_index": n}`
    InRun {
        order: Map<String, Value>,
        run: RunIdentity,
    },
}

impl OrderEvent {
    /// The order itself, exactly as received.
    pub fn order(&self) -> &Map<String, Value> {
        match self {
            Self::Bare { order } | Self::InRun { order, .. } => order,
        }
    }

    /// The order itself, by value.
    pub fn into_order(self) -> Map<String, Value> {
        match self {
            Self::Bare { order } | Self::InRun { order, .. } => order,
        }
    }

    /// The run identity, for orders sent by the pipeline.
    pub fn run(&self) -> Option<&RunIdentity> {
        match self {
            Self::Bare { .. } => None,
            Self::InRun { run, .. } => Some(run),
        }
    }

    /// The order's status (checked to be a string when parsed).
    pub fn status(&self) -> &str {
        self.order().get("status").and_then(Value::as_str).unwrap_or_default()
    }

    /// Rejected orders are not archived: they are a business outcome to alert on.
    pub fn is_rejected(&self) -> bool {
        self.status() == "rejected"
    }
}

/// Why an event is not an order lambda_b can handle.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrderEventError {
    #[error("the event must be a JSON object (an order, or an envelope with 'order'), not {0}")]
    NotAnObject(&'static str),
    #[error("envelope field 'order' must be a JSON object, not {0}")]
    OrderNotObject(&'static str),
    #[error("the order has no 'status' field")]
    MissingStatus,
    #[error("the order's 'status' must be a string, not {0}")]
    StatusNotString(&'static str),
    #[error("envelope field '{0}' is missing")]
    MissingEnvelopeField(&'static str),
    #[error("envelope field 'run_id' must be a non-empty string of at most {MAX_RUN_ID_BYTES} bytes")]
    BadRunId,
    #[error("envelope field 'run_started_at' must be an RFC 3339 timestamp: {0}")]
    BadRunStartedAt(String),
    #[error("envelope field 'item_index' must be a non-negative integer")]
    BadItemIndex,
}

/// Reads a lambda_b event. An object with an `order` field is an envelope;
/// any other object is a bare order.
pub fn parse_order_event(event: Value) -> Result<OrderEvent, OrderEventError> {
    let mut object = match event {
        Value::Object(object) => object,
        other => return Err(OrderEventError::NotAnObject(kind_of(&other))),
    };
    let parsed = match object.remove("order") {
        None => OrderEvent::Bare { order: object },
        Some(Value::Object(order)) => OrderEvent::InRun {
            order,
            run: run_identity(&object)?,
        },
        Some(other) => return Err(OrderEventError::OrderNotObject(kind_of(&other))),
    };
    match parsed.order().get("status") {
        Some(Value::String(_)) => Ok(parsed),
        Some(other) => Err(OrderEventError::StatusNotString(kind_of(other))),
        None => Err(OrderEventError::MissingStatus),
    }
}

fn run_identity(envelope: &Map<String, Value>) -> Result<RunIdentity, OrderEventError> {
    let field = |name: &'static str| envelope.get(name).ok_or(OrderEventError::MissingEnvelopeField(name));
    let run_id = match field("run_id")? {
        Value::String(id) if !id.is_empty() && id.len() <= MAX_RUN_ID_BYTES => id.clone(),
        _ => return Err(OrderEventError::BadRunId),
    };
    let run_started_at = match field("run_started_at")? {
        Value::String(text) => OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|e| OrderEventError::BadRunStartedAt(format!("'{text}': {e}")))?,
        other => {
            return Err(OrderEventError::BadRunStartedAt(format!("got {}", kind_of(other))));
        }
    };
    let item_index = field("item_index")?.as_u64().ok_or(OrderEventError::BadItemIndex)?;
    Ok(RunIdentity {
        run_id,
        run_started_at,
        item_index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    #[test]
    fn a_bare_order_is_kept_as_is() {
        let event = parse_order_event(json!({"status": "accepted", "power": 1})).unwrap();
        assert_eq!(event.run(), None);
        assert_eq!(event.status(), "accepted");
        assert!(!event.is_rejected());
        assert_eq!(
            Value::Object(event.order().clone()),
            json!({"status": "accepted", "power": 1})
        );
    }

    #[test]
    fn an_envelope_carries_the_run_identity() {
        let event = parse_order_event(json!({
            "order": {"status": "rejected", "power": 2},
            "run_id": "exec-1",
            "run_started_at": "2026-11-21T10:15:30.123+01:00",
            "item_index": 1
        }))
        .unwrap();
        assert!(event.is_rejected());
        let run = event.run().unwrap();
        assert_eq!(run.run_id, "exec-1");
        assert_eq!(run.run_started_at, datetime!(2026-11-21 09:15:30.123 UTC));
        assert_eq!(run.item_index, 1);
    }

    #[test]
    fn malformed_events_are_named() {
        let cases = [
            (json!([1]), "the event must be a JSON object"),
            (json!({"order": 3}), "envelope field 'order' must be a JSON object"),
            (json!({"power": 1}), "the order has no 'status' field"),
            (json!({"status": 1}), "the order's 'status' must be a string"),
            (
                json!({"order": {"status": "accepted"}}),
                "envelope field 'run_id' is missing",
            ),
            (
                json!({"order": {"status": "accepted"}, "run_id": "", "run_started_at": "x", "item_index": 0}),
                "envelope field 'run_id' must be",
            ),
            (
                json!({"order": {"status": "accepted"}, "run_id": "r", "run_started_at": "yesterday", "item_index": 0}),
                "envelope field 'run_started_at' must be an RFC 3339 timestamp",
            ),
            (
                json!({"order": {"status": "accepted"}, "run_id": "r", "run_started_at": "2026-11-21T10:15:30Z", "item_index": -1}),
                "envelope field 'item_index' must be a non-negative integer",
            ),
        ];
        for (event, expected) in cases {
            let err = parse_order_event(event.clone()).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{event}: {err}");
        }
    }
}
