//! The semantic diff of two specs, both normalised into one (3.0) form first so that
//! spelling differences between 3.0 and 3.1 are not drift. Each change is a [`Rule`] (the
//! table in `rules`); its level depends on whose code the change can break: the generated
//! client's (the default) or a server implementing the spec. One file per family of rules:
//! `endpoints`, `parameters`, `request_body`, `responses`, `schema`, `security`.

use nx1_codegen::pointer::escape;
use nx1_codegen::spec::PathTemplate;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::DriftError;

mod endpoints;
mod matching;
mod parameters;
mod request_body;
mod responses;
mod rules;
mod schema;
mod security;

pub use rules::{Family, Rule};

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

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub id: &'static str,
    #[serde(skip)]
    pub rule: Rule,
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
    /// The notice (days between deprecation and `x-sunset`) an operation must be given.
    pub deprecation_days: Option<u32>,
    /// Today, as days since 1970-01-01, for sunset dates; `None` is the system's today.
    pub today: Option<i64>,
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
        sameness: matching::Sameness::default(),
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
    /// Where a property of a flattened `allOf` is written in the spec: its pointer in the
    /// flattened object → its pointer in the part (a base component) that declares it.
    origins: BTreeMap<String, String>,
    /// (METHOD, path with parameters blanked) → (path, method, tidied name)
    operations: BTreeMap<(String, String), (String, String, String)>,
}

