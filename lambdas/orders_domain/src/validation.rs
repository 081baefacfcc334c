//! What DynamoDB can store, checked before anything is written: numbers
//! (digits and range), nesting depth, attribute names, and the item size as
//! DynamoDB counts it.

use serde_json::Value;
use thiserror::Error;

use crate::limits::*;

/// Why a request was refused. Every message names what is wrong and where
/// (record index from 0, field path), and is safe to return to the caller.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValidationError {
    /// The original API's exact message; callers rely on it.
    #[error("Request body is empty")]
    EmptyBody,
    #[error("Request body is {size} bytes; the limit is {MAX_BODY_BYTES} bytes (6 MB)")]
    BodyTooLarge { size: usize },
    #[error("Request body is not valid UTF-8 (invalid byte sequence at byte {valid_up_to})")]
    NotUtf8 { valid_up_to: usize },
    #[error("Request body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("Request body must be a JSON array of records, not {0}")]
    NotAnArray(&'static str),
    #[error("Request body is an empty array; send at least one record")]
    NoRecords,
    #[error("Request has {count} records; the limit is {MAX_RECORDS} records per request")]
    TooManyRecords { count: usize },
    #[error("Record {index} must be a JSON object, not {kind}")]
    RecordNotObject { index: usize, kind: &'static str },
    #[error("Record {index}: field 'record_id' is missing")]
    MissingRecordId { index: usize },
    #[error("Record {index}: field 'record_id' must be a string, not {kind}")]
    RecordIdNotString { index: usize, kind: &'static str },
    #[error("Record {index}: field 'record_id' is empty")]
    EmptyRecordId { index: usize },
    #[error(
        "Record {index}: field 'record_id' is {len} bytes; DynamoDB's partition key limit is {MAX_PARTITION_KEY_BYTES} bytes"
    )]
    RecordIdTooLong { index: usize, len: usize },
    #[error("Record {index}: record_id '{record_id}' is a duplicate of record {first}")]
    DuplicateRecordId {
        index: usize,
        first: usize,
        record_id: String,
    },
    #[error("Record {index}: field '{field}' is a reserved name ({meaning}, set by the API); rename the field")]
    ReservedField {
        index: usize,
        field: &'static str,
        meaning: &'static str,
    },
    #[error("Record {index} has a field with an empty name; DynamoDB attribute names must not be empty")]
    EmptyFieldName { index: usize },
    #[error(
        "Record {index} has a field name of {len} bytes; DynamoDB's attribute name limit is {MAX_ATTRIBUTE_NAME_BYTES} bytes"
    )]
    FieldNameTooLong { index: usize, len: usize },
    #[error("Record {index}: field '{path}': {problem}")]
    InvalidValue {
        index: usize,
        path: String,
        problem: ValueProblem,
    },
    #[error("Record {index} is {size} bytes as stored; DynamoDB's item limit is {MAX_ITEM_BYTES} bytes (400 KB)")]
    ItemTooLarge { index: usize, size: usize },
}

impl ValidationError {
    /// The HTTP status this error answers: 413 for requests over the size or
    /// count limits, 400 for everything else.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::BodyTooLarge { .. } | Self::TooManyRecords { .. } => 413,
            _ => 400,
        }
    }
}

/// A value inside a record that DynamoDB cannot store.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValueProblem {
    #[error("number {number} has {digits} significant digits; DynamoDB stores at most {MAX_NUMBER_DIGITS}")]
    TooManyDigits { number: String, digits: usize },
    #[error(
        "number {number} is outside DynamoDB's range (magnitude 1E-130 to 9.9999999999999999999999999999999999999E+125)"
    )]
    OutOfRange { number: String },
    #[error("nesting is deeper than {MAX_NESTING_DEPTH} levels of lists and maps")]
    TooDeep,
    #[error("contains an empty map key; DynamoDB attribute names must not be empty")]
    EmptyKey,
    #[error("contains a map key of {len} bytes; DynamoDB's attribute name limit is {MAX_ATTRIBUTE_NAME_BYTES} bytes")]
    KeyTooLong { len: usize },
}

/// JSON type names for messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A problem found while walking a value, with the path to it built on the
/// way back up (so the happy path allocates nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathedProblem {
    /// Path segments, innermost first.
    segments: Vec<String>,
    pub(crate) problem: ValueProblem,
}

impl PathedProblem {
    pub(crate) fn new(problem: ValueProblem) -> Box<Self> {
        Box::new(Self {
            segments: Vec::new(),
            problem,
        })
    }

    pub(crate) fn within(mut self: Box<Self>, segment: String) -> Box<Self> {
        self.segments.push(segment);
        self
    }

