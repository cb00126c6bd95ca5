//! Idiomatic, collision-free names for operations and schemas.
//!
//! FastAPI derives an operationId from the handler name, the path and the method
//! (`get_training_job_statuses_api_automl_train_jobs_status_get`), and schema names from
//! Python classes (`Model-Input`, `app__models__Item`, `Body_upload_file_api_files_post`).
//! Generated code reads better with the handler name alone (`get_training_job_statuses`)
//! and with Rust type names; the renaming is deterministic and never merges two names.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use crate::names::{Allocator, RESERVED_METHODS};
use crate::names::{sanitize_pascal, sanitize_snake};
use crate::pointer;
use crate::spec::HTTP_METHODS;
use crate::walk;

/// One operation of the spec, as the pipeline refers to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationName {
    pub path: String,
    pub method: String,
    /// The operationId the spec gave (or none).
    pub original: Option<String>,
    /// The snake_case method name the client uses.
    pub name: String,
}

/// Renames operations and component schemas of a normalised document in place.
pub fn tidy(root: &mut Value) -> Vec<OperationName> {
    let operations = tidy_operation_ids(root);
    tidy_schema_names(root, &operations);
    operations
}

fn tidy_operation_ids(root: &mut Value) -> Vec<OperationName> {
    let mut operations = Vec::new();
    if let Some(Value::Object(paths)) = root.get("paths") {
        for (path, item) in paths {
            for method in HTTP_METHODS {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                let original = operation
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let name = match &original {
                    Some(id) => sanitize_snake(strip_fastapi_suffix(id, path, method)),
                    None => sanitize_snake(&format!("{method}{}", words_of_path(path))),
                };
                operations.push(OperationName {
                    path: path.clone(),
                    method: method.to_owned(),
                    original,
                    name,
                });
            }
        }
    }

    // A name the client or the server trait already uses takes its method first.
    for op in operations
        .iter_mut()
        .filter(|op| RESERVED_METHODS.contains(&op.name.as_str()))
    {
        op.name = sanitize_snake(&format!("{}_{}", op.name, op.method));
    }
    // Names shared by several operations take their method, then their full original id,
    // then a counter: whatever first tells them apart.
    let fallbacks: [fn(&OperationName) -> String; 2] = [
        |op| sanitize_snake(&format!("{}_{}", op.name, op.method)),
        |op| match &op.original {
            Some(id) => sanitize_snake(id),
            None => sanitize_snake(&format!("{}{}", op.method, words_of_path(&op.path))),
        },
    ];
    for fallback in fallbacks {
        let counts = count(operations.iter().map(|op| op.name.clone()));
        for op in operations.iter_mut().filter(|op| counts[&op.name] > 1) {
            op.name = fallback(op);
        }
    }
    let mut allocator = Allocator::with_reserved(&RESERVED_METHODS).separated_by("_");
    for op in &mut operations {
        op.name = allocator.allocate(std::slice::from_ref(&op.name));
    }

    if let Some(Value::Object(paths)) = root.get_mut("paths") {
        for op in &operations {
            if let Some(Value::Object(operation)) = paths
                .get_mut(&op.path)
                .and_then(|item| item.get_mut(&op.method))
            {
                operation.insert("operationId".into(), json!(op.name));
            }
        }
    }
    operations
}

/// FastAPI's default id is `name + re.sub(r"\W", "_", path) + "_" + method`.
fn strip_fastapi_suffix<'a>(id: &'a str, path: &str, method: &str) -> &'a str {
    let suffix: String = path
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .chain(format!("_{method}").chars())
        .collect();
    match id.strip_suffix(suffix.as_str()) {
        Some(name) if !name.is_empty() => name,
        _ => id,
    }
}

fn words_of_path(path: &str) -> String {
    path.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| format!("_{word}"))
        .collect()
}

fn tidy_schema_names(root: &mut Value, operations: &[OperationName]) {
    let Some(Value::Object(schemas)) = root.pointer("/components/schemas") else {
        return;
    };
    let originals: Vec<String> = schemas.keys().cloned().collect();
    let bodies: HashMap<&str, &str> = operations
        .iter()
        .filter_map(|op| Some((op.original.as_deref()?, op.name.as_str())))
        .collect();

    let mut names: Vec<String> = originals
        .iter()
        .map(|original| preferred_schema_name(original, &bodies))
        .collect();
    // Colliding short names fall back to the whole original name, then to a counter.
    let counts = count(names.iter().cloned());
    for (name, original) in names.iter_mut().zip(&originals) {
        if counts[name] > 1 {
            *name = sanitize_pascal(original);
        }
    }
    let mut allocator = Allocator::default();
    for name in &mut names {
        *name = allocator.allocate(std::slice::from_ref(name));
    }

    let renames: HashMap<String, String> = originals
        .into_iter()
        .zip(names)
        .filter(|(original, name)| original != name)
        .collect();
    if renames.is_empty() {
        return;
    }
    if let Some(Value::Object(schemas)) = root.pointer_mut("/components/schemas") {
        let entries = std::mem::take(schemas);
        for (name, schema) in entries {
            let name = renames.get(&name).cloned().unwrap_or(name);
            schemas.insert(name, schema);
        }
    }
    rewrite_schema_refs(root, &renames);
}

