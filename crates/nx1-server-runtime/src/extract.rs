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
    if let Ok(boundary) = multer::parse_boundary(content_type) {
        let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        while let Ok(Some(field)) = multipart.next_field().await {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let part_type = field.content_type().map(|mime| mime.to_string());
            let Ok(data) = field.bytes().await else { break };
            match file_name {
                Some(file_name) => files.push((
                    name,
                    UploadedFile {
                        file_name: Some(file_name),
                        content_type: part_type,
                        bytes: data,
                    },
                )),
                None => fields.push((name, String::from_utf8_lossy(&data).into_owned())),
            }
        }
    }
    Ok(Body::Multipart {
        fields: pairs_to_object(fields),
        files,
    })
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
