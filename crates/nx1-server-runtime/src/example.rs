//! A value that validates against a schema: what a mock answers for an operation it does
//! not model. Deterministic, so that tests and snapshots can rely on it.

use serde_json::{Map, Value, json};

use crate::validate::{LocItem, SchemaSet, Source, is_null_schema};

/// A schema-valid instance of `schema`. A documented `example` is used where it validates;
/// otherwise one is built: every property, formats honoured, the first enum member, numbers
/// inside their bounds, lists as long as their minimum (at least one item).
pub fn example(set: &SchemaSet, schema: &Value) -> Value {
    build(set, schema, 0, &mut Vec::new())
}

const MAX_DEPTH: usize = 12;

fn build(set: &SchemaSet, schema: &Value, depth: usize, stack: &mut Vec<String>) -> Value {
    // Models being built on the way here: meeting one again means recursion.
    let reference = schema
        .get("$ref")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(reference) = &reference {
        stack.push(reference.clone());
    }
    let value = build_resolved(set, schema, depth, stack);
    if reference.is_some() {
        stack.pop();
    }
    value
}

fn build_resolved(set: &SchemaSet, schema: &Value, depth: usize, stack: &mut Vec<String>) -> Value {
    let resolved = set.resolve(schema);
    let Value::Object(map) = resolved else {
        return Value::Null;
    };
    if let Some(example) = documented_example(map)
        && validates(set, schema, &example)
    {
        return example;
    }
    if depth > MAX_DEPTH {
        // Recursive models end in null where allowed, an empty value otherwise.
        return if allows_null(set, map) {
            Value::Null
        } else {
            empty_of(map)
        };
    }
    if let Some(value) = map.get("const") {
        return value.clone();
    }
    if let Some(Value::Array(values)) = map.get("enum")
        && let Some(first) = values
            .iter()
            .find(|value| !value.is_null())
            .or(values.first())
    {
        return first.clone();
    }
    for keyword in ["anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = map.get(keyword) {
            // An optional value that would recurse into a model being built stays null,
            // which keeps recursive models finite.
            let recursive = branches.iter().any(|branch| {
                branch
                    .get("$ref")
                    .and_then(Value::as_str)
                    .is_some_and(|reference| stack.iter().any(|seen| seen == reference))
            });
            if recursive
                && branches
                    .iter()
                    .any(|branch| is_null_schema(set.resolve(branch)))
            {
                return Value::Null;
            }
            let branch = branches
                .iter()
                .find(|branch| !is_null_schema(set.resolve(branch)))
                .or(branches.first());
            return branch.map_or(Value::Null, |branch| build(set, branch, depth + 1, stack));
        }
    }
    if let Some(Value::Array(all_of)) = map.get("allOf") {
        let mut merged = Map::new();
        for branch in all_of {
            match build(set, branch, depth + 1, stack) {
                Value::Object(fields) => merged.extend(fields),
                other if all_of.len() == 1 => return other,
                _ => {}
            }
        }
        if !merged.is_empty() || map.contains_key("properties") {
            if let Value::Object(own) = object(set, map, depth, stack) {
                merged.extend(own);
            }
            return Value::Object(merged);
        }
    }
    let kind = match map.get("type") {
        Some(Value::String(kind)) => Some(kind.as_str()),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null"),
        _ => None,
    };
    match kind {
        Some("string") => string(map),
        Some("integer") => integer(map),
        Some("number") => number(map),
        Some("boolean") => json!(true),
        Some("array") => array(set, map, depth, stack),
        Some("object") => object(set, map, depth, stack),
        Some("null") => Value::Null,
        _ if map.contains_key("properties") => object(set, map, depth, stack),
        // An unconstrained schema (`{}`): any JSON will do.
        _ => json!({}),
    }
}

fn documented_example(map: &Map<String, Value>) -> Option<Value> {
    map.get("example")
        .cloned()
        .or_else(|| map.get("examples")?.as_array()?.first().cloned())
        .or_else(|| map.get("default").cloned())
}

fn validates(set: &SchemaSet, schema: &Value, value: &Value) -> bool {
    let mut errors = Vec::new();
    set.validate(
        schema,
        value,
        Source::Json,
        &mut Vec::<LocItem>::new(),
        &mut errors,
    );
    errors.is_empty()
}

fn allows_null(set: &SchemaSet, map: &Map<String, Value>) -> bool {
    map.get("nullable") == Some(&json!(true))
        || matches!(map.get("type"), Some(Value::Array(kinds)) if kinds.contains(&json!("null")))
        || ["anyOf", "oneOf"].iter().any(|keyword| {
            map.get(*keyword)
                .and_then(Value::as_array)
                .is_some_and(|branches| branches.iter().any(|b| is_null_schema(set.resolve(b))))
        })
}

