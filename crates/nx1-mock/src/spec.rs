//! The spec as the mock serves it at `/openapi.json`: the vendored spec plus the answers
//! FastAPI (and so the mock) gives that the published spec leaves out, so that a
//! conformance tester sees every status documented instead of having checks turned off.

use serde_json::{Value, json};

/// The vendored spec, with:
/// - pydantic's lax coercions written out: a boolean also accepts `0`/`1` and the strings
///   pydantic reads as booleans, an unconstrained integer or number also its decimal text;
/// - integers bounded to i64, which is what the Rust server holds (pydantic would take
///   Python's unbounded ints);
/// - 401 `{"detail": ...}` on every secured operation (FastAPI's body for refused
///   credentials; the published spec lists 401 without a body, or not at all);
/// - 404 and 409 `{"detail": ...}` on the manual trigger and 409 on the writeback, for
///   unknown jobs and moves the lifecycle does not allow.
pub fn served_spec() -> Value {
    let mut spec: Value = serde_json::from_str(nx1_server::SPEC_JSON).unwrap_or_default();
    let detail = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
        })
    };
    let global_security = spec.get("security").cloned().unwrap_or(Value::Null);
    if let Some(Value::Object(paths)) = spec.get_mut("paths") {
        for item in paths.values_mut() {
            let Value::Object(item) = item else { continue };
            for operation in item.values_mut() {
                let secured = operation
                    .get("security")
                    .or(Some(&global_security))
                    .and_then(Value::as_array)
                    .is_some_and(|alternatives| {
                        !alternatives.is_empty()
                            && alternatives.iter().all(|alternative| {
                                alternative.as_object().is_some_and(|a| !a.is_empty())
                            })
                    });
                if let (true, Some(Value::Object(responses))) =
                    (secured, operation.get_mut("responses"))
                {
                    responses.insert(
                        "401".into(),
                        detail("Not authenticated, or credentials refused"),
                    );
                }
            }
        }
    }
    let extras = [
        (
            "/api/automl/train/jobs/{job_id}/trigger",
            "post",
            "404",
            "Training job not found",
        ),
        (
            "/api/automl/train/jobs/{job_id}/trigger",
            "post",
            "409",
            "Training job is not ready",
        ),
        (
            "/api/automl/train/jobs/{job_id}/status",
            "put",
            "409",
            "The lifecycle does not allow this move",
        ),
    ];
    for (path, method, status, description) in extras {
        if let Some(Value::Object(responses)) = spec
            .get_mut("paths")
            .and_then(|paths| paths.get_mut(path))
            .and_then(|item| item.get_mut(method))
            .and_then(|operation| operation.get_mut("responses"))
        {
            responses.insert(status.into(), detail(description));
        }
    }
    write_lax_mode(&mut spec);
    spec
}

/// Writes pydantic's lax mode into every schema of the spec.
fn write_lax_mode(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if !matches!(
                    key.as_str(),
                    "example" | "examples" | "default" | "enum" | "const"
                ) {
                    write_lax_mode(item);
                }
            }
            let kind = map.get("type").and_then(Value::as_str).map(str::to_owned);
            let unconstrained = ![
                "minimum",
                "maximum",
                "exclusiveMinimum",
                "exclusiveMaximum",
                "multipleOf",
                "enum",
                "const",
            ]
            .iter()
            .any(|key| map.contains_key(*key));
            match kind.as_deref() {
                Some("boolean") => {
                    let original = Value::Object(std::mem::take(map));
                    map.insert(
                        "anyOf".into(),
                        json!([original, {"type": "integer", "enum": [0, 1]}, {"type": "string", "pattern": BOOLEAN_TEXT}]),
                    );
                }
                Some("integer") => {
                    map.entry("minimum").or_insert(json!(i64::MIN));
                    map.entry("maximum").or_insert(json!(i64::MAX));
                    if unconstrained {
                        let original = Value::Object(std::mem::take(map));
                        map.insert(
                            "anyOf".into(),
                            json!([original, {"type": "string", "pattern": "^\\s*[-+]?[0-9]{1,18}\\s*$"}]),
                        );
                    }
                }
                Some("number") if unconstrained => {
                    let original = Value::Object(std::mem::take(map));
                    map.insert(
                        "anyOf".into(),
                        json!([original, {"type": "string", "pattern": "^\\s*[-+]?([0-9]{1,15}(\\.[0-9]{0,15})?|\\.[0-9]{1,15})([eE][-+]?[0-9]{1,2})?\\s*$"}]),
                    );
                }
                _ => {}
            }
        }
        Value::Array(items) => items.iter_mut().for_each(write_lax_mode),
        _ => {}
    }
}

/// The strings pydantic reads as booleans, in any case.
const BOOLEAN_TEXT: &str = "^([01]|[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[Yy][Ee][Ss]|[Nn][Oo]|[Oo][Nn]|[Oo][Ff][Ff]|[TtFfYyNn])$";
