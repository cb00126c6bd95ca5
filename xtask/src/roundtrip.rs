//! `cargo xtask corpus --roundtrip`: proof that the generated types mean what the spec
//! means. For every component schema a request or response body of the spec uses, valid
//! instances are generated from the original 3.1 schema, deserialized into the generated
//! Rust type, serialized back, and the result is validated against the original schema with
//! a JSON Schema 2020-12 validator.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::instances::Generator;

/// Variants tried per schema (each a differently shaped instance).
const VARIANTS: usize = 8;

/// One schema to round-trip: where it is in the original spec and its Rust type.
pub struct Target {
    pub pointer: String,
    pub rust: String,
}

/// What one spec contributes: its instances, and the harness that round-trips them.
pub struct Plan {
    pub spec: String,
    pub crate_name: String,
    pub targets: Vec<Target>,
    /// `(target index, instance)`.
    pub instances: Vec<(usize, Value)>,
    /// One per target, compiled once: the instances are checked before the harness runs
    /// and what it answers is checked after.
    validators: Vec<jsonschema::Validator>,
}

/// The component schemas used directly as a JSON request or response body.
pub fn targets(original: &Value, components: &[(String, String)]) -> Vec<Target> {
    let mut used = BTreeSet::new();
    if let Some(Value::Object(paths)) = original.get("paths") {
        for item in paths.values() {
            let Value::Object(item) = item else { continue };
            for operation in item.values() {
                let bodies = operation.pointer("/requestBody/content").into_iter().chain(
                    operation
                        .get("responses")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flat_map(|responses| responses.values())
                        .filter_map(|response| response.get("content")),
                );
                for content in bodies {
                    let Value::Object(content) = content else {
                        continue;
                    };
                    for (media_type, media) in content {
                        if !media_type.contains("json") {
                            continue;
                        }
                        if let Some(name) = media
                            .pointer("/schema/$ref")
                            .and_then(Value::as_str)
                            .and_then(|reference| reference.strip_prefix("#/components/schemas/"))
                        {
                            used.insert(nx1_codegen::pointer::unescape(name));
                        }
                    }
                }
            }
        }
    }
    components
        .iter()
        .filter(|(original, _)| used.contains(original))
        .map(|(original, rust)| Target {
            pointer: nx1_codegen::pointer::child("/components/schemas", original),
            rust: rust.clone(),
        })
        .collect()
}

impl Plan {
    pub fn new(
        spec: &str,
        crate_name: &str,
        original: &Value,
        targets: Vec<Target>,
    ) -> Result<Plan> {
        let mut instances = Vec::new();
        let validators = validators(original, &targets)?;
        for (index, (target, validator)) in targets.iter().zip(&validators).enumerate() {
            let schema = json!({ "$ref": format!("#{}", target.pointer) });
            let seed = seed_of(&format!("{spec}{}", target.pointer));
            let mut seen = BTreeSet::new();
            for variant in 0..VARIANTS {
                let Some(instance) = Generator::new(original, seed, variant).instance(&schema)
                else {
                    continue;
                };
                if validator.is_valid(&instance) && seen.insert(instance.to_string()) {
                    instances.push((index, instance));
                }
            }
        }
        Ok(Plan {
            spec: spec.to_owned(),
            crate_name: format!("{crate_name}-roundtrip"),
            targets,
            instances,
            validators,
        })
    }

