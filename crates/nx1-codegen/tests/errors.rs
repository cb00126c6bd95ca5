//! Malformed specs give located errors, never panics; faults that cost one schema rather
//! than the spec are mended, with a located note.

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

/// Runs the whole pipeline over `text`, which must generate, and checks that one note says
/// `expected` (`pointer: message`).
fn mended(text: &str, expected: &str) {
    let prepared = load_str("bad.yaml", text, false)
        .and_then(prepare)
        .unwrap_or_else(|err| panic!("expected `{text}` to generate, got: {err}"));
    generate_client(&prepared, &ClientConfig::default()).unwrap();
    let notes: Vec<String> = prepared
        .notes
        .iter()
        .map(|note| format!("{}: {}", note.pointer, note.message))
        .collect();
    assert!(
        notes.iter().any(|note| note == expected),
        "no note `{expected}` among {notes:#?}"
    );
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
    mended(
        &format!(
            "{HEAD}paths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/Missing'}}\n"
        ),
        "/paths/~1a/get/responses/200/content/application~1json/schema: dangling reference `#/components/schemas/Missing`; read as any JSON value",
    );
}

#[test]
fn unknown_type() {
    mended(
        &format!("{HEAD}components:\n  schemas:\n    A: {{type: integr}}\n"),
        "/components/schemas/A/type: unknown type \"integr\" (expected one of string, number, integer, boolean, array, object, null); not constrained",
    );
}

#[test]
fn external_ref() {
    mended(
        &format!("{HEAD}components:\n  schemas:\n    A: {{$ref: 'other.yaml#/A'}}\n"),
        "/components/schemas/A: external reference `other.yaml#/A` (bundle the spec into one file to keep its type); read as any JSON value",
    );
}

#[test]
fn schema_of_the_wrong_shape() {
    mended(
        &format!("{HEAD}components:\n  schemas:\n    A: 42\n"),
        "/components/schemas/A: a schema must be a mapping or a boolean; read as any JSON value",
    );
}

#[test]
fn missing_version_and_scopes() {
    mended(
        "openapi: 3.1.0\ninfo: {title: t}\npaths: {}\n",
        "/info/version: missing `info.version`; `0.0.0` assumed",
    );
    mended(
        &format!(
            "{HEAD}paths: {{}}\ncomponents:\n  securitySchemes:\n    O: {{type: oauth2, flows: {{password: {{tokenUrl: /t}}}}}}\n"
        ),
        "/components/securitySchemes/O/flows/password/scopes: OAuth2 flow without `scopes`; none assumed",
    );
}

#[test]
fn wrong_field_type_names_its_pointer() {
    check(
        &format!("{HEAD}paths:\n  /a:\n    get:\n      summary: [1]\n      responses: {{}}\n"),
        false,
        "bad.yaml:6:7#/paths/~1a/get/summary: not a valid OpenAPI 3.0 object after normalisation: invalid type: sequence, expected a string",
    );
}

#[test]
fn a_shared_operation_id_is_noted_with_its_line() {
    let text = format!(
        "{HEAD}paths:\n  /a:\n    get:\n      operationId: list\n      responses: {{'200': {{description: ok}}}}\n  /b:\n    get:\n      operationId: list\n      responses: {{'200': {{description: ok}}}}\n"
    );
    let prepared = load_str("dup.yaml", &text, false)
        .and_then(prepare)
        .unwrap();
    let client = generate_client(&prepared, &ClientConfig::default()).unwrap();
    let located: Vec<String> = prepared
        .notes
        .iter()
        .map(|note| format!("{}: {}", prepared.locate(note), note.message))
        .collect();
    assert!(
        located.iter().any(|note| note.starts_with(
            "dup.yaml:10:7#/paths/~1b/get/operationId: operationId `list` is also used by GET /a; \
             operationIds must be unique, so this operation's method is named `list_"
        )),
        "{located:#?}"
    );
    assert!(client.code.contains("pub async fn list<"));
}