impl Side {
    fn new(origin: &str, value: &Value) -> Result<Self, DriftError> {
        let mut document = nx1_codegen::Document {
            origin: origin.to_owned(),
            value: value.clone(),
            text: String::new(),
        };
        // Each stream read as its items, as the generated code reads it: what changes for
        // a caller is an item's schema or an event of a named union, not the envelope.
        nx1_codegen::mark_streams(&mut document.value);
        nx1_codegen::normalize_meaning(&mut document)
            .map_err(|err| DriftError::Spec(err.to_string()))?;
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
        let mut root = document.value;
        let origins = matching::flatten_all_of(&mut root);
        Ok(Side {
            root,
            origins,
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

    /// Follows `$ref`s and single-branch `allOf`/`anyOf`/`oneOf` wrappers (what 3.1's
    /// `anyOf: [X, {type: null}]` becomes); returns the schema, whether a wrapper on the way
    /// made it nullable, and its pointer.
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
            if let Some(Value::Array(all_of)) = ["allOf", "anyOf", "oneOf"]
                .iter()
                .find_map(|key| current.get(*key))
                && all_of.len() == 1
                && current
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_none_or(Map::is_empty)
            {
                let keyword = ["allOf", "anyOf", "oneOf"]
                    .into_iter()
                    .find(|key| current.get(*key).is_some())
                    .unwrap_or("allOf");
                current = &all_of[0];
                pointer = format!("{pointer}/{keyword}/0");
                nullable |= current.get("nullable") == Some(&Value::Bool(true));
                continue;
            }
            break;
        }
        (current, nullable, pointer)
    }

    /// Where `pointer` (into this side as flattened) is written in the spec itself.
    fn written_at(&self, pointer: &str) -> String {
        if self.origins.is_empty() {
            return pointer.to_owned();
        }
        let mut end = pointer.len();
        loop {
            let prefix = &pointer[..end];
            if let Some(origin) = self.origins.get(prefix) {
                return format!("{origin}{}", &pointer[end..]);
            }
            match prefix.rfind('/') {
                Some(slash) if slash > 0 => end = slash,
                _ => return pointer.to_owned(),
            }
        }
    }

    /// What a local `$ref` points at.
    fn target(&self, reference: &str) -> Option<&Value> {
        self.root.pointer(reference.strip_prefix('#')?)
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

    /// The alternatives an operation accepts, each a set of schemes with their scopes.
    fn security(&self, path: &str, method: &str) -> BTreeSet<BTreeMap<String, BTreeSet<String>>> {
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
                    .map(|requirement| {
                        requirement
                            .iter()
                            .map(|(scheme, scopes)| {
                                let scopes = scopes
                                    .as_array()
                                    .map(|scopes| {
                                        scopes
                                            .iter()
                                            .filter_map(Value::as_str)
                                            .map(str::to_owned)
                                            .collect()
                                    })
                                    .unwrap_or_default();
                                (scheme.clone(), scopes)
                            })
                            .collect()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Direction {
    Request,
    Response,
}

impl Direction {
    /// The rule of the two that fits this direction.
    fn pick(self, request: Rule, response: Rule) -> Rule {
        match self {
            Direction::Request => request,
            Direction::Response => response,
        }
    }
}

struct Differ<'a> {
    old: &'a Side,
    new: &'a Side,
    options: DiffOptions,
    pages: &'a BTreeMap<String, String>,
    changes: Vec<Change>,
    operation: String,
    /// (old pointer, new pointer, direction) compared in this operation: each pair once,
    /// which also ends recursion through `$ref` cycles.
    visited: BTreeSet<(String, String, Direction)>,
    sameness: matching::Sameness,
}

impl Differ<'_> {
    fn report(&mut self, rule: Rule, pointer: &str, message: String) {
        let pointer = &self.old.written_at(pointer);
        let page = self.pages.get(&self.operation).cloned();
        let id = rule.id();
        let fingerprint = fingerprint(&[id, &self.operation, pointer, &message]);
        self.changes.push(Change {
            id,
            rule,
            level: rule.level(self.options.perspective),
            operation: self.operation.clone(),
            pointer: pointer.to_owned(),
            message,
            page,
            fingerprint,
        });
    }

    fn run(&mut self) {
        self.endpoints_added_and_removed();
        let old_ops = self.old.operations.clone();
        let new_ops = self.new.operations.clone();
        for (key, (old_path, old_method, old_name)) in &old_ops {
            let Some((new_path, new_method, new_name)) = new_ops.get(key) else {
                continue;
            };
            self.operation = format!("{} {old_path}", old_method.to_ascii_uppercase());
            self.visited.clear();
            let pointer = format!("/paths/{}/{old_method}", escape(old_path));
            let new_pointer = format!("/paths/{}/{new_method}", escape(new_path));
            let old_op = self.old.operation(old_path, old_method).clone();
            let new_op = self.new.operation(new_path, new_method).clone();
            self.endpoint(&old_op, &new_op, old_name, new_name, &pointer);
            self.parameters(old_path, old_method, new_path, new_method, &pointer);
            self.request_body(&old_op, &new_op, (&pointer, &new_pointer));
            self.responses(&old_op, &new_op, (&pointer, &new_pointer));
            self.security(old_path, old_method, new_path, new_method, &pointer);
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

/// A schema's type as shown: `type` with `format`, `array of …`, or a union's branches.
fn type_of(side: &Side, schema: &Value) -> String {
    type_name(side, schema, true)
}

/// A schema's type as compared: as shown, but every union is just `a union`, so that
/// reordering or renaming its branches is no change (the branches are compared apart).
fn type_key(side: &Side, schema: &Value) -> String {
    type_name(side, schema, false)
}

fn type_name(side: &Side, schema: &Value, union_names: bool) -> String {
    let format = schema.get("format").and_then(Value::as_str);
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => {
            let items = schema
                .get("items")
                .map(|items| side.schema(items, String::new()).0);
            match items.map(|items| type_name(side, items, union_names)) {
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
        None => match union_branches(side, schema) {
            Some(_) if !union_names => "a union".to_owned(),
            Some((_, branches)) => format!(
                "one of {}",
                branches
                    .iter()
                    .map(|(_, name, _)| name.as_str())
                    .collect::<Vec<_>>()
                    .join(" | ")
            ),
            None => String::new(),
        },
    }
}

/// A union branch: its index under the keyword, its name, the schema.
type Branch = (usize, String, Value);

/// The branches of an `anyOf`/`oneOf` of two or more (null left out): the keyword, and
/// each branch with its index under it and its name (its component or its type).
fn union_branches(side: &Side, schema: &Value) -> Option<(&'static str, Vec<Branch>)> {
    let (keyword, branches) = ["oneOf", "anyOf"]
        .into_iter()
        .find_map(|key| Some((key, schema.get(key)?.as_array()?)))?;
    let named: Vec<Branch> = branches
        .iter()
        .enumerate()
        .filter(|(_, branch)| branch.get("type").and_then(Value::as_str) != Some("null"))
        .map(|(index, branch)| {
            let name = match branch.get("$ref").and_then(Value::as_str) {
                Some(reference) => reference.rsplit('/').next().unwrap_or(reference).to_owned(),
                None => {
                    let (resolved, _, _) = side.schema(branch, String::new());
                    let kind = type_of(side, resolved);
                    if kind.is_empty() {
                        "schema".to_owned()
                    } else {
                        kind
                    }
                }
            };
            (index, name, branch.clone())
        })
        .collect();
    (named.len() >= 2).then_some((keyword, named))
}

/// `type` as written: `integer` and `number` told apart, for widening and narrowing.
fn raw_type(schema: &Value) -> Option<&str> {
    schema.get("type").and_then(Value::as_str)
}

/// How the bounds on values changed: each with whether it refuses more (tightened) and a
/// phrase such as `maxLength 64 → 32`.
fn constraint_changes(old: &Value, new: &Value) -> Vec<(bool, String)> {
    let number = |schema: &Value, key: &str| schema.get(key).and_then(Value::as_f64);
    let mut changes = Vec::new();
    // (keyword, a higher value refuses more)
    for (key, higher_tightens) in [
        ("minimum", true),
        ("maximum", false),
        ("minLength", true),
        ("maxLength", false),
        ("minItems", true),
        ("maxItems", false),
        ("minProperties", true),
        ("maxProperties", false),
    ] {
        let (before, after) = (number(old, key), number(new, key));
        let tightened = match (before, after) {
            (None, Some(_)) => true,
            (Some(_), None) => false,
            (Some(before), Some(after)) if before != after => (after > before) == higher_tightens,
            _ => continue,
        };
        let shown = |value: Option<f64>| value.map_or("none".to_owned(), |v| v.to_string());
        changes.push((
            tightened,
            format!("{key} {} → {}", shown(before), shown(after)),
        ));
    }
    for key in ["exclusiveMinimum", "exclusiveMaximum"] {
        let flag = |schema: &Value| schema.get(key) == Some(&Value::Bool(true));
        if flag(old) != flag(new) {
            changes.push((flag(new), format!("{key} {} → {}", flag(old), flag(new))));
        }
    }
    for key in ["pattern", "multipleOf"] {
        match (old.get(key), new.get(key)) {
            (before, after) if before == after => {}
            (None, Some(after)) => changes.push((true, format!("{key} added: {after}"))),
            (Some(before), None) => changes.push((false, format!("{key} {before} removed"))),
            (Some(before), Some(after)) => {
                changes.push((true, format!("{key} {before} → {after}")));
            }
            (None, None) => {}
        }
    }
    changes
}

/// `enum` values, or a `const` as the one value.
fn enum_values(schema: &Value) -> Option<BTreeSet<String>> {
    if let Some(value) = schema.get("const") {
        return Some(BTreeSet::from([value.to_string()]));
    }
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
