//! From an HTTP request to the validated inputs of one operation, in FastAPI's order: the
//! body is read and decoded first (a JSON syntax error answers at once), then credentials
//! are checked, then every parameter and the body are validated and all errors reported
//! together.

use axum::http::{HeaderMap, header};
use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::auth::{self, Credentials, Scheme};
use crate::rejection::Rejection;
use std::borrow::Cow;
use std::collections::HashMap;

use crate::validate::plan::Plan;
use crate::validate::{LocItem, SchemaSet, Source, ValidationError};

mod typed;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
    Cookie,
}

impl Location {
    fn name(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Cookie => "cookie",
        }
    }
}

/// One parameter of an operation, as the generated code describes it.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// The name on the wire.
    pub name: &'static str,
    /// The Rust field of the request struct.
    pub field: &'static str,
    pub location: Location,
    pub required: bool,
    /// The parameter's schema: a JSON pointer in the spec, or a relative JSON pointer from
    /// the operation (see [`SchemaSet::at_from`]).
    pub schema: &'static str,
    /// A query parameter that repeats (`?ids=a&ids=b`).
    pub list: bool,
}

impl ParamSpec {
    /// A parameter whose field is named as it is on the wire; required only in the path.
    pub const fn new(location: Location, name: &'static str, schema: &'static str) -> Self {
        ParamSpec {
            name,
            field: name,
            location,
            required: matches!(location, Location::Path),
            schema,
            list: false,
        }
    }

    pub const fn path(name: &'static str, schema: &'static str) -> Self {
        ParamSpec::new(Location::Path, name, schema)
    }

    pub const fn query(name: &'static str, schema: &'static str) -> Self {
        ParamSpec::new(Location::Query, name, schema)
    }

    pub const fn header(name: &'static str, schema: &'static str) -> Self {
        ParamSpec::new(Location::Header, name, schema)
    }

    pub const fn cookie(name: &'static str, schema: &'static str) -> Self {
        ParamSpec::new(Location::Cookie, name, schema)
    }

    /// The request struct's field, where it differs from the name.
    pub const fn field(mut self, field: &'static str) -> Self {
        self.field = field;
        self
    }

    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub const fn list(mut self) -> Self {
        self.list = true;
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    Json,
    Form,
    Multipart,
    Raw,
}

#[derive(Debug, Clone, Copy)]
pub struct BodySpec {
    pub required: bool,
    pub media: Media,
    /// The body schema, as [`ParamSpec::schema`].
    pub schema: &'static str,
}

impl BodySpec {
    pub const fn new(media: Media, schema: &'static str) -> Self {
        BodySpec {
            required: false,
            media,
            schema,
        }
    }

    pub const fn json(schema: &'static str) -> Self {
        BodySpec::new(Media::Json, schema)
    }

    pub const fn form(schema: &'static str) -> Self {
        BodySpec::new(Media::Form, schema)
    }

    pub const fn multipart(schema: &'static str) -> Self {
        BodySpec::new(Media::Multipart, schema)
    }

    pub const fn raw(schema: &'static str) -> Self {
        BodySpec::new(Media::Raw, schema)
    }

    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
}

#[derive(Debug, Clone, Copy)]
pub struct OperationSpec {
    pub id: &'static str,
    /// JSON pointer of the operation in the spec; relative schema pointers start here.
    pub pointer: &'static str,
    pub params: &'static [ParamSpec],
    pub body: Option<BodySpec>,
    /// Alternatives of scheme names; empty: no authentication.
    pub security: &'static [&'static [&'static str]],
    /// The first documented success status with a JSON body, and its schema (as
    /// [`ParamSpec::schema`]): what a mock answers.
    pub success: Option<(u16, &'static str)>,
    /// Path parameters that take the rest of the path, slashes included.
    pub rest: &'static [&'static str],
    /// The streamed answer, when the operation has one.
    pub stream: Option<crate::stream::StreamSpec>,
}

impl OperationSpec {
    /// An operation without parameters, body, security or success schema.
    pub const fn new(id: &'static str, pointer: &'static str) -> Self {
        OperationSpec {
            id,
            pointer,
            params: &[],
            body: None,
            security: &[],
            success: None,
            rest: &[],
            stream: None,
        }
    }

