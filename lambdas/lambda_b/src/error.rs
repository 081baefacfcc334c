//! lambda_b's errors, each with the Lambda `errorType` the state machine
//! matches on.

use lambda_runtime::Diagnostic;
use orders_domain::{ARCHIVE_WRITE_FAILED, ARCHIVE_WRITE_REJECTED, INVALID_ORDER, ORDER_REJECTED, OrderEventError};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ArchiveError {
    /// A business outcome, alerted on by the pipeline. Exact message kept
    /// from the original function.
    #[error("Order status is rejected!")]
    OrderRejected,
    /// The event is not an order (or envelope) lambda_b understands.
    #[error("Invalid order event: {0}")]
    InvalidOrder(#[from] OrderEventError),
    /// S3 failed in a way worth retrying (5xx, throttling, timeouts,
    /// conditional-write conflicts). The state machine retries this name.
    #[error("Could not archive the order at s3://{bucket}/{key} (worth retrying): {detail}")]
    ArchiveWriteFailed {
        bucket: String,
        key: String,
        detail: String,
    },
    /// S3 refused the write for a reason a retry will not fix (access
    /// denied, no such bucket, ...).
    #[error("S3 refused to archive the order at s3://{bucket}/{key}: {detail}")]
    ArchiveWriteRejected {
        bucket: String,
        key: String,
        detail: String,
    },
}

impl ArchiveError {
    /// The Lambda `errorType` of this error.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::OrderRejected => ORDER_REJECTED,
            Self::InvalidOrder(_) => INVALID_ORDER,
            Self::ArchiveWriteFailed { .. } => ARCHIVE_WRITE_FAILED,
            Self::ArchiveWriteRejected { .. } => ARCHIVE_WRITE_REJECTED,
        }
    }
}

impl From<ArchiveError> for Diagnostic {
    fn from(error: ArchiveError) -> Self {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_orders_keep_the_original_type_and_message() {
        let diagnostic = Diagnostic::from(ArchiveError::OrderRejected);
        assert_eq!(diagnostic.error_type, "OrderRejected");
        assert_eq!(diagnostic.error_message, "Order status is rejected!");
    }

    #[test]
    fn every_error_has_a_catchable_type() {
        let invalid = ArchiveError::InvalidOrder(OrderEventError::MissingStatus);
        assert_eq!(Diagnostic::from(invalid).error_type, "InvalidOrder");
        let failed = ArchiveError::ArchiveWriteFailed {
            bucket: "b".into(),
            key: "k".into(),
            detail: "SlowDown".into(),
        };
        assert_eq!(Diagnostic::from(failed).error_type, "ArchiveWriteFailed");
    }
}
