//! What the generated subcommands call: arguments read into the client's types, bodies
//! and files read from disk or stdin, answers turned into output, and failures into an
//! exit code and one line.

use std::io::Read as _;
use std::path::Path;
use std::process::ExitCode;

use clap::ArgMatches;
use futures::{StreamExt, TryStreamExt};
use nx1_client::stream::{EventStream, ItemStream, StreamError, StreamErrorKind};
use nx1_client::{ByteStream, Error, ErrorExt, ErrorKind, forms::FilePart};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Exit codes, one per kind of failure a script may want to tell apart.
pub mod exit {
    /// Any other failure (an answer that does not match the spec, a 409, …).
    pub const OTHER: u8 = 1;
    /// The command line is wrong: a missing or malformed argument, an unreadable file.
    pub const USAGE: u8 = 2;
    /// No credentials, or the server refused them (401, 403).
    pub const AUTH: u8 = 3;
    /// The thing asked about does not exist (404).
    pub const NOT_FOUND: u8 = 4;
    /// The server refused the request as invalid (400, 422).
    pub const INVALID: u8 = 5;
    /// The server failed (5xx).
    pub const SERVER: u8 = 6;
    /// No answer: connection refused, DNS, TLS, time-out.
    pub const UNREACHABLE: u8 = 7;
}

/// What a command prints on success.
// Bytes and bodiless answers come from operations the vendored spec may gain; the
// generated code reaches for these only then.
#[allow(dead_code)]
pub enum Output {
    Json(Value),
    Bytes(Vec<u8>),
    /// A bodiless answer: nothing on stdout.
    Nothing,
    /// A streamed answer: each item printed as it arrives.
    Stream(futures::stream::BoxStream<'static, Result<Value, Failure>>),
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Output::Json(value) => f.debug_tuple("Json").field(value).finish(),
            Output::Bytes(bytes) => f.debug_tuple("Bytes").field(&bytes.len()).finish(),
            Output::Nothing => f.write_str("Nothing"),
            Output::Stream(_) => f.write_str("Stream"),
        }
    }
}

/// Why a command failed: the exit code and one line for stderr.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: exit::USAGE,
            message: message.into(),
        }
    }

    pub fn auth(message: impl Into<String>) -> Self {
        Failure {
            code: exit::AUTH,
            message: message.into(),
        }
    }

    pub fn unknown(name: &str) -> Self {
        Failure::usage(format!(
            "unknown operation `{name}`; run `nx1 --help` for the list"
        ))
    }

    /// A failed call: the client's one-line error, with the exit code of its kind.
    pub fn call<E>(err: Error<E>) -> Self {
        let code = match (err.kind(), err.status_code()) {
            (ErrorKind::Transport(_), None) => exit::UNREACHABLE,
            (ErrorKind::InvalidRequest(_), _) => exit::USAGE,
            (_, Some(401 | 403)) => exit::AUTH,
            (_, Some(404)) => exit::NOT_FOUND,
            (_, Some(400 | 422)) => exit::INVALID,
            (_, Some(500..=599)) => exit::SERVER,
            _ => exit::OTHER,
        };
        Failure {
            code,
            message: err.to_string(),
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

/// A value given on the command line as the type the client takes: as a string first
/// (ids, names, enum values), else as JSON (numbers, booleans, objects).
fn parse<T: DeserializeOwned>(id: &str, raw: &str) -> Result<T, Failure> {
    serde_json::from_value(Value::String(raw.to_owned()))
        .or_else(|_| serde_json::from_str(raw))
        .map_err(|err| Failure::usage(format!("--{id} `{raw}` is not valid here: {err}")))
}

pub fn one<T: DeserializeOwned>(args: &ArgMatches, id: &str) -> Result<T, Failure> {
    maybe(args, id)?.ok_or_else(|| Failure::usage(format!("--{id} is required")))
}

pub fn maybe<T: DeserializeOwned>(args: &ArgMatches, id: &str) -> Result<Option<T>, Failure> {
    args.get_one::<String>(id)
        .map(|raw| parse(id, raw))
        .transpose()
}

pub fn many<T: DeserializeOwned>(args: &ArgMatches, id: &str) -> Result<Vec<T>, Failure> {
    Ok(maybe_many(args, id)?.unwrap_or_default())
}

pub fn maybe_many<T: DeserializeOwned>(
    args: &ArgMatches,
    id: &str,
) -> Result<Option<Vec<T>>, Failure> {
    args.get_many::<String>(id)
        .map(|values| values.map(|raw| parse(id, raw)).collect())
        .transpose()
}

/// The bytes of `--<id> FILE`, or of stdin for `-`.
pub fn bytes(args: &ArgMatches, id: &str) -> Result<Vec<u8>, Failure> {
    let path: &String = args
        .get_one(id)
        .ok_or_else(|| Failure::usage(format!("--{id} FILE|- is required")))?;
    read(id, path)
}

fn read(id: &str, path: &str) -> Result<Vec<u8>, Failure> {
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|err| Failure::usage(format!("--{id} -: cannot read stdin: {err}")))?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|err| Failure::usage(format!("--{id} {path}: cannot read: {err}")))
}

