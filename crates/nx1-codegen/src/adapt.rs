//! Reshapes each operation of a normalised (3.0) document into what progenitor can express,
//! and sets aside the operations it cannot (multipart uploads, raw bodies of other media
//! types) for our own method generator.
//!
//! progenitor asserts that an operation has at most one kind of success response and one
//! kind of error response, reads only `application/json`, form-urlencoded, octet-stream and
//! plain-text bodies, only `simple` path and header and `form` query parameters, and panics
//! on path parameters missing from the template. Every rule below exists because one of
//! those limits met a real spec.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::custom::{Body, CustomOperation, PREFORMATTED, describe, multipart_body};
use crate::error::SpecError;
use crate::mapper::TypeMapper;
use crate::model::Operation;
use crate::pointer::{self, child, follow};
use crate::spec::{HTTP_METHODS, MediaKind, Note, Status};
use crate::walk;

#[derive(Debug, Default)]
pub struct Adapted {
    pub notes: Vec<Note>,
    /// Operations removed from the document, for our own generator.
    pub set_aside: Vec<CustomOperation>,
}

/// Adapts every operation of `root` in place. Operations set aside are removed from `root`.
pub fn adapt(origin: &str, root: &mut Value, model: &[Operation]) -> Result<Adapted, SpecError> {
    let mut adapted = Adapted::default();
    any_of_as_one_of(root);
    nullable_components(root);
    // `$ref`s are followed in a snapshot, since operations are edited while walked.
    let snapshot = root.clone();
    let mut context = Context {
        origin,
        snapshot: &snapshot,
        notes: &mut adapted.notes,
        types: TypeMapper::new(root),
        model,
        stream_names: Vec::new(),
    };

    let Some(Value::Object(paths)) = root.get_mut("paths") else {
        return Ok(adapted);
    };
    for (path, item) in paths.iter_mut() {
        let Value::Object(item) = item else { continue };
        for method in HTTP_METHODS {
            let Some(Value::Object(operation)) = item.get_mut(method) else {
                continue;
            };
            let pointer = pointer::operation(path, method);
            let only_streams = answers_only_streams(operation);
            context.parameters(operation, &pointer)?;
            let body = context.request_body(operation, &pointer)?;
            context.responses(operation, &pointer)?;
            // progenitor percent-encodes every path parameter, slashes too: one that takes
            // the rest of the path needs our own method.
            let rest_path = crate::spec::PathTemplate::parse(path)
                .rest_param()
                .is_some();
            // progenitor calls `reqwest::Client::<method>()`, which OPTIONS, TRACE and
            // QUERY lack.
            let unusual_method = matches!(method, "options" | "trace" | "query");
            let set_aside = match &body {
                Some((MediaKind::Multipart | MediaKind::Raw(_), _)) => {
                    Some(context.describe_custom(path, method, operation, &body)?)
                }
                _ if rest_path || unusual_method => {
                    Some(context.describe_custom(path, method, operation, &body)?)
                }
                _ => None,
            };
            // A streamed response is read by a method of our own: the operation's own
            // method when it answers nothing else, else a second one beside it.
            let stream = context
                .model_of(path, method)
                .and_then(|model| model.stream.clone());
            let (set_aside, extra) = match (set_aside, stream) {
                (Some(mut custom), Some(stream)) if only_streams => {
                    custom.stream = Some(stream);
                    (Some(custom), None)
                }
                (None, Some(stream)) if only_streams => {
                    let mut custom = context.describe_custom(path, method, operation, &body)?;
                    custom.stream = Some(stream);
                    (Some(custom), None)
                }
                (set_aside, Some(stream)) => {
                    let mut custom = context.describe_custom(path, method, operation, &body)?;
                    custom.operation.name = context.stream_method_name(&custom.operation.name);
                    custom.stream = Some(stream);
                    (set_aside, Some(custom))
                }
                (set_aside, None) => (set_aside, None),
            };
            adapted.set_aside.extend(extra);
            if let Some(custom) = set_aside {
                adapted.set_aside.push(custom);
                item.remove(method);
            }
        }
    }
    paths.retain(|_, item| {
        item.as_object()
            .is_none_or(|item| HTTP_METHODS.iter().any(|method| item.contains_key(*method)))
    });

    context.types.install(root);
    Ok(adapted)
}

struct Context<'a> {
    origin: &'a str,
    snapshot: &'a Value,
    notes: &'a mut Vec<Note>,
    /// Response unions and the types of set-aside operations, for `components.schemas`.
    types: TypeMapper,
    /// Every operation as described before adaptation.
    model: &'a [Operation],
    /// Names given to the second methods of streamed operations.
    stream_names: Vec<String>,
}

