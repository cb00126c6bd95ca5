//! Faults the OpenAPI rules forbid but code generation survives: each becomes a note that
//! says what the generated code does about it, never a silent choice.

use std::collections::HashMap;

use serde_json::Value;

use crate::pointer;
use crate::spec::{HTTP_METHODS, Note};
use crate::tidy::OperationName;

/// Notes for the spec as loaded (`root`), whose operations `tidy` named.
pub(crate) fn lint(root: &Value, operations: &[OperationName]) -> Vec<Note> {
    let mut notes = duplicate_operation_ids(operations);
    notes.extend(missing_responses(root));
    notes
}

/// operationIds must be unique; where two operations share one, say which method each got.
fn duplicate_operation_ids(operations: &[OperationName]) -> Vec<Note> {
    let mut by_id: HashMap<&str, Vec<&OperationName>> = HashMap::new();
    for operation in operations {
        if let Some(id) = &operation.original {
            by_id.entry(id).or_default().push(operation);
        }
    }
    let mut notes = Vec::new();
    for operation in operations {
        let Some(id) = &operation.original else {
            continue;
        };
        let others: Vec<String> = by_id[id.as_str()]
            .iter()
            .filter(|other| !std::ptr::eq(**other, operation))
            .map(|other| format!("{} {}", other.method.to_uppercase(), other.path))
            .collect();
        if others.is_empty() {
            continue;
        }
        notes.push(Note {
            pointer: format!(
                "{}/operationId",
                pointer::operation(&operation.path, &operation.method)
            ),
            message: format!(
                "operationId `{id}` is also used by {}; operationIds must be unique, so this \
                 operation's method is named `{}`",
                others.join(", "),
                operation.name
            ),
        });
    }
    notes
}

/// An operation must declare its `responses` (OpenAPI 3.0) and nearly always does (3.1).
fn missing_responses(root: &Value) -> Vec<Note> {
    let mut notes = Vec::new();
    let Some(paths) = root.get("paths").and_then(Value::as_object) else {
        return notes;
    };
    for (path, item) in paths {
        for method in HTTP_METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let declared = operation
                .get("responses")
                .and_then(Value::as_object)
                .is_some_and(|responses| !responses.is_empty());
            if !declared {
                notes.push(Note {
                    pointer: pointer::operation(path, method),
                    message: "declares no `responses`; the client returns its answer as \
                              untyped bytes and the server as any status; declare the \
                              responses to type them"
                        .to_owned(),
                });
            }
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_operation_ids_and_missing_responses_are_noted() {
        let mut root = serde_json::json!({"paths": {
            "/a": {"get": {"operationId": "list", "responses": {"200": {"description": "ok"}}}},
            "/b": {"get": {"operationId": "list"}},
        }});
        let operations = crate::tidy::tidy(&mut root.clone());
        let notes = lint(&root, &operations);
        let shown: Vec<String> = notes
            .iter()
            .map(|note| format!("{}: {}", note.pointer, note.message))
            .collect();
        assert_eq!(shown.len(), 3, "{shown:#?}");
        assert!(
            shown[0].starts_with(
                "/paths/~1a/get/operationId: operationId `list` is also used by GET /b"
            ),
            "{shown:#?}"
        );
        assert!(shown[1].contains("also used by GET /a"), "{shown:#?}");
        assert!(
            shown[2].starts_with("/paths/~1b/get: declares no `responses`"),
            "{shown:#?}"
        );
        root["paths"]["/b"]["get"]["operationId"] = "other".into();
        let operations = crate::tidy::tidy(&mut root.clone());
        assert_eq!(lint(&root, &operations).len(), 1);
    }
}
