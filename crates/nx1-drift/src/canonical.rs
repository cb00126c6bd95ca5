//! The one way `update-spec` writes a spec: known keys in the order the OpenAPI spec lists
//! them, paths, statuses and components sorted, everything else as the docs had it; and
//! written atomically, so that a failed run never leaves half a file behind.

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value};

use crate::DriftError;

const TOP: [&str; 9] = [
    "openapi",
    "info",
    "jsonSchemaDialect",
    "servers",
    "security",
    "tags",
    "paths",
    "webhooks",
    "components",
];
const PATH_ITEM: [&str; 14] = [
    "summary",
    "description",
    "servers",
    "parameters",
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
    "query",
    "additionalOperations",
];
const OPERATION: [&str; 11] = [
    "tags",
    "summary",
    "description",
    "operationId",
    "parameters",
    "requestBody",
    "responses",
    "callbacks",
    "deprecated",
    "security",
    "servers",
];

/// The spec as canonical YAML.
pub fn to_yaml(spec: &Value) -> Result<String, DriftError> {
    let canonical = canonicalize(spec);
    serde_saphyr::to_string(&canonical)
        .map_err(|err| DriftError::Spec(format!("cannot write YAML: {err}")))
}

fn canonicalize(spec: &Value) -> Value {
    let Value::Object(top) = spec else {
        return spec.clone();
    };
    let mut top = ordered(top, &TOP);
    if let Some(Value::Object(paths)) = top.get_mut("paths") {
        let mut sorted: Vec<(String, Value)> = std::mem::take(paths).into_iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, item) in &mut sorted {
            if let Value::Object(map) = item {
                let mut reordered = ordered(map, &PATH_ITEM);
                for method in &PATH_ITEM[4..] {
                    if let Some(Value::Object(operation)) = reordered.get_mut(*method) {
                        let mut operation_sorted = ordered(operation, &OPERATION);
                        if let Some(Value::Object(responses)) =
                            operation_sorted.get_mut("responses")
                        {
                            sort_map(responses);
                        }
                        *operation = operation_sorted;
                    }
                }
                *map = reordered;
            }
        }
        *paths = sorted.into_iter().collect();
    }
    if let Some(Value::Object(components)) = top.get_mut("components") {
        for section in components.values_mut() {
            if let Value::Object(entries) = section {
                sort_map(entries);
            }
        }
    }
    Value::Object(top)
}

fn ordered(map: &Map<String, Value>, order: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    for key in order {
        if let Some(value) = map.get(*key) {
            out.insert((*key).to_owned(), value.clone());
        }
    }
    for (key, value) in map {
        if !order.contains(&key.as_str()) {
            out.insert(key.clone(), value.clone());
        }
    }
    out
}

fn sort_map(map: &mut Map<String, Value>) {
    let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    *map = entries.into_iter().collect();
}

/// Writes `text` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), DriftError> {
    let fail = |message: String| DriftError::Write {
        path: path.display().to_string(),
        message,
    };
    let directory = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "spec".into());
    let temporary = directory.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temporary).map_err(|err| fail(err.to_string()))?;
        file.write_all(text.as_bytes())
            .map_err(|err| fail(err.to_string()))?;
        file.sync_all().map_err(|err| fail(err.to_string()))?;
        std::fs::rename(&temporary, path).map_err(|err| fail(err.to_string()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}
