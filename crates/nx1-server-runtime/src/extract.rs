//! From an HTTP request to the validated inputs of one operation, in FastAPI's order: the
//! body is read and decoded first (a JSON syntax error answers at once), then credentials
//! are checked, then every parameter and the body are validated and all errors reported
//! together.

use axum::http::{HeaderMap, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::auth::{self, Credentials, Scheme};
use crate::problem;
use crate::validate::{LocItem, SchemaSet, Source, ValidationError};

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
    /// JSON pointer of the parameter's schema in the spec.
    pub schema: &'static str,
    /// A query parameter that repeats (`?ids=a&ids=b`).
    pub list: bool,
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
    /// JSON pointer of the body schema in the spec.
    pub schema: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct OperationSpec {
    pub id: &'static str,
    pub params: &'static [ParamSpec],
    pub body: Option<BodySpec>,
    /// Alternatives of scheme names; empty: no authentication.
    pub security: &'static [&'static [&'static str]],
    /// The first documented success status with a JSON body, and the pointer of its schema
    /// in the spec: what a mock answers.
    pub success: Option<(u16, &'static str)>,
}

/// What every operation of one API shares.
#[derive(Debug)]
pub struct ApiSpec {
    pub schemas: SchemaSet,
    pub schemes: &'static [(&'static str, Scheme)],
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
pub async fn read_body(
    operation: &OperationSpec,
    headers: &HeaderMap,
    bytes: Bytes,
) -> Result<Body, Response> {
    let Some(spec) = operation.body else {
        return Ok(Body::Absent);
    };
    if bytes.is_empty() && spec.media != Media::Multipart {
        return Ok(Body::Absent);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    match spec.media {
        Media::Json => {
            let essence = content_type
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let is_json = essence.is_empty()
                || essence
                    .strip_prefix("application/")
                    .is_some_and(|sub| sub == "json" || sub.ends_with("+json"));
            if !is_json {
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
        Media::Multipart => read_multipart(&content_type, bytes).await,
        Media::Raw => Ok(Body::Raw(bytes)),
    }
}

/// FastAPI's answer to a body that is not JSON: the position is a character offset and the
/// message Python's `json` module would give.
fn json_invalid(bytes: &[u8], err: &serde_json::Error) -> Response {
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
    problem::validation(&[ValidationError {
        kind: "json_invalid".into(),
        loc: vec![LocItem::from("body"), LocItem::Index(position)],
        msg: "JSON decode error".into(),
        input: json!({}),
        ctx: Some(Map::from_iter([("error".to_owned(), json!(message))])),
    }])
}

async fn read_multipart(content_type: &str, bytes: Bytes) -> Result<Body, Response> {
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
    Ok(Body::Multipart {
        fields: pairs_to_object(fields),
        files,
    })
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
) -> Result<Option<Credentials>, Response> {
    if operation.security.is_empty() || operation.security.iter().any(|all| all.is_empty()) {
        return Ok(None);
    }
    let mut accepted: Vec<(&'static str, Scheme)> = Vec::new();
    for name in operation.security.iter().flat_map(|all| all.iter()) {
        if let Some((scheme_name, kind)) = api.schemes.iter().find(|(n, _)| n == name)
            && !accepted.iter().any(|(n, _)| n == scheme_name)
        {
            accepted.push((scheme_name, *kind));
        }
    }
    let found = auth::extract(&accepted, headers, query);
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
        Err(problem::not_authenticated(auth::challenge(&accepted)))
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
) -> Result<Map<String, Value>, Response> {
    let query_pairs = query.map(auth::form_urlencoded_pairs).unwrap_or_default();
    let mut fields = Map::new();
    let mut errors = Vec::new();
    for location in [
        Location::Path,
        Location::Query,
        Location::Header,
        Location::Cookie,
    ] {
        for param in operation
            .params
            .iter()
            .filter(|param| param.location == location)
        {
            let raw = raw_param(param, path_params, headers, &query_pairs);
            let mut loc = vec![LocItem::from(location.name()), LocItem::from(param.name)];
            let schema = api.schemas.at(param.schema).unwrap_or(&Value::Null);
            match raw {
                None if param.required => {
                    errors.push(ValidationError::missing(&loc, Value::Null));
                }
                None => {}
                Some(raw) => {
                    let value =
                        api.schemas
                            .validate(schema, &raw, Source::Text, &mut loc, &mut errors);
                    fields.insert(param.field.to_owned(), value);
                }
            }
        }
    }
    if let Some(spec) = operation.body {
        let schema = api.schemas.at(spec.schema).unwrap_or(&Value::Null);
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
                fields.insert("body".to_owned(), value);
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
                fields.insert("body".to_owned(), value);
            }
            Body::Raw(_) => {}
        }
    }
    if errors.is_empty() {
        Ok(fields)
    } else {
        Err(problem::validation(&errors))
    }
}

fn raw_param(
    param: &ParamSpec,
    path_params: &[(String, String)],
    headers: &HeaderMap,
    query: &[(String, String)],
) -> Option<Value> {
    match param.location {
        Location::Path => path_params
            .iter()
            .find(|(name, _)| name == param.name)
            .map(|(_, value)| Value::String(value.clone())),
        Location::Query if param.list => {
            let values: Vec<Value> = query
                .iter()
                .filter(|(name, _)| name == param.name)
                .map(|(_, value)| Value::String(value.clone()))
                .collect();
            (!values.is_empty()).then_some(Value::Array(values))
        }
        Location::Query => query
            .iter()
            .rev()
            .find(|(name, _)| name == param.name)
            .map(|(_, value)| Value::String(value.clone())),
        Location::Header => {
            let values: Vec<Value> = headers
                .get_all(param.name)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .map(|value| Value::String(value.to_owned()))
                .collect();
            if param.list {
                (!values.is_empty()).then_some(Value::Array(values))
            } else {
                values.into_iter().last()
            }
        }
        Location::Cookie => headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == param.name)
            .map(|(_, value)| Value::String(value.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
