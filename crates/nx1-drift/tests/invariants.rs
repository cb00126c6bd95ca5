//! Properties every diff must have, checked on every spec of the shared corpus rather than on
//! one example per rule:
//! - a spec against itself is no change;
//! - reordering (properties, union branches, enum values, paths, parameters, components…)
//!   and renaming a component everywhere it is used is no change;
//! - moving some of an object's properties into an `allOf` base is no change;
//! - each mutation is found as its rule, on its operation, and nothing else; the mutation
//!   undone is found as the rule's inverse.
//!
//! Seeded: `NX1_SEED` (or `PROPTEST_RNG_SEED`, which CI fixes) replays a run; a failure
//! prints the seed. Without either, every run draws a new one.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use nx1_drift::diff::Rule;
use nx1_drift::{Change, DiffOptions};
use serde_json::{Map, Value, json};

#[path = "invariants/mutations.rs"]
mod mutations;

use mutations::Case;

pub struct Spec {
    pub name: String,
    pub value: Value,
}

/// Every spec of `../shared/specs`, `more/` and `drift-pairs`, loaded once.
fn corpus() -> &'static [Spec] {
    static CORPUS: OnceLock<Vec<Spec>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/specs");
        assert!(
            shared.is_dir(),
            "{} is absent: the drift invariants run over the shared corpus beside the project",
            shared.display()
        );
        let mut specs = Vec::new();
        for dir in [
            shared.clone(),
            shared.join("more"),
            shared.join("drift-pairs"),
        ] {
            let paths = nx1_codegen::spec_files(&dir)
                .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()));
            for path in paths {
                let document = nx1_codegen::load_file(&path)
                    .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
                specs.push(Spec {
                    name: path.file_name().unwrap().to_string_lossy().into_owned(),
                    value: document.value,
                });
            }
        }
        assert!(
            specs.len() >= 30,
            "the corpus has only {} specs",
            specs.len()
        );
        specs
    })
}

pub fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        std::env::var("NX1_SEED")
            .or_else(|_| std::env::var("PROPTEST_RNG_SEED"))
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or_else(|| fastrand::u64(..))
    })
}

fn changes(old: &Value, new: &Value) -> Vec<Change> {
    nx1_drift::diff(old, new, &Default::default(), DiffOptions::default())
        .unwrap_or_else(|err| panic!("diff failed: {err} (seed {})", seed()))
}

