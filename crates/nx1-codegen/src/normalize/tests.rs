use serde_json::{Value, json};

use super::normalize;
use crate::load::load_str;

/// Normalises `schema` as `components.schemas.S` of a 3.1 document and compares the result
/// with `expected` (both YAML), returning the notes for further checks.
fn check(schema: &str, expected: &str) -> Vec<String> {
    let mut doc = load_str(
        "t.yaml",
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\ncomponents:\n  schemas:\n    Other: {type: string}\n",
        false,
    )
    .unwrap();
    let schema: Value = serde_saphyr::from_str(schema).unwrap();
    doc.value["components"]["schemas"]["S"] = schema;
    let notes = normalize(&mut doc).unwrap();
    let expected: Value = serde_saphyr::from_str(expected).unwrap();
    assert_eq!(
        doc.value["components"]["schemas"]["S"], expected,
        "\nactual:   {}\nexpected: {}",
        doc.value["components"]["schemas"]["S"], expected
    );
    notes.into_iter().map(|note| note.message).collect()
}

#[test]
fn type_array_with_null_becomes_nullable() {
    check("type: [string, 'null']", "{type: string, nullable: true}");
}

#[test]
fn type_array_with_several_types_becomes_any_of() {
    check(
        "{type: [string, integer, 'null'], minLength: 2, minimum: 1, enum: [a, 1, null]}",
        "{nullable: true, anyOf: [{type: string, minLength: 2, enum: [a]}, {type: integer, minimum: 1, enum: [1]}]}",
    );
}

#[test]
fn any_of_with_null_ref_stays_option_of_the_ref() {
    check(
        "{anyOf: [{$ref: '#/components/schemas/Other'}, {type: 'null'}], title: T}",
        "{allOf: [{$ref: '#/components/schemas/Other'}], nullable: true, title: T}",
    );
}

#[test]
fn any_of_with_null_inline_branch_is_lifted() {
    check(
        "{anyOf: [{type: string, format: date-time}, {type: 'null'}], title: When, default: null}",
        "{type: string, format: date-time, nullable: true, title: When, default: null}",
    );
}

#[test]
fn one_of_with_null_and_two_branches_keeps_the_union() {
    check(
        "{oneOf: [{type: string}, {type: integer}, {type: 'null'}]}",
        "{oneOf: [{type: string}, {type: integer}], nullable: true}",
    );
}

#[test]
fn lone_null_type_is_a_null_enum() {
    check("{type: 'null'}", "{enum: [null], nullable: true}");
}

#[test]
fn openapi_30_nullable_is_kept() {
    check(
        "{type: string, nullable: true}",
        "{type: string, nullable: true}",
    );
}

#[test]
fn const_becomes_single_value_enum() {
    check(
        "{type: string, const: fixed}",
        "{type: string, enum: [fixed]}",
    );
}

#[test]
fn literal_default_is_dropped() {
    check(
        "{type: string, const: cancel, default: cancel}",
        "{type: string, enum: [cancel]}",
    );
}

#[test]
fn examples_become_example() {
    check(
        "{type: integer, examples: [3, 4]}",
        "{type: integer, example: 3}",
    );
}

#[test]
fn numeric_exclusive_bounds() {
    check(
        "{type: number, exclusiveMinimum: 0, exclusiveMaximum: 10, maximum: 5}",
        "{type: number, minimum: 0, exclusiveMinimum: true, maximum: 5}",
    );
    check(
        "{type: number, exclusiveMinimum: 3, minimum: 1}",
        "{type: number, minimum: 3, exclusiveMinimum: true}",
    );
}

#[test]
fn ref_siblings_are_wrapped_or_dropped() {
    check(
        "{$ref: '#/components/schemas/Other', description: d}",
        "{$ref: '#/components/schemas/Other'}",
    );
    check(
        "{$ref: '#/components/schemas/Other', default: x, description: d}",
        "{allOf: [{$ref: '#/components/schemas/Other'}], default: x}",
    );
}

#[test]
fn content_media_type_and_encoding_become_formats() {
    check(
        "{type: string, contentMediaType: application/octet-stream}",
        "{type: string, format: binary}",
    );
    check(
        "{type: string, contentEncoding: base64}",
        "{type: string, format: byte}",
    );
    check(
        "{type: string, contentMediaType: application/json}",
        "{type: string}",
    );
}

#[test]
fn prefix_items_become_a_bounded_union() {
    let notes = check(
        "{type: array, prefixItems: [{type: number}, {type: string}], items: false}",
        "{type: array, items: {anyOf: [{type: number}, {type: string}]}, minItems: 2, maxItems: 2}",
    );
    assert_eq!(
        notes,
        ["tuple of 2 positions read as a list of their union"]
    );
    check(
        "{type: array, prefixItems: [{type: number}, {type: number}]}",
        "{type: array, items: {type: number}, minItems: 2}",
    );
}

#[test]
fn empty_and_boolean_schemas() {
    check("{}", "{}");
    check("true", "{}");
    check("false", "{not: {}}");
    check(
        "{type: object, properties: {a: true}}",
        "{type: object, properties: {a: {}}}",
    );
}

#[test]
fn integer_bounds_beyond_i64_are_clamped() {
    check(
        "{type: integer, minimum: -9223372036854776000, maximum: 9223372036854776000}",
        "{type: integer, minimum: -9223372036854775808, maximum: 9223372036854775807}",
    );
    check(
        "{type: integer, minimum: 0.5, maximum: 9.5}",
        "{type: integer, minimum: 1, maximum: 9}",
    );
}

