//! What the generated subcommands call: arguments read into the client's types, bodies
//! and files read from disk or stdin, answers turned into output, and failures into an
//! exit code and one line.

use std::io::Read as _;
use std::path::Path;
use std::process::ExitCode;

use clap::ArgMatches;
use futures::TryStreamExt;
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
#[derive(Debug)]
// Bytes and bodiless answers come from operations the vendored spec may gain; the
// generated code reaches for these only then.
#[allow(dead_code)]
pub enum Output {
    Json(Value),
    Bytes(Vec<u8>),
    /// A bodiless answer: nothing on stdout.
    Nothing,
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

#[allow(dead_code)] // see `Output`
pub fn nothing() -> Result<Output, Failure> {
    Ok(Output::Nothing)
}