    /// The path from a record's field `name`: `name.b[3].c`.
    pub(crate) fn within_field(&self, name: &str) -> String {
        let mut path = name.to_owned();
        let rest = self.path();
        if !rest.is_empty() && !rest.starts_with('[') {
            path.push('.');
        }
        path.push_str(&rest);
        path
    }

    /// `a.b[3].c`, outermost first.
    pub(crate) fn path(&self) -> String {
        let mut path = String::new();
        for segment in self.segments.iter().rev() {
            if !path.is_empty() && !segment.starts_with('[') {
                path.push('.');
            }
            path.push_str(segment);
        }
        path
    }
}

/// Checks a JSON number's text against DynamoDB's limits and returns its
/// stored size: about 1 byte per two significant digits, plus 1.
pub(crate) fn number_size(text: &str) -> Result<usize, ValueProblem> {
    let digits = significant_digits(text);
    match digits {
        None => Ok(2), // zero
        Some((count, exponent)) => {
            if count > MAX_NUMBER_DIGITS {
                return Err(ValueProblem::TooManyDigits {
                    number: abbreviate(text),
                    digits: count,
                });
            }
            if !(MIN_NUMBER_EXPONENT..=MAX_NUMBER_EXPONENT).contains(&exponent) {
                return Err(ValueProblem::OutOfRange {
                    number: abbreviate(text),
                });
            }
            Ok(count.div_ceil(2) + 1)
        }
    }
}

/// Significant digit count and scientific exponent (value = d.ddd × 10^exp)
/// of a JSON number's text, or `None` for zero. Leading and trailing zeros
/// are not significant, as in DynamoDB.
fn significant_digits(text: &str) -> Option<(usize, i64)> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], parse_exponent(&unsigned[at + 1..])),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = || int_part.bytes().chain(frac_part.bytes());
    let first = digits().position(|d| d != b'0')?;
    let last = match frac_part.bytes().rposition(|d| d != b'0') {
        Some(at) => int_part.len() + at,
        None => int_part.bytes().rposition(|d| d != b'0')?,
    };
    // Position of the first significant digit relative to the decimal point.
    let first_exponent = int_part.len() as i64 - 1 - first as i64;
    Some((last - first + 1, first_exponent.saturating_add(exponent)))
}

/// Exponent digits of a JSON number, saturated: `1e999999999999999999999`
/// is simply out of range, not an overflow.
fn parse_exponent(text: &str) -> i64 {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = digits.bytes().fold(0i64, |acc, d| {
        acc.saturating_mul(10).saturating_add(i64::from(d.wrapping_sub(b'0')))
    });
    if negative { -magnitude } else { magnitude }
}

/// Keeps error messages short when a number has thousands of digits.
fn abbreviate(text: &str) -> String {
    const MAX: usize = 60;
    if text.len() <= MAX {
        text.to_owned()
    } else {
        // Number text is ASCII, so any byte index is a char boundary.
        format!("{}… ({} characters)", &text[..MAX], text.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_significant_digits_like_dynamodb() {
        assert_eq!(significant_digits("0"), None);
        assert_eq!(significant_digits("-0.000e5"), None);
        assert_eq!(significant_digits("4"), Some((1, 0)));
        assert_eq!(significant_digits("2.1"), Some((2, 0)));
        assert_eq!(significant_digits("1000"), Some((1, 3)));
        assert_eq!(significant_digits("0.00123"), Some((3, -3)));
        assert_eq!(significant_digits("-12.5e-3"), Some((3, -2)));
        assert_eq!(significant_digits("1E+125"), Some((1, 125)));
    }

    #[test]
    fn accepts_the_extremes_dynamodb_accepts() {
        assert!(number_size("1E-130").is_ok());
        assert!(number_size("-1e-130").is_ok());
        assert!(number_size("9.9999999999999999999999999999999999999E+125").is_ok());
        assert!(number_size("12345678901234567890123456789012345678").is_ok());
        // Trailing zeros are not significant.
        assert!(number_size("100000000000000000000000000000000000000000000").is_ok());
    }

    #[test]
    fn refuses_numbers_dynamodb_cannot_store() {
        assert!(matches!(
            number_size("123456789012345678901234567890123456789"),
            Err(ValueProblem::TooManyDigits { digits: 39, .. })
        ));
        assert!(matches!(number_size("1e126"), Err(ValueProblem::OutOfRange { .. })));
        assert!(matches!(number_size("1e-131"), Err(ValueProblem::OutOfRange { .. })));
        assert!(matches!(
            number_size("1e99999999999999999999999"),
            Err(ValueProblem::OutOfRange { .. })
        ));
    }
}
