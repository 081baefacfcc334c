//! Names and limits the API, the table and the archive agree on.

/// The table's partition key (a string).
pub const PARTITION_KEY: &str = "record_id";
/// The table's TTL attribute: epoch seconds after which DynamoDB deletes the item.
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// The attribute naming who wrote the item: the caller's app client id, from
/// the JWT authorizer's `client_id` claim. A repeated `record_id` overwrites
/// the item, and this attribute shows whose write is stored.
pub const WRITER_ATTRIBUTE: &str = "written_by";
/// Longest writer accepted (Cognito app client ids are at most 128 characters).
pub const MAX_WRITER_BYTES: usize = 128;
/// Upper bound of the TTL attribute's stored value: an epoch-seconds number
/// of up to 10 digits (until the year 2286) is 6 bytes.
pub const TTL_VALUE_BYTES: usize = 6;
/// Orders are kept for exactly 24 hours.
pub const TTL_SECONDS: u64 = 86_400;

/// Lambda's synchronous invocation payload limit (6 MB).
pub const MAX_BODY_BYTES: usize = 6 * 1024 * 1024;
/// Records accepted in one request.
pub const MAX_RECORDS: usize = 10_000;
/// DynamoDB's item size limit (400 KB), names and values included.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// DynamoDB's partition key value limit.
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
/// DynamoDB's attribute-name limit (64 KB), for fields and nested map keys.
pub const MAX_ATTRIBUTE_NAME_BYTES: usize = 65_535;
/// DynamoDB's limit on nested lists and maps.
pub const MAX_NESTING_DEPTH: usize = 32;
/// DynamoDB numbers keep at most 38 significant digits.
pub const MAX_NUMBER_DIGITS: usize = 38;
/// Smallest and largest decimal exponent (scientific notation) DynamoDB stores:
/// magnitudes from 1E-130 to 9.9999999999999999999999999999999999999E+125.
pub const MIN_NUMBER_EXPONENT: i64 = -130;
pub const MAX_NUMBER_EXPONENT: i64 = 125;
