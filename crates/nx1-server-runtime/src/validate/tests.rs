use serde_json::{Value, json};

use super::{LocItem, SchemaSet, Source};

fn set() -> SchemaSet {
    SchemaSet::new(json!({
        "components": {"schemas": {
            "Status": {"type": "string", "enum": ["ready", "queued", "running"]},
            "Item": {
                "type": "object",
                "required": ["id", "status"],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "status": {"$ref": "#/components/schemas/Status"},
                    "note": {"anyOf": [{"type": "string", "maxLength": 3}, {"type": "null"}]}
                }
            }
        }}
    }))
}

/// Validates `input` against `schema` at location `["body"]` and compares the errors (as
/// FastAPI would render them) with `expected`; returns the coerced value.
fn check(schema: Value, input: Value, source: Source, expected: Value) -> Value {
    let set = set();
    let mut errors = Vec::new();
    let mut loc = vec![LocItem::from("body")];
    let value = set.validate(&schema, &input, source, &mut loc, &mut errors);
    assert_eq!(serde_json::to_value(&errors).unwrap(), expected);
    assert_eq!(
        loc,
        [LocItem::from("body")],
        "location stack must be restored"
    );
    value
}

#[test]
fn uuid_errors_use_the_uuid_crate_words() {
    check(
        json!({"type": "string", "format": "uuid"}),
        json!("x"),
        Source::Text,
        json!([{
            "type": "uuid_parsing", "loc": ["body"], "input": "x",
            "msg": "Input should be a valid UUID, invalid character: found `x` at 0",
            "ctx": {"error": "invalid character: found `x` at 0"}
        }]),
    );
}

#[test]
fn integers_from_text_and_json() {
    assert_eq!(
        check(
            json!({"type": "integer"}),
            json!("42"),
            Source::Text,
            json!([])
        ),
        json!(42)
    );
    check(
        json!({"type": "integer"}),
        json!("4x"),
        Source::Text,
        json!([{"type": "int_parsing", "loc": ["body"], "input": "4x",
                "msg": "Input should be a valid integer, unable to parse string as an integer"}]),
    );
    check(
        json!({"type": "integer"}),
        json!(1.5),
        Source::Json,
        json!([{"type": "int_from_float", "loc": ["body"], "input": 1.5,
                "msg": "Input should be a valid integer, got a number with a fractional part"}]),
    );
    check(
        json!({"type": "integer", "minimum": 1}),
        json!(0),
        Source::Json,
        json!([{"type": "greater_than_equal", "loc": ["body"], "input": 0,
                "msg": "Input should be greater than or equal to 1", "ctx": {"ge": 1}}]),
    );
}

#[test]
fn enums_list_their_members_like_pydantic() {
    check(
        json!({"$ref": "#/components/schemas/Status"}),
        json!("done"),
        Source::Json,
        json!([{"type": "enum", "loc": ["body"], "input": "done",
                "msg": "Input should be 'ready', 'queued' or 'running'",
                "ctx": {"expected": "'ready', 'queued' or 'running'"}}]),
    );
}

#[test]
fn models_report_every_error_at_once() {
    check(
        json!({"$ref": "#/components/schemas/Item"}),
        json!({"id": "nope", "note": "toolong", "extra": 1}),
        Source::Json,
        json!([
            {"type": "uuid_parsing", "loc": ["body", "id"], "input": "nope",
             "msg": "Input should be a valid UUID, invalid character: found `n` at 0",
             "ctx": {"error": "invalid character: found `n` at 0"}},
            {"type": "missing", "loc": ["body", "status"], "msg": "Field required",
             "input": {"id": "nope", "note": "toolong", "extra": 1}},
            {"type": "string_too_long", "loc": ["body", "note"], "input": "toolong",
             "msg": "String should have at most 3 characters", "ctx": {"max_length": 3}}
        ]),
    );
    check(
        json!({"$ref": "#/components/schemas/Item"}),
        json!([1]),
        Source::Json,
        json!([{"type": "model_attributes_type", "loc": ["body"], "input": [1],
                "msg": "Input should be a valid dictionary or object to extract fields from"}]),
    );
}

