//! The one description of an operation that every emitter reads, built once by
//! [`describe`] while preparing, as progenitor builds its `OperationMethod`: parameters with
//! their Rust types and the pointers of their schemas in the document as loaded (what the
//! server validates against), the body, every documented response and the access the
//! operation's `security` asks for.

use serde_json::{Map, Value, json};

use crate::error::SpecError;
use crate::mapper::{RustType, TypeMapper};
use crate::names::{Allocator, sanitize_pascal, sanitize_snake};
use crate::pointer::{self, child, follow};
use crate::security::SecurityTable;
use crate::spec::MediaKind;
use crate::streams::{Data, Framing, Marked};
use crate::tidy::OperationName;

/// A pointer that resolves to nothing: the runtime validates nothing against it.
const ANY_SCHEMA: &str = "/x-nx1-no-schema";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
    Cookie,
}

impl Location {
    pub fn parse(text: &str) -> Option<Location> {
        Some(match text {
            "path" => Location::Path,
            "query" => Location::Query,
            "header" => Location::Header,
            "cookie" => Location::Cookie,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Cookie => "cookie",
        }
    }
}

/// A parameter of an operation.
#[derive(Debug, Clone)]
pub struct Param {
    /// The name on the wire.
    pub api_name: String,
    /// The Rust field, unique within the operation.
    pub field: String,
    pub location: Location,
    pub required: bool,
    /// An array: a query parameter that repeats.
    pub list: bool,
    pub ty: RustType,
    /// Pointer of the schema in the original document.
    pub schema: String,
}

#[derive(Debug, Clone)]
pub struct Body {
    pub kind: MediaKind,
    pub media_type: String,
    pub required: bool,
    /// Pointer of the schema in the original document.
    pub schema: String,
    /// JSON and form bodies: the body type.
    pub ty: Option<RustType>,
    /// Multipart bodies: the form's fields.
    pub form: Vec<FormField>,
}

/// One field of a multipart form.
#[derive(Debug, Clone)]
pub struct FormField {
    pub api_name: String,
    pub field: String,
    pub required: bool,
    pub kind: FieldKind,
}

#[derive(Debug, Clone)]
pub enum FieldKind {
    File,
    Files,
    Value(RustType),
    Values(RustType),
}

/// What a response carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// A JSON body of this type.
    Json(RustType),
    /// Bytes of this media type.
    Raw(String),
    None,
}

#[derive(Debug, Clone)]
pub struct Response {
    /// `200`, `4XX` or `default`.
    pub status: String,
    /// The enum variant: `Ok`, `NotFound`, `Status4xx`, `Default`.
    pub variant: String,
    pub payload: Payload,
    pub description: String,
}

/// A streamed success response: how its items are framed and what each one is.
#[derive(Debug, Clone)]
pub struct Stream {
    /// The status it answers with (`200`, `2XX`).
    pub status: String,
    pub media_type: String,
    pub framing: Framing,
    pub item: StreamItem,
    /// What each item is checked against: per event name for a tagged union, else one
    /// entry; the pointer (in the original document) of a JSON item's schema.
    pub checks: Vec<(Option<String>, Option<String>)>,
}

/// One item of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    /// JSON of this type.
    Json(RustType),
    /// Text, as it is.
    Text,
    /// Not described: any JSON value (text where the data is not JSON).
    Any,
    /// SSE events whose `event:` name says which type their data is.
    Tagged {
        /// The union's type name, unique among streams.
        name: String,
        events: Vec<TaggedEvent>,
    },
}

