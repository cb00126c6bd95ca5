//! Malformed specs give located errors, never panics.

use nx1_codegen::{ClientConfig, generate_client, load_str, prepare};

/// Runs the whole pipeline over `text` and returns its error message.
fn check(text: &str, is_json: bool, expected: &str) {
    let result = load_str("bad.yaml", text, is_json)
        .and_then(prepare)
        .and_then(|prepared| generate_client(&prepared, &ClientConfig::default()));
    match result {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(err) => assert_eq!(err.to_string(), expected),
    }
}

const HEAD: &str = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n";

#[test]
fn bad_yaml() {
    check(
        &format!("{HEAD}paths:\n  /a:\n    get: {{responses: {{'200': [}}}}\n"),
        false,
        "bad.yaml:5:30: invalid YAML: mismatched bracket '[' closed by '}'",
    );
}

#[test]
fn bad_json() {
    check(
        "{\"openapi\": \"3.1.0\",,}",
        true,
        "bad.yaml:1:21: invalid JSON: key must be a string",
    );
}

#[test]
fn dangling_ref() {
    check(
        &format!(
            "{HEAD}paths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/Missing'}}\n"
        ),
        false,
        "bad.yaml#/paths/~1a/get/responses/200/content/application~1json/schema/$ref: dangling reference `#/components/schemas/Missing`: nothing at that pointer in this document",
    );
}

#[test]
fn unknown_type() {
    check(
        &format!("{HEAD}components:\n  schemas:\n    A: {{type: integr}}\n"),
        false,
        "bad.yaml#/components/schemas/A/type: unknown type `integr`; expected one of string, number, integer, boolean, array, object, null",
    );
}

#[test]
fn external_ref() {
    check(
        &format!("{HEAD}components:\n  schemas:\n    A: {{$ref: 'other.yaml#/A'}}\n"),
        false,
        "bad.yaml#/components/schemas/A/$ref: external reference `other.yaml#/A` is not supported; bundle the spec into one file first",
    );
}

#[test]
fn schema_of_the_wrong_shape() {
    check(
        &format!("{HEAD}components:\n  schemas:\n    A: 42\n"),
        false,
        "bad.yaml#/components/schemas/A: a schema must be a mapping or a boolean",
    );
}

#[test]
fn wrong_field_type_names_its_pointer() {
    check(
        &format!("{HEAD}paths:\n  /a:\n    get:\n      summary: [1]\n      responses: {{}}\n"),
        false,
        "bad.yaml#/paths/~1a/get/summary: not a valid OpenAPI 3.0 object after normalisation: invalid type: sequence, expected a string",
    );
}
