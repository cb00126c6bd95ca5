//! What a failed call returns: the operation, how many attempts it took, and what went
//! wrong, with the server's own words when it answered. `Display` is one line a person can
//! act on; secrets never appear in it (credentials are headers, which are never shown, and
//! URLs are shown without their query).

use std::fmt;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// The most of an error body kept (and read): enough for any FastAPI error, bounded so
/// that a misbehaving server cannot fill memory.
pub(crate) const BODY_LIMIT: usize = 1 << 20;
/// The most of a body's text `Display` shows when it has no `detail`.
const SHOWN_TEXT: usize = 200;

/// A failed call of `operation`.
pub struct Error<E = ()> {
    pub(crate) operation: &'static str,
    pub(crate) attempts: u32,
    pub(crate) kind: ErrorKind<E>,
}

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind<E> {
    /// The request could not be built from the arguments given.
    InvalidRequest(String),
    /// No answer: the connection was refused or dropped, DNS or TLS failed, or the time ran
    /// out. The source chain holds the root cause.
    Transport(reqwest::Error),
    /// The server answered with an error status, or with a status the spec does not list.
    Status {
        status: StatusCode,
        headers: HeaderMap,
        /// The body as the spec types it, when the spec documents one for this status.
        body: Option<E>,
        /// The body as sent (at most 1 MiB).
        raw: Bytes,
    },
    /// A documented answer whose body does not match the spec.
    InvalidResponse {
        status: Option<StatusCode>,
        raw: Bytes,
        reason: String,
    },
    /// A hook of the client refused the call.
    Hook(String),
}

impl<E> Error<E> {
    /// The client method that failed, e.g. `trigger_training_job`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// How many times the request was sent (retries included); 0 when it never was.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    pub fn kind(&self) -> &ErrorKind<E> {
        &self.kind
    }

    pub fn into_kind(self) -> ErrorKind<E> {
        self.kind
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match &self.kind {
            ErrorKind::Status { status, .. } => Some(*status),
            ErrorKind::InvalidResponse { status, .. } => *status,
            ErrorKind::Transport(err) => err.status(),
            ErrorKind::InvalidRequest(_) | ErrorKind::Hook(_) => None,
        }
    }

    /// The error body as the spec types it, when it documents one for the status.
    pub fn body(&self) -> Option<&E> {
        match &self.kind {
            ErrorKind::Status { body, .. } => body.as_ref(),
            _ => None,
        }
    }

    /// The response headers of an error status (`Retry-After`, say).
    pub fn headers(&self) -> Option<&HeaderMap> {
        match &self.kind {
            ErrorKind::Status { headers, .. } => Some(headers),
            _ => None,
        }
    }

    /// The error body as text, as the server sent it.
    pub fn text(&self) -> Option<String> {
        match &self.kind {
            ErrorKind::Status { raw, .. } | ErrorKind::InvalidResponse { raw, .. }
                if !raw.is_empty() =>
            {
                Some(String::from_utf8_lossy(raw).into_owned())
            }
            _ => None,
        }
    }

    /// What the server said went wrong: FastAPI's `detail` (validation errors as
    /// `location: message`, joined by `; `), or a `message` or `error` field.
    pub fn detail(&self) -> Option<String> {
        match &self.kind {
            ErrorKind::Status { raw, .. } => detail_of(raw),
            _ => None,
        }
    }
}

