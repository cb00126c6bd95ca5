//! Compiled validators for the schemas most requests meet (strings, UUIDs, enums, numbers,
//! booleans, lists, optional values, plain models), built once per operation when the
//! router is made. A plan only ever says "valid, and this is the coerced value", or "not
//! sure": it never reports an error. On "not sure" the request goes through the
//! interpreter in `validate.rs`, which finds every error with pydantic's words, so an
//! answer never depends on which path ran.
//!
//! The rule that keeps the two paths equal: a schema compiles only when every keyword the
//! interpreter would read is one the plan reproduces; anything else (`allOf`, unions of two
//! models, length or range constraints, `patternProperties`, …) is left to the interpreter.

use serde_json::{Map, Value};

use super::{SchemaSet, is_integer_text, is_null_schema, lax_bool, number_text};

/// How deep a plan may nest before the schema is left to the interpreter (recursive
/// schemas would otherwise never finish compiling).
const MAX_DEPTH: usize = 24;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Plan {
    /// `true`, `{}`, a schema without `type`: the input as it is.
    Any,
    String(Format),
    Integer,
    Number,
    Boolean,
    /// `enum` or `const` whose values are all strings.
    Choice(Vec<String>),
    /// `null` passes, anything else goes to the inner plan.
    Nullable(Box<Plan>),
    Array(Box<Plan>),
    Object {
        properties: Vec<(String, Plan)>,
        required: Vec<String>,
        /// The indices in `properties` of the required ones, for the typed fast path.
        required_at: Vec<usize>,
        forbid_extra: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Plain,
    Uuid,
    DateTime,
    Date,
}

/// Keywords the interpreter never reads: they cannot change an answer.
fn is_annotation(key: &str) -> bool {
    key.starts_with("x-")
        || matches!(
            key,
            "title"
                | "description"
                | "default"
                | "examples"
                | "example"
                | "deprecated"
                | "readOnly"
                | "writeOnly"
                | "$comment"
                | "$schema"
                | "$id"
                | "externalDocs"
                | "xml"
                | "contentMediaType"
                | "contentEncoding"
                | "uniqueItems"
        )
}

fn only(map: &Map<String, Value>, keywords: &[&str]) -> bool {
    map.keys()
        .all(|key| is_annotation(key) || keywords.contains(&key.as_str()))
}

impl Plan {
    /// The plan for `schema`, or `None` when only the interpreter can validate it.
    pub(crate) fn compile(set: &SchemaSet, schema: &Value) -> Option<Plan> {
        Plan::compile_at(set, schema, 0)
    }

    fn compile_at(set: &SchemaSet, schema: &Value, depth: usize) -> Option<Plan> {
        if depth > MAX_DEPTH {
            return None;
        }
        let schema = set.resolve(schema);
        let Value::Object(map) = schema else {
            return Some(Plan::Any);
        };
        let nullable_flag = map.get("nullable") == Some(&Value::Bool(true));
        if map.contains_key("anyOf") || map.contains_key("oneOf") {
            // The interpreter reads only the branches (and `nullable`) of a union.
            let branches = match (map.get("anyOf"), map.get("oneOf")) {
                (Some(Value::Array(branches)), None) | (None, Some(Value::Array(branches))) => {
                    branches
                }
                _ => return None,
            };
            let (nulls, others): (Vec<&Value>, Vec<&Value>) = branches
                .iter()
                .partition(|branch| is_null_schema(set.resolve(branch)));
            let nullable = !nulls.is_empty() || nullable_flag;
            return match others.as_slice() {
                [] => Some(Plan::Any),
                [one] => {
                    let inner = Plan::compile_at(set, one, depth + 1)?;
                    Some(if nullable {
                        Plan::Nullable(Box::new(inner))
                    } else {
                        inner
                    })
                }
                // Smart-mode unions pick the first branch that validates; a plan cannot
                // tell "invalid" from "not sure", so they stay with the interpreter.
                _ => None,
            };
        }
        if map.contains_key("allOf") {
            return None;
        }
        let types: Vec<&str> = match map.get("type") {
            Some(Value::String(kind)) => vec![kind.as_str()],
            Some(Value::Array(kinds)) if kinds.iter().all(Value::is_string) => {
                kinds.iter().filter_map(Value::as_str).collect()
            }
            None => Vec::new(),
            Some(_) => return None,
        };
        let nullable = nullable_flag || types.contains(&"null");
        let wrap = |plan: Plan| {
            if nullable {
                Plan::Nullable(Box::new(plan))
            } else {
                plan
            }
        };
        if let Some(values) = map.get("enum") {
            let Value::Array(values) = values else {
                return None;
            };
            let strings: Option<Vec<String>> = values
                .iter()
                .map(|value| value.as_str().map(str::to_owned))
                .collect();
            return strings.map(|strings| wrap(Plan::Choice(strings)));
        }
        if let Some(value) = map.get("const") {
            return value
                .as_str()
                .map(|text| wrap(Plan::Choice(vec![text.to_owned()])));
        }
        let concrete: Vec<&str> = types.into_iter().filter(|kind| *kind != "null").collect();
        let plan = match concrete.as_slice() {
            [] => Plan::Any,
            ["string"] => {
                if !only(map, &["type", "nullable", "format"]) {
                    return None;
                }
                Plan::String(match map.get("format").and_then(Value::as_str) {
                    Some("uuid") => Format::Uuid,
                    Some("date-time") => Format::DateTime,
                    Some("date") => Format::Date,
                    _ => Format::Plain,
                })
            }
            [kind @ ("integer" | "number" | "boolean")] => {
                if !only(map, &["type", "nullable", "format"]) {
                    return None;
                }
                match *kind {
                    "integer" => Plan::Integer,
                    "number" => Plan::Number,
                    _ => Plan::Boolean,
                }
            }
            ["array"] => {
                if !only(map, &["type", "nullable", "items"]) {
                    return None;
                }
                let items = match map.get("items") {
                    Some(items) => Plan::compile_at(set, items, depth + 1)?,
                    None => Plan::Any,
                };
                Plan::Array(Box::new(items))
            }
            ["object"] => {
                if !only(
                    map,
                    &[
                        "type",
                        "nullable",
                        "properties",
                        "required",
                        "additionalProperties",
                    ],
                ) {
                    return None;
                }
                let Some(Value::Object(properties)) = map.get("properties") else {
                    return None;
                };
                let forbid_extra = match map.get("additionalProperties") {
                    None | Some(Value::Bool(true)) => false,
                    Some(Value::Bool(false)) => true,
                    Some(_) => return None,
                };
                let required = match map.get("required") {
                    None => Vec::new(),
                    Some(Value::Array(names)) => names
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                    Some(_) => return None,
                };
                let properties = properties
                    .iter()
                    .map(|(name, schema)| {
                        Plan::compile_at(set, schema, depth + 1).map(|plan| (name.clone(), plan))
                    })
                    .collect::<Option<Vec<_>>>()?;
                let required_at = properties
                    .iter()
                    .enumerate()
                    .filter(|(_, (name, _))| required.contains(name))
                    .map(|(index, _)| index)
                    .collect();
                Plan::Object {
                    properties,
                    required,
                    required_at,
                    forbid_extra,
                }
            }
            _ => return None,
        };
        Some(wrap(plan))
    }

    /// What a string plan makes of `text`: the text itself, or its canonical form (a UUID
    /// in capitals or without hyphens); `None` when the text may be invalid or the plan is
    /// not one for strings. [`Plan::run`] on a JSON string, without the `Value`.
    pub(crate) fn text<'t>(&self, text: &'t str) -> Option<std::borrow::Cow<'t, str>> {
        use std::borrow::Cow;
        match self {
            Plan::Choice(values) => values
                .iter()
                .any(|value| value == text)
                .then_some(Cow::Borrowed(text)),
            Plan::String(Format::Plain) => Some(Cow::Borrowed(text)),
            Plan::String(Format::Uuid) => {
                if is_canonical_uuid(text.as_bytes()) {
                    return Some(Cow::Borrowed(text));
                }
                // Any other form uuid reads (capitals, no hyphens, braces, `urn:uuid:`) is
                // answered as the canonical text, which it is not.
                let uuid = uuid::Uuid::parse_str(text).ok()?;
                Some(Cow::Owned(uuid.hyphenated().to_string()))
            }
            Plan::String(Format::DateTime) => speedate::DateTime::parse_str(text)
                .is_ok()
                .then_some(Cow::Borrowed(text)),
            Plan::String(Format::Date) => speedate::Date::parse_str(text)
                .is_ok()
                .then_some(Cow::Borrowed(text)),
            _ => None,
        }
    }

    /// What an integer, number or boolean plan makes of a string (`" 5 "` → `5`,
    /// `"yes"` → `true`); `None` when it may be invalid or the plan is another kind.
    /// [`Plan::run`] on a JSON string, without the `Value` (no allocation).
    pub(crate) fn scalar(&self, text: &str) -> Option<Value> {
        match self {
            Plan::Integer if is_integer_text(text.trim()) => {
                text.trim().parse::<i64>().ok().map(Value::from)
            }
            Plan::Number => number_text(text),
            Plan::Boolean => super::lax_bool_text(text).map(Value::Bool),
            _ => None,
        }
    }

    /// The coerced value the interpreter would return for `input` without errors, or
    /// `None` when the input may be invalid. Takes the input, so that what passes as it
    /// is (most of it) is moved, not copied.
    pub(crate) fn run(&self, input: Value) -> Option<Value> {
        match self {
            Plan::Any => Some(input),
            Plan::Nullable(inner) => match input {
                Value::Null => Some(Value::Null),
                _ => inner.run(input),
            },
            Plan::Choice(_) | Plan::String(_) => {
                let Value::String(text) = &input else {
                    return None;
                };
                match self.text(text)? {
                    // Already the value: move it, do not copy it.
                    std::borrow::Cow::Borrowed(_) => Some(input),
                    std::borrow::Cow::Owned(canonical) => Some(Value::String(canonical)),
                }
            }
            Plan::Integer | Plan::Number | Plan::Boolean if input.is_string() => {
                self.scalar(input.as_str().unwrap_or_default())
            }
            Plan::Integer => match &input {
                Value::Number(number) if number.is_i64() => Some(input),
                _ => None,
            },
            Plan::Number => match &input {
                Value::Number(_) => Some(input),
                _ => None,
            },
            Plan::Boolean => match input {
                Value::Bool(_) => Some(input),
                _ => lax_bool(&input).map(Value::Bool),
            },
            Plan::Array(items) => match input {
                Value::Array(values) => values
                    .into_iter()
                    .map(|value| items.run(value))
                    .collect::<Option<Vec<_>>>()
                    .map(Value::Array),
                _ => None,
            },
            Plan::Object {
                properties,
                required,
                forbid_extra,
                ..
            } => {
                let Value::Object(mut fields) = input else {
                    return None;
                };
                let mut out = Map::new();
                for (name, plan) in properties {
                    match fields.remove(name) {
                        Some(value) => {
                            out.insert(name.clone(), plan.run(value)?);
                        }
                        None if required.contains(name) => return None,
                        None => {}
                    }
                }
                // What is left are the fields the model does not name.
                if *forbid_extra && !fields.is_empty() {
                    return None;
                }
                Some(Value::Object(out))
            }
        }
    }
}