impl Context<'_> {
    fn note(&mut self, pointer: &str, message: impl Into<String>) {
        self.notes.push(Note {
            pointer: pointer.to_owned(),
            message: message.into(),
        });
    }

    /// Follows `$ref`s, so that the operation can be edited in place.
    fn resolve(&self, value: &Value, pointer: &str) -> Result<Value, SpecError> {
        follow(self.snapshot, value)
            .map(|(target, _)| target.clone())
            .ok_or_else(|| {
                SpecError::at_pointer(
                    self.origin,
                    pointer,
                    "the `$ref` chain is dangling or cyclic",
                )
            })
    }

    /// Reshapes the (already inlined) parameters into what progenitor supports.
    fn parameters(
        &mut self,
        operation: &mut Map<String, Value>,
        pointer: &str,
    ) -> Result<(), SpecError> {
        let parameters = match operation.remove("parameters") {
            Some(Value::Array(parameters)) => parameters,
            _ => Vec::new(),
        };
        let mut kept = Vec::new();
        let mut rust_names = BTreeSet::new();
        for (index, mut parameter) in parameters.into_iter().enumerate() {
            let here = child(&child(pointer, "parameters"), &index.to_string());
            let Value::Object(map) = &mut parameter else {
                return Err(SpecError::at_pointer(
                    self.origin,
                    &here,
                    "a parameter must be a mapping",
                ));
            };
            let name = map
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    SpecError::at_pointer(self.origin, &here, "a parameter needs a `name`")
                })?
                .to_owned();
            let location = map
                .get("in")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            match location.as_str() {
                "path" => {
                    map.insert("required".into(), json!(true));
                    self.force_style(map, "simple", &here, &name);
                }
                "query" => self.force_style(map, "form", &here, &name),
                "header" => {
                    // OpenAPI says these three are ignored as parameters.
                    if ["accept", "content-type", "authorization"]
                        .contains(&name.to_ascii_lowercase().as_str())
                    {
                        continue;
                    }
                    self.force_style(map, "simple", &here, &name);
                }
                "cookie" => {
                    self.note(
                        &here,
                        format!("cookie parameter `{name}` dropped: set it on the reqwest client's cookie store"),
                    );
                    continue;
                }
                other => {
                    // Swagger 2's `body` and `formData` survive in converted specs; the
                    // operation is still worth a method without them.
                    self.note(
                        &child(&here, "in"),
                        format!(
                            "parameter `{name}` is in `{other}`, which is not an OpenAPI 3 location (path, query, header or cookie); dropped"
                        ),
                    );
                    continue;
                }
            }
            map.remove("content");
            // Path and header values are written with `to_string()`: a type without
            // `Display` (a union, a list, an object) is taken as the string the caller
            // formats.
            if matches!(location.as_str(), "path" | "header")
                && let Some(schema) = map.get("schema")
                && !self.is_displayable(schema)
            {
                self.note(
                    &child(&here, "schema"),
                    format!("{location} parameter `{name}` is not a scalar; taken as a preformatted string"),
                );
                map.insert("schema".into(), json!({"type": "string"}));
                map.insert(PREFORMATTED.into(), json!(true));
            }
            let schema = map.entry("schema").or_insert_with(|| json!({}));
            // On the wire an absent parameter is the only null there is; without this a
            // nullable optional header would be `Option<Option<T>>`.
            if let Value::Object(schema) = schema {
                schema.remove("nullable");
            }
            if !rust_names.insert(crate::names::sanitize_snake(&name)) {
                self.note(
                    &here,
                    format!("parameter `{name}` ({location}) has the same Rust name as another parameter; dropped"),
                );
                continue;
            }
            kept.push(parameter);
        }
        if !kept.is_empty() {
            operation.insert("parameters".into(), Value::Array(kept));
        }
        Ok(())
    }

    fn is_displayable(&self, schema: &Value) -> bool {
        let schema = match self.resolve(schema, "") {
            Ok(schema) => schema,
            Err(_) => return false,
        };
        if let Some(Value::Array(all_of)) = schema.get("allOf")
            && all_of.len() == 1
        {
            return self.is_displayable(&all_of[0]);
        }
        let composite = ["anyOf", "oneOf", "allOf", "properties", "not"]
            .iter()
            .any(|key| schema.get(*key).is_some());
        !composite
            && matches!(
                schema.get("type").and_then(Value::as_str),
                Some("string" | "integer" | "number" | "boolean")
            )
    }

    fn force_style(&mut self, map: &mut Map<String, Value>, style: &str, here: &str, name: &str) {
        match map.get("style").and_then(Value::as_str) {
            None => {}
            Some(current) if current == style => {}
            Some(current) => {
                let message = format!(
                    "parameter `{name}` uses style `{current}`; serialised as `{style}` instead"
                );
                self.note(here, message);
            }
        }
        map.insert("style".into(), json!(style));
    }

    /// Keeps the one media type the client sends and returns what kind of body it is.
    fn request_body(
        &mut self,
        operation: &mut Map<String, Value>,
        pointer: &str,
    ) -> Result<Option<(MediaKind, String)>, SpecError> {
        let Some(body) = operation.get("requestBody") else {
            return Ok(None);
        };
        let here = child(pointer, "requestBody");
        let mut body = self.resolve(body, &here)?;
        let Some(Value::Object(content)) = body.get_mut("content") else {
            operation.remove("requestBody");
            return Ok(None);
        };
        let Some((media_type, kind)) = content
            .keys()
            .map(|media_type| (media_type.clone(), MediaKind::of(media_type)))
            .min_by_key(|(_, kind)| kind.rank())
        else {
            operation.remove("requestBody");
            return Ok(None);
        };
        let mut media = content
            .get(&media_type)
            .cloned()
            .unwrap_or_else(|| json!({}));
        let media_map = media.as_object_mut().ok_or_else(|| {
            SpecError::at_pointer(
                self.origin,
                &child(&child(&here, "content"), &media_type),
                "a media type object must be a mapping",
            )
        })?;
        let sent_as = match &kind {
            MediaKind::Json => {
                if media_type != "application/json" {
                    self.note(
                        &here,
                        format!("body `{media_type}` is sent with content type application/json"),
                    );
                }
                media_map.remove("encoding");
                media_map.entry("schema").or_insert_with(|| json!({}));
                "application/json".to_owned()
            }
            MediaKind::FormUrlencoded => {
                media_map.remove("encoding");
                media_map.entry("schema").or_insert_with(|| json!({}));
                media_type.clone()
            }
            MediaKind::OctetStream => {
                media_map.insert(
                    "schema".into(),
                    json!({"type": "string", "format": "binary"}),
                );
                media_type.clone()
            }
            MediaKind::Text(_) => {
                media_map.insert("schema".into(), json!({"type": "string"}));
                media_type.clone()
            }
            MediaKind::Multipart | MediaKind::Raw(_) => media_type.clone(),
        };
        let mut only = Map::new();
        only.insert(sent_as.clone(), media);
        if let Value::Object(body_map) = &mut body {
            body_map.insert("content".into(), Value::Object(only));
        }
        operation.insert("requestBody".into(), body);
        Ok(Some((kind, sent_as)))
    }

    fn responses(
        &mut self,
        operation: &mut Map<String, Value>,
        pointer: &str,
    ) -> Result<(), SpecError> {
        let here = child(pointer, "responses");
        let Some(Value::Object(responses)) = operation.remove("responses") else {
            operation.insert("responses".into(), json!({}));
            return Ok(());
        };
        let operation_name = operation
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or("operation")
            .to_owned();

        let mut statuses: Vec<(Status, Value)> = Vec::new();
        for (status, response) in responses {
            let at = child(&here, &status);
            let Some(parsed) = Status::parse(&status) else {
                self.note(
                    &at,
                    format!("`{status}` is not a status code; response dropped"),
                );
                continue;
            };
            let mut response = self.resolve(&response, &at)?;
            shape_response_content(&mut response);
            statuses.push((parsed, response));
        }
        // progenitor reads `default` as both a success and an error. With explicit success
        // statuses it can only mean the errors, so it is spelled as the two error ranges;
        // without them, beside explicit errors, it can only mean success.
        if let Some(index) = statuses
            .iter()
            .position(|(status, _)| *status == Status::Default)
        {
            let has_success = statuses.iter().any(|(status, _)| status.is_success());
            let has_error = statuses
                .iter()
                .any(|(status, _)| *status != Status::Default && status.is_error_or_default());
            if has_success {
                let (_, response) = statuses.remove(index);
                for range in [4, 5] {
                    if !statuses
                        .iter()
                        .any(|(status, _)| *status == Status::Range(range))
                    {
                        statuses.push((Status::Range(range), response.clone()));
                    }
                }
            } else if has_error {
                statuses[index].0 = Status::Range(2);
            }
        }

        for (group, is_member, suffix) in [
            (
                "success",
                Status::is_success_or_default as fn(&Status) -> bool,
                "Success",
            ),
            ("error", Status::is_error_or_default, "Error"),
        ] {
            self.unify(
                &mut statuses,
                is_member,
                group,
                suffix,
                &operation_name,
                &here,
            );
        }

        let mut shaped = Map::new();
        for (status, response) in statuses {
            shaped.insert(status.key(), response);
        }
        operation.insert("responses".into(), Value::Object(shaped));
        Ok(())
    }

    /// progenitor needs one response type per group (success, error): several JSON schemas
    /// become one `oneOf` union; untyped statuses beside typed ones are dropped (they then
    /// surface as `Error::UnexpectedResponse`, status intact); a bodiless status beside raw
    /// ones becomes an empty raw body.
    fn unify(
        &mut self,
        statuses: &mut Vec<(Status, Value)>,
        is_member: fn(&Status) -> bool,
        group: &str,
        suffix: &str,
        operation_name: &str,
        here: &str,
    ) {
        let members: Vec<usize> = (0..statuses.len())
            .filter(|&index| is_member(&statuses[index].0))
            .collect();
        let mut schemas: Vec<Value> = Vec::new();
        let mut any_raw = false;
        for &index in &members {
            match response_kind(&statuses[index].1) {
                Kind::Typed(schema) => {
                    if !schemas.contains(&schema) {
                        schemas.push(schema);
                    }
                }
                Kind::Raw => any_raw = true,
                Kind::None => {}
            }
        }
        if !schemas.is_empty() {
            let mut dropped = Vec::new();
            for &index in members.iter().rev() {
                if !matches!(response_kind(&statuses[index].1), Kind::Typed(_)) {
                    dropped.push(statuses.remove(index).0.key());
                }
            }
            if !dropped.is_empty() {
                dropped.reverse();
                self.note(
                    here,
                    format!(
                        "{group} status(es) {} have no JSON body beside typed ones; their errors carry the status and the body as text, untyped",
                        dropped.join(", ")
                    ),
                );
            }
            if schemas.len() > 1 {
                let name = self.types.hoist(
                    &format!("{operation_name}_{suffix}"),
                    json!({ "oneOf": schemas }),
                );
                let reference = json!({ "$ref": format!("#/components/schemas/{name}") });
                for (status, response) in statuses.iter_mut() {
                    if is_member(status) && matches!(response_kind(response), Kind::Typed(_)) {
                        response["content"]["application/json"]["schema"] = reference.clone();
                    }
                }
            }
        } else if any_raw {
            for (status, response) in statuses.iter_mut() {
                if is_member(status) && matches!(response_kind(response), Kind::None) {
                    response["content"] = json!({"application/octet-stream": {}});
                }
            }
        }
    }

    /// Describes an operation progenitor cannot express in Rust terms, hoisting the inline
    /// schemas it needs types for into `components.schemas`.
    fn model_of(&self, path: &str, method: &str) -> Option<&Operation> {
        self.model
            .iter()
            .find(|model| model.path == path && model.method == method)
    }

    /// `{name}_stream`, or with a number when another method has that name.
    fn stream_method_name(&mut self, name: &str) -> String {
        let taken = |candidate: &str, context: &Self| {
            context.model.iter().any(|model| model.name == candidate)
                || context.stream_names.iter().any(|known| known == candidate)
        };
        let mut candidate = format!("{name}_stream");
        let mut number = 2;
        while taken(&candidate, self) {
            candidate = format!("{name}_stream_{number}");
            number += 1;
        }
        self.stream_names.push(candidate.clone());
        candidate
    }

    /// An operation for a method of our own. A JSON body is typed as the model types it;
    /// any other is sent as bytes of its media type.
    fn describe_custom(
        &mut self,
        path: &str,
        method: &str,
        operation: &Map<String, Value>,
        body: &Option<(MediaKind, String)>,
    ) -> Result<CustomOperation, SpecError> {
        let Some(model) = self
            .model
            .iter()
            .find(|model| model.path == path && model.method == method)
        else {
            return Err(SpecError::at_pointer(
                self.origin,
                &pointer::operation(path, method),
                "the operation has no description; please report this spec",
            ));
        };
        let typed = model
            .body
            .as_ref()
            .filter(|body| body.kind == MediaKind::Json)
            .and_then(|body| body.ty.clone());
        let body = match (body, typed) {
            (None, _) => Body::None,
            (Some((MediaKind::Multipart, _)), _) => multipart_body(model),
            (Some((MediaKind::Json, _)), Some(ty)) => Body::Json { ty },
            (Some((_, media_type)), _) => Body::Raw {
                content_type: media_type.clone(),
            },
        };
        Ok(describe(model, operation, body, &mut self.types))
    }
}

