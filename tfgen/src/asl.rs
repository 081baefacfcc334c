//! Amazon States Language (JSONPath flavour) as Rust values.
//!
//! Only JSONPath: the local emulator's interpreter runs neither JSONata nor
//! Variables. [`StateMachine::validate`] checks the graph before anything is
//! written, so a dangling `Next` is a synth error, not a deploy-time one.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::core::SynthError;
use crate::core::canonical::to_canonical_json;

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateMachine {
    pub comment: String,
    pub query_language: QueryLanguage,
    pub start_at: String,
    /// The whole run's limit.
    pub timeout_seconds: u32,
    pub states: BTreeMap<String, State>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub enum QueryLanguage {
    JSONPath,
}

/// The states of a machine or of a Map's item processor.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "Type")]
pub enum State {
    Pass(Pass),
    Task(Task),
    Choice(Choice),
    Wait(Wait),
    Map(Map),
    Fail(Fail),
    Succeed(Succeed),
}

/// Where a state goes next: another state, or the end of its scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Flow {
    Next(String),
    #[default]
    End,
}

impl Flow {
    pub fn next(state: &str) -> Self {
        Flow::Next(state.to_string())
    }
}

impl Serialize for Flow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            Flow::Next(state) => map.serialize_entry("Next", state)?,
            Flow::End => map.serialize_entry("End", &true)?,
        }
        map.end()
    }
}

/// `ResultPath`: a path into the state's input, or `null` to keep the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultPath {
    At(String),
    Discard,
}

