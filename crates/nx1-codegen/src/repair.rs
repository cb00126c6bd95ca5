//! Faults that real, published specs have, mended before anything else reads the document.
//!
//! Each mend keeps the rest of the spec usable and leaves a [`Note`] naming the pointer and
//! what was done, so one odd corner never costs a user the whole client: a dangling or
//! external `$ref` becomes an untyped value, a missing `info.version` is filled in, an OAuth2
//! flow without `scopes` gets an empty map, a security scheme no client can apply goes.
//! Runs before the original document is kept for the server's validator, so both sides see
//! the same mended spec. Extensions (`x-…`) and instance data are never looked into: code
//! generation does not read them, so what they reference cannot break it.

use serde_json::{Map, Value, json};

use crate::load::Document;
use crate::pointer::{self, child};
use crate::spec::Note;

/// Mends `doc` in place and returns a note for every mend.
pub fn repair(doc: &mut Document) -> Vec<Note> {
    let mut notes = Vec::new();
    let Value::Object(root) = &mut doc.value else {
        return notes;
    };
    info(root, &mut notes);
    security_schemes(root, &mut notes);
    references(&mut doc.value, &mut notes);
    references_anywhere(&mut doc.value, &mut notes);
    notes
}

fn note(notes: &mut Vec<Note>, pointer: &str, message: impl Into<String>) {
    notes.push(Note {
        pointer: pointer.to_owned(),
        message: message.into(),
    });
}

/// `info.title` and `info.version` are required; generators only print them.
fn info(root: &mut Map<String, Value>, notes: &mut Vec<Note>) {
    if !root.get("info").is_some_and(Value::is_object) {
        root.insert("info".into(), json!({}));
        note(notes, "/info", "missing `info`; an empty one is assumed");
    }
    let Some(Value::Object(info)) = root.get_mut("info") else {
        return;
    };
    for (key, fallback) in [("title", "API"), ("version", "0.0.0")] {
        match info.get(key) {
            Some(Value::String(_)) => {}
            Some(Value::Number(number)) => {
                let text = number.to_string();
                info.insert(key.into(), Value::String(text));
            }
            _ => {
                info.insert(key.into(), json!(fallback));
                note(
                    notes,
                    &child("/info", key),
                    format!("missing `info.{key}`; `{fallback}` assumed"),
                );
            }
        }
    }
}

/// Security schemes a client cannot apply as written: completed where the gap is only
/// bookkeeping (OAuth2 `scopes`, URLs), removed (with every requirement naming them) where
/// the scheme itself is unusable.
fn security_schemes(root: &mut Map<String, Value>, notes: &mut Vec<Note>) {
    let mut dropped = Vec::new();
    if let Some(Value::Object(schemes)) = root
        .get_mut("components")
        .and_then(|components| components.get_mut("securitySchemes"))
    {
        for (name, scheme) in schemes.iter_mut() {
            let pointer = child("/components/securitySchemes", name);
            if scheme.get("$ref").is_some() {
                continue;
            }
            if let Some(reason) = scheme_fault(scheme, &pointer, notes) {
                note(
                    notes,
                    &pointer,
                    format!("security scheme dropped: {reason}"),
                );
                dropped.push(name.clone());
            }
        }
        schemes.retain(|name, _| !dropped.contains(name));
    }
    for name in dropped {
        strip_requirement(root.get_mut("security"), &name);
        if let Some(Value::Object(paths)) = root.get_mut("paths") {
            for item in paths.values_mut() {
                let Value::Object(item) = item else { continue };
                for operation in item.values_mut() {
                    strip_requirement(operation.get_mut("security"), &name);
                }
            }
        }
    }
}