/// Every success response with content answers a stream (and at least one does).
fn answers_only_streams(operation: &Map<String, Value>) -> bool {
    let Some(Value::Object(responses)) = operation.get("responses") else {
        return false;
    };
    let mut any = false;
    for (status, response) in responses {
        if !Status::parse(status).is_some_and(|status| status.is_success()) {
            continue;
        }
        let Some(Value::Object(content)) = response.get("content") else {
            continue;
        };
        for media_type in content.keys() {
            if crate::streams::Framing::of(media_type).is_none() {
                return false;
            }
            any = true;
        }
    }
    any
}

enum Kind {
    Typed(Value),
    Raw,
    None,
}

fn response_kind(response: &Value) -> Kind {
    match response.get("content").and_then(Value::as_object) {
        Some(content) if content.is_empty() => Kind::None,
        Some(content) => match content.get("application/json") {
            Some(media) => Kind::Typed(media.get("schema").cloned().unwrap_or_else(|| json!({}))),
            None => Kind::Raw,
        },
        None => Kind::None,
    }
}

/// A JSON-like media type (`application/problem+json`, `application/json; charset=utf-8`) is
/// read as `application/json`, which then is the only one progenitor looks at.
fn shape_response_content(response: &mut Value) {
    let Some(Value::Object(content)) = response.get_mut("content") else {
        return;
    };
    let json_like = content
        .keys()
        .find(|media_type| MediaKind::of(media_type) == MediaKind::Json)
        .cloned();
    if let Some(media_type) = json_like {
        let mut media = content
            .get(&media_type)
            .cloned()
            .unwrap_or_else(|| json!({}));
        if let Value::Object(media) = &mut media {
            media.remove("encoding");
            media.entry("schema").or_insert_with(|| json!({}));
        }
        content.clear();
        content.insert("application/json".into(), media);
    }
}