fn empty_of(map: &Map<String, Value>) -> Value {
    match map.get("type").and_then(Value::as_str) {
        Some("array") => json!([]),
        Some("string") => json!(""),
        Some("integer" | "number") => json!(0),
        Some("boolean") => json!(false),
        _ => json!({}),
    }
}

fn string(map: &Map<String, Value>) -> Value {
    let text = match map.get("format").and_then(Value::as_str) {
        Some("uuid") => "3fa85f64-5717-4562-b3fc-2c963f66afa6".to_owned(),
        Some("date-time") => "2026-01-01T00:00:00Z".to_owned(),
        Some("date") => "2026-01-01".to_owned(),
        Some("time") => "12:00:00".to_owned(),
        Some("email") => "user@example.com".to_owned(),
        Some("uri" | "url") => "https://example.com/".to_owned(),
        Some("binary" | "byte") => "AAAA".to_owned(),
        _ => "string".to_owned(),
    };
    let min = map.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = map
        .get("maxLength")
        .and_then(Value::as_u64)
        .map_or(usize::MAX, |max| max as usize);
    let mut text = text;
    while text.chars().count() < min {
        text.push('x');
    }
    if text.chars().count() > max {
        text = text.chars().take(max).collect();
    }
    Value::String(text)
}

fn bounds(map: &Map<String, Value>) -> (Option<f64>, Option<f64>) {
    let low = map
        .get("exclusiveMinimum")
        .and_then(Value::as_f64)
        .map(|bound| bound + 1.0)
        .or_else(|| map.get("minimum").and_then(Value::as_f64));
    let high = map
        .get("exclusiveMaximum")
        .and_then(Value::as_f64)
        .map(|bound| bound - 1.0)
        .or_else(|| map.get("maximum").and_then(Value::as_f64));
    (low, high)
}

fn integer(map: &Map<String, Value>) -> Value {
    let (low, high) = bounds(map);
    let value = match (low, high) {
        (Some(low), _) => low.ceil(),
        (None, Some(high)) if high < 1.0 => high.floor(),
        _ => 1.0,
    };
    json!(value as i64)
}

fn number(map: &Map<String, Value>) -> Value {
    let (low, high) = bounds(map);
    match (low, high) {
        (Some(low), _) => json!(low),
        (None, Some(high)) if high < 1.0 => json!(high),
        _ => json!(1.0),
    }
}

fn array(
    set: &SchemaSet,
    map: &Map<String, Value>,
    depth: usize,
    stack: &mut Vec<String>,
) -> Value {
    let count = map
        .get("minItems")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .max(1)
        .min(
            map.get("maxItems")
                .and_then(Value::as_u64)
                .unwrap_or(u64::MAX),
        ) as usize;
    let prefix = map.get("prefixItems").and_then(Value::as_array);
    let items = map.get("items");
    let mut out = Vec::with_capacity(count);
    for index in 0..count.max(prefix.map_or(0, Vec::len)) {
        let schema = prefix.and_then(|prefix| prefix.get(index)).or(items);
        out.push(match schema {
            Some(schema) => build(set, schema, depth + 1, stack),
            None => json!("item"),
        });
    }
    Value::Array(out)
}

fn object(
    set: &SchemaSet,
    map: &Map<String, Value>,
    depth: usize,
    stack: &mut Vec<String>,
) -> Value {
    let mut out = Map::new();
    if let Some(Value::Object(properties)) = map.get("properties") {
        for (name, schema) in properties {
            out.insert(name.clone(), build(set, schema, depth + 1, stack));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> SchemaSet {
        SchemaSet::new(json!({"components": {"schemas": {
            "Status": {"type": "string", "enum": ["ready", "queued"]},
            "Node": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "string", "format": "uuid"},
                "next": {"anyOf": [{"$ref": "#/components/schemas/Node"}, {"type": "null"}]},
                "status": {"$ref": "#/components/schemas/Status"},
                "tags": {"type": "array", "items": {"type": "string", "minLength": 3}, "minItems": 2},
                "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "count": {"type": "integer", "minimum": 5},
                "when": {"type": ["string", "null"], "format": "date-time"}
            }}
        }}}))
    }

    #[test]
    fn examples_validate_against_their_schema() {
        let set = set();
        let schema = json!({"$ref": "#/components/schemas/Node"});
        let value = example(&set, &schema);
        assert!(validates(&set, &schema, &value), "{value}");
        assert_eq!(value["status"], "ready");
        assert_eq!(value["tags"].as_array().map(Vec::len), Some(2));
        assert_eq!(value["count"], 5);
        assert_eq!(value["when"], "2026-01-01T00:00:00Z");
    }

    #[test]
    fn documented_examples_are_used_when_valid() {
        let set = set();
        let schema = json!({"type": "integer", "example": 42});
        assert_eq!(example(&set, &schema), 42);
        let schema = json!({"type": "integer", "example": "not a number"});
        assert_eq!(example(&set, &schema), 1);
    }
}
