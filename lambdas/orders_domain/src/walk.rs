//! The passes over a request body, none of which builds a tree of it: a
//! 6 MB body of `[0,0,...]` would otherwise be ~200 MB of `Value`s before
//! the first check could refuse it.
//!
//! 1. [`check_syntax`]: the body is one JSON document (serde_json's own
//!    errors and recursion limit, nothing kept).
//! 2. [`split_records`]: the top-level array's elements as slices of the
//!    body, at most [`MAX_RECORDS`] of them; the rest are only counted.
//! 3. [`scan_record`]: one record, walked as it is parsed: its `record_id`,
//!    the stored size and first problem of each field. A record's fields are
//!    tabled (for duplicate names and the order problems are reported in)
//!    only while it is within DynamoDB's item limit.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::limits::*;
use crate::validation::{PathedProblem, ValueProblem, number_size};

/// serde_json's private name for a number kept as its text
/// (`arbitrary_precision`): such a number reaches a visitor as a one-entry
/// map under this key. A test below fails if serde_json changes it.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Stored size of a value, or the first problem in it.
pub(crate) type Checked = Result<usize, Box<PathedProblem>>;

/// Pass 1: the whole body parses as JSON, with the errors (and the 128-level
/// recursion limit) serde_json gives when it builds a `Value`.
pub(crate) fn check_syntax(text: &str) -> Result<(), serde_json::Error> {
    serde_json::from_str::<Skip>(text).map(|_| ())
}

/// The JSON type of a valid document from its first character, for messages.
pub(crate) fn kind_of_text(text: &str) -> &'static str {
    match text.trim_start_matches([' ', '\t', '\n', '\r']).bytes().next() {
        Some(b'[') => "an array",
        Some(b'{') => "an object",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// The top-level array: its first [`MAX_RECORDS`] elements as slices of the
/// body, and how many elements it has in all.
pub(crate) struct Split<'a> {
    pub(crate) records: Vec<&'a str>,
    pub(crate) count: usize,
}

/// Pass 2, on a body [`check_syntax`] accepted whose top level is an array.
pub(crate) fn split_records(text: &str) -> Result<Split<'_>, serde_json::Error> {
    serde_json::Deserializer::from_str(text).deserialize_seq(SplitVisitor)
}

struct SplitVisitor;

impl<'de> Visitor<'de> for SplitVisitor {
    type Value = Split<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Split<'de>, A::Error> {
        let mut records = Vec::new();
        let mut count = 0;
        loop {
            let more = if count < MAX_RECORDS {
                seq.next_element::<&'de RawValue>()?
                    .map(|raw| records.push(raw.get()))
                    .is_some()
            } else {
                // Past the limit only the count matters, for the message.
                seq.next_element::<IgnoredAny>()?.is_some()
            };
            if !more {
                return Ok(Split { records, count });
            }
            count += 1;
        }
    }
}

/// What the walk of one record found.
pub(crate) struct RecordScan<'a> {
    /// The last `record_id` member: its text, or the JSON type it had instead.
    pub(crate) record_id: Option<Result<Cow<'a, str>, &'static str>>,
    /// Reserved names present, in the order they are checked.
    pub(crate) reserved: Vec<&'static str>,
    /// Every other field (the last of duplicates), unless `over_limit`.
    pub(crate) fields: BTreeMap<Cow<'a, str>, Checked>,
    /// The walk passed DynamoDB's item limit; `fields` stopped there.
    pub(crate) over_limit: bool,
    /// Stored size counted as the walk went, duplicate members included.
    pub(crate) walked_bytes: usize,
    /// Values in the record (a weight for building its item later).
    pub(crate) nodes: usize,
}

/// Bytes of the item the API adds or reserves: the key's and TTL's names,
/// the TTL value, the writer attribute's name and longest value.
pub(crate) const RESERVED_BYTES: usize =
    PARTITION_KEY.len() + TTL_ATTRIBUTE.len() + TTL_VALUE_BYTES + WRITER_ATTRIBUTE.len() + MAX_WRITER_BYTES;

/// Pass 3: one record (an object, as [`split_records`] sliced it).
pub(crate) fn scan_record(raw: &str) -> Result<RecordScan<'_>, serde_json::Error> {
    let budget = Budget {
        bytes: Cell::new(RESERVED_BYTES),
        nodes: Cell::new(0),
    };
    serde_json::Deserializer::from_str(raw).deserialize_map(RecordVisitor { budget: &budget })
}

/// The stored size walked so far; past the item limit, maps stop tabling
/// their members (memory stays proportional to what can be stored).
struct Budget {
    bytes: Cell<usize>,
    nodes: Cell<usize>,
}

