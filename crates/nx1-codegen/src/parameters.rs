//! Each operation's parameters made explicit, once, for every generator: path-level
//! parameters merged in (an operation's own win by name and location), `$ref`s resolved,
//! path parameters that are not in the template dropped, template variables nobody declared
//! added as strings.

use serde_json::{Value, json};

use crate::error::SpecError;
use crate::pointer::{self, child, follow};
use crate::spec::{HTTP_METHODS, Note};

/// Rewrites every operation of `root` to carry its full, resolved parameter list.
pub fn inline(origin: &str, root: &mut Value) -> Result<Vec<Note>, SpecError> {
    let snapshot = root.clone();
    let mut notes = Vec::new();
    let Some(Value::Object(paths)) = root.get_mut("paths") else {
        return Ok(notes);
    };
    for (path, item) in paths.iter_mut() {
        let Value::Object(item) = item else { continue };
        let shared = match item.remove("parameters") {
            Some(Value::Array(shared)) => shared,
            _ => Vec::new(),
        };
        let template: Vec<String> = crate::spec::PathTemplate::parse(path)
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect();
        for method in HTTP_METHODS {
            let Some(Value::Object(operation)) = item.get_mut(method) else {
                continue;
            };
            let pointer = child(&pointer::operation(path, method), "parameters");
            let own = match operation.remove("parameters") {
                Some(Value::Array(own)) => own,
                _ => Vec::new(),
            };
            let mut merged: Vec<Value> = Vec::new();
            for (index, parameter) in shared.iter().chain(own.iter()).enumerate() {
                let here = child(&pointer, &index.to_string());
                let (parameter, _) = follow(&snapshot, parameter).ok_or_else(|| {
                    SpecError::at_pointer(
                        origin,
                        &here,
                        "the parameter's `$ref` chain is dangling or cyclic",
                    )
                })?;
                let (Some(name), Some(location)) = (
                    parameter.get("name").and_then(Value::as_str),
                    parameter.get("in").and_then(Value::as_str),
                ) else {
                    return Err(SpecError::at_pointer(
                        origin,
                        &here,
                        "a parameter needs a `name` and an `in`",
                    ));
                };
                if location == "path" && !template.iter().any(|variable| variable == name) {
                    notes.push(Note {
                        pointer: here,
                        message: format!(
                            "path parameter `{name}` does not occur in `{path}`; dropped"
                        ),
                    });
                    continue;
                }
                let key = |p: &Value| (p.get("name").cloned(), p.get("in").cloned());
                merged.retain(|existing| key(existing) != key(parameter));
                merged.push(parameter.clone());
            }
            for variable in &template {
                let declared = merged.iter().any(|p| {
                    p.get("in").and_then(Value::as_str) == Some("path")
                        && p.get("name").and_then(Value::as_str) == Some(variable.as_str())
                });
                if !declared {
                    notes.push(Note {
                        pointer: pointer.clone(),
                        message: format!(
                            "path parameter `{variable}` is not declared; added as a string"
                        ),
                    });
                    merged.push(json!({"name": variable, "in": "path", "required": true, "schema": {"type": "string"}}));
                }
            }
            if !merged.is_empty() {
                operation.insert("parameters".into(), Value::Array(merged));
            }
        }
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_level_parameters_merge_and_templates_are_completed() {
        let mut root = json!({
            "components": {"parameters": {"Limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}}}},
            "paths": {"/a/{id}/{extra}": {
                "parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}},
                    {"$ref": "#/components/parameters/Limit"}
                ],
                "get": {"parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "gone", "in": "path", "required": true, "schema": {"type": "string"}}
                ], "responses": {}}
            }}
        });
        let notes = inline("t", &mut root).unwrap();
        let parameters = &root["paths"]["/a/{id}/{extra}"]["get"]["parameters"];
        assert_eq!(parameters[0]["name"], "limit");
        assert_eq!(
            parameters[1]["schema"]["type"], "string",
            "the operation's own wins"
        );
        assert_eq!(parameters[2]["name"], "extra");
        assert!(root["paths"]["/a/{id}/{extra}"].get("parameters").is_none());
        assert_eq!(notes.len(), 2, "{notes:?}");
    }
}
