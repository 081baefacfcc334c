//! A Terraform configuration as typed values: resources and data sources
//! behind typed handles, grouped in files (one per component), rendered as
//! deterministic, pretty-printed `*.tf.json`.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use serde::Serialize;
use serde_json::{Map, Value};

use super::SynthError;
use super::canonical::canonical;
use super::expr::{Ref, render_template};

/// A managed resource type of a provider (`aws_s3_bucket`).
pub trait Resource: Serialize {
    const TYPE: &'static str;
}

/// A data source type of a provider (`aws_caller_identity`).
pub trait DataSource: Serialize {
    const TYPE: &'static str;
}

/// A typed handle on a resource or data source added to a file. Typed
/// attribute methods (`table.arn()`) are implemented per type in `aws/`.
#[derive(Debug)]
pub struct Handle<T> {
    address: String,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Handle {
            address: self.address.clone(),
            _type: PhantomData,
        }
    }
}

impl<T> Handle<T> {
    fn new(address: String) -> Self {
        Handle {
            address,
            _type: PhantomData,
        }
    }

    /// `aws_s3_bucket.results` or `data.aws_caller_identity.current`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// A reference to one attribute of the resource.
    pub fn attr(&self, attribute: &str) -> Ref {
        Ref::new(format!("{}.{attribute}", self.address))
    }

    /// This resource as an entry of another one's `depends_on`.
    pub fn dependency(&self) -> Dependency {
        Dependency(self.address.clone())
    }
}

/// A resource another one waits for (`depends_on`), only made from a
/// [`Handle`], so it always names something that was added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Dependency(String);

/// Meta-arguments Terraform knows for every resource.
#[derive(Debug, Default, Clone)]
pub struct Meta {
    /// Terraform refuses to destroy the resource (used for prod data).
    pub prevent_destroy: bool,
    /// Ordering that no attribute reference expresses.
    pub depends_on: Vec<Dependency>,
}

/// An input variable of the configuration.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct Variable {
    #[serde(rename = "type")]
    pub type_: String,
    pub description: String,
    pub default: Option<Value>,
}

/// An output of the configuration.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    pub value: String,
    pub description: String,
    pub sensitive: Option<bool>,
}

impl Output {
    pub fn new(value: impl Into<String>, description: &str) -> Self {
        Output {
            value: value.into(),
            description: description.into(),
            sensitive: None,
        }
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = Some(true);
        self
    }
}

/// One `*.tf.json` file: what one component contributes.
#[derive(Debug, Default)]
pub struct TfFile {
    top_level: BTreeMap<&'static str, Value>,
    resources: BTreeMap<&'static str, BTreeMap<String, Value>>,
    data: BTreeMap<&'static str, BTreeMap<String, Value>>,
    variables: BTreeMap<String, Variable>,
    outputs: BTreeMap<String, Output>,
    /// Entries added a second time under one name: adding keeps handing out
    /// handles, [`Configuration::add`] refuses the file.
    added_twice: Vec<String>,
}

/// Inserts, remembering `what` when the name was already taken.
fn insert_once<V>(map: &mut BTreeMap<String, V>, name: &str, value: V, added_twice: &mut Vec<String>, what: String) {
    if map.insert(name.to_string(), value).is_some() {
        added_twice.push(what);
    }
}

impl TfFile {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn resource<R: Resource>(&mut self, name: &str, resource: R) -> Handle<R> {
        self.resource_with(name, resource, Meta::default())
    }

    pub fn resource_with<R: Resource>(&mut self, name: &str, resource: R, meta: Meta) -> Handle<R> {
        let mut body = to_value(&resource);
        if let Value::Object(fields) = &mut body {
            if meta.prevent_destroy {
                fields.insert("lifecycle".into(), serde_json::json!({ "prevent_destroy": true }));
            }
            if !meta.depends_on.is_empty() {
                fields.insert("depends_on".into(), serde_json::json!(meta.depends_on));
            }
        }
        let address = format!("{}.{name}", R::TYPE);
        let by_name = self.resources.entry(R::TYPE).or_default();
        insert_once(by_name, name, body, &mut self.added_twice, address.clone());
        Handle::new(address)
    }