#[test]
fn lists_locate_items_by_index() {
    let schema = json!({"type": "array", "items": {"type": "string", "format": "uuid"}});
    let errors = json!([{
        "type": "uuid_parsing", "loc": ["body", 1], "input": "b",
        "msg": "Input should be a valid UUID, invalid length: found 1",
        "ctx": {"error": "invalid length: found 1"}
    }]);
    check(
        schema,
        json!(["6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10", "b"]),
        Source::Text,
        errors,
    );
}

#[test]
fn nullable_fields_accept_null_and_report_the_inner_type() {
    let schema = json!({"anyOf": [{"type": "integer"}, {"type": "null"}]});
    assert_eq!(
        check(schema.clone(), Value::Null, Source::Json, json!([])),
        Value::Null
    );
    check(
        schema,
        json!("x"),
        Source::Text,
        json!([{"type": "int_parsing", "loc": ["body"], "input": "x",
                "msg": "Input should be a valid integer, unable to parse string as an integer"}]),
    );
}

#[test]
fn unions_tag_each_branch() {
    check(
        json!({"anyOf": [{"type": "integer"}, {"type": "boolean"}]}),
        json!("x"),
        Source::Text,
        json!([
            {"type": "int_parsing", "loc": ["body", "int"], "input": "x",
             "msg": "Input should be a valid integer, unable to parse string as an integer"},
            {"type": "bool_parsing", "loc": ["body", "bool"], "input": "x",
             "msg": "Input should be a valid boolean, unable to interpret input"}
        ]),
    );
}

#[test]
fn datetimes_use_speedate_words() {
    check(
        json!({"type": "string", "format": "date-time"}),
        json!("yesterday!"),
        Source::Json,
        json!([{"type": "datetime_from_date_parsing", "loc": ["body"], "input": "yesterday!",
                "msg": "Input should be a valid datetime or date, invalid character in year",
                "ctx": {"error": "invalid character in year"}}]),
    );
}

#[test]
fn strings_are_not_numbers() {
    check(
        json!({"type": "string"}),
        json!(5),
        Source::Json,
        json!([{"type": "string_type", "loc": ["body"], "input": 5, "msg": "Input should be a valid string"}]),
    );
}

#[test]
fn booleans_from_text() {
    assert_eq!(
        check(
            json!({"type": "boolean"}),
            json!("yes"),
            Source::Text,
            json!([])
        ),
        json!(true)
    );
    check(
        json!({"type": "boolean"}),
        json!("maybe"),
        Source::Text,
        json!([{"type": "bool_parsing", "loc": ["body"], "input": "maybe",
                "msg": "Input should be a valid boolean, unable to interpret input"}]),
    );
}

#[test]
fn list_lengths() {
    check(
        json!({"type": "array", "items": {}, "minItems": 1}),
        json!([]),
        Source::Json,
        json!([{"type": "too_short", "loc": ["body"], "input": [],
                "msg": "List should have at least 1 item after validation, not 0",
                "ctx": {"field_type": "List", "min_length": 1, "actual_length": 0}}]),
    );
}

#[test]
fn pointers_from_a_base() {
    let set = SchemaSet::new(json!({
        "paths": {"/a": {"parameters": [{"schema": {"type": "integer"}}],
                         "get": {"parameters": [{"schema": {"type": "string"}}]}}},
        "components": {"schemas": {"A": {"type": "boolean"}}}
    }));
    let base = "/paths/~1a/get";
    let at = |pointer| set.at_from(base, pointer).cloned();
    assert_eq!(at("0/parameters/0/schema"), Some(json!({"type": "string"})));
    assert_eq!(
        at("1/parameters/0/schema"),
        Some(json!({"type": "integer"}))
    );
    assert_eq!(
        at("/components/schemas/A"),
        Some(json!({"type": "boolean"}))
    );
    assert_eq!(at("9/parameters"), None);
    assert_eq!(at("x/parameters"), None);
}