    /// The HTTP method, upper-case, read from the pointer (`/paths/~1a/get` → `GET`).
    pub fn method(&self) -> &'static str {
        let method = self.pointer.rsplit('/').next().unwrap_or_default();
        crate::routing::METHODS
            .iter()
            .find(|known| known.eq_ignore_ascii_case(method))
            .copied()
            .unwrap_or("GET")
    }

    /// The path template, read from the pointer (`/paths/~1a~1{id}/get` → `/a/{id}`).
    pub fn path(&self) -> String {
        let item = self
            .pointer
            .strip_prefix("/paths/")
            .and_then(|rest| rest.rsplit_once('/'))
            .map_or("", |(item, _)| item);
        item.replace("~1", "/").replace("~0", "~")
    }

    pub const fn stream(mut self, stream: crate::stream::StreamSpec) -> Self {
        self.stream = Some(stream);
        self
    }

    pub const fn rest(mut self, names: &'static [&'static str]) -> Self {
        self.rest = names;
        self
    }

    pub const fn params(mut self, params: &'static [ParamSpec]) -> Self {
        self.params = params;
        self
    }

    pub const fn body(mut self, body: BodySpec) -> Self {
        self.body = Some(body);
        self
    }

    pub const fn security(mut self, security: &'static [&'static [&'static str]]) -> Self {
        self.security = security;
        self
    }

    pub const fn success(mut self, status: u16, schema: &'static str) -> Self {
        self.success = Some((status, schema));
        self
    }
}

impl SchemaSet {
    /// A schema pointer of `operation` (absolute or relative to it) resolved in the spec.
    pub fn of(&self, operation: &OperationSpec, pointer: &str) -> Option<&Value> {
        self.at_from(operation.pointer, pointer)
    }
}

/// What every operation of one API shares.
#[derive(Debug)]
pub struct ApiSpec {
    /// Shared with the bodies of streamed answers that check their items.
    pub schemas: std::sync::Arc<SchemaSet>,
    /// Check each item of a streamed answer against its schema ([`crate::ServerConfig`]).
    pub(crate) check_streams: bool,
    pub schemes: &'static [(&'static str, Scheme)],
    /// What [`ApiSpec::prepare`] worked out once per operation, by the address of the
    /// operation's pointer text.
    prepared: HashMap<usize, Prepared, BuildAddressHasher>,
}