    /// The harness: the generated types and a loop that round-trips `name\tjson` lines.
    pub fn harness(&self, types: &str) -> String {
        let mut arms = String::new();
        let names: BTreeSet<&str> = self
            .targets
            .iter()
            .map(|target| target.rust.as_str())
            .collect();
        for name in names {
            let _ = writeln!(
                arms,
                "            {name:?} => round_trip::<types::{name}>(json),"
            );
        }
        format!(
            "//! Written by `cargo xtask corpus --roundtrip` for {spec}.\n#![allow(warnings, clippy::all)]\n\n{types}\n\
fn round_trip<T: ::serde::de::DeserializeOwned + ::serde::Serialize>(json: &str) -> Result<String, String> {{\n\
    // `Option`: a nullable component is nullable where it is used, not in its own type.\n\
    let value: Option<T> = ::serde_json::from_str(json).map_err(|err| err.to_string())?;\n\
    ::serde_json::to_string(&value).map_err(|err| err.to_string())\n\
}}\n\n\
fn main() {{\n\
    use std::io::BufRead;\n\
    for line in std::io::stdin().lock().lines() {{\n\
        let line = line.expect(\"stdin\");\n\
        let (name, json) = line.split_once('\\t').expect(\"name<TAB>json\");\n\
        let outcome: Result<String, String> = match name {{\n{arms}            other => Err(format!(\"no type {{other}}\")),\n        }};\n\
        match outcome {{\n\
            Ok(json) => println!(\"ok\\t{{json}}\"),\n\
            Err(err) => println!(\"err\\t{{}}\", err.replace('\\n', \" \")),\n\
        }}\n\
    }}\n\
}}\n",
            spec = self.spec,
        )
    }

    /// Runs the built harness over the instances; returns one line per failure.
    pub fn run(&self, binary: &Path) -> Result<Vec<String>> {
        let mut input = String::new();
        for (index, instance) in &self.instances {
            let _ = writeln!(input, "{}\t{instance}", self.targets[*index].rust);
        }
        // Kept beside the binary, so that a failure can be replayed by hand.
        std::fs::write(binary.with_extension("jsonl"), &input)?;
        let mut child = Command::new(binary)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot run {}", binary.display()))?;
        let mut stdin = child.stdin.take().context("harness stdin")?;
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let output = child.wait_with_output()?;
        writer.join().ok();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        if lines.len() != self.instances.len() {
            return Ok(vec![format!(
                "{}: the harness answered {} of {} instances ({})",
                self.spec,
                lines.len(),
                self.instances.len(),
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            )]);
        }
        let mut failures = Vec::new();
        for ((index, instance), line) in self.instances.iter().zip(lines) {
            let target = &self.targets[*index];
            let shown = shorten(&instance.to_string());
            let problem = match line.split_once('\t') {
                Some(("ok", json)) => {
                    let back: Value = serde_json::from_str(json)?;
                    let errors: Vec<String> = self.validators[*index]
                        .iter_errors(&back)
                        .map(|err| format!("{err} at {}", err.instance_path()))
                        .take(3)
                        .collect();
                    (!errors.is_empty()).then(|| {
                        format!(
                            "serialized back as {} it is invalid: {}",
                            shorten(json),
                            errors.join("; ")
                        )
                    })
                }
                Some((_, err)) => Some(format!(
                    "does not deserialize into types::{}: {err}",
                    target.rust
                )),
                None => Some(format!("unreadable harness answer `{line}`")),
            };
            if let Some(problem) = problem {
                failures.push(format!(
                    "{}#{}: {problem}; instance {shown}",
                    self.spec, target.pointer
                ));
            }
        }
        Ok(failures)
    }
}

/// Where the spec's components live for the validators: a name of our own, never fetched.
const SPEC_URI: &str = "urn:nx1:spec";

/// A validator per target. The components are copied, rewritten and indexed once per spec:
/// done per target, a 2 MB spec was copied hundreds of times (about a minute of CI).
fn validators(original: &Value, targets: &[Target]) -> Result<Vec<jsonschema::Validator>> {
    let mut root = json!({});
    if let Some(components) = original.get("components") {
        root["components"] = components.clone();
    }
    three_oh_bounds(&mut root);
    let registry = jsonschema::Registry::new()
        .draft(jsonschema::Draft::Draft202012)
        .add(SPEC_URI, root)
        .and_then(jsonschema::RegistryBuilder::prepare)
        .map_err(|err| anyhow::anyhow!("cannot index the spec's components: {err}"))?;
    let options = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .with_registry(&registry);
    targets
        .iter()
        .map(|target| {
            let reference = json!({ "$ref": format!("{SPEC_URI}#{}", fragment(&target.pointer)) });
            options
                .build(&reference)
                .map_err(|err| anyhow::anyhow!("{}: {err}", target.pointer))
        })
        .collect()
}