impl Budget {
    fn add(&self, bytes: usize) {
        self.bytes.set(self.bytes.get().saturating_add(bytes));
    }

    fn node(&self, bytes: usize) {
        self.nodes.set(self.nodes.get() + 1);
        self.add(bytes);
    }

    fn over(&self) -> bool {
        self.bytes.get() > MAX_ITEM_BYTES
    }
}

struct RecordVisitor<'b> {
    budget: &'b Budget,
}

impl<'de> Visitor<'de> for RecordVisitor<'_> {
    type Value = RecordScan<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RecordScan<'de>, A::Error> {
        let budget = self.budget;
        let mut scan = RecordScan {
            record_id: None,
            reserved: Vec::new(),
            fields: BTreeMap::new(),
            over_limit: false,
            walked_bytes: 0,
            nodes: 0,
        };
        while let Some(Key(name)) = map.next_key()? {
            if name == PARTITION_KEY {
                scan.record_id = Some(map.next_value_seed(IdCheck { budget })?);
                continue;
            }
            for reserved in [TTL_ATTRIBUTE, WRITER_ATTRIBUTE] {
                if name == reserved && !scan.reserved.contains(&reserved) {
                    scan.reserved.push(reserved);
                }
            }
            let checked = map.next_value_seed(ValueCheck { depth: 1, budget })?;
            budget.add(name.len());
            if !budget.over() {
                scan.fields.insert(name, checked);
            }
        }
        scan.reserved.sort_by_key(|name| *name != TTL_ATTRIBUTE);
        scan.over_limit = budget.over();
        scan.walked_bytes = budget.bytes.get();
        scan.nodes = budget.nodes.get();
        Ok(scan)
    }
}

/// A map key, borrowed from the body when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v)))
    }
}

/// `record_id`'s value: the string, or the type it is instead.
struct IdCheck<'b> {
    budget: &'b Budget,
}

impl<'de> DeserializeSeed<'de> for IdCheck<'_> {
    type Value = Result<Cow<'de, str>, &'static str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for IdCheck<'_> {
    type Value = Result<Cow<'de, str>, &'static str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record id")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        self.budget.node(v.len());
        Ok(Ok(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        self.budget.node(v.len());
        Ok(Ok(Cow::Owned(v.to_owned())))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Err("null"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        SkipVisitor.visit_seq(seq)?;
        Ok(Err("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let number = matches!(map.next_key::<Key>()?, Some(Key(k)) if k == NUMBER_TOKEN);
        map.next_value::<Skip>()?;
        SkipVisitor.visit_map(map)?;
        Ok(Err(if number { "a number" } else { "an object" }))
    }
}

/// One field's value at `depth` (1 for a record's field): its stored size
/// as DynamoDB counts it, or its first problem with the path to it.
struct ValueCheck<'b> {
    depth: usize,
    budget: &'b Budget,
}

impl ValueCheck<'_> {
    fn leaf<E>(&self, size: usize) -> Result<Checked, E> {
        self.budget.node(size);
        Ok(Ok(size))
    }

    fn number<E>(&self, text: &str) -> Result<Checked, E> {
        match number_size(text) {
            Ok(size) => self.leaf(size),
            Err(problem) => {
                self.budget.node(1);
                Ok(Err(PathedProblem::new(problem)))
            }
        }
    }

    fn nested(&self) -> ValueCheck<'_> {
        ValueCheck {
            depth: self.depth + 1,
            budget: self.budget,
        }
    }

    fn too_deep(&self) -> bool {
        self.depth > MAX_NESTING_DEPTH
    }
}