/// One operation's per-request work done ahead: the schemes it accepts, and its compiled
/// validators when every parameter and the body compiled.
#[derive(Debug)]
struct Prepared {
    accepted: Vec<(&'static str, Scheme)>,
    /// The header names of `accepted`'s API keys, parsed once.
    header_names: Vec<Option<axum::http::HeaderName>>,
    plan: Option<OperationPlan>,
    /// Each parameter's schema (in `params` order) and the body's, resolved from their
    /// pointers once: walking a pointer through the spec cost more than validating.
    param_schemas: Vec<Value>,
    body_schema: Value,
}

#[derive(Debug)]
struct OperationPlan {
    params: Vec<Plan>,
    body: Option<Plan>,
    /// Indices into `params` in the order FastAPI reads them.
    order: Vec<usize>,
}

fn plan_key(operation: &OperationSpec) -> usize {
    operation.pointer.as_ptr() as usize
}

/// Hashes the address keys of the prepared operations with one multiplication: they are
/// looked up on every request, and SipHash's resistance to chosen keys buys nothing for
/// addresses the program chose itself.
type BuildAddressHasher = std::hash::BuildHasherDefault<AddressHasher>;

#[derive(Debug, Default, Clone, Copy)]
struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        // The multiplication leaves the high bits mixed; fold them into the low bits,
        // which pick the bucket.
        self.0 ^ (self.0 >> 29)
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, address: usize) {
        self.0 = (address as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

impl ApiSpec {
    /// The spec embedded by the generator (as JSON) and its security schemes.
    pub fn new(spec_json: &str, schemes: &'static [(&'static str, Scheme)]) -> Self {
        // The embedded spec was written by the generator from a parsed document.
        let root = serde_json::from_str(spec_json).unwrap_or_default();
        ApiSpec {
            schemas: std::sync::Arc::new(SchemaSet::new(root)),
            check_streams: false,
            schemes,
            prepared: HashMap::default(),
        }
    }

    /// Compiles the validators of `operations` once, so that a valid request to one of them
    /// is checked without reading the spec. An operation with a schema that does not
    /// compile, or one never prepared, is validated by the interpreter alone.
    pub fn prepare(&mut self, operations: &'static [OperationSpec]) {
        for operation in operations {
            let compile = |pointer: &str| {
                self.schemas
                    .of(operation, pointer)
                    .and_then(|schema| Plan::compile(&self.schemas, schema))
            };
            let plan = (|| {
                let params = operation
                    .params
                    .iter()
                    .map(|param| compile(param.schema))
                    .collect::<Option<Vec<Plan>>>()?;
                let body = match operation.body {
                    None => None,
                    Some(body) if matches!(body.media, Media::Json | Media::Form) => {
                        Some(compile(body.schema)?)
                    }
                    // Multipart and raw bodies: the interpreter reads them.
                    Some(_) => return None,
                };
                let order = in_fastapi_order(operation.params)
                    .map(|(index, _)| index)
                    .collect();
                Some(OperationPlan {
                    params,
                    body,
                    order,
                })
            })();
            let accepted = self.accepted(operation).into_owned();
            let schema = |pointer: &str| {
                self.schemas
                    .of(operation, pointer)
                    .cloned()
                    .unwrap_or(Value::Null)
            };
            let param_schemas = operation
                .params
                .iter()
                .map(|param| schema(param.schema))
                .collect();
            let body_schema = operation
                .body
                .map_or(Value::Null, |body| schema(body.schema));
            self.prepared.insert(
                plan_key(operation),
                Prepared {
                    header_names: auth::header_names(&accepted),
                    accepted,
                    plan,
                    param_schemas,
                    body_schema,
                },
            );
        }
    }

    /// The schemes `operation` accepts, each once, in the order its `security` names them.
    pub fn accepted(&self, operation: &OperationSpec) -> Cow<'_, [(&'static str, Scheme)]> {
        if let Some(prepared) = self.prepared.get(&plan_key(operation)) {
            return Cow::Borrowed(&prepared.accepted);
        }
        let mut accepted: Vec<(&'static str, Scheme)> = Vec::new();
        for name in operation.security.iter().flat_map(|all| all.iter()) {
            if let Some((scheme_name, kind)) = self.schemes.iter().find(|(n, _)| n == name)
                && !accepted.iter().any(|(n, _)| n == scheme_name)
            {
                accepted.push((scheme_name, *kind));
            }
        }
        Cow::Owned(accepted)
    }
}

/// An uploaded file of a multipart body.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct UploadedFile {
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

impl std::fmt::Debug for UploadedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadedFile")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// The body as read, before validation.
#[derive(Debug, Clone)]
pub enum Body {
    Absent,
    /// A JSON or form document.
    Document(Value),
    /// Text that should have been JSON (a wrong content type).
    NotJson(String),
    Multipart {
        fields: Map<String, Value>,
        files: Vec<(String, UploadedFile)>,
    },
    Raw(Bytes),
}