/// What a JSON pointer may hold but a URI fragment may not (RFC 3986 §3.5), beside
/// controls and non-ASCII, which `utf8_percent_encode` always encodes.
const NOT_IN_FRAGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A JSON pointer as a URI fragment.
fn fragment(pointer: &str) -> String {
    percent_encoding::utf8_percent_encode(pointer, NOT_IN_FRAGMENT).to_string()
}

/// 3.1 documents that keep 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` fail the
/// 2020-12 meta-schema; they are rewritten into the numeric form they mean.
fn three_oh_bounds(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (exclusive, inclusive) in [
                ("exclusiveMinimum", "minimum"),
                ("exclusiveMaximum", "maximum"),
            ] {
                if let Some(Value::Bool(flag)) = map.get(exclusive).cloned() {
                    map.remove(exclusive);
                    if flag && let Some(bound) = map.remove(inclusive) {
                        map.insert(exclusive.into(), bound);
                    }
                }
            }
            for (key, item) in map.iter_mut() {
                if !matches!(
                    key.as_str(),
                    "example" | "examples" | "default" | "enum" | "const"
                ) {
                    three_oh_bounds(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(three_oh_bounds),
        _ => {}
    }
}

fn seed_of(text: &str) -> u64 {
    // FNV-1a: stable across runs and machines, unlike the std hasher.
    text.bytes().fold(0xcbf29ce484222325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100000001b3)
    })
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= 300 {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(300).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Component names hold what a URI fragment may not (spaces, braces, non-ASCII):
    /// each validator still finds its schema.
    #[test]
    fn a_component_named_with_any_characters_is_validated() {
        let names = ["Pet {v2}", "Café|Ünit", "50%^`<x>\\\""];
        let schemas: serde_json::Map<String, Value> = names
            .iter()
            .map(|name| {
                (
                    (*name).to_owned(),
                    json!({"type": "object", "required": ["n"]}),
                )
            })
            .collect();
        let original = json!({"components": {"schemas": schemas}});
        let targets: Vec<Target> = names
            .iter()
            .map(|name| Target {
                rust: "Any".to_owned(),
                pointer: format!(
                    "/components/schemas/{}",
                    name.replace('~', "~0").replace('/', "~1")
                ),
            })
            .collect();
        for (validator, name) in validators(&original, &targets).unwrap().iter().zip(names) {
            assert!(validator.is_valid(&json!({"n": 1})), "{name}");
            assert!(!validator.is_valid(&json!({})), "{name}");
        }
    }

    /// The checker must catch a type that loses data and one that refuses valid data: a
    /// stand-in harness answers `{}` for the first instance (a required field lost) and an
    /// error for the rest.
    #[test]
    fn lossy_and_refusing_types_are_failures() {
        let original = json!({
            "paths": {"/p": {"get": {"responses": {"200": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Pet"}
            }}}}}}},
            "components": {"schemas": {"Pet": {
                "type": "object", "required": ["name"],
                "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}
            }}}
        });
        let components = vec![("Pet".to_owned(), "Pet".to_owned())];
        let targets = targets(&original, &components);
        assert_eq!(targets.len(), 1);
        let plan = Plan::new("t.json", "t", &original, targets).unwrap();
        assert!(plan.instances.len() >= 2, "{:?}", plan.instances);
        let dir = std::env::temp_dir().join(format!("nx1-roundtrip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("harness.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\nread -r first\nprintf 'ok\\t{}\\n'\nwhile read -r line; do printf 'err\\tinvalid type\\n'; done\n",
        )
        .unwrap();
        let status = Command::new("chmod")
            .arg("+x")
            .arg(&script)
            .status()
            .unwrap();
        assert!(status.success());
        let failures = plan.run(&script).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(failures.len(), plan.instances.len(), "{failures:#?}");
        assert!(
            failures[0].contains("serialized back as {} it is invalid"),
            "{}",
            failures[0]
        );
        assert!(
            failures[1].contains("does not deserialize into types::Pet: invalid type"),
            "{}",
            failures[1]
        );
    }
}