/// The `detail` FastAPI writes, in any of its shapes.
pub(crate) fn detail_of(raw: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(raw).ok()?;
    let field = ["detail", "message", "error"]
        .iter()
        .find_map(|key| value.get(key))?;
    match field {
        Value::String(text) => Some(text.clone()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(validation_item).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// One pydantic error, `{"loc": ["body", "status"], "msg": "…"}`, as `body.status: …`.
fn validation_item(item: &Value) -> String {
    let message = item.get("msg").and_then(Value::as_str);
    let location = item.get("loc").and_then(Value::as_array).map(|loc| {
        loc.iter()
            .map(|part| match part {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".")
    });
    match (location, message) {
        (Some(location), Some(message)) => format!("{location}: {message}"),
        (None, Some(message)) => message.to_owned(),
        _ => item.to_string(),
    }
}

/// The causes under a transport error, joined: `tcp connect error: Connection refused
/// (os error 111)`, `dns error: …`. hyper's wrapper levels say nothing of their own.
pub(crate) fn root_cause(err: &reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.starts_with("client error (") && !causes.contains(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    if causes.is_empty() {
        causes.push(err.to_string());
    }
    causes.join(": ")
}

/// The URL as shown (the call strips its query and user info when it keeps the error).
fn shown_url(err: &reqwest::Error) -> Option<String> {
    err.url().map(ToString::to_string)
}

impl<E> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.operation)?;
        match &self.kind {
            ErrorKind::InvalidRequest(reason) => write!(f, "invalid request: {reason}")?,
            ErrorKind::Transport(err) => {
                let url = shown_url(err)
                    .map(|url| format!(" {url}"))
                    .unwrap_or_default();
                if err.is_timeout() {
                    write!(f, "no answer from{url} in time: {}", root_cause(err))?;
                } else if err.is_body() || err.is_decode() {
                    write!(
                        f,
                        "reading the answer from{url} failed: {}",
                        root_cause(err)
                    )?;
                } else {
                    write!(f, "request to{url} failed: {}", root_cause(err))?;
                }
            }
            ErrorKind::Status { status, raw, .. } => {
                write!(f, "{status}")?;
                if let Some(detail) = detail_of(raw) {
                    write!(f, ": {detail}")?;
                } else if !raw.is_empty() {
                    let text = String::from_utf8_lossy(raw);
                    let text = text.trim();
                    match text.char_indices().nth(SHOWN_TEXT) {
                        Some((cut, _)) => write!(f, ": {}…", &text[..cut])?,
                        None => write!(f, ": {text}")?,
                    }
                }
            }
            ErrorKind::InvalidResponse { status, reason, .. } => {
                let status = status.map(|s| format!("{s} ")).unwrap_or_default();
                write!(f, "the {status}answer does not match the spec: {reason}")?;
            }
            ErrorKind::Hook(reason) => write!(f, "{reason}")?,
        }
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug> fmt::Debug for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("operation", &self.operation)
            .field("attempts", &self.attempts)
            .field("kind", &self.kind)
            .finish()
    }
}

impl<E: fmt::Debug> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Transport(err) => Some(err),
            _ => None,
        }
    }
}

/// Questions to ask of a failed call (as omicron asks of its progenitor clients).
pub trait ErrorExt {
    /// The HTTP status, when the server answered at all.
    fn status_code(&self) -> Option<u16>;
    /// The server refused the credentials (or there were none): 401.
    fn is_unauthorized(&self) -> bool {
        self.status_code() == Some(401)
    }
    /// The caller lacks the role for this operation: 403.
    fn is_forbidden(&self) -> bool {
        self.status_code() == Some(403)
    }
    /// The thing asked about does not exist: 404.
    fn is_not_found(&self) -> bool {
        self.status_code() == Some(404)
    }
    /// The request never got an answer in time.
    fn is_timeout(&self) -> bool;
    /// Worth trying again later: a timeout, a connection failure, 408, 429 or a 5xx.
    fn is_retryable(&self) -> bool;
    /// What the server said went wrong, see [`Error::detail`].
    fn detail(&self) -> Option<String>;
}

impl<E> ErrorExt for Error<E> {
    fn status_code(&self) -> Option<u16> {
        self.status().map(|status| status.as_u16())
    }

    fn is_timeout(&self) -> bool {
        matches!(&self.kind, ErrorKind::Transport(err) if err.is_timeout())
    }

    fn is_retryable(&self) -> bool {
        match &self.kind {
            ErrorKind::Transport(err) => err.is_timeout() || err.is_connect() || err.is_request(),
            _ => matches!(self.status_code(), Some(408 | 429 | 500..=599)),
        }
    }

    fn detail(&self) -> Option<String> {
        Error::detail(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, raw: &str) -> Error<()> {
        Error {
            operation: "trigger_training_job",
            attempts: 1,
            kind: ErrorKind::Status {
                status: StatusCode::from_u16(code).unwrap(),
                headers: HeaderMap::new(),
                body: None,
                raw: Bytes::from(raw.to_owned()),
            },
        }
    }

    #[test]
    fn fastapi_details_in_every_shape() {
        let conflict = status(
            409,
            r#"{"detail":"Training job cannot move from failed to running"}"#,
        );
        assert_eq!(
            conflict.to_string(),
            "trigger_training_job: 409 Conflict: Training job cannot move from failed to running"
        );
        let invalid = status(
            422,
            r#"{"detail":[{"type":"uuid_parsing","loc":["query","ids",0],"msg":"Input should be a valid UUID"}]}"#,
        );
        assert_eq!(
            invalid.detail().as_deref(),
            Some("query.ids.0: Input should be a valid UUID")
        );
        let plain = status(502, "<html>bad gateway</html>");
        assert_eq!(plain.detail(), None);
        assert!(
            plain
                .to_string()
                .ends_with("502 Bad Gateway: <html>bad gateway</html>")
        );
        let long = status(500, &"x".repeat(5000));
        assert!(long.to_string().len() < 300);
        assert_eq!(
            status(404, "").to_string(),
            "trigger_training_job: 404 Not Found"
        );
    }
}