/// Completes what can be completed; returns why the scheme cannot be used otherwise.
fn scheme_fault(scheme: &mut Value, pointer: &str, notes: &mut Vec<Note>) -> Option<String> {
    let Value::Object(scheme) = scheme else {
        return Some("not a mapping".into());
    };
    let kind = scheme.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "apiKey" => {
            let located = matches!(
                scheme.get("in").and_then(Value::as_str),
                Some("header" | "query" | "cookie")
            );
            if !located || !scheme.get("name").is_some_and(Value::is_string) {
                return Some(
                    "an apiKey scheme needs `in` (header, query or cookie) and `name`".into(),
                );
            }
        }
        "http" => {
            if !scheme.get("scheme").is_some_and(Value::is_string) {
                return Some("an http scheme needs `scheme` (bearer, basic, …)".into());
            }
        }
        "oauth2" => {
            let Some(Value::Object(flows)) = scheme.get_mut("flows") else {
                return Some("an oauth2 scheme needs `flows`".into());
            };
            for (flow_name, flow) in flows.iter_mut() {
                let Value::Object(flow) = flow else { continue };
                let here = child(&child(pointer, "flows"), flow_name);
                if !flow.get("scopes").is_some_and(Value::is_object) {
                    flow.insert("scopes".into(), json!({}));
                    note(
                        notes,
                        &child(&here, "scopes"),
                        "OAuth2 flow without `scopes`; none assumed",
                    );
                }
                let urls: &[&str] = match flow_name.as_str() {
                    "implicit" => &["authorizationUrl"],
                    "password" | "clientCredentials" => &["tokenUrl"],
                    "authorizationCode" => &["authorizationUrl", "tokenUrl"],
                    _ => &[],
                };
                for url in urls {
                    if !flow.get(*url).is_some_and(Value::is_string) {
                        flow.insert((*url).into(), json!(""));
                        note(
                            notes,
                            &child(&here, url),
                            format!("OAuth2 flow without `{url}`; left empty"),
                        );
                    }
                }
            }
        }
        "openIdConnect" => {
            if !scheme.get("openIdConnectUrl").is_some_and(Value::is_string) {
                scheme.insert("openIdConnectUrl".into(), json!(""));
                note(
                    notes,
                    &child(pointer, "openIdConnectUrl"),
                    "openIdConnect scheme without `openIdConnectUrl`; left empty",
                );
            }
        }
        "mutualTLS" => {}
        other => return Some(format!("unknown type `{other}`")),
    }
    None
}

/// Removes every security requirement that names `scheme`.
pub(crate) fn strip_requirement(security: Option<&mut Value>, scheme: &str) {
    if let Some(Value::Array(requirements)) = security {
        requirements.retain(|requirement| {
            requirement
                .as_object()
                .is_none_or(|requirement| !requirement.contains_key(scheme))
        });
    }
}

/// What to do with an object whose `$ref` cannot be followed, by where it stands.
enum Mend {
    /// A schema: any JSON value.
    Untyped,
    /// A list entry (a parameter) or an optional member (a request body, a header): gone.
    Remove,
    /// A response: a bodiless one with its status kept.
    BareResponse,
}

/// Replaces every `$ref` that cannot be followed inside this document (dangling, external,
/// not a string, or a cycle of references) according to where it stands.
fn references(root: &mut Value, notes: &mut Vec<Note>) {
    let mut faults = Vec::new();
    crate::walk::objects(root, "", &mut |pointer, map| match map
        .get("$ref")
        .and_then(|reference| reference_fault(root, reference))
    {
        Some(reason) => {
            faults.push((pointer.to_owned(), reason));
            false
        }
        None => true,
    });
    // Deepest and last first, so that removing an array entry shifts nothing still to do.
    faults.sort_by(|a, b| b.0.cmp(&a.0));
    faults.dedup_by(|a, b| a.0 == b.0);
    for (pointer, reason) in faults {
        let tokens: Vec<String> = pointer.split('/').skip(1).map(pointer::unescape).collect();
        let mend = mend_for(&tokens);
        let (note, done) = match mend {
            Mend::Untyped => (
                Note::untyped(&pointer, &reason),
                set(root, &pointer, json!({})),
            ),
            Mend::BareResponse => (
                Note {
                    pointer: pointer.clone(),
                    message: format!("{reason}; the response is kept without a body"),
                },
                set(root, &pointer, json!({"description": ""})),
            ),
            Mend::Remove => (
                Note {
                    pointer: pointer.clone(),
                    message: format!("{reason}; dropped"),
                },
                remove(root, &tokens),
            ),
        };
        if done {
            notes.push(note);
        }
    }
}