/// `--body FILE|-` as the JSON type the operation takes.
pub fn body<T: DeserializeOwned>(args: &ArgMatches, id: &str) -> Result<T, Failure> {
    let bytes = bytes(args, id)?;
    let shown = args.get_one::<String>(id).map_or("-", String::as_str);
    serde_json::from_slice(&bytes).map_err(|err| {
        Failure::usage(format!(
            "--{id} {shown}: not the body this operation takes: {err}"
        ))
    })
}

fn file_part(id: &str, path: &str) -> Result<FilePart, Failure> {
    let bytes = read(id, path)?;
    let name = Path::new(path).file_name().map_or_else(
        || "stdin".to_owned(),
        |name| name.to_string_lossy().into_owned(),
    );
    Ok(FilePart::new(name, bytes))
}

pub fn file(args: &ArgMatches, id: &str) -> Result<FilePart, Failure> {
    maybe_file(args, id)?.ok_or_else(|| Failure::usage(format!("--{id} PATH is required")))
}

pub fn maybe_file(args: &ArgMatches, id: &str) -> Result<Option<FilePart>, Failure> {
    args.get_one::<String>(id)
        .map(|path| file_part(id, path))
        .transpose()
}

#[allow(dead_code)] // see `Output`
pub fn files(args: &ArgMatches, id: &str) -> Result<Vec<FilePart>, Failure> {
    args.get_many::<String>(id)
        .into_iter()
        .flatten()
        .map(|path| file_part(id, path))
        .collect()
}

pub fn json<T: Serialize>(value: &T) -> Result<Output, Failure> {
    serde_json::to_value(value)
        .map(Output::Json)
        .map_err(|err| Failure {
            code: exit::OTHER,
            message: format!("the answer cannot be shown as JSON: {err}"),
        })
}

#[allow(dead_code)] // see `Output`
pub async fn stream(body: ByteStream) -> Result<Output, Failure> {
    let chunks: Vec<bytes::Bytes> =
        body.into_inner()
            .try_collect()
            .await
            .map_err(|err| Failure {
                code: exit::UNREACHABLE,
                message: format!("reading the answer failed: {err}"),
            })?;
    Ok(Output::Bytes(chunks.concat()))
}

/// A stream's failure: the connection's is a network failure, an item's is the answer's.
fn stream_failure(err: StreamError) -> Failure {
    let code = match err.kind {
        StreamErrorKind::Connection { .. } => exit::UNREACHABLE,
        StreamErrorKind::Refused { status, .. } if status >= 500 => exit::SERVER,
        _ => exit::OTHER,
    };
    Failure {
        code,
        message: err.to_string(),
    }
}

/// Each event as `{"event", "id", "data"}` (the first two when the server sent them).
#[allow(dead_code)] // see `Output`
pub fn events<T: Serialize + Send + 'static>(stream: EventStream<T>) -> Result<Output, Failure> {
    Ok(Output::Stream(Box::pin(stream.map(|event| {
        let event = event.map_err(stream_failure)?;
        let mut object = serde_json::Map::new();
        if let Some(name) = event.event {
            object.insert("event".into(), Value::String(name));
        }
        if let Some(id) = event.id {
            object.insert("id".into(), Value::String(id));
        }
        object.insert("data".into(), as_json(&event.data)?);
        Ok(Value::Object(object))
    }))))
}

/// Each item of a JSON Lines or JSON text sequence answer.
#[allow(dead_code)] // see `Output`
pub fn items<T: Serialize + Send + 'static>(stream: ItemStream<T>) -> Result<Output, Failure> {
    Ok(Output::Stream(Box::pin(
        stream.map(|item| as_json(&item.map_err(stream_failure)?)),
    )))
}

fn as_json<T: Serialize>(value: &T) -> Result<Value, Failure> {
    serde_json::to_value(value).map_err(|err| Failure {
        code: exit::OTHER,
        message: format!("an item cannot be shown as JSON: {err}"),
    })
}

#[allow(dead_code)] // see `Output`
pub fn nothing() -> Result<Output, Failure> {
    Ok(Output::Nothing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server that answers one request with `body` as an event stream, then closes.
    async fn answer_once(body: &'static str) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
            socket.write_all(head.as_bytes()).await.unwrap();
            socket.write_all(body.as_bytes()).await.unwrap();
        });
        format!("http://{address}/")
    }

    #[tokio::test]
    async fn events_print_as_they_arrive_and_a_bad_one_is_reported_without_ending_them() {
        let url =
            answer_once("event: tick\nid: 1\ndata: {\"n\":1}\n\ndata: oops\n\ndata: {\"n\":3}\n\n")
                .await;
        let client = nx1_client::http_client_builder().unwrap().build().unwrap();
        let response = client.get(url).send().await.unwrap();
        let stream = EventStream::new("ticks", response, nx1_client::stream::json::<Value>);
        let Ok(Output::Stream(items)) = events(stream) else {
            panic!("not a stream");
        };
        let items: Vec<_> = items.collect().await;
        assert_eq!(
            items[0].as_ref().unwrap(),
            &serde_json::json!({"event": "tick", "id": "1", "data": {"n": 1}})
        );
        let failure = items[1].as_ref().unwrap_err();
        assert_eq!(failure.code, exit::OTHER);
        assert!(
            failure
                .message
                .starts_with("ticks: item 2 could not be decoded"),
            "{}",
            failure.message
        );
        assert_eq!(
            items[2].as_ref().unwrap(),
            &serde_json::json!({"data": {"n": 3}})
        );
    }
}