impl Serialize for ResultPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ResultPath::At(path) => serializer.serialize_str(path),
            ResultPath::Discard => serializer.serialize_none(),
        }
    }
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Pass {
    pub comment: Option<String>,
    pub parameters: Option<Value>,
    pub result_path: Option<ResultPath>,
    #[serde(flatten)]
    pub flow: Flow,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Task {
    pub comment: Option<String>,
    pub resource: String,
    pub parameters: Option<Value>,
    pub result_selector: Option<Value>,
    pub result_path: Option<ResultPath>,
    pub timeout_seconds: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retry: Vec<Retrier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub catch: Vec<Catcher>,
    #[serde(flatten)]
    pub flow: Flow,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Choice {
    pub comment: Option<String>,
    pub choices: Vec<ChoiceRule>,
    pub default: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChoiceRule {
    pub variable: String,
    #[serde(flatten)]
    pub test: Comparison,
    pub next: String,
}

/// The comparisons the pipeline needs; add more as they are used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Comparison {
    BooleanEquals(bool),
    NumericGreaterThanEquals(u32),
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Wait {
    pub comment: Option<String>,
    pub seconds: u32,
    #[serde(flatten)]
    pub flow: Flow,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Map {
    pub comment: Option<String>,
    pub items_path: String,
    pub item_selector: Option<Value>,
    pub max_concurrency: u32,
    pub item_processor: ItemProcessor,
    pub result_path: Option<ResultPath>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub catch: Vec<Catcher>,
    #[serde(flatten)]
    pub flow: Flow,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ItemProcessor {
    pub processor_config: ProcessorConfig,
    pub start_at: String,
    pub states: BTreeMap<String, State>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessorConfig {
    pub mode: &'static str,
}

impl Default for ProcessorConfig {
    fn default() -> Self {
        ProcessorConfig { mode: "INLINE" }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Fail {
    pub error: String,
    pub cause: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Succeed {}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Retrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: u32,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: u32,
    pub jitter_strategy: &'static str,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub result_path: Option<ResultPath>,
    pub next: String,
}

impl State {
    /// The states this one can move to.
    pub fn successors(&self) -> Vec<&str> {
        fn flow(f: &Flow) -> Option<&str> {
            match f {
                Flow::Next(s) => Some(s.as_str()),
                Flow::End => None,
            }
        }
        fn catches(c: &[Catcher]) -> impl Iterator<Item = &str> {
            c.iter().map(|c| c.next.as_str())
        }
        match self {
            State::Pass(s) => flow(&s.flow).into_iter().collect(),
            State::Wait(s) => flow(&s.flow).into_iter().collect(),
            State::Task(s) => flow(&s.flow).into_iter().chain(catches(&s.catch)).collect(),
            State::Map(s) => flow(&s.flow).into_iter().chain(catches(&s.catch)).collect(),
            State::Choice(s) => s
                .choices
                .iter()
                .map(|r| r.next.as_str())
                .chain(s.default.as_deref())
                .collect(),
            State::Fail(_) | State::Succeed(_) => Vec::new(),
        }
    }
}

impl StateMachine {
    /// The definition as the JSON string Step Functions takes.
    pub fn to_json(&self) -> String {
        to_canonical_json(self)
    }

    /// Every `Next`, `Default` and `Catch` target exists in its scope, the
    /// start states exist, and every state is reachable.
    pub fn validate(&self) -> Result<(), SynthError> {
        validate_scope("top level", &self.start_at, &self.states)
    }
}

fn validate_scope(scope: &str, start_at: &str, states: &BTreeMap<String, State>) -> Result<(), SynthError> {
    let invalid = |msg: String| Err(SynthError::Config(format!("state machine ({scope}): {msg}")));
    if !states.contains_key(start_at) {
        return invalid(format!("StartAt {start_at:?} is not a state"));
    }
    for (name, state) in states {
        for target in state.successors() {
            if !states.contains_key(target) {
                return invalid(format!("{name} goes to {target:?}, which is not a state here"));
            }
        }
        if let State::Map(map) = state {
            let processor = &map.item_processor;
            validate_scope(
                &format!("{name} item processor"),
                &processor.start_at,
                &processor.states,
            )?;
        }
    }
    let mut reached = BTreeSet::from([start_at]);
    let mut frontier = vec![start_at];
    while let Some(name) = frontier.pop() {
        for target in states[name].successors() {
            if reached.insert(target) {
                frontier.push(target);
            }
        }
    }
    if let Some(orphan) = states.keys().find(|name| !reached.contains(name.as_str())) {
        return invalid(format!("{orphan} cannot be reached from {start_at}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(states: Vec<(&str, State)>) -> StateMachine {
        StateMachine {
            comment: "test".into(),
            query_language: QueryLanguage::JSONPath,
            start_at: "First".into(),
            timeout_seconds: 60,
            states: states.into_iter().map(|(n, s)| (n.to_string(), s)).collect(),
        }
    }

    #[test]
    fn states_render_with_type_and_transition() {
        let m = machine(vec![
            (
                "First",
                State::Wait(Wait {
                    seconds: 3,
                    flow: Flow::next("Done"),
                    ..Default::default()
                }),
            ),
            ("Done", State::Succeed(Succeed {})),
        ]);
        let json: Value = serde_json::from_str(&m.to_json()).unwrap();
        assert_eq!(
            json["States"]["First"],
            serde_json::json!({"Type": "Wait", "Seconds": 3, "Next": "Done"})
        );
        assert_eq!(json["States"]["Done"], serde_json::json!({"Type": "Succeed"}));
        assert_eq!(json["QueryLanguage"], "JSONPath");
        m.validate().unwrap();
    }

    #[test]
    fn choice_rules_flatten_their_comparison_and_discard_renders_null() {
        let rule = ChoiceRule {
            variable: "$.n".into(),
            test: Comparison::NumericGreaterThanEquals(5),
            next: "X".into(),
        };
        let json = serde_json::to_value(&rule).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"Variable": "$.n", "NumericGreaterThanEquals": 5, "Next": "X"})
        );
        let pass = Pass {
            result_path: Some(ResultPath::Discard),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&pass).unwrap(),
            serde_json::json!({"ResultPath": null, "End": true})
        );
    }

    #[test]
    fn a_dangling_next_is_an_error_naming_it() {
        let m = machine(vec![(
            "First",
            State::Pass(Pass {
                flow: Flow::next("Nowhere"),
                ..Default::default()
            }),
        )]);
        let err = m.validate().unwrap_err().to_string();
        assert!(err.contains("Nowhere"), "{err}");
    }

    #[test]
    fn unreachable_states_are_errors() {
        let m = machine(vec![
            ("First", State::Succeed(Succeed {})),
            ("Lost", State::Succeed(Succeed {})),
        ]);
        assert!(m.validate().unwrap_err().to_string().contains("Lost"));
    }
}