    pub fn data<D: DataSource>(&mut self, name: &str, source: D) -> Handle<D> {
        let address = format!("data.{}.{name}", D::TYPE);
        let by_name = self.data.entry(D::TYPE).or_default();
        insert_once(by_name, name, to_value(&source), &mut self.added_twice, address.clone());
        Handle::new(address)
    }

    /// Declares an input variable and returns a reference to it.
    pub fn variable(&mut self, name: &str, variable: Variable) -> Ref {
        insert_once(
            &mut self.variables,
            name,
            variable,
            &mut self.added_twice,
            format!("variable {name}"),
        );
        Ref::new(format!("var.{name}"))
    }

    pub fn output(&mut self, name: &str, output: Output) {
        insert_once(
            &mut self.outputs,
            name,
            output,
            &mut self.added_twice,
            format!("output {name}"),
        );
    }

    /// A top-level block that is not a resource (`terraform`, `provider`).
    pub fn block(&mut self, key: &'static str, body: impl Serialize) {
        self.top_level.insert(key, to_value(&body));
    }

    /// Every resource and data source in this file: (address, body).
    pub fn entries(&self) -> impl Iterator<Item = (String, &Value)> {
        let resources = self
            .resources
            .iter()
            .flat_map(|(kind, by_name)| by_name.iter().map(move |(name, body)| (format!("{kind}.{name}"), body)));
        let data = self.data.iter().flat_map(|(kind, by_name)| {
            by_name
                .iter()
                .map(move |(name, body)| (format!("data.{kind}.{name}"), body))
        });
        resources.chain(data)
    }

    pub fn outputs(&self) -> &BTreeMap<String, Output> {
        &self.outputs
    }

    fn to_document(&self) -> Value {
        let mut doc = Map::new();
        for (key, body) in &self.top_level {
            doc.insert((*key).to_string(), body.clone());
        }
        if !self.resources.is_empty() {
            doc.insert("resource".into(), to_value(&self.resources));
        }
        if !self.data.is_empty() {
            doc.insert("data".into(), to_value(&self.data));
        }
        if !self.variables.is_empty() {
            doc.insert("variable".into(), to_value(&self.variables));
        }
        if !self.outputs.is_empty() {
            doc.insert("output".into(), to_value(&self.outputs));
        }
        Value::Object(doc)
    }
}

/// Plain structs of strings, numbers, options, vectors and string-keyed maps
/// always serialize; a failure here is a bug in a resource type, not input.
#[expect(clippy::expect_used, reason = "see above: a bug in a resource type, not input")]
fn to_value(value: &impl Serialize) -> Value {
    serde_json::to_value(value).expect("tfgen values serialize to JSON")
}

/// A whole Terraform configuration directory: file name → file.
#[derive(Debug, Default)]
pub struct Configuration {
    files: BTreeMap<String, TfFile>,
}

impl Configuration {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file (`orders_table` becomes `orders_table.tf.json`). Names of
    /// files and addresses of resources must be unique in the configuration.
    pub fn add(&mut self, file_stem: &str, file: TfFile) -> Result<(), SynthError> {
        if let Some(first) = file.added_twice.first() {
            return Err(SynthError::Duplicate(format!(
                "{first} added twice to {file_stem}.tf.json (the second would silently replace the first)"
            )));
        }
        if self.files.contains_key(file_stem) {
            return Err(SynthError::Duplicate(format!("file {file_stem}.tf.json")));
        }
        for (address, _) in file.entries() {
            if self.files.values().any(|f| f.entries().any(|(a, _)| a == address)) {
                return Err(SynthError::Duplicate(address));
            }
        }
        for name in file.outputs.keys().chain(file.variables.keys()) {
            if self
                .files
                .values()
                .any(|f| f.outputs.contains_key(name) || f.variables.contains_key(name))
            {
                return Err(SynthError::Duplicate(format!("output or variable {name}")));
            }
        }
        self.files.insert(file_stem.to_string(), file);
        Ok(())
    }

    pub fn files(&self) -> &BTreeMap<String, TfFile> {
        &self.files
    }

    /// Every resource and data source of the configuration.
    pub fn entries(&self) -> impl Iterator<Item = (String, &Value)> {
        self.files.values().flat_map(TfFile::entries)
    }

