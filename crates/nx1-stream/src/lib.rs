//! Typed streamed responses for generated clients: Server-Sent Events as a
//! `Stream<Item = Result<Event<T>, StreamError>>` that resumes a dropped connection with
//! `Last-Event-ID`, and JSON Lines / JSON text sequences as a `Stream<Item = Result<T, _>>`.
//!
//! Generated methods hand the response to [`EventStream::new`] or [`ItemStream::new`] with
//! a [`Decode`] function for the operation's item type; everything else here is ordinary,
//! tested code. Dropping a stream drops the response body, which closes the connection.

pub mod lines;
pub mod sse;

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use serde::de::DeserializeOwned;

pub use lines::Separator;
pub use sse::Frame;

/// How a streamed answer's items are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Server-Sent Events.
    Sse,
    /// JSON Lines, NDJSON.
    Lines,
    /// JSON text sequences (RFC 7464).
    Seq,
}

impl Framing {
    /// What splits its records; `None` for events.
    pub fn separator(self) -> Option<Separator> {
        match self {
            Framing::Sse => None,
            Framing::Lines => Some(Separator::Line),
            Framing::Seq => Some(Separator::RecordSeparator),
        }
    }
}

/// The largest event (or record) a stream accepts by default: 16 MiB.
pub const DEFAULT_EVENT_LIMIT: usize = 16 << 20;

/// One Server-Sent Event, its data decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<T> {
    pub data: T,
    /// The `event:` name; `None` is the standard's default, `message`.
    pub event: Option<String>,
    /// The `id:` this event carried, if any.
    pub id: Option<String>,
    /// The reconnection delay the server asked for with this event.
    pub retry: Option<Duration>,
}

impl<T> Event<T> {
    /// An event of `data` alone: no name (a `message`), no id.
    pub fn new(data: T) -> Self {
        Event {
            data,
            event: None,
            id: None,
            retry: None,
        }
    }

    /// Names the event (`event:`).
    pub fn with_event(mut self, name: impl Into<String>) -> Self {
        self.event = Some(name.into());
        self
    }

    /// Gives the event an id (`id:`): what a client resumes from.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Asks the client to wait this long before reconnecting (`retry:`).
    pub fn with_retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }
}

/// Writes one item: the event name it implies (a tagged union's), and its data.
pub type Encode<T> = fn(&T) -> Result<(Option<&'static str>, String), serde_json::Error>;

/// Encoders of items, the inverses of [`json`], [`text`] and [`any`].
pub mod encode {
    /// An item written as JSON.
    pub fn json<T: serde::Serialize>(
        item: &T,
    ) -> Result<(Option<&'static str>, String), serde_json::Error> {
        Ok((None, serde_json::to_string(item)?))
    }

    /// Text written as it is.
    #[allow(clippy::ptr_arg)] // an `Encode<String>`: the item type is `String`
    pub fn text(item: &String) -> Result<(Option<&'static str>, String), serde_json::Error> {
        Ok((None, item.clone()))
    }
}

/// Decodes one event's data (given its `event:` name) or one record into an item.
pub type Decode<T> = fn(Option<&str>, &str) -> Result<T, DecodeError>;

/// Why an event's data is not an item of the operation's type.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("no event named `{0}` is described for this stream")]
    UnknownEvent(String),
}

/// Data that is JSON of type `T`.
pub fn json<T: DeserializeOwned>(_event: Option<&str>, data: &str) -> Result<T, DecodeError> {
    Ok(serde_json::from_str(data)?)
}

/// Data taken as text, whatever it holds.
pub fn text(_event: Option<&str>, data: &str) -> Result<String, DecodeError> {
    Ok(data.to_owned())
}

/// Data not described by the spec: its JSON value, or the text when it is not JSON.
pub fn any(_event: Option<&str>, data: &str) -> Result<serde_json::Value, DecodeError> {
    Ok(serde_json::from_str(data).unwrap_or_else(|_| serde_json::Value::String(data.to_owned())))
}

