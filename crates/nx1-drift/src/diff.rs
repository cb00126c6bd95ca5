//! The semantic diff of two specs, both normalised into one (3.0) form first so that
//! spelling differences between 3.0 and 3.1 are not drift. Rules carry oasdiff-style ids;
//! their level depends on whose code the change can break: the generated client's (the
//! default) or a server implementing the spec.

use nx1_codegen::pointer::escape;
use nx1_codegen::spec::PathTemplate;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::DriftError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warning,
    Breaking,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Breaking => "breaking",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Perspective {
    /// Code that calls the regenerated client.
    #[default]
    Client,
    /// Code that implements the spec (the server stubs).
    Server,
}

/// Every rule with its level for a client and for a server.
pub const RULES: &[(&str, Level, Level)] = &[
    ("endpoint-added", Level::Info, Level::Warning),
    ("endpoint-removed", Level::Breaking, Level::Info),
    ("operation-id-changed", Level::Breaking, Level::Breaking),
    (
        "new-required-request-parameter",
        Level::Breaking,
        Level::Info,
    ),
    ("new-optional-request-parameter", Level::Info, Level::Info),
    ("request-parameter-removed", Level::Warning, Level::Breaking),
    (
        "request-parameter-became-required",
        Level::Breaking,
        Level::Info,
    ),
    (
        "request-parameter-became-optional",
        Level::Info,
        Level::Breaking,
    ),
    (
        "request-parameter-type-changed",
        Level::Breaking,
        Level::Breaking,
    ),
    (
        "request-parameter-enum-value-removed",
        Level::Breaking,
        Level::Info,
    ),
    (
        "request-parameter-enum-value-added",
        Level::Info,
        Level::Breaking,
    ),
    ("request-body-became-required", Level::Breaking, Level::Info),
    ("request-body-became-optional", Level::Info, Level::Breaking),
    (
        "new-required-request-property",
        Level::Breaking,
        Level::Info,
    ),
    ("new-optional-request-property", Level::Info, Level::Info),
    ("request-property-removed", Level::Warning, Level::Breaking),
    (
        "request-property-became-required",
        Level::Breaking,
        Level::Info,
    ),
    (
        "request-property-became-optional",
        Level::Info,
        Level::Breaking,
    ),
    (
        "request-property-type-changed",
        Level::Breaking,
        Level::Breaking,
    ),
    (
        "request-property-enum-value-removed",
        Level::Breaking,
        Level::Info,
    ),
    (
        "request-property-enum-value-added",
        Level::Info,
        Level::Breaking,
    ),
    (
        "response-required-property-removed",
        Level::Breaking,
        Level::Info,
    ),
    (
        "response-optional-property-removed",
        Level::Breaking,
        Level::Info,
    ),
    (
        "response-required-property-added",
        Level::Info,
        Level::Breaking,
    ),
    ("response-optional-property-added", Level::Info, Level::Info),
    (
        "response-property-became-optional",
        Level::Breaking,
        Level::Info,
    ),
    (
        "response-property-became-required",
        Level::Info,
        Level::Breaking,
    ),
    (
        "response-property-became-nullable",
        Level::Breaking,
        Level::Info,
    ),
    (
        "response-property-type-changed",
        Level::Breaking,
        Level::Breaking,
    ),
    (
        "response-property-enum-value-added",
        Level::Breaking,
        Level::Info,
    ),
    (
        "response-property-enum-value-removed",
        Level::Info,
        Level::Breaking,
    ),
    (
        "response-success-status-removed",
        Level::Breaking,
        Level::Info,
    ),
    ("response-success-status-added", Level::Info, Level::Warning),
    ("response-media-type-removed", Level::Breaking, Level::Info),
    ("security-changed", Level::Breaking, Level::Breaking),
    ("security-alternative-added", Level::Info, Level::Warning),
    ("operation-description-changed", Level::Info, Level::Info),
    ("property-description-changed", Level::Info, Level::Info),
];