    /// Renders every file: `name.tf.json` → pretty JSON with a trailing
    /// newline. Keys are sorted, so the same input gives the same bytes.
    pub fn render(&self) -> Result<BTreeMap<String, String>, SynthError> {
        self.files
            .iter()
            .map(|(stem, file)| {
                let document = canonical(render_strings(file.to_document())?);
                let mut text = serde_json::to_string_pretty(&document)?;
                text.push('\n');
                Ok((format!("{stem}.tf.json"), text))
            })
            .collect()
    }
}

/// Applies Terraform template rendering to every string and key of a tree.
fn render_strings(value: Value) -> Result<Value, SynthError> {
    Ok(match value {
        Value::String(s) => Value::String(render_template(&s)?),
        Value::Array(items) => Value::Array(items.into_iter().map(render_strings).collect::<Result<_, _>>()?),
        Value::Object(fields) => {
            let mut rendered = Map::new();
            for (key, field) in fields {
                rendered.insert(render_template(&key)?, render_strings(field)?);
            }
            Value::Object(rendered)
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Thing {
        name: String,
        target: Option<String>,
    }
    impl Resource for Thing {
        const TYPE: &'static str = "aws_thing";
    }

    #[test]
    fn handles_reference_the_resources_they_were_added_as() {
        let mut file = TfFile::new();
        let first = file.resource(
            "first",
            Thing {
                name: "a".into(),
                target: None,
            },
        );
        let second = file.resource(
            "second",
            Thing {
                name: "b".into(),
                target: Some(first.attr("arn").into()),
            },
        );
        assert_eq!(second.address(), "aws_thing.second");
        let mut config = Configuration::new();
        config.add("things", file).unwrap();
        let rendered = config.render().unwrap();
        let doc: Value = serde_json::from_str(&rendered["things.tf.json"]).unwrap();
        assert_eq!(
            doc["resource"]["aws_thing"]["second"]["target"],
            "${aws_thing.first.arn}"
        );
        assert!(rendered["things.tf.json"].ends_with("}\n"));
    }

    #[test]
    fn duplicate_addresses_across_files_are_rejected() {
        let mut config = Configuration::new();
        let mut one = TfFile::new();
        one.resource(
            "same",
            Thing {
                name: "a".into(),
                target: None,
            },
        );
        let mut two = TfFile::new();
        two.resource(
            "same",
            Thing {
                name: "b".into(),
                target: None,
            },
        );
        config.add("one", one).unwrap();
        let err = config.add("two", two).unwrap_err();
        assert!(err.to_string().contains("aws_thing.same"), "{err}");
    }

    #[test]
    fn lifecycle_and_depends_on_are_written_as_meta_arguments() {
        let mut file = TfFile::new();
        let other = file.resource(
            "other",
            Thing {
                name: "o".into(),
                target: None,
            },
        );
        let meta = Meta {
            prevent_destroy: true,
            depends_on: vec![other.dependency()],
        };
        file.resource_with(
            "kept",
            Thing {
                name: "a".into(),
                target: None,
            },
            meta,
        );
        let doc = file.to_document();
        assert_eq!(
            doc["resource"]["aws_thing"]["kept"]["lifecycle"]["prevent_destroy"],
            true
        );
        assert_eq!(doc["resource"]["aws_thing"]["kept"]["depends_on"][0], "aws_thing.other");
    }

    #[test]
    fn a_name_added_twice_to_one_file_is_refused_with_a_message() {
        let thing = |name: &str| Thing {
            name: name.into(),
            target: None,
        };
        let mut file = TfFile::new();
        file.resource("same", thing("a"));
        file.resource("same", thing("b"));
        let err = Configuration::new().add("things", file).unwrap_err().to_string();
        assert_eq!(
            err,
            "defined twice in one configuration: aws_thing.same added twice to things.tf.json \
             (the second would silently replace the first)"
        );

        let variable = || Variable {
            type_: "string".into(),
            description: "d".into(),
            default: None,
        };
        let mut file = TfFile::new();
        file.variable("v", variable());
        file.variable("v", variable());
        file.output("o", Output::new("x", "d"));
        file.output("o", Output::new("y", "d"));
        let err = Configuration::new().add("vars", file).unwrap_err().to_string();
        assert!(err.contains("variable v added twice to vars.tf.json"), "{err}");
    }
}