fn preferred_schema_name(original: &str, bodies: &HashMap<&str, &str>) -> String {
    // FastAPI names the form/multipart model of an operation `Body_<operationId>`.
    if let Some(operation) = original.strip_prefix("Body_")
        && let Some(name) = bodies.get(operation)
    {
        return sanitize_pascal(&format!("{name}_body"));
    }
    // Two models with one class name become `module__path__Name`.
    let short = original.rsplit("__").next().unwrap_or(original);
    sanitize_pascal(short)
}

/// Rewrites `#/components/schemas/<old>` everywhere, discriminator mappings included.
fn rewrite_schema_refs(root: &mut Value, renames: &HashMap<String, String>) {
    const PREFIX: &str = "#/components/schemas/";
    let rename = |reference: &str| -> Option<String> {
        let name = pointer::unescape(reference.strip_prefix(PREFIX)?);
        let new = renames.get(&name)?;
        Some(format!("{PREFIX}{}", pointer::escape(new)))
    };
    walk::objects_mut(root, &mut |map| {
        if let Some(Value::String(reference)) = map.get_mut("$ref")
            && let Some(new) = rename(reference)
        {
            *reference = new;
        }
        if let Some(Value::Object(mapping)) = map
            .get_mut("discriminator")
            .and_then(|discriminator| discriminator.get_mut("mapping"))
        {
            for target in mapping.values_mut() {
                if let Value::String(target) = target {
                    if let Some(new) = rename(target) {
                        *target = new;
                    } else if let Some(new) = renames.get(target.as_str()) {
                        *target = new.clone();
                    }
                }
            }
        }
        true
    });
}

fn count(names: impl Iterator<Item = String>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for name in names {
        *counts.entry(name).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tidy_ids(operations: &[(&str, &str, Option<&str>)]) -> Vec<String> {
        let mut paths = serde_json::Map::new();
        for (path, method, id) in operations {
            let item = paths.entry(path.to_string()).or_insert(json!({}));
            let mut operation = json!({"responses": {}});
            if let Some(id) = id {
                operation["operationId"] = json!(id);
            }
            item[*method] = operation;
        }
        let mut root = json!({ "paths": paths });
        tidy(&mut root).into_iter().map(|op| op.name).collect()
    }

    #[test]
    fn fastapi_suffixes_are_stripped() {
        assert_eq!(
            tidy_ids(&[
                (
                    "/api/automl/train/jobs/status",
                    "get",
                    Some("get_training_job_statuses_api_automl_train_jobs_status_get")
                ),
                (
                    "/api/app/{app_id}/versions",
                    "get",
                    Some("get_app_versions_api_app__app_id__versions_get")
                ),
                ("/pets", "get", Some("listPets")),
                ("/pets/{id}", "delete", None),
            ]),
            [
                "get_training_job_statuses",
                "get_app_versions",
                "list_pets",
                "delete_pets_id"
            ]
        );
    }

    #[test]
    fn colliding_names_take_their_method_then_their_original_id() {
        assert_eq!(
            tidy_ids(&[
                ("/run/{path}", "get", Some("proxy_run__path__get")),
                ("/run/{path}", "patch", Some("proxy_run__path__patch")),
                ("/a", "get", Some("list_a_get")),
                ("/b", "get", Some("list_b_get")),
            ]),
            ["proxy_get", "proxy_patch", "list_a_get", "list_b_get"]
        );
    }

    #[test]
    fn an_id_that_is_only_the_suffix_is_kept() {
        assert_eq!(tidy_ids(&[("/x", "get", Some("_x_get"))]), ["x_get"]);
    }

    #[test]
    fn schema_names_are_tidied_and_refs_follow() {
        let mut root = json!({
            "paths": {"/files": {"post": {"operationId": "upload_file_files_post", "responses": {}}}},
            "components": {"schemas": {
                "Body_upload_file_files_post": {"type": "object"},
                "Model-Input": {"type": "object"},
                "HTTPValidationError": {"type": "object"},
                "app__models__Item": {"type": "object"},
                "other__Item": {"type": "object"},
                "Uses": {"properties": {
                    "a": {"$ref": "#/components/schemas/Model-Input"},
                    "b": {"$ref": "#/components/schemas/app__models__Item"}
                }, "discriminator": {"propertyName": "k", "mapping": {"x": "#/components/schemas/other__Item"}}}
            }}
        });
        tidy(&mut root);
        let schemas = root["components"]["schemas"].as_object().unwrap();
        assert_eq!(
            schemas.keys().collect::<Vec<_>>(),
            [
                "UploadFileBody",
                "ModelInput",
                "HttpValidationError",
                "AppModelsItem",
                "OtherItem",
                "Uses"
            ]
        );
        assert_eq!(
            schemas["Uses"]["properties"]["a"]["$ref"],
            "#/components/schemas/ModelInput"
        );
        assert_eq!(
            schemas["Uses"]["properties"]["b"]["$ref"],
            "#/components/schemas/AppModelsItem"
        );
        assert_eq!(
            schemas["Uses"]["discriminator"]["mapping"]["x"],
            "#/components/schemas/OtherItem"
        );
    }

    #[test]
    fn identifiers_are_valid_rust() {
        assert_eq!(sanitize_snake("type"), "type_");
        assert_eq!(sanitize_snake("2fa-check"), "_2fa_check");
        assert_eq!(sanitize_pascal("my-schema.v2"), "MySchemaV2");
    }
}