fn level(rule: &str, perspective: Perspective) -> Level {
    RULES
        .iter()
        .find(|(id, _, _)| *id == rule)
        .map(|(_, client, server)| match perspective {
            Perspective::Client => *client,
            Perspective::Server => *server,
        })
        .unwrap_or(Level::Warning)
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub id: &'static str,
    pub level: Level,
    /// `METHOD /path`.
    pub operation: String,
    /// Where in the spec being checked (the vendored one) the change sits, or would.
    pub pointer: String,
    pub message: String,
    /// The docs page that documents the operation, when known.
    pub page: Option<String>,
    /// Stable across runs: the same change always has the same fingerprint.
    pub fingerprint: String,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct DiffOptions {
    pub perspective: Perspective,
    /// Also report changed descriptions.
    pub strict_docs: bool,
}

/// Differences from `spec` (what we have) to `live` (what the docs or server say).
pub fn diff(
    spec: &Value,
    live: &Value,
    pages: &BTreeMap<String, String>,
    options: DiffOptions,
) -> Result<Vec<Change>, DriftError> {
    let old = Side::new("spec", spec)?;
    let new = Side::new("live", live)?;
    let mut differ = Differ {
        old: &old,
        new: &new,
        options,
        pages,
        changes: Vec::new(),
        operation: String::new(),
        visited: BTreeSet::new(),
    };
    differ.run();
    let mut changes = differ.changes;
    changes.sort_by(|a, b| {
        (&a.operation, &a.pointer, a.id, &a.message).cmp(&(
            &b.operation,
            &b.pointer,
            b.id,
            &b.message,
        ))
    });
    changes.dedup();
    Ok(changes)
}

/// One normalised spec with its operations indexed by method and shape of path.
struct Side {
    root: Value,
    /// (METHOD, path with parameters blanked) → (path, method, tidied name)
    operations: BTreeMap<(String, String), (String, String, String)>,
}

impl Side {
    fn new(origin: &str, value: &Value) -> Result<Self, DriftError> {
        let mut document = nx1_codegen::Document {
            origin: origin.to_owned(),
            version: nx1_codegen::Version::V31,
            value: value.clone(),
            text: String::new(),
        };
        nx1_codegen::normalize(&mut document).map_err(|err| DriftError::Spec(err.to_string()))?;
        let mut tidied = document.value.clone();
        let names = nx1_codegen::tidy(&mut tidied);
        let mut operations = BTreeMap::new();
        for op in names {
            operations.insert(
                (
                    op.method.to_ascii_uppercase(),
                    PathTemplate::parse(&op.path).shape(),
                ),
                (op.path, op.method, op.name),
            );
        }
        Ok(Side {
            root: document.value,
            operations,
        })
    }

    fn operation(&self, path: &str, method: &str) -> &Value {
        self.root
            .get("paths")
            .and_then(|paths| paths.get(path))
            .and_then(|item| item.get(method))
            .unwrap_or(&Value::Null)
    }

    /// Follows `$ref`s and single-`allOf` wrappers; returns the schema, whether a wrapper on
    /// the way made it nullable, and its pointer.
    fn schema<'a>(&'a self, schema: &'a Value, pointer: String) -> (&'a Value, bool, String) {
        let mut current = schema;
        let mut pointer = pointer;
        let mut nullable = schema.get("nullable") == Some(&Value::Bool(true));
        for _ in 0..32 {
            if let Some(reference) = current.get("$ref").and_then(Value::as_str)
                && let Some(target_pointer) = reference.strip_prefix('#')
                && let Some(target) = self.root.pointer(target_pointer)
            {
                current = target;
                pointer = target_pointer.to_owned();
                nullable |= current.get("nullable") == Some(&Value::Bool(true));
                continue;
            }
            if let Some(Value::Array(all_of)) = current.get("allOf")
                && all_of.len() == 1
                && current
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_none_or(Map::is_empty)
            {
                current = &all_of[0];
                pointer = format!("{pointer}/allOf/0");
                nullable |= current.get("nullable") == Some(&Value::Bool(true));
                continue;
            }
            break;
        }
        (current, nullable, pointer)
    }

    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        nx1_codegen::pointer::resolve(&self.root, value)
    }

    /// Path-level and operation parameters, resolved, keyed by (location, name).
    fn parameters(&self, path: &str, method: &str) -> BTreeMap<(String, String), (Value, String)> {
        nx1_codegen::spec::declared_parameters(&self.root, path, method)
            .into_iter()
            .map(|parameter| {
                let (location, name) = parameter.key();
                (
                    (location.to_owned(), name.to_owned()),
                    (parameter.value.clone(), parameter.listed_at),
                )
            })
            .collect()
    }

    fn security(&self, path: &str, method: &str) -> BTreeSet<Vec<String>> {
        let operation = self.operation(path, method);
        let requirements = operation
            .get("security")
            .or_else(|| self.root.get("security"));
        requirements
            .and_then(Value::as_array)
            .map(|alternatives| {
                alternatives
                    .iter()
                    .filter_map(Value::as_object)
                    .map(|requirement| requirement.keys().cloned().collect())
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Request,
    Response,
}

struct Differ<'a> {
    old: &'a Side,
    new: &'a Side,
    options: DiffOptions,
    pages: &'a BTreeMap<String, String>,
    changes: Vec<Change>,
    operation: String,
    visited: BTreeSet<(String, String, String)>,
}

impl Differ<'_> {
    fn report(&mut self, id: &'static str, pointer: &str, message: String) {
        let page = self.pages.get(&self.operation).cloned();
        let fingerprint = fingerprint(&[id, &self.operation, pointer, &message]);
        self.changes.push(Change {
            id,
            level: level(id, self.options.perspective),
            operation: self.operation.clone(),
            pointer: pointer.to_owned(),
            message,
            page,
            fingerprint,
        });
    }

    fn run(&mut self) {
        let old_ops = self.old.operations.clone();
        let new_ops = self.new.operations.clone();
        for (key, (path, method, _)) in &old_ops {
            if !new_ops.contains_key(key) {
                self.operation = format!("{} {path}", method.to_ascii_uppercase());
                let pointer = format!("/paths/{}/{method}", escape(path));
                self.report(
                    "endpoint-removed",
                    &pointer,
                    format!("`{}` is gone", self.operation),
                );
            }
        }
        for (key, (path, method, _)) in &new_ops {
            if !old_ops.contains_key(key) {
                self.operation = format!("{} {path}", method.to_ascii_uppercase());
                let pointer = format!("/paths/{}", escape(path));
                self.report(
                    "endpoint-added",
                    &pointer,
                    format!("`{}` is new", self.operation),
                );
            }
        }
        for (key, (old_path, old_method, old_name)) in &old_ops {
            let Some((new_path, new_method, new_name)) = new_ops.get(key) else {
                continue;
            };
            self.operation = format!("{} {old_path}", old_method.to_ascii_uppercase());
            self.visited.clear();
            let pointer = format!("/paths/{}/{old_method}", escape(old_path));
            if old_name != new_name {
                self.report(
                    "operation-id-changed",
                    &format!("{pointer}/operationId"),
                    format!("the client method `{old_name}` becomes `{new_name}`"),
                );
            }
            let old_op = self.old.operation(old_path, old_method).clone();
            let new_op = self.new.operation(new_path, new_method).clone();
            if self.options.strict_docs {
                for key in ["summary", "description"] {
                    if old_op.get(key) != new_op.get(key) {
                        self.report(
                            "operation-description-changed",
                            &format!("{pointer}/{key}"),
                            format!("the operation's {key} changed"),
                        );
                    }
                }
            }
            self.parameters(old_path, old_method, new_path, new_method, &pointer);
            self.request_body(&old_op, &new_op, &pointer);
            self.responses(&old_op, &new_op, &pointer);
            self.security(old_path, old_method, new_path, new_method, &pointer);
        }
    }

    fn parameters(
        &mut self,
        old_path: &str,
        old_method: &str,
        new_path: &str,
        new_method: &str,
        pointer: &str,
    ) {
        let old = self.old.parameters(old_path, old_method);
        let new = self.new.parameters(new_path, new_method);
        // Path parameters are matched by position: a rename is not a removal.
        let old_path_names: Vec<&str> = PathTemplate::parse(old_path).names();
        let new_path_names: Vec<&str> = PathTemplate::parse(new_path).names();
        let renamed = |key: &(String, String)| -> (String, String) {
            if key.0 == "path"
                && let Some(index) = new_path_names.iter().position(|n| *n == key.1)
                && let Some(old_name) = old_path_names.get(index)
            {
                return (key.0.clone(), (*old_name).to_owned());
            }
            key.clone()
        };
        let new: BTreeMap<(String, String), (Value, String)> = new
            .into_iter()
            .map(|(key, value)| (renamed(&key), value))
            .collect();
        for ((location, name), (parameter, at)) in &new {
            if !old.contains_key(&(location.clone(), name.clone())) {
                let required = parameter.get("required") == Some(&Value::Bool(true));
                let (id, words) = if required {
                    ("new-required-request-parameter", "required")
                } else {
                    ("new-optional-request-parameter", "optional")
                };
                let _ = at;
                self.report(
                    id,
                    &format!("{pointer}/parameters"),
                    format!("new {words} {location} parameter `{name}`"),
                );
            }
        }
        for ((location, name), (old_parameter, at)) in &old {
            let Some((new_parameter, _)) = new.get(&(location.clone(), name.clone())) else {
                self.report(
                    "request-parameter-removed",
                    at,
                    format!("{location} parameter `{name}` is gone"),
                );
                continue;
            };
            let was = old_parameter.get("required") == Some(&Value::Bool(true));
            let is = new_parameter.get("required") == Some(&Value::Bool(true));
            if !was && is {
                self.report(
                    "request-parameter-became-required",
                    &format!("{at}/required"),
                    format!("{location} parameter `{name}` became required"),
                );
            } else if was && !is {
                self.report(
                    "request-parameter-became-optional",
                    &format!("{at}/required"),
                    format!("{location} parameter `{name}` became optional"),
                );
            }
            let empty = Value::Null;
            let (old_schema, _, old_at) = self.old.schema(
                old_parameter.get("schema").unwrap_or(&empty),
                format!("{at}/schema"),
            );
            let (new_schema, _, _) = self
                .new
                .schema(new_parameter.get("schema").unwrap_or(&empty), String::new());
            let (old_type, new_type) =
                (type_of(self.old, old_schema), type_of(self.new, new_schema));
            if old_type != new_type && !old_type.is_empty() && !new_type.is_empty() {
                self.report(
                    "request-parameter-type-changed",
                    &old_at,
                    format!(
                        "{location} parameter `{name}` changed type from {old_type} to {new_type}"
                    ),
                );
                continue;
            }
            let (old_values, new_values) = (enum_values(old_schema), enum_values(new_schema));
            if let (Some(old_values), Some(new_values)) = (old_values, new_values) {
                for value in old_values.difference(&new_values) {
                    self.report(
                        "request-parameter-enum-value-removed",
                        &old_at,
                        format!("{location} parameter `{name}` no longer accepts {value}"),
                    );
                }
                for value in new_values.difference(&old_values) {
                    self.report(
                        "request-parameter-enum-value-added",
                        &old_at,
                        format!("{location} parameter `{name}` now accepts {value}"),
                    );
                }
            }
        }
    }

    fn request_body(&mut self, old_op: &Value, new_op: &Value, pointer: &str) {
        let old_body = old_op.get("requestBody").map(|body| self.old.resolve(body));
        let new_body = new_op.get("requestBody").map(|body| self.new.resolve(body));
        let required = |body: Option<&Value>| {
            body.is_some_and(|body| body.get("required") == Some(&Value::Bool(true)))
        };
        let at = format!("{pointer}/requestBody");
        match (required(old_body), required(new_body)) {
            (false, true) => self.report(
                "request-body-became-required",
                &at,
                "the request body became required".into(),
            ),
            (true, false) => self.report(
                "request-body-became-optional",
                &at,
                "the request body became optional".into(),
            ),
            _ => {}
        }
        let (Some(old_body), Some(new_body)) = (old_body, new_body) else {
            return;
        };
        let old_content = old_body.get("content").and_then(Value::as_object);
        let new_content = new_body.get("content").and_then(Value::as_object);
        let (Some(old_content), Some(new_content)) = (old_content, new_content) else {
            return;
        };
        for (media, old_media) in old_content {
            let Some(new_media) = new_content.get(media) else {
                continue;
            };
            let empty = Value::Null;
            let old_schema = old_media.get("schema").unwrap_or(&empty).clone();
            let new_schema = new_media.get("schema").unwrap_or(&empty).clone();
            let at = format!("{at}/content/{}/schema", escape(media));
            self.schema(Direction::Request, &old_schema, &new_schema, at, "body", 0);
        }
    }

    fn responses(&mut self, old_op: &Value, new_op: &Value, pointer: &str) {
        let empty = Map::new();
        let old = old_op
            .get("responses")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let new = new_op
            .get("responses")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for (status, old_response) in old {
            let at = format!("{pointer}/responses/{}", escape(status));
            let success = status.starts_with('2');
            let Some(new_response) = new.get(status) else {
                if success {
                    self.report(
                        "response-success-status-removed",
                        &at,
                        format!("success status {status} is gone"),
                    );
                }
                continue;
            };
            let old_response = self.old.resolve(old_response).clone();
            let new_response = self.new.resolve(new_response).clone();
            let old_content = old_response
                .get("content")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let new_content = new_response
                .get("content")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            for (media, old_media) in &old_content {
                let media_at = format!("{at}/content/{}", escape(media));
                let Some(new_media) = new_content.get(media) else {
                    self.report(
                        "response-media-type-removed",
                        &media_at,
                        format!("status {status} no longer answers {media}"),
                    );
                    continue;
                };
                let empty = Value::Null;
                let old_schema = old_media.get("schema").unwrap_or(&empty).clone();
                let new_schema = new_media.get("schema").unwrap_or(&empty).clone();
                self.schema(
                    Direction::Response,
                    &old_schema,
                    &new_schema,
                    format!("{media_at}/schema"),
                    "body",
                    0,
                );
            }
        }
        for status in new.keys() {
            if status.starts_with('2') && !old.contains_key(status) {
                self.report(
                    "response-success-status-added",
                    &format!("{pointer}/responses"),
                    format!("new success status {status}"),
                );
            }
        }
    }

    fn security(
        &mut self,
        old_path: &str,
        old_method: &str,
        new_path: &str,
        new_method: &str,
        pointer: &str,
    ) {
        let old = self.old.security(old_path, old_method);
        let new = self.new.security(new_path, new_method);
        if old == new {
            return;
        }
        let show = |set: &BTreeSet<Vec<String>>| {
            if set.is_empty() {
                return "none".to_owned();
            }
            set.iter()
                .map(|all| all.join(" + "))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        let id = if old.is_subset(&new) && !old.is_empty() {
            "security-alternative-added"
        } else {
            "security-changed"
        };
        self.report(
            id,
            &format!("{pointer}/security"),
            format!("security was {}, is {}", show(&old), show(&new)),
        );
    }

    fn schema(
        &mut self,
        direction: Direction,
        old: &Value,
        new: &Value,
        pointer: String,
        field: &str,
        depth: usize,
    ) {
        if depth > 24 {
            return;
        }
        let (old_schema, old_nullable, old_at) = self.old.schema(old, pointer);
        let (new_schema, new_nullable, new_at) = self.new.schema(new, String::new());
        let key = (old_at.clone(), new_at.clone(), field.to_owned());
        if !self.visited.insert(key) {
            return;
        }
        let old_type = type_of(self.old, old_schema);
        let new_type = type_of(self.new, new_schema);
        let (type_rule, enum_added, enum_removed) = match direction {
            Direction::Request => (
                "request-property-type-changed",
                "request-property-enum-value-added",
                "request-property-enum-value-removed",
            ),
            Direction::Response => (
                "response-property-type-changed",
                "response-property-enum-value-added",
                "response-property-enum-value-removed",
            ),
        };
        if !old_type.is_empty() && !new_type.is_empty() && old_type != new_type {
            self.report(
                type_rule,
                &old_at,
                format!("`{field}` changed type from {old_type} to {new_type}"),
            );
            return;
        }
        if direction == Direction::Response && !old_nullable && new_nullable {
            self.report(
                "response-property-became-nullable",
                &old_at,
                format!("`{field}` can now be null"),
            );
        }
        if let (Some(old_values), Some(new_values)) =
            (enum_values(old_schema), enum_values(new_schema))
        {
            for value in new_values.difference(&old_values) {
                self.report(
                    enum_added,
                    &old_at,
                    format!("`{field}` gained the value {value}"),
                );
            }
            for value in old_values.difference(&new_values) {
                self.report(
                    enum_removed,
                    &old_at,
                    format!("`{field}` lost the value {value}"),
                );
            }
        }
        if self.options.strict_docs
            && old_schema.get("description") != new_schema.get("description")
        {
            self.report(
                "property-description-changed",
                &old_at,
                format!("the description of `{field}` changed"),
            );
        }

        self.properties(direction, old_schema, new_schema, &old_at, field, depth);
        self.nested(direction, old_schema, new_schema, &old_at, field, depth);
    }

    /// An object's properties, one by one, and what `required` says of each.
    fn properties(
        &mut self,
        direction: Direction,
        old_schema: &Value,
        new_schema: &Value,
        old_at: &str,
        field: &str,
        depth: usize,
    ) {
        let empty = Map::new();
        let old_properties = old_schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let new_properties = new_schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let old_required = required(old_schema);
        let new_required = required(new_schema);
        let child = |name: &str| {
            if field == "body" {
                name.to_owned()
            } else {
                format!("{field}.{name}")
            }
        };
        for (name, old_property) in old_properties {
            let at = format!("{old_at}/properties/{}", escape(name));
            let was_required = old_required.contains(name.as_str());
            let Some(new_property) = new_properties.get(name) else {
                match direction {
                    Direction::Response => {
                        let id = if was_required {
                            "response-required-property-removed"
                        } else {
                            "response-optional-property-removed"
                        };
                        self.report(
                            id,
                            &at,
                            format!("response property `{}` is gone", child(name)),
                        );
                    }
                    Direction::Request => {
                        self.report(
                            "request-property-removed",
                            &at,
                            format!("request property `{}` is gone", child(name)),
                        );
                    }
                }
                continue;
            };
            let is_required = new_required.contains(name.as_str());
            match (direction, was_required, is_required) {
                (Direction::Request, false, true) => self.report(
                    "request-property-became-required",
                    &at,
                    format!("request property `{}` became required", child(name)),
                ),
                (Direction::Request, true, false) => self.report(
                    "request-property-became-optional",
                    &at,
                    format!("request property `{}` became optional", child(name)),
                ),
                (Direction::Response, true, false) => self.report(
                    "response-property-became-optional",
                    &at,
                    format!("response property `{}` became optional", child(name)),
                ),
                (Direction::Response, false, true) => self.report(
                    "response-property-became-required",
                    &at,
                    format!("response property `{}` became required", child(name)),
                ),
                _ => {}
            }
            let (old_property, new_property) = (old_property.clone(), new_property.clone());
            self.schema(
                direction,
                &old_property,
                &new_property,
                at,
                &child(name),
                depth + 1,
            );
        }
        for name in new_properties.keys() {
            if old_properties.contains_key(name) {
                continue;
            }
            let is_required = new_required.contains(name.as_str());
            let id = match (direction, is_required) {
                (Direction::Request, true) => "new-required-request-property",
                (Direction::Request, false) => "new-optional-request-property",
                (Direction::Response, true) => "response-required-property-added",
                (Direction::Response, false) => "response-optional-property-added",
            };
            self.report(
                id,
                &format!("{old_at}/properties"),
                format!(
                    "new {} property `{}`",
                    if is_required { "required" } else { "optional" },
                    child(name)
                ),
            );
        }
    }

    /// Array items, map values and union branches, compared as schemas of their own.
    fn nested(
        &mut self,
        direction: Direction,
        old_schema: &Value,
        new_schema: &Value,
        old_at: &str,
        field: &str,
        depth: usize,
    ) {
        // Arrays and maps.
        if let (Some(old_items), Some(new_items)) =
            (old_schema.get("items"), new_schema.get("items"))
        {
            let (old_items, new_items) = (old_items.clone(), new_items.clone());
            self.schema(
                direction,
                &old_items,
                &new_items,
                format!("{old_at}/items"),
                &format!("{field}[]"),
                depth + 1,
            );
        }
        if let (Some(old_values @ Value::Object(_)), Some(new_values @ Value::Object(_))) = (
            old_schema.get("additionalProperties"),
            new_schema.get("additionalProperties"),
        ) {
            let (old_values, new_values) = (old_values.clone(), new_values.clone());
            self.schema(
                direction,
                &old_values,
                &new_values,
                format!("{old_at}/additionalProperties"),
                &format!("{field}{{}}"),
                depth + 1,
            );
        }
        // Unions: branch by branch, where both sides have as many.
        for keyword in ["anyOf", "oneOf"] {
            if let (Some(Value::Array(old_branches)), Some(Value::Array(new_branches))) =
                (old_schema.get(keyword), new_schema.get(keyword))
                && old_branches.len() == new_branches.len()
            {
                for (index, (old_branch, new_branch)) in
                    old_branches.iter().zip(new_branches).enumerate()
                {
                    let (old_branch, new_branch) = (old_branch.clone(), new_branch.clone());
                    self.schema(
                        direction,
                        &old_branch,
                        &new_branch,
                        format!("{old_at}/{keyword}/{index}"),
                        field,
                        depth + 1,
                    );
                }
            }
        }
    }
}

fn required(schema: &Value) -> BTreeSet<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// A schema's type as compared: `type` with `format`, `array of …`, or a union's name.
fn type_of(side: &Side, schema: &Value) -> String {
    let format = schema.get("format").and_then(Value::as_str);
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => {
            let items = schema
                .get("items")
                .map(|items| side.schema(items, String::new()).0);
            match items.map(|items| type_of(side, items)) {
                Some(inner) if !inner.is_empty() => format!("array of {inner}"),
                _ => "array".into(),
            }
        }
        Some(kind) => match format {
            Some(format)
                if kind == "string"
                    && matches!(format, "uuid" | "date-time" | "date" | "binary" | "byte") =>
            {
                format!("{kind} ({format})")
            }
            _ if kind == "number" || kind == "integer" => "number".into(),
            _ => kind.to_owned(),
        },
        None if schema.get("properties").is_some() => "object".into(),
        None => String::new(),
    }
}

fn enum_values(schema: &Value) -> Option<BTreeSet<String>> {
    let values = schema.get("enum")?.as_array()?;
    Some(
        values
            .iter()
            .filter(|value| !value.is_null())
            .map(|value| value.to_string())
            .collect(),
    )
}

/// FNV-1a, 64 bits, in hex: stable across runs and platforms.
fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}