/// Reads the body per the operation's media type. A JSON syntax error is answered here, as
/// FastAPI does before looking at anything else.
///
/// Not `async`: nothing in it waits, and as a future it would add its state to every
/// request's.
pub fn read_body(
    operation: &OperationSpec,
    headers: &HeaderMap,
    bytes: Bytes,
) -> Result<Body, Rejection> {
    let Some(spec) = operation.body else {
        return Ok(Body::Absent);
    };
    if bytes.is_empty() && spec.media != Media::Multipart {
        return Ok(Body::Absent);
    }
    match spec.media {
        Media::Json => {
            if !is_json_content_type(headers) {
                return Ok(Body::NotJson(String::from_utf8_lossy(&bytes).into_owned()));
            }
            serde_json::from_slice(&bytes)
                .map(Body::Document)
                .map_err(|err| json_invalid(&bytes, &err))
        }
        Media::Form => {
            let pairs = auth::form_urlencoded_pairs(&String::from_utf8_lossy(&bytes));
            Ok(Body::Document(Value::Object(pairs_to_object(pairs))))
        }
        Media::Multipart => Ok(read_multipart(content_type(headers), bytes)),
        Media::Raw => Ok(Body::Raw(bytes)),
    }
}

/// The request's `Content-Type`, empty when absent or not text.
pub(crate) fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

/// A media type without its parameters (`text/event-stream; charset=utf-8` →
/// `text/event-stream`), borrowed; compare it without regard to case.
pub(crate) fn media_essence(media_type: &str) -> &str {
    media_type.split(';').next().unwrap_or_default().trim()
}

/// Whether FastAPI reads a body with this request's `Content-Type` as JSON: none at all,
/// `application/json`, or `application/*+json`, in any case. Compared in place: this
/// runs for every request with a JSON body.
fn is_json_content_type(headers: &HeaderMap) -> bool {
    let essence = media_essence(content_type(headers));
    let prefix = "application/";
    let subtype = match essence.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &essence[prefix.len()..],
        _ => return essence.is_empty(),
    };
    subtype.eq_ignore_ascii_case("json")
        || subtype
            .len()
            .checked_sub("+json".len())
            .and_then(|start| subtype.get(start..))
            .is_some_and(|tail| tail.eq_ignore_ascii_case("+json"))
}

/// Whether the typed read ([`read_typed`]) covers `operation`'s body: none, or JSON. Form,
/// multipart and raw bodies are left to the general path.
fn typed_read_covers(operation: &OperationSpec) -> bool {
    operation.body.is_none_or(|body| body.media == Media::Json)
}

/// The typed request read straight from the request, when every parameter and the body
/// pass their compiled plans; `None` leaves it to [`validate`] and `serde_json::from_value`,
/// which give the same request whenever this gives one.
pub(crate) fn read_typed<R: serde::de::DeserializeOwned>(
    api: &ApiSpec,
    operation: &OperationSpec,
    path_params: &[(String, String)],
    headers: &HeaderMap,
    query: Option<&str>,
    bytes: &[u8],
) -> Option<R> {
    typed::read(api, operation, path_params, headers, query, bytes)
}

/// FastAPI's answer to a body that is not JSON: the position is a character offset and the
/// message Python's `json` module would give.
fn json_invalid(bytes: &[u8], err: &serde_json::Error) -> Rejection {
    let text = String::from_utf8_lossy(bytes);
    // Python reports an early end at the length of the document, anything else at the
    // character that broke it (serde_json's column is 1-based).
    let position = if err.classify() == serde_json::error::Category::Eof {
        text.chars().count()
    } else {
        text.split_inclusive('\n')
            .take(err.line().saturating_sub(1))
            .map(|line| line.chars().count())
            .sum::<usize>()
            + err.column().saturating_sub(1)
    };
    let message = match err.classify() {
        serde_json::error::Category::Eof => "Expecting value",
        _ => {
            let rendered = err.to_string();
            if rendered.starts_with("trailing characters") {
                "Extra data"
            } else if rendered.starts_with("key must be a string") {
                "Expecting property name enclosed in double quotes"
            } else if rendered.starts_with("expected `,` or") {
                "Expecting ',' delimiter"
            } else if rendered.starts_with("expected `:`") {
                "Expecting ':' delimiter"
            } else {
                "Expecting value"
            }
        }
    };
    Rejection::InvalidJson(Box::new(ValidationError {
        kind: "json_invalid".into(),
        loc: vec![LocItem::from("body"), LocItem::Index(position)],
        msg: "JSON decode error".into(),
        input: json!({}),
        ctx: vec![("error", json!(message))],
    }))
}