/// A streamed response that failed; the stream's earlier items were good.
#[derive(Debug, thiserror::Error)]
#[error("{operation}: {kind}")]
pub struct StreamError {
    /// The operation whose response this is.
    pub operation: &'static str,
    pub kind: StreamErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum StreamErrorKind {
    /// The item was skipped; the stream goes on.
    #[error(
        "item {number} could not be decoded ({source}); it read: {}",
        shorten(raw)
    )]
    Decode {
        /// 1 for the first item of the stream.
        number: u64,
        /// The item's data as received.
        raw: String,
        source: DecodeError,
    },
    /// The connection failed and was not (or could no longer be) resumed. The stream ends.
    #[error("the connection failed after item {after}{}: {source}", resumed_note(*.attempts))]
    Connection {
        after: u64,
        /// Reconnections tried before giving up.
        attempts: u32,
        source: reqwest::Error,
    },
    /// A reconnection was answered with an error status. The stream ends.
    #[error("resuming after item {after} was refused with status {status}")]
    Refused { after: u64, status: u16 },
    /// The stream ends.
    #[error("item {number} is larger than {limit} bytes; the stream was stopped")]
    TooLarge { number: u64, limit: usize },
}

fn resumed_note(attempts: u32) -> String {
    match attempts {
        0 => String::new(),
        n => format!(" and {n} attempt(s) to resume"),
    }
}

fn shorten(raw: &str) -> String {
    const MAX: usize = 512;
    if raw.len() <= MAX {
        return format!("`{raw}`");
    }
    let mut end = MAX;
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    format!("`{}…` ({} bytes)", &raw[..end], raw.len())
}

/// How a dropped event stream is resumed: the request sent again with `Last-Event-ID`,
/// after the server's `retry:` delay (or `delay`), doubling per failed attempt up to
/// `max_delay`, at most `max_attempts` times in a row. A stream that ends cleanly is over
/// and is never resumed; a `204 No Content` answer to a reconnection ends it too.
#[derive(Debug, Clone)]
pub struct Resume {
    pub max_attempts: u32,
    pub delay: Duration,
    pub max_delay: Duration,
}

impl Default for Resume {
    fn default() -> Self {
        Resume {
            max_attempts: 5,
            delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;
type Connecting = Pin<Box<dyn Future<Output = reqwest::Result<reqwest::Response>> + Send>>;

enum Source {
    Body(Body),
    Waiting(Pin<Box<tokio::time::Sleep>>),
    Connecting(Connecting),
    Done,
}

fn body(response: reqwest::Response) -> Source {
    Source::Body(Box::pin(response.bytes_stream()))
}

/// A typed Server-Sent Events response.
pub struct EventStream<T> {
    operation: &'static str,
    source: Source,
    decoder: sse::Decoder,
    ready: VecDeque<Frame>,
    decode: Decode<T>,
    /// Items handed out so far.
    count: u64,
    /// The server's last `retry:`.
    retry: Option<Duration>,
    client: Option<reqwest::Client>,
    /// The request as first sent, credentials included, to send again on resume.
    request: Option<reqwest::Request>,
    resume: Option<Resume>,
    /// Reconnections tried since the last item arrived.
    attempts: u32,
    /// A failure to report once the items before it are handed out.
    failure: Option<StreamErrorKind>,
}

impl<T> fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("operation", &self.operation)
            .field("items", &self.count)
            .field("last_event_id", &self.decoder.last_event_id())
            .field("resume", &self.resume)
            .finish_non_exhaustive()
    }
}

impl<T> EventStream<T> {
    /// The events of `response`, decoded by `decode`. Not resumed until
    /// [`EventStream::resumable`] says how.
    pub fn new(operation: &'static str, response: reqwest::Response, decode: Decode<T>) -> Self {
        EventStream {
            operation,
            source: body(response),
            decoder: sse::Decoder::default(),
            ready: VecDeque::new(),
            decode,
            count: 0,
            retry: None,
            client: None,
            request: None,
            resume: None,
            attempts: 0,
            failure: None,
        }
    }

    /// Keeps what a resume sends again: `client` and the request as first sent (`None`
    /// when its body could not be cloned, which rules resuming out). `resume` is the
    /// policy to start with: generated methods pass one for idempotent operations only,
    /// since a resumed POST may start its work again.
    pub fn resumable(
        mut self,
        client: reqwest::Client,
        request: Option<reqwest::Request>,
        resume: Option<Resume>,
    ) -> Self {
        self.client = Some(client);
        self.request = request;
        self.resume = resume;
        self
    }

    /// Opts in to resuming (or changes how): for an operation the server documents as
    /// safe to resume even though its method is not idempotent.
    pub fn resume(mut self, resume: Resume) -> Self {
        self.resume = Some(resume);
        self
    }

