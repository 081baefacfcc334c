//! The orders domain shared by the three functions: the order record posted to
//! the API and its validation against what DynamoDB can store, the TTL rule,
//! the auction results lambda_a returns, the order event lambda_b takes and the
//! S3 key scheme of the results archive, and the names the functions and the
//! infrastructure share ([`contract`]).
//!
//! Nothing here talks to AWS: the rules are plain functions, cheap to test and
//! to benchmark.

mod archive_key;
pub mod contract;
mod error_types;
mod limits;
mod order;
mod order_event;
mod record;
mod ttl;
mod validation;
mod walk;

pub use archive_key::{ARCHIVE_KEY_PREFIX, envelope_key, format_timestamp, sanitize_key_part, unique_key};
pub use error_types::*;
pub use limits::*;
pub use order::{AuctionResults, Order, OrderStatus};
pub use order_event::{OrderEvent, OrderEventError, RunIdentity, parse_order_event};
pub use record::{OrderRecord, parse_and_validate};
pub use ttl::expires_at;
pub use validation::{ValidationError, ValueProblem};