fn read_multipart(content_type: &str, bytes: Bytes) -> Body {
    let mut fields = Vec::new();
    let mut files = Vec::new();
    if let Some(boundary) = multipart_boundary(content_type) {
        for part in multipart_parts(&bytes, &boundary) {
            match part.file_name {
                Some(file_name) => files.push((
                    part.name,
                    UploadedFile {
                        file_name: Some(file_name),
                        content_type: part.content_type,
                        bytes: part.data,
                    },
                )),
                None => fields.push((part.name, String::from_utf8_lossy(&part.data).into_owned())),
            }
        }
    }
    Body::Multipart {
        fields: pairs_to_object(fields),
        files,
    }
}

struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    data: Bytes,
}

fn multipart_boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (key, value) = parameter.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// Splits a multipart body the way python-multipart does: leniently. Header values are read
/// as Latin-1 when they are not UTF-8, and a malformed part is skipped, not fatal.
fn multipart_parts(body: &Bytes, boundary: &str) -> Vec<Part> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut parts = Vec::new();
    let mut starts = Vec::new();
    let mut index = 0;
    while let Some(found) = find(&body[index..], delimiter) {
        starts.push(index + found);
        index += found + delimiter.len();
    }
    for window in starts.windows(2) {
        let (mut begin, mut finish) = (window[0] + delimiter.len(), window[1]);
        if body[begin..finish].starts_with(b"\r\n") {
            begin += 2;
        }
        if body[begin..finish].ends_with(b"\r\n") {
            finish -= 2;
        }
        let chunk = &body[begin..finish];
        let Some(split) = find(chunk, b"\r\n\r\n") else {
            continue;
        };
        let headers = &chunk[..split];
        let data = body.slice(begin + split + 4..finish);
        let mut name = None;
        let mut file_name = None;
        let mut content_type = None;
        for line in headers.split(|byte| *byte == b'\n') {
            let line = decode_header(line.strip_suffix(b"\r").unwrap_or(line));
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            if key.trim().eq_ignore_ascii_case("content-disposition") {
                name = disposition_parameter(value, "name");
                file_name = disposition_parameter(value, "filename");
            } else if key.trim().eq_ignore_ascii_case("content-type") {
                content_type = Some(value.trim().to_owned());
            }
        }
        if let Some(name) = name {
            parts.push(Part {
                name,
                file_name,
                content_type,
                data,
            });
        }
    }
    parts
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn decode_header(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|byte| *byte as char).collect(),
    }
}

/// `form-data; name="a"; filename="b.csv"` → the quoted (or bare) value of `key`.
fn disposition_parameter(value: &str, key: &str) -> Option<String> {
    let mut rest = value;
    while let Some(position) = rest.find(';') {
        rest = &rest[position + 1..];
        let trimmed = rest.trim_start();
        let Some(after) = trimmed
            .strip_prefix(key)
            .and_then(|after| after.trim_start().strip_prefix('='))
        else {
            continue;
        };
        let after = after.trim_start();
        if let Some(quoted) = after.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => out.extend(chars.next()),
                    '"' => return Some(out),
                    other => out.push(other),
                }
            }
            return Some(out);
        }
        return Some(
            after
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned(),
        );
    }
    None
}