impl StreamItem {
    /// Has a type: not any JSON value, nor a union with such an event.
    pub fn is_typed(&self) -> bool {
        match self {
            StreamItem::Json(_) | StreamItem::Text => true,
            StreamItem::Any => false,
            StreamItem::Tagged { events, .. } => events.iter().all(|event| event.item.is_typed()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedEvent {
    /// The `event:` name on the wire.
    pub name: String,
    /// The Rust variant, unique within the union.
    pub variant: String,
    /// `Json`, `Text` or `Any`.
    pub item: StreamItem,
}

/// What the operation's `security` asks of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    Optional,
    Required,
}

#[derive(Debug, Clone)]
pub struct Operation {
    /// The snake_case method name.
    pub name: String,
    /// Lower-case, as the spec writes it.
    pub method: String,
    pub path: String,
    /// Summary and description, as Markdown.
    pub doc: String,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub responses: Vec<Response>,
    pub auth: Auth,
    pub security: Vec<Vec<String>>,
    /// First 2xx with a JSON body: status and schema pointer in the original document.
    pub success: Option<(u16, String)>,
    /// The first streamed success response.
    pub stream: Option<Stream>,
}

impl Operation {
    /// Pointer of the operation in the document.
    pub fn pointer(&self) -> String {
        pointer::operation(&self.path, &self.method)
    }

    /// The `Last-Event-ID` header parameter, declared or added for an event stream.
    pub fn last_event_id(&self) -> Option<&Param> {
        last_event_id(&self.params)
    }
}

fn last_event_id(params: &[Param]) -> Option<&Param> {
    params.iter().find(|param| {
        param.location == Location::Header && param.api_name.eq_ignore_ascii_case("last-event-id")
    })
}

/// `schema` without `nullable`: an absent parameter or form field is the only null there
/// is on the wire (`anyOf: [X, null]` normalises to `X` plus `nullable`), and optionality
/// is carried by `required`.
fn without_nullable(schema: &Value) -> Value {
    let mut schema = schema.clone();
    if let Value::Object(map) = &mut schema {
        map.remove("nullable");
    }
    schema
}

/// Describes every operation. `root` is the normalised, tidied document (types are mapped
/// against it and inline schemas hoisted into it); `original` is the document as loaded,
/// whose schemas the server validates against.
pub fn describe(
    original: &Value,
    root: &mut Value,
    operations: &[OperationName],
    security: &SecurityTable,
) -> Result<Vec<Operation>, SpecError> {
    let snapshot = root.clone();
    let mut types = TypeMapper::new(root);
    let resolver = Resolver {
        original,
        normalized: &snapshot,
    };
    let mut described = Vec::new();
    for (op, (_, alternatives)) in operations.iter().zip(&security.operations) {
        let pointer = pointer::operation(&op.path, &op.method);
        let Some(operation) = snapshot.pointer(&pointer) else {
            continue;
        };
        described.push(resolver.operation(op, operation, alternatives, &mut types)?);
    }
    types.install(root);
    Ok(described)
}

/// Summary and description of an operation object, each trimmed, a blank line apart.
pub fn doc_text(operation: &Map<String, Value>) -> String {
    ["summary", "description"]
        .iter()
        .filter_map(|key| operation.get(*key).and_then(Value::as_str))
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The fields of a multipart form schema (`$ref`s followed in `root`): a binary string
/// is a file, an array of them a list of files, anything else a typed value (a list of
/// values for an array). Declared schemas are mapped, so that a `$ref` stays a reference to
/// its component type.
pub fn form_fields(
    operation_name: &str,
    schema: &Value,
    root: &Value,
    mapper: &mut TypeMapper,
) -> Option<Vec<FormField>> {
    let schema = pointer::resolve(root, schema);
    let Some(Value::Object(properties)) = schema.get("properties") else {
        return None;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let is_binary = |schema: &Value| {
        let schema = pointer::resolve(root, schema);
        schema.get("format").and_then(Value::as_str) == Some("binary")
            && schema
                .get("type")
                .and_then(Value::as_str)
                .is_none_or(|ty| ty == "string")
    };
    let mut fields = Allocator::default().separated_by("_");
    let mut out = Vec::new();
    let empty = json!({});
    for (api_name, declared) in properties {
        let property = pointer::resolve(root, declared);
        let items = property.get("items").unwrap_or(&empty);
        let list = property.get("type").and_then(Value::as_str) == Some("array");
        let kind = if is_binary(property) {
            FieldKind::File
        } else if list && is_binary(items) {
            FieldKind::Files
        } else if list {
            let hint = format!("{operation_name}_{api_name}_item");
            FieldKind::Values(mapper.rust_type(&without_nullable(items), &hint))
        } else {
            let hint = format!("{operation_name}_{api_name}");
            FieldKind::Value(mapper.rust_type(&without_nullable(declared), &hint))
        };
        out.push(FormField {
            field: fields.allocate(&[sanitize_snake(api_name)]),
            required: required.contains(&api_name.as_str()),
            api_name: api_name.clone(),
            kind,
        });
    }
    Some(out)
}

struct Resolver<'a> {
    original: &'a Value,
    normalized: &'a Value,
}

impl Resolver<'_> {
    /// Follows a `$ref` in the original document, returning the target and its pointer.
    fn follow(&self, value: &Value, pointer: String) -> (Value, String) {
        match follow(self.original, value) {
            Some((target, target_pointer)) => (target.clone(), target_pointer.unwrap_or(pointer)),
            None => (value.clone(), pointer),
        }
    }

    fn normalized_resolve(&self, value: &Value) -> Value {
        pointer::resolve(self.normalized, value).clone()
    }

    /// The schema pointer of an operation's parameter (name, location) in the original
    /// document; the operation's own declaration wins over the path item's.
    fn original_param(&self, path: &str, method: &str, name: &str, location: &str) -> String {
        let declared = crate::spec::declared_parameters(self.original, path, method);
        let Some(parameter) = declared.iter().rev().find(|p| p.key() == (location, name)) else {
            // A parameter the pipeline added (an undeclared path variable): a pointer to
            // nothing, which the runtime reads as "accept anything".
            return ANY_SCHEMA.to_owned();
        };
        if parameter.value.get("schema").is_some() {
            return child(&parameter.defined_at, "schema");
        }
        match parameter.value.get("content") {
            Some(Value::Object(content)) if !content.is_empty() => {
                let media = content.keys().next().map_or("", String::as_str);
                child(
                    &child(&child(&parameter.defined_at, "content"), media),
                    "schema",
                )
            }
            _ => ANY_SCHEMA.to_owned(),
        }
    }

    fn operation(
        &self,
        op: &OperationName,
        operation: &Value,
        alternatives: &[Vec<String>],
        mapper: &mut TypeMapper,
    ) -> Result<Operation, SpecError> {
        let pointer = pointer::operation(&op.path, &op.method);
        let mut params = Vec::new();
        let mut fields = Allocator::default().separated_by("_");
        // Parameters were inlined (path-level merged, templates completed) by `prepare`.
        let merged: Vec<Value> = operation
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for parameter in merged {
            let name = parameter
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let Some(location) = parameter
                .get("in")
                .and_then(Value::as_str)
                .and_then(Location::parse)
            else {
                continue;
            };
            let field = fields.allocate(&[sanitize_snake(&name)]);
            let schema = without_nullable(parameter.get("schema").unwrap_or(&json!({})));
            let resolved = self.normalized_resolve(&schema);
            let list = resolved.get("type").and_then(Value::as_str) == Some("array");
            let ty = mapper.rust_type(&schema, &format!("{}_{name}", op.name));
            params.push(Param {
                schema: self.original_param(&op.path, &op.method, &name, location.as_str()),
                required: location == Location::Path
                    || parameter.get("required").and_then(Value::as_bool) == Some(true),
                api_name: name,
                field,
                location,
                list,
                ty,
            });
        }

        let stream = stream(op, operation, mapper);
        // A resumed event stream says where it stopped in `Last-Event-ID`: the server's
        // handler reads it like any header, whether or not the spec declares it.
        if stream
            .as_ref()
            .is_some_and(|stream| stream.framing == Framing::Sse)
            && last_event_id(&params).is_none()
        {
            params.push(Param {
                api_name: "Last-Event-ID".into(),
                field: fields.allocate(&[sanitize_snake("last_event_id")]),
                location: Location::Header,
                required: false,
                list: false,
                ty: RustType("::std::string::String".into()),
                schema: ANY_SCHEMA.to_owned(),
            });
        }
        let body = self.body(op, operation, &pointer, mapper)?;
        let responses = self.responses(op, operation, mapper);
        let auth = if alternatives.is_empty() {
            Auth::None
        } else if alternatives.iter().any(Vec::is_empty) {
            Auth::Optional
        } else {
            Auth::Required
        };
        let doc = operation.as_object().map(doc_text).unwrap_or_default();
        let success = self.success_pointer(&pointer);
        Ok(Operation {
            stream,
            success,
            name: op.name.clone(),
            method: op.method.clone(),
            path: op.path.clone(),
            doc,
            params,
            body,
            responses,
            auth,
            security: alternatives.to_vec(),
        })
    }

    fn success_pointer(&self, pointer: &str) -> Option<(u16, String)> {
        let responses_pointer = child(pointer, "responses");
        let responses = self.original.pointer(&responses_pointer)?.as_object()?;
        for (status, response) in responses {
            let Ok(code @ 200..=299) = status.parse::<u16>() else {
                continue;
            };
            let (response, at) = self.follow(response, child(&responses_pointer, status));
            let Some(Value::Object(content)) = response.get("content") else {
                continue;
            };
            if let Some(media) = content.keys().find(|media| MediaKind::is_json(media))
                && content[media].get("schema").is_some()
            {
                return Some((code, child(&child(&child(&at, "content"), media), "schema")));
            }
        }
        None
    }

    fn body(
        &self,
        op: &OperationName,
        operation: &Value,
        pointer: &str,
        mapper: &mut TypeMapper,
    ) -> Result<Option<Body>, SpecError> {
        let Some(body) = operation.get("requestBody") else {
            return Ok(None);
        };
        let body = self.normalized_resolve(body);
        let Some(Value::Object(content)) = body.get("content") else {
            return Ok(None);
        };
        // FastAPI declares one media type per body; where several are listed, JSON wins as
        // it does on the client.
        let Some(media_type) = crate::spec::preferred_media(content.keys()).cloned() else {
            return Ok(None);
        };
        let kind = MediaKind::of(&media_type);
        let schema = content[&media_type]
            .get("schema")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let (original_body, body_pointer) = self.follow(
            self.original
                .pointer(&child(pointer, "requestBody"))
                .unwrap_or(&Value::Null),
            child(pointer, "requestBody"),
        );
        let schema_pointer = if original_body
            .get("content")
            .and_then(|content| content.get(&media_type))
            .is_some()
        {
            child(
                &child(&child(&body_pointer, "content"), &media_type),
                "schema",
            )
        } else {
            ANY_SCHEMA.to_owned()
        };
        let required = body.get("required").and_then(Value::as_bool) == Some(true);
        let (ty, form) = match kind {
            MediaKind::Json | MediaKind::FormUrlencoded => (
                Some(mapper.rust_type(&schema, &format!("{}_body", op.name))),
                Vec::new(),
            ),
            MediaKind::Multipart => {
                let form = form_fields(&op.name, &schema, self.normalized, mapper);
                (None, form.unwrap_or_default())
            }
            _ => (None, Vec::new()),
        };
        Ok(Some(Body {
            kind,
            media_type: media_type.clone(),
            required,
            schema: schema_pointer,
            ty,
            form,
        }))
    }

    fn responses(
        &self,
        op: &OperationName,
        operation: &Value,
        mapper: &mut TypeMapper,
    ) -> Vec<Response> {
        let mut out = Vec::new();
        let mut variants = Allocator::default().separated_by("_");
        let Some(Value::Object(responses)) = operation.get("responses") else {
            return out;
        };
        for (status, response) in responses {
            let response = self.normalized_resolve(response);
            let payload = match response.get("content").and_then(Value::as_object) {
                Some(content) if !content.is_empty() => {
                    let json_like = content
                        .keys()
                        .find(|media| MediaKind::is_json(media))
                        .cloned();
                    match json_like {
                        Some(media) => {
                            let schema = content[&media]
                                .get("schema")
                                .cloned()
                                .unwrap_or_else(|| json!({}));
                            Payload::Json(
                                mapper.rust_type(&schema, &format!("{}_{status}_body", op.name)),
                            )
                        }
                        None => Payload::Raw(content.keys().next().cloned().unwrap_or_default()),
                    }
                }
                _ => Payload::None,
            };
            let variant = variants.allocate(&[status_variant(status)]);
            out.push(Response {
                status: status.clone(),
                variant,
                payload,
                description: response
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        out
    }
}

/// The operation's first streamed success response, its items typed through `mapper`.
fn stream(op: &OperationName, operation: &Value, mapper: &mut TypeMapper) -> Option<Stream> {
    let responses = operation.get("responses")?.as_object()?;
    for (status, response) in responses {
        if !crate::spec::Status::parse(status).is_some_and(|status| status.is_success()) {
            continue;
        }
        let Some(Value::Object(content)) = response.get("content") else {
            continue;
        };
        for (media_type, media) in content {
            let Some(marked) = Marked::of(media) else {
                continue;
            };
            let schema = media.get("schema").cloned().unwrap_or_else(|| json!({}));
            let (item, checks) = if marked.events.is_empty() {
                let hint = format!("{}_item", op.name);
                let item = stream_item(marked.data, &schema, &hint, mapper);
                (item, vec![(None, marked.item)])
            } else {
                let mut variants = Allocator::default().separated_by("_");
                let mut events = Vec::new();
                let mut checks = Vec::new();
                for (index, event) in marked.events.into_iter().enumerate() {
                    let branch = schema
                        .pointer(&format!("/oneOf/{index}"))
                        .cloned()
                        .unwrap_or_else(|| json!({}));
                    let hint = format!("{}_{}_event", op.name, event.name);
                    events.push(TaggedEvent {
                        variant: variants.allocate(&[sanitize_pascal(&event.name)]),
                        item: stream_item(event.data, &branch, &hint, mapper),
                        name: event.name.clone(),
                    });
                    checks.push((Some(event.name), event.schema));
                }
                let name = sanitize_pascal(&format!("{}_event", op.name));
                (StreamItem::Tagged { name, events }, checks)
            };
            return Some(Stream {
                checks,
                status: status.clone(),
                media_type: media_type.clone(),
                framing: marked.framing,
                item,
            });
        }
    }
    None
}

fn stream_item(data: Data, schema: &Value, hint: &str, mapper: &mut TypeMapper) -> StreamItem {
    match data {
        Data::Json => StreamItem::Json(mapper.rust_type(schema, hint)),
        Data::Text => StreamItem::Text,
        Data::Any => StreamItem::Any,
    }
}

/// `200` → `Ok`, `404` → `NotFound`, `4XX` → `Status4xx`, `default` → `Default`.
fn status_variant(status: &str) -> String {
    if status == "default" {
        return "Default".into();
    }
    match status
        .parse::<u16>()
        .ok()
        .and_then(|code| http_reason(code).map(sanitize_pascal))
    {
        Some(name) => name,
        None => sanitize_pascal(&format!("status_{status}")),
    }
}

fn http_reason(code: u16) -> Option<&'static str> {
    Some(match code {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "Ok",
        201 => "Created",
        202 => "Accepted",
        203 => "Non Authoritative Information",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        423 => "Locked",
        424 => "Failed Dependency",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented Status",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_variants() {
        assert_eq!(status_variant("200"), "Ok");
        assert_eq!(status_variant("422"), "UnprocessableEntity");
        assert_eq!(status_variant("4XX"), "Status4xx");
        assert_eq!(status_variant("default"), "Default");
        assert_eq!(status_variant("299"), "Status299");
    }

    #[test]
    fn doc_text_joins_summary_and_description() {
        let operation = json!({"summary": " Get a job ", "description": "", "x": 1});
        assert_eq!(doc_text(operation.as_object().unwrap()), "Get a job");
        let operation = json!({"summary": "A", "description": "B\n"});
        assert_eq!(doc_text(operation.as_object().unwrap()), "A\n\nB");
    }

    #[test]
    fn form_fields_by_kind() {
        let root =
            json!({"components": {"schemas": {"Blob": {"type": "string", "format": "binary"}}}});
        let schema = json!({
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {"$ref": "#/components/schemas/Blob"},
                "more": {"type": "array", "items": {"type": "string", "format": "binary"}},
                "tags": {"type": "array", "items": {"type": "string"}},
                "kind": {"type": "string", "nullable": true},
                "Kind": {"type": "integer"}
            }
        });
        let mut mapper = TypeMapper::new(&root);
        let fields = form_fields("upload", &schema, &root, &mut mapper).unwrap();
        let kinds: Vec<(&str, &str, bool)> = fields
            .iter()
            .map(|field| {
                let kind = match &field.kind {
                    FieldKind::File => "file",
                    FieldKind::Files => "files",
                    FieldKind::Value(_) => "value",
                    FieldKind::Values(_) => "values",
                };
                (field.field.as_str(), kind, field.required)
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("file", "file", true),
                ("more", "files", false),
                ("tags", "values", false),
                ("kind", "value", false),
                ("kind_2", "value", false)
            ]
        );
    }
}