    /// Never resumes: a dropped connection ends the stream with an error.
    pub fn without_resume(mut self) -> Self {
        self.resume = None;
        self
    }

    /// Reads events of up to `limit` bytes (default [`DEFAULT_EVENT_LIMIT`]).
    pub fn limit(mut self, limit: usize) -> Self {
        self.decoder = sse::Decoder::with_limit(limit);
        self
    }

    /// The last event id the server sent: what a resume sends as `Last-Event-ID`.
    pub fn last_event_id(&self) -> Option<&str> {
        self.decoder.last_event_id()
    }

    fn fail(&mut self, kind: StreamErrorKind) -> Poll<Option<Result<Event<T>, StreamError>>> {
        self.source = Source::Done;
        self.ready.clear();
        Poll::Ready(Some(Err(StreamError {
            operation: self.operation,
            kind,
        })))
    }

    /// After a failure: waits to reconnect, or ends the stream with `kind`.
    fn retry_or(&mut self, kind: StreamErrorKind) -> Option<StreamErrorKind> {
        let (Some(resume), Some(_), Some(_)) = (&self.resume, &self.client, &self.request) else {
            return Some(kind);
        };
        if self.attempts >= resume.max_attempts {
            return Some(kind);
        }
        let base = self.retry.unwrap_or(resume.delay);
        let delay = base
            .saturating_mul(1 << self.attempts.min(16))
            .min(resume.max_delay);
        self.attempts += 1;
        self.decoder.reset();
        self.source = Source::Waiting(Box::pin(tokio::time::sleep(delay)));
        None
    }

    fn reconnect(&mut self) -> Option<Connecting> {
        let client = self.client.clone()?;
        let mut request = self.request.as_ref()?.try_clone()?;
        if let Some(id) = self.decoder.last_event_id()
            && let Ok(value) = reqwest::header::HeaderValue::from_str(id)
        {
            request.headers_mut().insert("last-event-id", value);
        }
        Some(Box::pin(client.execute(request)))
    }
}

impl<T> Unpin for EventStream<T> {}

impl<T> Stream for EventStream<T> {
    type Item = Result<Event<T>, StreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(frame) = this.ready.pop_front() {
                this.attempts = 0;
                if let Some(retry) = frame.retry {
                    this.retry = Some(Duration::from_millis(retry));
                }
                this.count += 1;
                return match (this.decode)(frame.event.as_deref(), &frame.data) {
                    Ok(data) => Poll::Ready(Some(Ok(Event {
                        data,
                        event: frame.event,
                        id: frame.id,
                        retry: frame.retry.map(Duration::from_millis),
                    }))),
                    // The `[DONE]` sentinel many APIs end a stream of JSON events with.
                    Err(_) if frame.data.trim() == "[DONE]" => {
                        this.count -= 1;
                        this.source = Source::Done;
                        this.ready.clear();
                        Poll::Ready(None)
                    }
                    Err(source) => Poll::Ready(Some(Err(StreamError {
                        operation: this.operation,
                        kind: StreamErrorKind::Decode {
                            number: this.count,
                            raw: frame.data,
                            source,
                        },
                    }))),
                };
            }
            if let Some(kind) = this.failure.take() {
                return this.fail(kind);
            }
            match &mut this.source {
                Source::Done => return Poll::Ready(None),
                Source::Body(body) => match body.as_mut().poll_next(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(None) => this.source = Source::Done,
                    Poll::Ready(Some(Ok(chunk))) => {
                        let mut frames = Vec::new();
                        let fed = this.decoder.feed(&chunk, &mut frames);
                        this.ready.extend(frames);
                        if let Err(too_large) = fed {
                            let number = this.count + this.ready.len() as u64 + 1;
                            if this.ready.is_empty() {
                                return this.fail(StreamErrorKind::TooLarge {
                                    number,
                                    limit: too_large.limit,
                                });
                            }
                            // Hand out what came before it, then stop.
                            this.source = Source::Done;
                            this.failure = Some(StreamErrorKind::TooLarge {
                                number,
                                limit: too_large.limit,
                            });
                        }
                    }
                    Poll::Ready(Some(Err(source))) => {
                        let kind = StreamErrorKind::Connection {
                            after: this.count,
                            attempts: this.attempts,
                            source,
                        };
                        if let Some(kind) = this.retry_or(kind) {
                            return this.fail(kind);
                        }
                    }
                },
                Source::Waiting(sleep) => match sleep.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(()) => match this.reconnect() {
                        Some(connecting) => this.source = Source::Connecting(connecting),
                        None => this.source = Source::Done,
                    },
                },
                Source::Connecting(connecting) => match connecting.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(response)) if response.status().as_u16() == 204 => {
                        this.source = Source::Done;
                    }
                    Poll::Ready(Ok(response)) if response.status().is_success() => {
                        this.source = body(response);
                    }
                    Poll::Ready(Ok(response)) => {
                        let status = response.status().as_u16();
                        let kind = StreamErrorKind::Refused {
                            after: this.count,
                            status,
                        };
                        // A busy or restarting server may take the next attempt.
                        let transient = matches!(status, 429 | 502 | 503 | 504);
                        let kind = if transient {
                            this.retry_or(kind)
                        } else {
                            Some(kind)
                        };
                        if let Some(kind) = kind {
                            return this.fail(kind);
                        }
                    }
                    Poll::Ready(Err(source)) => {
                        let kind = StreamErrorKind::Connection {
                            after: this.count,
                            attempts: this.attempts,
                            source,
                        };
                        if let Some(kind) = this.retry_or(kind) {
                            return this.fail(kind);
                        }
                    }
                },
            }
        }
    }
}