#[test]
fn unsupported_keywords_are_reported() {
    let notes = check(
        "{type: object, patternProperties: {'^x': {}}, $comment: c}",
        "{type: object}",
    );
    assert_eq!(
        notes,
        ["`patternProperties` has no OpenAPI 3.0 equivalent; not validated"]
    );
}

#[test]
fn nested_schemas_are_normalised() {
    check(
        "{type: object, properties: {a: {type: [integer, 'null']}}, additionalProperties: {const: 1}, items: {examples: [1]}}",
        "{type: object, properties: {a: {type: integer, nullable: true}}, additionalProperties: {enum: [1]}, items: {example: 1}}",
    );
}

#[test]
fn array_without_items_gets_any_items() {
    check("{type: array}", "{type: array, items: {}}");
}

#[test]
fn unknown_types_are_read_or_dropped_with_a_note() {
    let notes = check("{type: strng, minLength: 1}", "{minLength: 1}");
    assert_eq!(
        notes,
        [
            "unknown type \"strng\" (expected one of string, number, integer, boolean, array, object, null); not constrained"
        ]
    );
    let notes = check("{type: int}", "{type: integer}");
    assert_eq!(notes, ["type \"int\" read as `integer`"]);
}

#[test]
fn malformed_keywords_are_mended_with_a_note() {
    let notes = check(
        "{type: object, required: 'true', properties: {a: {type: string, pattern: '^(?P<y>[0-9]+)\\Z'}, b: {enum: [auto, 1]}, c: {anyOf: [{type: string}], oneOf: [{type: integer}]}}}",
        "{type: object, properties: {a: {type: string, pattern: '^(?<y>[0-9]+)$'}, b: {anyOf: [{type: string, enum: [auto]}, {type: integer, enum: [1]}]}, c: {oneOf: [{type: integer}]}}}",
    );
    assert_eq!(notes.len(), 2, "{notes:?}");
    let notes = check("{type: string, pattern: '(?i)^abc$'}", "{type: string}");
    assert_eq!(
        notes,
        ["pattern is not an ECMAScript regular expression; the client does not check it"]
    );
}

#[test]
fn document_level_31_features() {
    let mut doc = load_str(
        "t.yaml",
        r##"
openapi: 3.1.0
jsonSchemaDialect: https://spec.openapis.org/oas/3.1/dialect/base
info: {title: t, version: '1', summary: s, license: {name: MIT, identifier: MIT}}
webhooks:
  newPet: {post: {responses: {'200': {description: ok}}}}
paths:
  /pets: {$ref: '#/components/pathItems/Pets'}
components:
  pathItems:
    Pets:
      get:
        parameters:
          - {name: q, in: query, schema: {type: [string, 'null']}, examples: [a]}
        responses:
          '200':
            content:
              application/json: {schema: {type: array, items: {type: string}}}
"##,
        false,
    )
    .unwrap();
    let notes = normalize(&mut doc).unwrap();
    let value = &doc.value;
    assert_eq!(value["openapi"], "3.0.3");
    assert!(value.get("webhooks").is_none());
    assert!(value.get("jsonSchemaDialect").is_none());
    assert_eq!(
        value["info"],
        json!({"title": "t", "version": "1", "license": {"name": "MIT"}})
    );
    assert!(value["components"].get("pathItems").is_none());
    let get = &value["paths"]["/pets"]["get"];
    assert_eq!(
        get["parameters"][0],
        json!({"name": "q", "in": "query", "schema": {"type": "string", "nullable": true}, "example": "a"})
    );
    assert_eq!(get["responses"]["200"]["description"], "");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].message.contains("webhook"));
}

#[test]
fn enums_whose_values_name_alike_become_strings() {
    let notes = check("{type: string, enum: ['.', X, O]}", "{type: string}");
    assert_eq!(notes.len(), 1);
    check(
        "{type: string, enum: [a, b]}",
        "{type: string, enum: [a, b]}",
    );
}

#[test]
fn defaults_that_do_not_fit_are_dropped() {
    let notes = check(
        "{type: string, enum: [a], default: []}",
        "{type: string, enum: [a]}",
    );
    assert_eq!(notes, ["default does not match its own schema; dropped"]);
    let notes = check("{type: string, default: null}", "{type: string}");
    assert!(notes.is_empty());
    check(
        "{type: [string, 'null'], default: null}",
        "{type: string, nullable: true, default: null}",
    );
}

#[test]
fn defaults_that_do_not_parse_as_their_format_are_dropped() {
    let notes = check(
        "{type: string, format: date-time, default: '2024-05-15T13:56:52.061787'}",
        "{type: string, format: date-time}",
    );
    assert_eq!(notes, ["default does not match its own schema; dropped"]);
    check(
        "{type: string, format: date-time, default: '2024-05-15T13:56:52.061787+02:00'}",
        "{type: string, format: date-time, default: '2024-05-15T13:56:52.061787+02:00'}",
    );
    check(
        "{type: string, format: uuid, default: 'not-a-uuid'}",
        "{type: string, format: uuid}",
    );
}

#[test]
fn type_keywords_beside_a_union_move_into_its_branches() {
    check(
        "{anyOf: [{$ref: '#/components/schemas/Other'}, {type: array, items: {type: string}}, {type: 'null'}], uniqueItems: true, minLength: 2}",
        "{anyOf: [{$ref: '#/components/schemas/Other'}, {type: array, items: {type: string}, uniqueItems: true}], nullable: true}",
    );
}