impl<'de> DeserializeSeed<'de> for ValueCheck<'_> {
    type Value = Checked;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Checked, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueCheck<'_> {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Checked, E> {
        self.leaf(1)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        self.leaf(1)
    }

    fn visit_str<E>(self, v: &str) -> Result<Checked, E> {
        self.leaf(v.len())
    }

    // Integers that fit 64 bits arrive as such (their text is the same);
    // other numbers as text, through `visit_map`.
    fn visit_i64<E>(self, v: i64) -> Result<Checked, E> {
        self.number(&v.to_string())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Checked, E> {
        self.number(&v.to_string())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Checked, E> {
        self.number(&v.to_string())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        // A list costs 3 bytes plus 1 byte per element, plus the elements.
        self.budget.node(3);
        let mut size = 3;
        let mut problem = None;
        let mut index = 0usize;
        while let Some(item) = seq.next_element_seed(self.nested())? {
            self.budget.add(1);
            match item {
                Ok(item_size) => size += 1 + item_size,
                Err(p) if problem.is_none() => problem = Some(p.within(format!("[{index}]"))),
                Err(_) => {}
            }
            index += 1;
        }
        if self.too_deep() {
            return Ok(Err(PathedProblem::new(ValueProblem::TooDeep)));
        }
        Ok(problem.map_or(Ok(size), Err))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        let Some(Key(first)) = map.next_key()? else {
            self.budget.node(3);
            return Ok(self.members(BTreeMap::new()));
        };
        if first == NUMBER_TOKEN {
            let text: String = map.next_value()?;
            return self.number(&text);
        }
        // A map costs 3 bytes plus 1 byte per element, plus names and values.
        self.budget.node(3);
        let mut members = BTreeMap::new();
        let mut name = first;
        loop {
            let checked = map.next_value_seed(self.nested())?;
            self.budget.add(1 + name.len());
            if !self.budget.over() {
                members.insert(name, checked);
            }
            match map.next_key()? {
                Some(Key(next)) => name = next,
                None => break,
            }
        }
        Ok(self.members(members))
    }
}

impl ValueCheck<'_> {
    /// A map's size from its members (the last of duplicates), or its first
    /// problem in name order.
    fn members(&self, members: BTreeMap<Cow<'_, str>, Checked>) -> Checked {
        if self.too_deep() {
            return Err(PathedProblem::new(ValueProblem::TooDeep));
        }
        let mut size = 3 + members.len();
        for (name, checked) in members {
            if name.is_empty() {
                return Err(PathedProblem::new(ValueProblem::EmptyKey));
            }
            if name.len() > MAX_ATTRIBUTE_NAME_BYTES {
                return Err(PathedProblem::new(ValueProblem::KeyTooLong { len: name.len() }));
            }
            match checked {
                Ok(value_size) => size += name.len() + value_size,
                Err(p) => return Err(p.within(name.into_owned())),
            }
        }
        Ok(size)
    }
}

/// Any JSON value, read and dropped. Unlike `IgnoredAny` it goes through
/// `deserialize_any`, so serde_json's recursion limit applies.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size_of(value: &str) -> Checked {
        let budget = Budget {
            bytes: Cell::new(0),
            nodes: Cell::new(0),
        };
        serde_json::Deserializer::from_str(value)
            .deserialize_any(ValueCheck {
                depth: 1,
                budget: &budget,
            })
            .unwrap()
    }

    #[test]
    fn numbers_reach_the_walk_as_their_text() {
        // Guards NUMBER_TOKEN: a number of 39 digits is refused only if its
        // text arrived.
        let problem = size_of("123456789012345678901234567890123456789").unwrap_err();
        assert!(matches!(
            problem.problem,
            ValueProblem::TooManyDigits { digits: 39, .. }
        ));
        assert_eq!(size_of("2.1"), Ok(2));
    }

    #[test]
    fn sizes_values_as_dynamodb_counts_them() {
        // map: 3 + 1 element + "ab"(2) + list(3 + 3 elements + 2 + 3 + 1)
        assert_eq!(
            size_of(r#"{"ab": [1, "xyz", null]}"#),
            Ok(3 + 1 + 2 + (3 + 3 + 2 + 3 + 1))
        );
        // The last of duplicate names counts, as when the body was a Value.
        assert_eq!(size_of(r#"{"a": "long text", "a": 1}"#), size_of(r#"{"a": 1}"#));
    }

    #[test]
    fn paths_name_the_nested_field() {
        let problem = size_of(r#"{"b": [0, {"c": 1e200}]}"#).unwrap_err();
        assert_eq!(problem.within("a".into()).path(), "a.b[1].c");
    }

    #[test]
    fn records_past_the_item_limit_stop_being_tabled() {
        let body = format!(r#"{{"record_id": "a", {}"z": 1}}"#, r#""k": "x","#.repeat(10));
        let small = scan_record(&body).unwrap();
        assert!(!small.over_limit);
        let many: String = (0..60_000).map(|i| format!(r#""k{i}": 1,"#)).collect();
        let body = format!(r#"{{"record_id": "a", {many}"z": 1}}"#);
        let large = scan_record(&body).unwrap();
        assert!(large.over_limit);
        assert!(large.walked_bytes > MAX_ITEM_BYTES);
        assert!(large.fields.len() < 60_000, "{}", large.fields.len());
    }

    #[test]
    fn splits_without_keeping_what_is_over_the_limit() {
        let body = format!("[{}0]", "{},".repeat(MAX_RECORDS + 4));
        let split = split_records(&body).unwrap();
        assert_eq!(split.count, MAX_RECORDS + 5);
        assert_eq!(split.records.len(), MAX_RECORDS);
        assert_eq!(split.records[0], "{}");
    }
}