/// JSON Schema lets a `$ref` point anywhere: inside another schema (`definitions`, `$defs`,
/// a property), under `paths`, at a parameter of another operation. Generators resolve
/// only `#/components/<kind>/<name>`, so every other target is brought there: a schema
/// target becomes a component of its own (named by the one allocator, every reference to
/// it rewritten), anything else (a parameter, a response, a body) is written out in place.
/// Rounds repeat until no such reference is left, since a hoisted schema may hold more.
fn references_anywhere(root: &mut Value, notes: &mut Vec<Note>) {
    let mut names = crate::names::Allocator::default();
    for name in root
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|schemas| schemas.keys())
    {
        names.reserve(name);
    }
    for _ in 0..8 {
        let mut schema_targets: Vec<String> = Vec::new();
        let mut inline_sites: Vec<(String, String)> = Vec::new();
        crate::walk::objects(root, "", &mut |site, map| {
            if let Some(Value::String(reference)) = map.get("$ref")
                && let Some(target) = misplaced_target(root, reference)
            {
                let tokens: Vec<String> = site.split('/').skip(1).map(pointer::unescape).collect();
                if matches!(mend_for(&tokens), Mend::Untyped) {
                    if !schema_targets.contains(reference) {
                        schema_targets.push(reference.clone());
                    }
                } else {
                    inline_sites.push((site.to_owned(), target));
                }
            }
            true
        });
        if schema_targets.is_empty() && inline_sites.is_empty() {
            return;
        }
        // Written out deepest first, so that no site still to do moves.
        inline_sites.sort_by(|a, b| b.0.cmp(&a.0));
        for (site, target) in inline_sites {
            let Some(Value::Object(value)) = root.pointer(&target).cloned() else {
                continue;
            };
            let Some(Value::Object(slot)) = root.pointer_mut(&site) else {
                continue;
            };
            // What the reference says beside `$ref` (a description) wins over the target's.
            let siblings: Map<String, Value> = std::mem::take(slot)
                .into_iter()
                .filter(|(key, _)| key != "$ref")
                .collect();
            *slot = value;
            slot.extend(siblings);
            note(
                notes,
                &site,
                format!("`$ref` to {target}, which is not a component; written out in place"),
            );
        }
        let mut renamed: Vec<(String, String)> = Vec::new();
        for reference in schema_targets {
            let Some(target) = misplaced_target(root, &reference) else {
                continue;
            };
            let Some(value) = root.pointer(&target).cloned() else {
                continue;
            };
            let tokens: Vec<String> = target.split('/').skip(1).map(pointer::unescape).collect();
            let last = tokens.last().cloned().unwrap_or_default();
            let mut candidates = vec![crate::names::typify_pascal(&last)];
            if tokens.len() >= 3 && tokens[0] == "components" {
                candidates.push(crate::names::typify_pascal(&format!(
                    "{}_{last}",
                    tokens[2]
                )));
            }
            let name = names.allocate(&candidates);
            let components = root
                .as_object_mut()
                .map(|root| root.entry("components").or_insert_with(|| json!({})));
            let Some(Value::Object(components)) = components else {
                continue;
            };
            let schemas = components.entry("schemas").or_insert_with(|| json!({}));
            let Some(schemas) = schemas.as_object_mut() else {
                continue;
            };
            schemas.insert(name.clone(), value);
            note(
                notes,
                &target,
                format!(
                    "`$ref`s point inside another schema here; the target is hoisted as the component `{name}`"
                ),
            );
            renamed.push((reference, format!("#/components/schemas/{name}")));
        }
        crate::walk::objects_mut(root, &mut |map| {
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some((_, to)) = renamed.iter().find(|(from, _)| from == reference)
            {
                *reference = to.clone();
            }
            true
        });
    }
}

/// The pointer a local `$ref` resolves to, when that is not `/components/<kind>/<name>`
/// (and is an object a reference can stand for).
fn misplaced_target(root: &Value, reference: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(reference.strip_prefix('#')?)
        .decode_utf8_lossy()
        .into_owned();
    let tokens: Vec<&str> = decoded.split('/').skip(1).collect();
    if tokens.len() == 3 && tokens[0] == "components" {
        return None;
    }
    if tokens.len() < 2 || !root.pointer(&decoded).is_some_and(Value::is_object) {
        return None;
    }
    Some(decoded)
}

fn reference_fault(root: &Value, reference: &Value) -> Option<String> {
    let Value::String(reference) = reference else {
        return Some("`$ref` is not a string".into());
    };
    if !reference.starts_with('#') {
        return Some(format!(
            "external reference `{reference}` (bundle the spec into one file to keep its type)"
        ));
    }
    let mut current = reference.clone();
    for _ in 0..64 {
        let decoded = percent_encoding::percent_decode_str(&current[1..])
            .decode_utf8_lossy()
            .into_owned();
        let Some(target) = root.pointer(&decoded) else {
            return Some(format!("dangling reference `{reference}`"));
        };
        match target.get("$ref") {
            // A reference to nothing but another reference: follow the chain.
            Some(Value::String(next))
                if next.starts_with('#')
                    && target.as_object().is_some_and(|map| map.len() == 1) =>
            {
                current = next.clone();
            }
            _ => return None,
        }
    }
    Some(format!(
        "reference `{reference}` starts a cycle of references"
    ))
}