/// Repeated keys become lists, single ones stay strings; validation against the schema
/// decides which shape it needed.
fn pairs_to_object(pairs: Vec<(String, String)>) -> Map<String, Value> {
    let mut object = Map::new();
    for (key, value) in pairs {
        match object.get_mut(&key) {
            Some(Value::Array(values)) => values.push(Value::String(value)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(value)]);
            }
            None => {
                object.insert(key, Value::String(value));
            }
        }
    }
    object
}

/// The credentials the operation accepts, or the 401 FastAPI gives when none is there.
/// `Ok(None)`: the operation needs no authentication.
pub fn credentials(
    api: &ApiSpec,
    operation: &OperationSpec,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Option<Credentials>, Rejection> {
    if operation.security.is_empty() || operation.security.iter().any(|all| all.is_empty()) {
        return Ok(None);
    }
    let accepted = api.accepted(operation);
    let names = api
        .prepared
        .get(&plan_key(operation))
        .map_or(&[][..], |prepared| &prepared.header_names);
    let found = auth::extract_named(&accepted, names, headers, query);
    let satisfied = operation.security.iter().any(|all| {
        all.iter().all(|name| {
            found
                .presented
                .iter()
                .any(|credential| credential.scheme == *name)
        })
    });
    if satisfied {
        Ok(Some(found))
    } else {
        Err(Rejection::NotAuthenticated {
            detail: "Not authenticated".into(),
            challenge: auth::challenge(&accepted),
        })
    }
}

/// Validates every parameter and the body, returning the request as a JSON object keyed by
/// the request struct's fields, or 422 with all errors.
pub fn validate(
    api: &ApiSpec,
    operation: &OperationSpec,
    path_params: &[(String, String)],
    headers: &HeaderMap,
    query: Option<&str>,
    body: &Body,
) -> Result<Map<String, Value>, Rejection> {
    validate_after(api, operation, path_params, headers, query, body, false)
}

/// [`validate`] after [`read_typed`] gave up: where it covers the operation the plans
/// refuse too (they check what it checked), so only the interpreter runs.
pub(crate) fn validate_after_typed(
    api: &ApiSpec,
    operation: &OperationSpec,
    path_params: &[(String, String)],
    headers: &HeaderMap,
    query: Option<&str>,
    body: &Body,
) -> Result<Map<String, Value>, Rejection> {
    let typed_gave_up = typed_read_covers(operation);
    validate_after(
        api,
        operation,
        path_params,
        headers,
        query,
        body,
        typed_gave_up,
    )
}

fn validate_after(
    api: &ApiSpec,
    operation: &OperationSpec,
    path_params: &[(String, String)],
    headers: &HeaderMap,
    query: Option<&str>,
    body: &Body,
    typed_gave_up: bool,
) -> Result<Map<String, Value>, Rejection> {
    let query_pairs = auth::Query::new(query);
    let prepared = api.prepared.get(&plan_key(operation));
    if !typed_gave_up
        && let Some(plan) = prepared.and_then(|prepared| prepared.plan.as_ref())
        && let Some(fields) =
            validate_planned(plan, operation, path_params, headers, &query_pairs, body)
    {
        return Ok(fields);
    }
    let schema_of = |index: Option<usize>, pointer: &str| -> Cow<'_, Value> {
        let cached = prepared.and_then(|prepared| match index {
            Some(index) => prepared.param_schemas.get(index),
            None => Some(&prepared.body_schema),
        });
        match cached {
            Some(schema) => Cow::Borrowed(schema),
            None => Cow::Owned(
                api.schemas
                    .of(operation, pointer)
                    .cloned()
                    .unwrap_or(Value::Null),
            ),
        }
    };
    // The fields become the request's object only when nothing failed: most requests here
    // are refused, and a refused one needs no keys allocated or hashed.
    let mut fields: Vec<(&'static str, Value)> = Vec::new();
    let mut errors = Vec::new();
    for (index, param) in in_fastapi_order(operation.params) {
        let raw = raw_param(param, path_params, headers, &query_pairs);
        let mut loc = vec![
            LocItem::from(param.location.name()),
            LocItem::from(param.name),
        ];
        let schema = schema_of(Some(index), param.schema);
        let schema = schema.as_ref();
        match raw {
            None if param.required => {
                errors.push(ValidationError::missing(&loc, Value::Null));
            }
            None => {}
            Some(raw) => {
                let value = api
                    .schemas
                    .validate(schema, &raw, Source::Text, &mut loc, &mut errors);
                fields.push((param.field, value));
            }
        }
    }
    if let Some(spec) = operation.body {
        let schema = schema_of(None, spec.schema);
        let schema = schema.as_ref();
        let mut loc = vec![LocItem::from("body")];
        match body {
            Body::Absent if spec.required => {
                errors.push(ValidationError::missing(&loc, Value::Null));
            }
            Body::Absent => {}
            Body::Document(document) => {
                let source = if spec.media == Media::Json {
                    Source::Json
                } else {
                    Source::Text
                };
                let value = api
                    .schemas
                    .validate(schema, document, source, &mut loc, &mut errors);
                fields.push(("body", value));
            }
            Body::NotJson(text) => {
                api.schemas.validate(
                    schema,
                    &Value::String(text.clone()),
                    Source::Json,
                    &mut loc,
                    &mut errors,
                );
            }
            Body::Multipart {
                fields: form,
                files,
            } => {
                // Files are checked for presence here; their bytes travel beside the JSON.
                let mut document = form.clone();
                for (name, _) in files {
                    document
                        .entry(name.clone())
                        .or_insert_with(|| json!("<file>"));
                }
                let value = api.schemas.validate(
                    schema,
                    &Value::Object(document),
                    Source::Text,
                    &mut loc,
                    &mut errors,
                );
                fields.push(("body", value));
            }
            Body::Raw(_) => {}
        }
    }
    if errors.is_empty() {
        Ok(fields
            .into_iter()
            .map(|(field, value)| (field.to_owned(), value))
            .collect())
    } else {
        Err(Rejection::Invalid(errors))
    }
}

/// [`validate`] through the compiled validators: the same fields when the request is valid,
/// `None` when it may not be (then the interpreter looks again and reports every error).
fn validate_planned(
    plan: &OperationPlan,
    operation: &OperationSpec,
    path_params: &[(String, String)],
    headers: &HeaderMap,
    query_pairs: &auth::Query<'_>,
    body: &Body,
) -> Option<Map<String, Value>> {
    let mut fields = Map::new();
    for (index, param) in in_fastapi_order(operation.params) {
        match raw_param(param, path_params, headers, query_pairs) {
            None if param.required => return None,
            None => {}
            Some(raw) => {
                fields.insert(param.field.to_owned(), plan.params.get(index)?.run(raw)?);
            }
        }
    }
    if let Some(spec) = operation.body {
        match (body, &plan.body) {
            (Body::Absent, _) if spec.required => return None,
            (Body::Absent, _) => {}
            (Body::Document(document), Some(body_plan)) => {
                fields.insert("body".to_owned(), body_plan.run(document.clone())?);
            }
            _ => return None,
        }
    }
    Some(fields)
}

/// The parameters as FastAPI reads them, path first, then query, header and cookie, each
/// with its index in `params` (a plan's validators are kept in that order).
fn in_fastapi_order(params: &[ParamSpec]) -> impl Iterator<Item = (usize, &ParamSpec)> {
    [
        Location::Path,
        Location::Query,
        Location::Header,
        Location::Cookie,
    ]
    .into_iter()
    .flat_map(move |location| {
        params
            .iter()
            .enumerate()
            .filter(move |(_, param)| param.location == location)
    })
}

/// A parameter as the request carries it, before validation: one text, or every value of
/// a repeated one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Raw<'a> {
    One(&'a str),
    Many(Vec<&'a str>),
}

impl Raw<'_> {
    /// The JSON the interpreter and the plans read: a string, or an array of strings.
    pub(crate) fn into_value(self) -> Value {
        match self {
            Raw::One(text) => Value::String(text.to_owned()),
            Raw::Many(texts) => Value::Array(
                texts
                    .into_iter()
                    .map(|text| Value::String(text.to_owned()))
                    .collect(),
            ),
        }
    }
}

fn raw_param(
    param: &ParamSpec,
    path_params: &[(String, String)],
    headers: &HeaderMap,
    query: &auth::Query<'_>,
) -> Option<Value> {
    raw_text(param, path_params, headers, query).map(Raw::into_value)
}

/// `param` as the request carries it, borrowed from the request where it can be.
pub(crate) fn raw_text<'a>(
    param: &ParamSpec,
    path_params: &'a [(String, String)],
    headers: &'a HeaderMap,
    query: &'a auth::Query<'_>,
) -> Option<Raw<'a>> {
    match param.location {
        Location::Path => path_params
            .iter()
            .find(|(name, _)| name == param.name)
            .map(|(_, value)| Raw::One(value.as_str())),
        Location::Query if param.list => {
            let values: Vec<&'a str> = query
                .pairs()
                .filter(|(name, _)| *name == param.name)
                .map(|(_, value)| value)
                .collect();
            (!values.is_empty()).then_some(Raw::Many(values))
        }
        // The last of a repeated single-valued parameter, as Starlette's `QueryParams`.
        Location::Query => query
            .pairs()
            .filter(|(name, _)| *name == param.name)
            .last()
            .map(|(_, value)| Raw::One(value)),
        Location::Header => {
            let mut values = headers
                .get_all(param.name)
                .iter()
                .filter_map(|value| value.to_str().ok());
            if param.list {
                let values: Vec<&'a str> = values.collect();
                (!values.is_empty()).then_some(Raw::Many(values))
            } else {
                values.next_back().map(Raw::One)
            }
        }
        Location::Cookie => headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == param.name)
            .map(|(_, value)| Raw::One(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The in-place comparison answers as lowercasing the essence and matching it does.
    #[test]
    fn json_content_types_compare_in_place() {
        let lowered = |content_type: &str| {
            let essence = content_type
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            essence.is_empty()
                || essence
                    .strip_prefix("application/")
                    .is_some_and(|sub| sub == "json" || sub.ends_with("+json"))
        };
        for given in [
            "",
            " ; charset=utf-8",
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/vnd.api+json",
            "application/+JSON",
            "application/jsonx",
            "application/",
            "application",
            "text/json",
            "text/plain",
            "applicatio\u{e9}/json",
            "application/ä+json",
        ] {
            let mut headers = HeaderMap::new();
            if let Ok(value) = given.parse() {
                headers.insert(header::CONTENT_TYPE, value);
            }
            assert_eq!(
                is_json_content_type(&headers),
                lowered(content_type(&headers)),
                "{given:?}"
            );
        }
    }

    #[test]
    fn lenient_multipart() {
        let body = Bytes::from_static(
            b"--xx\r\nContent-Disposition: form-data; name=\"\xf3\x0e\"\r\n\r\n1\r\n--xx\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\r\n1,2\r\n--xx\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ndag\r\n--xx--\r\n",
        );
        let parts = multipart_parts(&body, "xx");
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[1].name, "file");
        assert_eq!(parts[1].file_name.as_deref(), Some("a.csv"));
        assert_eq!(parts[1].content_type.as_deref(), Some("text/csv"));
        assert_eq!(&parts[1].data[..], b"a,b\r\n1,2");
        assert_eq!(parts[2].name, "kind");
        assert_eq!(&parts[2].data[..], b"dag");
        assert_eq!(
            multipart_boundary("multipart/form-data; boundary=\"xx\""),
            Some("xx".into())
        );
    }
}