fn shown(changes: &[Change]) -> String {
    changes
        .iter()
        .take(12)
        .map(|c| format!("  {} {} {} | {}", c.id, c.operation, c.pointer, c.message))
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_no_change(spec: &Spec, what: &str, old: &Value, new: &Value) {
    let found = changes(old, new);
    assert!(
        found.is_empty(),
        "{}: {what} reported {} change(s) (seed {}):\n{}",
        spec.name,
        found.len(),
        seed(),
        shown(&found)
    );
}

#[test]
fn a_spec_against_itself_is_no_change() {
    for spec in corpus() {
        assert_no_change(spec, "diff(S, S)", &spec.value, &spec.value);
    }
}

#[test]
fn reordering_and_renaming_is_no_change() {
    for (index, spec) in corpus().iter().enumerate() {
        let mut rng = fastrand::Rng::with_seed(seed() ^ index as u64);
        let shuffled = shuffle(&spec.value, &mut rng);
        assert_no_change(spec, "diff(S, shuffle(S))", &spec.value, &shuffled);
        assert_no_change(spec, "diff(shuffle(S), S)", &shuffled, &spec.value);
    }
}

#[test]
fn an_allof_split_is_no_change() {
    let mut split_any = 0;
    for (index, spec) in corpus().iter().enumerate() {
        let mut rng = fastrand::Rng::with_seed(seed() ^ (index as u64) << 8);
        let (split, count) = allof_split(&spec.value, &mut rng);
        if count == 0 {
            continue;
        }
        split_any += 1;
        assert_no_change(spec, "diff(S, allOf-split(S))", &spec.value, &split);
        assert_no_change(spec, "diff(allOf-split(S), S)", &split, &spec.value);
    }
    assert!(
        split_any >= 10,
        "only {split_any} specs had an object to split"
    );
}

#[test]
fn each_rule_finds_its_mutation_and_nothing_else() {
    let cases: usize = std::env::var("NX1_MUTATION_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(2);
    let specs = corpus();
    let mut failures = Vec::new();
    let mut covered = BTreeSet::new();
    for (number, mutation) in mutations::cases().iter().enumerate() {
        let mut rng = fastrand::Rng::with_seed(seed() ^ ((number as u64) << 16));
        let mut order: Vec<usize> = (0..specs.len()).collect();
        rng.shuffle(&mut order);
        let mut done = 0;
        for index in order {
            if done == cases {
                break;
            }
            let spec = &specs[index];
            let Some(applied) = mutation.apply(&spec.value, &mut rng) else {
                continue;
            };
            done += 1;
            covered.insert(mutation.rule());
            covered.extend(mutation.inverse());
            check(mutation, spec, &applied, &mut failures);
        }
        if done == 0 {
            failures.push(format!(
                "{}: no corpus spec has a place for this mutation",
                mutation.rule().id()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "seed {}:\n{}",
        seed(),
        failures.join("\n")
    );
    // The rules no mutation reaches are named here, so that growing the list is visible.
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .filter(|rule| !covered.contains(rule))
        .map(|rule| rule.id())
        .collect();
    assert_eq!(
        missing,
        mutations::NOT_MUTATED,
        "the rules without a mutation changed"
    );
}

fn check(mutation: &Case, spec: &Spec, applied: &mutations::Applied, failures: &mut Vec<String>) {
    if std::env::var("NX1_DUMP").is_ok_and(|rule| rule == mutation.rule().id()) {
        let name = format!(
            "{}/mut-{}-{}",
            std::env::temp_dir().display(),
            mutation.rule().id(),
            spec.name
        );
        std::fs::write(format!("{name}.before.json"), applied.before.to_string()).unwrap();
        std::fs::write(format!("{name}.after.json"), applied.after.to_string()).unwrap();
    }
    let forward = changes(&applied.before, &applied.after);
    let expect = |found: &[Change], rule: Option<Rule>, direction: &str| -> Option<String> {
        let wrong: Vec<&Change> = found
            .iter()
            .filter(|c| Some(c.rule) != rule || c.operation != applied.operation)
            .collect();
        let problem = match rule {
            Some(rule) if !found.iter().any(|c| c.rule == rule) => {
                Some(format!("{} not found", rule.id()))
            }
            None if !found.is_empty() => Some("expected no change".to_owned()),
            _ if !wrong.is_empty() => Some("other changes reported".to_owned()),
            _ => None,
        }?;
        Some(format!(
            "{} on {} ({direction}, {}): {problem}; found:\n{}",
            mutation.rule().id(),
            spec.name,
            applied.operation,
            shown(found)
        ))
    };
    failures.extend(expect(&forward, Some(mutation.rule()), "forward"));
    let backward = changes(&applied.after, &applied.before);
    failures.extend(expect(&backward, mutation.inverse(), "undone"));
}

// -----------------------------------------------------------------------------------------
// Transformations that keep the meaning.

/// Shuffles the order of every object's keys, of the arrays whose order means nothing
/// (union and `allOf` branches, `enum`, `required`, `type`, parameters, security
/// alternatives, tags), and renames a few components everywhere they are referenced.
fn shuffle(spec: &Value, rng: &mut fastrand::Rng) -> Value {
    let mut value = spec.clone();
    reorder(&mut value, None, rng);
    for _ in 0..3 {
        rename_component(&mut value, rng);
    }
    value
}

fn reorder(value: &mut Value, key: Option<&str>, rng: &mut fastrand::Rng) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
            rng.shuffle(&mut entries);
            for (key, item) in &mut entries {
                // Examples are data whose order is theirs; leave them alone.
                if !matches!(key.as_str(), "example" | "examples" | "default" | "const") {
                    reorder(item, Some(key), rng);
                }
            }
            *map = entries.into_iter().collect::<Map<String, Value>>();
        }
        Value::Array(items) => {
            let unordered = matches!(
                key,
                Some(
                    "oneOf"
                        | "anyOf"
                        | "allOf"
                        | "enum"
                        | "required"
                        | "type"
                        | "parameters"
                        | "security"
                        | "tags"
                )
            );
            // Scopes are a set too, but only directly under a security requirement.
            if unordered {
                rng.shuffle(items);
            }
            for item in items {
                reorder(item, None, rng);
            }
        }
        _ => {}
    }
}

/// Every `$ref` and discriminator mapping in `value` that is `from` or starts with
/// `from/`, rewritten to start with `to`.
fn rewrite_refs(value: &mut Value, from: &str, to: &str) {
    let rewrite = |text: &mut String| {
        if text == from || text.starts_with(&format!("{from}/")) {
            *text = format!("{to}{}", &text[from.len()..]);
        }
    };
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                match (key.as_str(), item) {
                    ("$ref", Value::String(text)) => rewrite(text),
                    ("mapping", Value::Object(mapping)) => {
                        for target in mapping.values_mut() {
                            if let Value::String(text) = target {
                                rewrite(text);
                            }
                        }
                    }
                    (_, item) => rewrite_refs(item, from, to),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| rewrite_refs(item, from, to)),
        _ => {}
    }
}

/// Components whose name is on the wire: branches of a discriminated union without a
/// mapping, where the tag value is the component's name.
fn named_on_the_wire(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if map.contains_key("discriminator") {
                for key in ["oneOf", "anyOf"] {
                    for branch in map.get(key).and_then(Value::as_array).into_iter().flatten() {
                        if let Some(reference) = branch.get("$ref").and_then(Value::as_str) {
                            out.insert(reference.rsplit('/').next().unwrap_or("").to_owned());
                        }
                    }
                }
            }
            map.values().for_each(|item| named_on_the_wire(item, out));
        }
        Value::Array(items) => items.iter().for_each(|item| named_on_the_wire(item, out)),
        _ => {}
    }
}

