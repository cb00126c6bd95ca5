//! Single-operation pages merged into one spec: the union of their paths; components by
//! name, only where every page that carries one agrees on it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::DriftError;
use crate::page::Page;

/// The merged spec, and which page documented each operation.
#[derive(Debug, Clone)]
pub struct Merged {
    pub spec: Value,
    /// `METHOD /path` → page URL.
    pub sources: BTreeMap<String, String>,
}

const COMPONENT_SECTIONS: [&str; 9] = [
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
];

/// Merges pages in the order given; the first page's top level (`openapi`, `info`,
/// `servers`, `security`) stands for the site.
pub fn merge(pages: &[Page]) -> Result<Merged, DriftError> {
    let mut top = Map::new();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut components: BTreeMap<&str, BTreeMap<String, (Value, String)>> = BTreeMap::new();
    let mut tags: Vec<Value> = Vec::new();
    let mut sources = BTreeMap::new();

    for page in pages {
        let document = page.document.as_object().cloned().unwrap_or_default();
        if top.is_empty() {
            for key in [
                "openapi",
                "info",
                "jsonSchemaDialect",
                "servers",
                "security",
            ] {
                if let Some(value) = document.get(key) {
                    top.insert(key.to_owned(), value.clone());
                }
            }
        }
        let key = format!("{} {}", page.method.to_ascii_uppercase(), page.path);
        if let Some(previous) = sources.insert(key.clone(), page.url.clone()) {
            return Err(DriftError::Conflict {
                what: format!("operation `{key}`"),
                first: previous,
                second: page.url.clone(),
                difference: "both pages document it".to_owned(),
            });
        }
        if let Some(Value::Object(page_paths)) = document.get("paths") {
            for (path, item) in page_paths {
                let Value::Object(item) = item else { continue };
                let merged = paths.entry(path.clone()).or_default();
                for (field, value) in item {
                    match merged.get(field) {
                        Some(existing) if existing != value => {
                            let first = sources
                                .iter()
                                .find(|(k, _)| k.ends_with(&format!(" {path}")) && **k != key)
                                .map(|(_, url)| url.clone())
                                .unwrap_or_default();
                            return Err(DriftError::Conflict {
                                what: format!("`{field}` of path `{path}`"),
                                first,
                                second: page.url.clone(),
                                difference: first_difference(existing, value),
                            });
                        }
                        Some(_) => {}
                        None => {
                            merged.insert(field.clone(), value.clone());
                        }
                    }
                }
            }
        }
        if let Some(Value::Object(page_components)) = document.get("components") {
            for section in COMPONENT_SECTIONS {
                let Some(Value::Object(entries)) = page_components.get(section) else {
                    continue;
                };
                let known = components.entry(section).or_default();
                for (name, value) in entries {
                    match known.get(name) {
                        Some((existing, first)) if existing != value => {
                            return Err(DriftError::Conflict {
                                what: format!("components.{section}.{name}"),
                                first: first.clone(),
                                second: page.url.clone(),
                                difference: first_difference(existing, value),
                            });
                        }
                        Some(_) => {}
                        None => {
                            known.insert(name.clone(), (value.clone(), page.url.clone()));
                        }
                    }
                }
            }
        }
        if let Some(Value::Array(page_tags)) = document.get("tags") {
            for tag in page_tags {
                let name = tag.get("name");
                if !tags.iter().any(|known| known.get("name") == name) {
                    tags.push(tag.clone());
                }
            }
        }
    }

    let mut spec = top;
    if !tags.is_empty() {
        tags.sort_by(|a, b| tag_name(a).cmp(tag_name(b)));
        spec.insert("tags".into(), Value::Array(tags));
    }
    let paths: Map<String, Value> = paths
        .into_iter()
        .map(|(path, item)| (path, Value::Object(item)))
        .collect();
    spec.insert("paths".into(), Value::Object(paths));
    let mut merged_components = Map::new();
    for section in COMPONENT_SECTIONS {
        if let Some(entries) = components.remove(section) {
            let entries: Map<String, Value> = entries
                .into_iter()
                .map(|(name, (value, _))| (name, value))
                .collect();
            merged_components.insert(section.to_owned(), Value::Object(entries));
        }
    }
    if !merged_components.is_empty() {
        spec.insert("components".into(), Value::Object(merged_components));
    }
    Ok(Merged {
        spec: Value::Object(spec),
        sources,
    })
}

fn tag_name(tag: &Value) -> &str {
    tag.get("name").and_then(Value::as_str).unwrap_or_default()
}
/// Where two versions of one thing first differ, with both values:
/// `at /properties/status/enum/3: "archived" vs absent`.
pub(crate) fn first_difference(first: &Value, second: &Value) -> String {
    fn shown(value: Option<&Value>) -> String {
        let Some(value) = value else {
            return "absent".to_owned();
        };
        let text = value.to_string();
        match text.char_indices().nth(80) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text,
        }
    }
    fn walk(first: Option<&Value>, second: Option<&Value>, at: &str) -> Option<String> {
        match (first, second) {
            (Some(Value::Object(a)), Some(Value::Object(b))) => {
                let keys = a.keys().chain(b.keys().filter(|key| !a.contains_key(*key)));
                keys.into_iter().find_map(|key| {
                    walk(
                        a.get(key),
                        b.get(key),
                        &nx1_codegen::pointer::child(at, key),
                    )
                })
            }
            (Some(Value::Array(a)), Some(Value::Array(b))) => (0..a.len().max(b.len()))
                .find_map(|index| walk(a.get(index), b.get(index), &format!("{at}/{index}"))),
            (a, b) if a == b => None,
            (a, b) => {
                let at = if at.is_empty() { "/" } else { at };
                Some(format!("at {at}: {} vs {}", shown(a), shown(b)))
            }
        }
    }
    walk(Some(first), Some(second), "").unwrap_or_else(|| "they differ".to_owned())
}
