//! Property tests: mutated specs and arbitrary bytes never make the pipeline panic. Panics
//! inside progenitor are caught and turned into errors by design; a panic anywhere else
//! fails the test.

use std::path::PathBuf;
use std::sync::OnceLock;

use nx1_codegen::{
    ClientConfig, ServerConfig, generate_client, generate_server, load_str, prepare,
};
use proptest::prelude::*;
use serde_json::Value;

/// The vendored spec plus, when the shared corpus is beside the project, its small specs.
fn seeds() -> &'static [(String, Value)] {
    static SEEDS: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut paths = vec![root.join("openapi.yaml")];
        let shared = root.join("../shared/specs");
        if shared.is_dir() {
            for name in [
                "fastapi-airflow-simple-auth-manager.yaml",
                "fastapi-flashnotes.json",
                "oai-tictactoe.yaml",
                "oai-non-oauth-scopes.yaml",
                "oai-webhook-example.yaml",
            ] {
                paths.push(shared.join(name));
            }
        } else {
            eprintln!(
                "note: {} is absent; fuzzing the vendored spec only",
                shared.display()
            );
        }
        paths
            .into_iter()
            .map(|path| {
                let doc = nx1_codegen::load_file(&path).expect("seed specs load");
                (path.display().to_string(), doc.value)
            })
            .collect()
    })
}

/// Every pointer into `value`, so that a mutation can pick one.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                out.push(here.clone());
                pointers(item, here, out);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let here = format!("{at}/{index}");
                out.push(here.clone());
                pointers(item, here, out);
            }
        }
        _ => {}
    }
}

fn replacement(choice: u8) -> Value {
    match choice % 10 {
        0 => Value::Null,
        1 => Value::Bool(true),
        2 => serde_json::json!(-1),
        3 => serde_json::json!("null"),
        4 => serde_json::json!([]),
        5 => serde_json::json!({}),
        6 => serde_json::json!({"$ref": "#/components/schemas/Nope"}),
        7 => serde_json::json!({"type": ["null"]}),
        8 => serde_json::json!({"anyOf": [{"type": "null"}]}),
        _ => serde_json::json!(1e300),
    }
}

fn run_pipeline(origin: &str, text: &str, is_json: bool) {
    if let Ok(prepared) = load_str(origin, text, is_json).and_then(prepare) {
        let _ = generate_client(&prepared, &ClientConfig::default());
        let _ = generate_server(&prepared, &ServerConfig::default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn mutated_specs_never_panic(
        seed in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), any::<bool>()), 1..6),
    ) {
        let (origin, original) = seed.get(seeds());
        let mut spec = original.clone();
        for (target, choice, remove) in edits {
            let mut all = Vec::new();
            pointers(&spec, String::new(), &mut all);
            if all.is_empty() {
                break;
            }
            let pointer = target.get(&all).clone();
            let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", &pointer));
            let key = key.replace("~1", "/").replace("~0", "~");
            match spec.pointer_mut(parent) {
                Some(Value::Object(map)) if remove => { map.remove(&key); }
                Some(Value::Array(items)) if remove => {
                    if let Ok(index) = key.parse::<usize>() && index < items.len() {
                        items.remove(index);
                    }
                }
                _ => {
                    if let Some(slot) = spec.pointer_mut(&pointer) {
                        *slot = replacement(choice);
                    }
                }
            }
        }
        let text = serde_json::to_string(&spec).unwrap();
        run_pipeline(origin, &text, true);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), is_json in any::<bool>()) {
        run_pipeline("bytes", &String::from_utf8_lossy(&bytes), is_json);
    }

    #[test]
    fn truncated_specs_never_panic(seed in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
        let (origin, value) = seed.get(seeds());
        let text = serde_json::to_string(value).unwrap();
        let mut end = cut.index(text.len().max(1));
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        run_pipeline(origin, &text[..end], true);
    }
}

