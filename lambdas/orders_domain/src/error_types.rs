//! The Lambda `errorType`s lambda_b raises. The state machine catches and
//! retries by these names, so lambda_b and tfgen both use these constants.

/// A rejected order: a business outcome the pipeline alerts on and moves past.
pub const ORDER_REJECTED: &str = "OrderRejected";
/// The event is not an order (or envelope) lambda_b understands.
pub const INVALID_ORDER: &str = "InvalidOrder";
/// S3 failed in a way worth retrying; the state machine retries this name.
pub const ARCHIVE_WRITE_FAILED: &str = "ArchiveWriteFailed";
/// S3 refused the write for a reason a retry will not fix.
pub const ARCHIVE_WRITE_REJECTED: &str = "ArchiveWriteRejected";