fn rename_component(spec: &mut Value, rng: &mut fastrand::Rng) {
    let mut pinned = BTreeSet::new();
    named_on_the_wire(spec, &mut pinned);
    let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return;
    };
    let names: Vec<String> = schemas
        .keys()
        .filter(|name| !pinned.contains(*name) && !name.contains(['~', '/', '%']))
        .cloned()
        .collect();
    if names.is_empty() {
        return;
    }
    let name = names[rng.usize(..names.len())].clone();
    let renamed = format!("{name}Renamed{}", rng.u16(..));
    if schemas.contains_key(&renamed) {
        return;
    }
    let schemas = spec["components"]["schemas"].as_object_mut().unwrap();
    let Some(schema) = schemas.shift_remove(&name) else {
        return;
    };
    schemas.insert(renamed.clone(), schema);
    rewrite_refs(
        spec,
        &format!("#/components/schemas/{name}"),
        &format!("#/components/schemas/{renamed}"),
    );
}

/// Moves some properties of up to five object components into a new base component,
/// referenced from an `allOf` beside what is left: the refactor figma's spec went through.
fn allof_split(spec: &Value, rng: &mut fastrand::Rng) -> (Value, usize) {
    let mut value = spec.clone();
    let Some(schemas) = value
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return (value, 0);
    };
    let mut candidates: Vec<String> = schemas
        .iter()
        .filter(|(_, schema)| splittable(schema))
        .map(|(name, _)| name.clone())
        .collect();
    rng.shuffle(&mut candidates);
    candidates.truncate(5);
    let mut count = 0;
    for name in candidates {
        let base_name = format!("{name}SplitBase{}", rng.u16(..));
        let schemas = value["components"]["schemas"].as_object_mut().unwrap();
        if schemas.contains_key(&base_name) {
            continue;
        }
        let schema = schemas[&name].as_object().unwrap().clone();
        let properties = schema["properties"].as_object().unwrap().clone();
        let required: BTreeSet<String> = mutations::required_names(&Value::Object(schema.clone()))
            .into_iter()
            .collect();
        let keys: Vec<&String> = properties.keys().collect();
        let cut = 1 + rng.usize(..keys.len() - 1);
        let (moved, kept): (Map<String, Value>, Map<String, Value>) =
            properties.iter().enumerate().fold(
                (Map::new(), Map::new()),
                |(mut moved, mut kept), (i, (k, v))| {
                    if i < cut {
                        moved.insert(k.clone(), v.clone());
                    } else {
                        kept.insert(k.clone(), v.clone());
                    }
                    (moved, kept)
                },
            );
        let required_of = |part: &Map<String, Value>| -> Vec<Value> {
            part.keys()
                .filter(|k| required.contains(*k))
                .map(|k| json!(k))
                .collect()
        };
        let mut base = json!({"type": "object", "properties": moved});
        let base_required = required_of(&moved);
        if !base_required.is_empty() {
            base["required"] = json!(base_required);
        }
        let mut rest = schema.clone();
        rest.remove("properties");
        rest.remove("required");
        rest.insert("type".into(), json!("object"));
        let mut own = json!({"type": "object", "properties": kept});
        let own_required = required_of(&kept);
        if !own_required.is_empty() {
            own["required"] = json!(own_required);
        }
        rest.insert(
            "allOf".into(),
            json!([{"$ref": format!("#/components/schemas/{base_name}")}, own]),
        );
        schemas.insert(base_name, base);
        schemas.insert(name, Value::Object(rest));
        count += 1;
    }
    (value, count)
}

/// A plain object: two or more properties, nothing that composes or constrains the whole.
fn splittable(schema: &Value) -> bool {
    let Some(map) = schema.as_object() else {
        return false;
    };
    let plain_object = map.get("type") == Some(&json!("object"))
        && map
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| p.len() >= 2);
    let composed = [
        "allOf",
        "oneOf",
        "anyOf",
        "not",
        "discriminator",
        "additionalProperties",
        "unevaluatedProperties",
        "patternProperties",
        "minProperties",
        "maxProperties",
        "dependentRequired",
        "if",
    ]
    .iter()
    .any(|key| map.contains_key(*key));
    plain_object && !composed
}