/// Schemas in the shapes real 3.1 specs use, odd ones included: nullable unions, mixed
/// `allOf`/`anyOf`/`oneOf`, discriminators, enums with defaults, `const`, type arrays,
/// patterns in the Python and the ECMAScript dialect, recursive `$ref`s, odd names.
fn schema() -> impl Strategy<Value = Value> {
    use serde_json::json;
    let leaf = prop_oneof![
        Just(json!({"type": "string"})),
        Just(json!({"type": "integer", "default": 3})),
        Just(json!({"type": "string", "enum": ["a", "b"], "default": "a"})),
        Just(json!({"type": "string", "enum": ["a", "b"], "default": "zzz"})),
        Just(json!({"const": "fixed"})),
        Just(json!({"type": ["string", "null"]})),
        Just(json!({"type": ["integer", "string", "null"]})),
        Just(json!({"type": "string", "pattern": "^(?P<year>[0-9]{4})\\Z"})),
        Just(json!({"type": "string", "pattern": "^[a-z]+$"})),
        Just(json!({"type": "string", "pattern": "(?i)^abc"})),
        Just(json!({"type": "number", "exclusiveMinimum": 0})),
        Just(json!({"enum": ["auto", 1, 2]})),
        Just(json!({"enum": ["a", "b", null], "type": ["string", "null"], "title": "Model"})),
        Just(json!({})),
        (0..4u8).prop_map(|i| json!({"$ref": format!("#/components/schemas/S{i}")})),
        // References into other schemas, as specs converted from draft-04 write them.
        Just(json!({"$ref": "#/components/schemas/Defs/definitions/inner"})),
        Just(json!({"$ref": "#/components/schemas/Defs/$defs/Node"})),
        Just(json!({"$ref": "#/components/schemas/Defs/properties/label"})),
        Just(json!({"$ref": "#/components/schemas/Details", "type": ["object", "null"]})),
        Just(json!({"type": "array", "items": {"type": "string"}, "minItems": 1})),
        Just(
            json!({"anyOf": [{"type": "array", "items": {}}, {"type": "array"}, {"type": "string"}]})
        ),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        let name = prop_oneof![
            Just("type"), Just("self"), Just("2fa"), Just("a-b"), Just("A b"), Just("model"),
            Just("items"), Just("kind"), Just("guid"), Just("Guid"), Just("_guid"), Just("g-uid"),
        ];
        prop_oneof![
            prop::collection::vec((name, inner.clone()), 1..4).prop_map(|fields| {
                let mut properties = serde_json::Map::new();
                for (name, schema) in fields {
                    properties.insert(name.to_owned(), schema);
                }
                let required: Vec<String> = properties.keys().take(1).cloned().collect();
                serde_json::json!({"type": "object", "properties": properties, "required": required, "title": "Model"})
            }),
            inner.clone().prop_map(|items| serde_json::json!({"type": "array", "items": items})),
            inner.clone().prop_map(|x| serde_json::json!({"anyOf": [x, {"type": "null"}], "default": null})),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|xs| serde_json::json!({"oneOf": xs})),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| serde_json::json!({"anyOf": [a], "oneOf": [b]})),
            inner.clone().prop_map(|x| serde_json::json!({"allOf": [{"$ref": "#/components/schemas/S1"}, x]})),
            Just(serde_json::json!({
                "oneOf": [{"$ref": "#/components/schemas/S2"}, {"$ref": "#/components/schemas/S3"}],
                "discriminator": {"propertyName": "kind", "mapping": {"two": "#/components/schemas/S2"}}
            })),
            inner.clone().prop_map(|x| serde_json::json!({"type": "object", "additionalProperties": x})),
            prop::collection::vec(inner, 2..4).prop_map(|xs| {
                let branches: Vec<Value> = xs.into_iter().enumerate().map(|(i, x)| serde_json::json!({
                    "type": "object",
                    "properties": {"kind": {"const": format!("k{i}")}, "value": x},
                    "required": ["kind"]
                })).collect();
                serde_json::json!({"oneOf": branches, "discriminator": {"propertyName": "kind"}})
            }),
        ]
    })
}

/// A 3.1 document whose four components and one operation's body and response are drawn
/// from [`schema`], beside components named to collide once turned into Rust.
fn document() -> impl Strategy<Value = Value> {
    (prop::collection::vec(schema(), 4), schema(), schema()).prop_map(|(components, body, response)| {
        let mut schemas = serde_json::Map::new();
        for (index, schema) in components.into_iter().enumerate() {
            schemas.insert(format!("S{index}"), schema);
        }
        schemas.insert("Model".into(), serde_json::json!({"type": "object", "properties": {"id": {"type": "string"}}}));
        schemas.insert("model".into(), serde_json::json!({"type": "string", "enum": ["x"]}));
        schemas.insert("Model-Input".into(), serde_json::json!({"type": "integer"}));
        schemas.insert("Details".into(), serde_json::json!({"type": "object", "properties": {"note": {"type": "string"}}}));
        schemas.insert("Defs".into(), serde_json::json!({
            "type": "object",
            "properties": {"label": {"type": "string", "maxLength": 8}, "inner": {"$ref": "#/components/schemas/Defs/definitions/inner"}},
            "definitions": {"inner": {"type": "object", "properties": {"again": {"$ref": "#/components/schemas/Defs/definitions/inner"}}}},
            "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Defs/$defs/Node"}}}}
        }));
        serde_json::json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/things/{id}": {
                "post": {
                    "operationId": "authenticate",
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                    "requestBody": {"content": {"application/json": {"schema": body}}},
                    "responses": {"200": {"description": "", "content": {"application/json": {"schema": response}}}}
                },
                "options": {"responses": {"204": {"description": ""}}}
            }},
            "components": {"schemas": schemas}
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// However odd the schemas, a loadable spec always generates a client and a server:
    /// what cannot be typed is degraded, never the whole spec.
    #[test]
    fn random_31_documents_always_generate(doc in document()) {
        let text = serde_json::to_string(&doc).unwrap();
        if std::env::var_os("NX1_FUZZ_TRACE").is_some() {
            eprintln!("{text}");
        }
        let prepared = load_str("random.json", &text, true).and_then(prepare);
        let prepared = match prepared {
            Ok(prepared) => prepared,
            Err(err) => return Err(TestCaseError::fail(format!("{err}\n{text}"))),
        };
        let client = match generate_client(&prepared, &ClientConfig::default()) {
            Ok(client) => client,
            Err(err) => return Err(TestCaseError::fail(format!("client: {err}\n{text}"))),
        };
        let server = match generate_server(&prepared, &ServerConfig::default()) {
            Ok(server) => server,
            Err(err) => return Err(TestCaseError::fail(format!("server: {err}\n{text}"))),
        };
        // What rustc would refuse, found without running it: none, by construction.
        for (side, code) in [("client", &client.code), ("server", &server.code)] {
            let findings = nx1_codegen::soundness_findings(code);
            if !findings.is_empty() {
                return Err(TestCaseError::fail(format!("{side}: {findings:?}\n{text}")));
            }
        }
    }
}