/// typify turns a nullable component `X` into `struct X(Option<X>)` beside the `X` it wraps,
/// defining the name twice. The nullability moves to every place that refers to `X`, where
/// it means the same (`Option<X>`).
fn nullable_components(root: &mut Value) {
    let Some(Value::Object(schemas)) = root.pointer_mut("/components/schemas") else {
        return;
    };
    let mut nullable = BTreeSet::new();
    for (name, schema) in schemas.iter_mut() {
        if let Value::Object(schema) = schema
            && schema.get("nullable") == Some(&json!(true))
            && !is_plain_scalar(schema)
        {
            schema.remove("nullable");
            nullable.insert(format!("#/components/schemas/{}", pointer::escape(name)));
        }
    }
    if !nullable.is_empty() {
        wrap_references(root, &nullable);
    }
}

/// A nullable string or number component becomes `Option<String>` without trouble.
fn is_plain_scalar(schema: &Map<String, Value>) -> bool {
    matches!(
        schema.get("type").and_then(Value::as_str),
        Some("string" | "integer" | "number" | "boolean")
    ) && !schema.contains_key("enum")
}

fn wrap_references(root: &mut Value, targets: &BTreeSet<String>) {
    walk::objects_mut(root, &mut |map| {
        let Some(Value::String(reference)) = map.get("$ref") else {
            return true;
        };
        if !targets.contains(reference) {
            return true;
        }
        let reference = map.remove("$ref").unwrap_or_default();
        let mut all_of = vec![json!({ "$ref": reference })];
        if let Some(Value::Array(existing)) = map.remove("allOf") {
            all_of.extend(existing);
        }
        map.insert("allOf".into(), Value::Array(all_of));
        map.insert("nullable".into(), json!(true));
        false
    });
}

/// typify turns an `anyOf` into a struct of flattened optional members: a string or a list
/// in any branch makes valid data undeserializable, a branch that fails to deserialize is
/// silently `None` (an instance comes back as `{}`), and fields of several branches are
/// merged on the way out. pydantic's `Union` means "the first branch that fits", which is
/// what an untagged enum does, so every `anyOf` of two or more branches becomes `oneOf` for
/// code generation; the server still validates against the original `anyOf`.
fn any_of_as_one_of(root: &mut Value) {
    crate::walk::objects_mut(root, &mut |map| {
        if !map.contains_key("oneOf")
            && matches!(map.get("anyOf"), Some(Value::Array(branches)) if branches.len() > 1)
            && let Some(branches) = map.remove("anyOf")
        {
            map.insert("oneOf".into(), branches);
        }
        true
    });
}