/// The mend for a `$ref` at `tokens`: parameters, bodies and headers are dropped,
/// responses lose their body, anything else is a schema.
fn mend_for(tokens: &[String]) -> Mend {
    let in_schema = tokens.iter().any(|token| token == "schema")
        || tokens.starts_with(&["components".to_owned(), "schemas".to_owned()]);
    if in_schema {
        return Mend::Untyped;
    }
    let parent = tokens
        .len()
        .checked_sub(2)
        .map(|index| tokens[index].as_str());
    match (parent, tokens.last().map(String::as_str)) {
        (Some("parameters"), _) => Mend::Remove,
        (Some(method), Some("requestBody")) if crate::spec::HTTP_METHODS.contains(&method) => {
            Mend::Remove
        }
        (Some("headers" | "examples" | "links" | "callbacks" | "requestBodies"), _) => Mend::Remove,
        (Some("securitySchemes" | "pathItems"), _) => Mend::Remove,
        (Some("responses"), _) => Mend::BareResponse,
        (Some("paths"), _) if tokens.len() == 2 => Mend::Remove,
        _ => Mend::Untyped,
    }
}

fn set(root: &mut Value, pointer: &str, value: Value) -> bool {
    match root.pointer_mut(pointer) {
        Some(slot) => {
            *slot = value;
            true
        }
        None => false,
    }
}

fn remove(root: &mut Value, tokens: &[String]) -> bool {
    let Some((last, parent)) = tokens.split_last() else {
        return false;
    };
    let parent_pointer: String = parent.iter().map(|token| child("", token)).collect();
    match root.pointer_mut(&parent_pointer) {
        Some(Value::Object(map)) => map.shift_remove(last).is_some(),
        Some(Value::Array(items)) => match last.parse::<usize>() {
            Ok(index) if index < items.len() => {
                items.remove(index);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_str;

    fn repaired(yaml: &str) -> (Value, Vec<String>) {
        let mut doc = load_str("t.yaml", yaml, false).unwrap();
        let notes = repair(&mut doc);
        (
            doc.value,
            notes
                .into_iter()
                .map(|note| format!("{}: {}", note.pointer, note.message))
                .collect(),
        )
    }

    #[test]
    fn dangling_and_external_references_become_untyped_or_go() {
        let (value, notes) = repaired(
            "openapi: 3.1.0\ninfo: {title: t}\npaths:\n  /a:\n    get:\n      parameters:\n        - {$ref: '#/components/parameters/Gone'}\n        - {name: q, in: query, schema: {$ref: 'other.yaml#/Q'}}\n      responses:\n        '200': {$ref: '#/components/responses/Gone'}\ncomponents:\n  schemas:\n    A: {properties: {b: {$ref: '#/components/schemas/Missing'}}}\n    Loop: {$ref: '#/components/schemas/Loop'}\n    B: {x-docs: {$ref: 'https://example.com/doc.yaml'}, type: string}\n",
        );
        assert_eq!(value["info"]["version"], "0.0.0");
        let parameters = value["paths"]["/a"]["get"]["parameters"]
            .as_array()
            .unwrap();
        assert_eq!(parameters.len(), 1);
        assert_eq!(parameters[0]["schema"], json!({}));
        assert_eq!(
            value["paths"]["/a"]["get"]["responses"]["200"],
            json!({"description": ""})
        );
        assert_eq!(
            value["components"]["schemas"]["A"]["properties"]["b"],
            json!({})
        );
        assert_eq!(value["components"]["schemas"]["Loop"], json!({}));
        // Extensions are never followed.
        assert_eq!(value["components"]["schemas"]["B"]["type"], "string");
        assert_eq!(notes.len(), 6, "{notes:#?}");
        assert!(notes[0].starts_with("/info/version: missing"), "{notes:#?}");
        assert!(notes.iter().any(|note| note.contains(
            "dangling reference `#/components/schemas/Missing`; read as any JSON value"
        )));
        assert!(notes.iter().any(|note| note.contains("starts a cycle")));
    }

    #[test]
    fn security_schemes_are_completed_or_dropped() {
        let (value, notes) = repaired(
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\nsecurity: [{Odd: []}, {Pw: []}]\npaths: {}\ncomponents:\n  securitySchemes:\n    Pw: {type: oauth2, flows: {password: {tokenUrl: /token}}}\n    Odd: {type: magic}\n",
        );
        assert_eq!(
            value["components"]["securitySchemes"]["Pw"]["flows"]["password"]["scopes"],
            json!({})
        );
        assert!(value["components"]["securitySchemes"].get("Odd").is_none());
        assert_eq!(value["security"], json!([{"Pw": []}]));
        assert_eq!(notes.len(), 2, "{notes:#?}");
    }
}