/// Whether `text` is a UUID in its canonical form (hyphenated, lowercase), the form nearly
/// every client sends: checked eight bytes at a time, without parsing it (the target type
/// parses it again anyway). Anything else goes to `uuid`'s parser.
fn is_canonical_uuid(text: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Every byte a digit or a letter a-f. With no high bit set, adding `0x80 - n` to each
    // byte sets its high bit exactly when the byte is at least `n`, and carries nothing.
    let hex = |word: u64| {
        let at_least = |n: u64| word.wrapping_add((0x80 - n) * ONES) & HIGH;
        let digit = at_least(0x30) & !at_least(0x3A);
        let letter = at_least(0x61) & !at_least(0x67);
        word & HIGH == 0 && digit | letter == HIGH
    };
    let Ok(text) = <&[u8; 36]>::try_from(text) else {
        return false;
    };
    let word = |at: usize| u64::from_le_bytes(text[at..at + 8].try_into().unwrap_or([0; 8]));
    // The hyphens (bytes 8, 13, 18, 23) checked, then replaced by a digit in their words.
    const ZERO: u64 = b'0' as u64;
    let hyphens_1 = 0xFF | 0xFF << 40;
    let hyphens_2 = 0xFF << 16 | 0xFF << 56;
    let tail = u32::from_le_bytes([text[32], text[33], text[34], text[35]]);
    [text[8], text[13], text[18], text[23]] == [b'-'; 4]
        && hex(word(0))
        && hex(word(8) & !hyphens_1 | (ZERO | ZERO << 40))
        && hex(word(16) & !hyphens_2 | (ZERO << 16 | ZERO << 56))
        && hex(word(24))
        // The last four bytes, the word's other four made digits.
        && hex(u64::from(tail) | 0x3030_3030 << 32)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::borrow::Cow;

    use serde_json::{Value, json};

    use super::Plan;
    use crate::validate::{LocItem, SchemaSet, Source};

    pub(crate) fn set() -> SchemaSet {
        SchemaSet::new(json!({"components": {"schemas": {
            "Status": {"type": "string", "enum": ["ready", "queued", "running"], "title": "Status"},
            "Update": {
                "type": "object",
                "required": ["status", "job_id"],
                "properties": {
                    "status": {"$ref": "#/components/schemas/Status"},
                    "job_id": {"type": "string", "format": "uuid"},
                    "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null},
                    "count": {"type": "integer"},
                    "ratio": {"type": ["number", "null"]},
                    "flag": {"type": "boolean"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "day": {"type": "string", "format": "date"},
                    "at": {"type": "string", "format": "date-time"},
                    "kind": {"const": "update"}
                }
            },
            "Closed": {
                "type": "object",
                "additionalProperties": false,
                "properties": {"a": {"type": "integer"}}
            },
            "Node": {
                "type": "object",
                "properties": {"next": {"anyOf": [{"$ref": "#/components/schemas/Node"}, {"type": "null"}]}}
            }
        }}}))
    }

    #[test]
    fn the_canonical_uuid_check_agrees_with_uuids_parser_on_every_byte_anywhere() {
        let canonical = |text: &[u8]| {
            std::str::from_utf8(text)
                .ok()
                .and_then(|text| uuid::Uuid::parse_str(text).ok().map(|uuid| (text, uuid)))
                .is_some_and(|(text, uuid)| uuid.hyphenated().to_string() == text)
        };
        for base in [
            "6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10",
            "00000000-0000-0000-0000-000000000000",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
            "09af09af-09af-09af-09af-09af09af09af",
        ] {
            assert!(super::is_canonical_uuid(base.as_bytes()), "{base}");
            for at in 0..base.len() {
                for byte in 0..=u8::MAX {
                    let mut text = base.as_bytes().to_vec();
                    text[at] = byte;
                    assert_eq!(
                        super::is_canonical_uuid(&text),
                        canonical(&text),
                        "{base} with byte {byte:#04x} at {at}"
                    );
                }
            }
        }
        for text in [
            "",
            "6f1c1c8e8f444b4e9a533b1f4f0c2a10",
            "{6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10}",
        ] {
            assert!(!super::is_canonical_uuid(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn a_capital_anywhere_in_a_uuid_is_seen() {
        let plan = Plan::String(super::Format::Uuid);
        let lower = "abcdefab-cdef-4bcd-aefa-bcdefabcdefa";
        assert!(uuid::Uuid::parse_str(lower).is_ok());
        assert!(matches!(plan.text(lower), Some(Cow::Borrowed(_))));
        let digits = "01234567-8901-2345-6789-012345678901";
        assert!(matches!(plan.text(digits), Some(Cow::Borrowed(_))));
        for at in (0..lower.len()).filter(|&at| lower.as_bytes()[at].is_ascii_lowercase()) {
            let mut text = lower.to_owned();
            text.replace_range(at..=at, &lower[at..=at].to_ascii_uppercase());
            assert_eq!(
                plan.text(&text),
                Some(Cow::Owned(lower.to_owned())),
                "capital at {at} missed"
            );
        }
    }

    pub(crate) fn schemas() -> Vec<Value> {
        vec![
            json!({"type": "string"}),
            json!({"type": "string", "format": "uuid"}),
            json!({"type": "string", "format": "date-time"}),
            json!({"type": "string", "format": "date"}),
            json!({"type": "integer"}),
            json!({"type": "number"}),
            json!({"type": "boolean"}),
            json!({"$ref": "#/components/schemas/Status"}),
            json!({"anyOf": [{"type": "array", "items": {"type": "string", "format": "uuid"}}, {"type": "null"}]}),
            json!({"type": "array", "items": {"type": "integer"}}),
            json!({"type": "string", "nullable": true}),
            json!({"$ref": "#/components/schemas/Update"}),
            json!({"$ref": "#/components/schemas/Closed"}),
            json!({}),
            json!(true),
        ]
    }

    pub(crate) fn inputs() -> Vec<Value> {
        let scalars = vec![
            json!(null),
            json!(""),
            json!("abc"),
            json!("ready"),
            json!("READY"),
            json!("update"),
            json!("6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10"),
            json!("6F1C1C8E-8F44-4B4E-9A53-3B1F4F0C2A10"),
            json!("6f1c1c8e8f444b4e9a533b1f4f0c2a10"),
            json!("{6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10}"),
            json!("5"),
            json!(" 5 "),
            json!("+5"),
            json!("-0"),
            json!("5.0"),
            json!("1e3"),
            json!("99999999999999999999"),
            json!("nan"),
            json!("inf"),
            json!("true"),
            json!("Yes"),
            json!("off"),
            json!("2024-01-31"),
            json!("2024-02-30"),
            json!("2024-01-31T10:00:00Z"),
            json!("2024-01-31T10:00:00"),
            json!(0),
            json!(1),
            json!(5),
            json!(-3),
            json!(5.0),
            json!(1.5),
            json!(u64::MAX),
            json!(true),
            json!(false),
        ];
        let mut all = scalars.clone();
        all.push(json!([]));
        all.push(json!(["6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10", "nope"]));
        all.push(json!(["6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10"]));
        all.push(json!(["5", 6, "x"]));
        all.push(json!([1, 2]));
        all.push(json!({"a": 1}));
        all.push(json!({"a": 1, "b": 2}));
        all.push(json!({"a": "1"}));
        let base = json!({
            "status": "ready", "job_id": "6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10",
            "note": null, "count": "7", "ratio": 0.5, "flag": "yes", "tags": ["x"],
            "day": "2024-01-31", "at": "2024-01-31T10:00:00Z", "kind": "update", "extra": 1
        });
        all.push(base.clone());
        // Each field of the model in turn replaced by every scalar, and removed.
        for field in base.as_object().into_iter().flat_map(|map| map.keys()) {
            for scalar in &scalars {
                let mut input = base.clone();
                input[field.as_str()] = scalar.clone();
                all.push(input);
            }
            let mut input = base.clone();
            if let Some(map) = input.as_object_mut() {
                map.remove(field);
            }
            all.push(input);
        }
        all
    }

    /// Whenever a plan accepts, the interpreter accepts with no error and the same value.
    #[test]
    fn a_plan_agrees_with_the_interpreter() {
        let set = set();
        let (mut accepted, mut deferred) = (0, 0);
        for schema in schemas() {
            let plan =
                Plan::compile(&set, &schema).unwrap_or_else(|| panic!("{schema} should compile"));
            for input in inputs() {
                for source in [Source::Text, Source::Json] {
                    let mut errors = Vec::new();
                    let mut loc = vec![LocItem::from("body")];
                    let value = set.validate(&schema, &input, source, &mut loc, &mut errors);
                    match plan.run(input.clone()) {
                        Some(planned) => {
                            accepted += 1;
                            assert!(errors.is_empty(), "{schema} accepted {input}: {errors:?}");
                            assert_eq!(planned, value, "{schema} on {input}");
                        }
                        None => deferred += 1,
                    }
                }
            }
        }
        // Both outcomes occur, so the comparison above is not vacuous.
        assert!(accepted > 500 && deferred > 500, "{accepted} {deferred}");
    }

    #[test]
    fn what_only_the_interpreter_validates() {
        let set = set();
        for schema in [
            json!({"type": "string", "maxLength": 3}),
            json!({"type": "integer", "minimum": 1}),
            json!({"type": "array", "items": {"type": "string"}, "minItems": 1}),
            json!({"allOf": [{"type": "string"}]}),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
            json!({"type": "object", "additionalProperties": {"type": "integer"}}),
            json!({"type": ["string", "integer"]}),
            json!({"enum": ["a", 1]}),
            json!({"type": "string", "pattern": "^a"}),
        ] {
            assert_eq!(Plan::compile(&set, &schema), None, "{schema}");
        }
        // A recursive model compiles up to a depth and no further.
        assert_eq!(
            Plan::compile(&set, &json!({"$ref": "#/components/schemas/Node"})),
            None
        );
    }
}
