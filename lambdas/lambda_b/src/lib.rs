//! lambda_b: handles one order of the auction results. A rejected order is
//! an error the state machine catches by name (`OrderRejected`); any other
//! order is archived as JSON in the results bucket.
//!
//! Orders sent by the pipeline come in an envelope naming the run and the
//! order's position in it: their key is deterministic and written only if
//! absent, so a retried invocation stores nothing twice.

mod archive;
mod config;
mod error;

pub use archive::{ArchiveOutcome, Archiver};
pub use config::{Config, ConfigError, s3_client};
pub use error::ArchiveError;
pub use orders_domain::{OrderEvent, OrderEventError, parse_order_event};