/// A typed JSON Lines or JSON text sequence response: one item per record.
pub struct ItemStream<T> {
    operation: &'static str,
    body: Option<Body>,
    decoder: lines::Decoder,
    ready: VecDeque<String>,
    decode: Decode<T>,
    count: u64,
    failure: Option<StreamErrorKind>,
}

impl<T> fmt::Debug for ItemStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemStream")
            .field("operation", &self.operation)
            .field("items", &self.count)
            .finish_non_exhaustive()
    }
}

impl<T> ItemStream<T> {
    pub fn new(
        operation: &'static str,
        response: reqwest::Response,
        separator: Separator,
        decode: Decode<T>,
    ) -> Self {
        ItemStream {
            operation,
            body: Some(Box::pin(response.bytes_stream())),
            decoder: lines::Decoder::new(separator, DEFAULT_EVENT_LIMIT),
            ready: VecDeque::new(),
            decode,
            count: 0,
            failure: None,
        }
    }

    /// Reads records of up to `limit` bytes (default [`DEFAULT_EVENT_LIMIT`]).
    pub fn limit(mut self, limit: usize) -> Self {
        self.decoder = lines::Decoder::new(self.decoder.separator(), limit);
        self
    }

    fn fail(&mut self, kind: StreamErrorKind) -> Poll<Option<Result<T, StreamError>>> {
        self.body = None;
        self.ready.clear();
        Poll::Ready(Some(Err(StreamError {
            operation: self.operation,
            kind,
        })))
    }
}

impl<T> Unpin for ItemStream<T> {}

impl<T> Stream for ItemStream<T> {
    type Item = Result<T, StreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(record) = this.ready.pop_front() {
                this.count += 1;
                return Poll::Ready(Some(match (this.decode)(None, &record) {
                    Ok(item) => Ok(item),
                    Err(source) => Err(StreamError {
                        operation: this.operation,
                        kind: StreamErrorKind::Decode {
                            number: this.count,
                            raw: record,
                            source,
                        },
                    }),
                }));
            }
            if let Some(kind) = this.failure.take() {
                return this.fail(kind);
            }
            let Some(body) = &mut this.body else {
                return Poll::Ready(None);
            };
            match body.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    let mut records = Vec::new();
                    this.decoder.finish(&mut records);
                    this.ready.extend(records);
                    this.body = None;
                }
                Poll::Ready(Some(Ok(chunk))) => {
                    let mut records = Vec::new();
                    let fed = this.decoder.feed(&chunk, &mut records);
                    this.ready.extend(records);
                    if let Err(too_large) = fed {
                        let number = this.count + this.ready.len() as u64 + 1;
                        if this.ready.is_empty() {
                            return this.fail(StreamErrorKind::TooLarge {
                                number,
                                limit: too_large.limit,
                            });
                        }
                        this.body = None;
                        this.failure = Some(StreamErrorKind::TooLarge {
                            number,
                            limit: too_large.limit,
                        });
                    }
                }
                Poll::Ready(Some(Err(source))) => {
                    return this.fail(StreamErrorKind::Connection {
                        after: this.count,
                        attempts: 0,
                        source,
                    });
                }
            }
        }
    }
}
