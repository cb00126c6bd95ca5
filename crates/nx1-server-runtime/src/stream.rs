//! Streamed answers: what a handler returns for an operation that answers a stream, and
//! how it is written. Server-Sent Events get keep-alive comments while the handler is
//! idle; JSON Lines and JSON text sequences one record per item. The body is pulled as
//! the connection takes it (backpressure), and a client that goes away drops the body,
//! which drops the handler's stream: it stops producing.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use http::header;
use nx1_stream::{Encode, Separator, sse};

use crate::extract::{content_type, media_essence};

pub use nx1_stream::Framing;

pub use nx1_stream::Event;

/// How often an idle event stream sends a comment by default, so that proxies do not
/// close it: 15 s, what Starlette's `EventSourceResponse` sends.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The events a handler answers an event-stream operation with.
pub struct Events<T> {
    items: Pin<Box<dyn Stream<Item = Event<T>> + Send>>,
    keep_alive: Option<Duration>,
}

impl<T> fmt::Debug for Events<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

impl<T> Events<T> {
    /// Every event `items` yields, in order; a keep-alive comment after
    /// [`DEFAULT_KEEP_ALIVE`] without one.
    pub fn new(items: impl Stream<Item = Event<T>> + Send + 'static) -> Self {
        Events {
            items: Box::pin(items),
            keep_alive: Some(DEFAULT_KEEP_ALIVE),
        }
    }

    /// Sends a keep-alive comment after `every` without an event (`None`: never).
    pub fn keep_alive(mut self, every: Option<Duration>) -> Self {
        self.keep_alive = every;
        self
    }
}

impl<T: Send + 'static> Events<T> {
    /// One unnamed event per item, without ids.
    pub fn from_data(items: impl Stream<Item = T> + Send + 'static) -> Self {
        Events::new(futures_util::StreamExt::map(items, Event::new))
    }
}

/// The records a handler answers a JSON Lines or JSON text sequence operation with.
pub struct Records<T> {
    items: Pin<Box<dyn Stream<Item = T> + Send>>,
}

impl<T> fmt::Debug for Records<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Records").finish_non_exhaustive()
    }
}

impl<T> Records<T> {
    pub fn new(items: impl Stream<Item = T> + Send + 'static) -> Self {
        Records {
            items: Box::pin(items),
        }
    }
}

fn streamed(code: u16, media_type: &'static str, body: Body) -> Response {
    let status = http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::OK);
    (
        status,
        [
            (header::CONTENT_TYPE, media_type),
            (header::CACHE_CONTROL, "no-cache"),
            // nginx buffers answers unless told not to; a stream must reach the client as
            // it is written.
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        body,
    )
        .into_response()
}

/// `events` as a `text/event-stream` answer, each item written by `encode`.
pub fn sse<T: 'static>(
    code: u16,
    media_type: &'static str,
    events: Events<T>,
    encode: Encode<T>,
) -> Response {
    let body = SseBody {
        items: events.items,
        keep_alive: events.keep_alive,
        timer: events
            .keep_alive
            .map(|every| Box::pin(tokio::time::sleep(every))),
        encode,
        done: false,
    };
    streamed(code, media_type, Body::from_stream(body))
}

/// `records` as JSON Lines (`Separator::Line`) or a JSON text sequence.
pub fn records<T: 'static>(
    code: u16,
    media_type: &'static str,
    records: Records<T>,
    separator: Separator,
    encode: Encode<T>,
) -> Response {
    let body = futures_util::StreamExt::scan(records.items, false, move |failed, item| {
        let written = (!*failed).then(|| record(&item, separator, encode));
        let out = match written {
            Some(Ok(bytes)) => Some(Ok::<Bytes, std::convert::Infallible>(bytes)),
            Some(Err(message)) => {
                // The status is sent; the stream ends where the item could not be written.
                tracing::error!("a streamed record cannot be written: {message}; the stream ends");
                *failed = true;
                None
            }
            None => None,
        };
        std::future::ready(out)
    });
    streamed(code, media_type, Body::from_stream(body))
}

fn record<T>(item: &T, separator: Separator, encode: Encode<T>) -> Result<Bytes, String> {
    let (_, data) = encode(item).map_err(|err| err.to_string())?;
    if separator == Separator::Line && data.contains(['\n', '\r']) {
        return Err("a JSON Lines record cannot hold a line break".into());
    }
    let mut out = BytesMut::with_capacity(data.len() + 2);
    if separator == Separator::RecordSeparator {
        out.extend_from_slice(b"\x1e");
    }
    out.extend_from_slice(data.as_bytes());
    out.extend_from_slice(b"\n");
    Ok(out.freeze())
}

fn event_bytes<T>(event: Event<T>, encode: Encode<T>) -> Result<Bytes, String> {
    let (name, data) = encode(&event.data).map_err(|err| err.to_string())?;
    let frame = sse::Frame {
        event: event.event.or_else(|| name.map(str::to_owned)),
        data,
        id: event.id,
        retry: event
            .retry
            .map(|retry| u64::try_from(retry.as_millis()).unwrap_or(u64::MAX)),
    };
    let mut out = BytesMut::new();
    sse::encode(&frame, &mut out).map_err(|err| err.to_string())?;
    Ok(out.freeze())
}

struct SseBody<T> {
    items: Pin<Box<dyn Stream<Item = Event<T>> + Send>>,
    keep_alive: Option<Duration>,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    encode: Encode<T>,
    done: bool,
}

impl<T> Unpin for SseBody<T> {}

impl<T> Stream for SseBody<T> {
    type Item = Result<Bytes, std::convert::Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match this.items.as_mut().poll_next(cx) {
            Poll::Ready(Some(event)) => {
                if let (Some(timer), Some(every)) = (&mut this.timer, this.keep_alive) {
                    timer.as_mut().reset(tokio::time::Instant::now() + every);
                }
                match event_bytes(event, this.encode) {
                    Ok(bytes) => Poll::Ready(Some(Ok(bytes))),
                    Err(message) => {
                        // Ending cleanly rather than aborting: an aborted stream is one a
                        // client resumes, and it would meet the same event again.
                        tracing::error!(
                            "a streamed event cannot be written: {message}; the stream ends"
                        );
                        this.done = true;
                        Poll::Ready(None)
                    }
                }
            }
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => {
                let (Some(timer), Some(every)) = (&mut this.timer, this.keep_alive) else {
                    return Poll::Pending;
                };
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        timer.as_mut().reset(tokio::time::Instant::now() + every);
                        Poll::Ready(Some(Ok(sse::keep_alive())))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

/// A streamed answer as the spec describes it: what the router checks items against and
/// what a mock streams examples of.
#[derive(Debug, Clone, Copy)]
pub struct StreamSpec {
    pub status: u16,
    pub media_type: &'static str,
    pub framing: Framing,
    /// What each item may be: one entry, or one per event name of a tagged union.
    pub items: &'static [ItemSpec],
}

impl StreamSpec {
    pub const fn new(
        status: u16,
        media_type: &'static str,
        framing: Framing,
        items: &'static [ItemSpec],
    ) -> Self {
        StreamSpec {
            status,
            media_type,
            framing,
            items,
        }
    }
}

/// One kind of item: its event name (tagged unions), and the schema its JSON data is
/// checked against (relative to the operation, as [`crate::ParamSpec`]'s), `None` for
/// text or undescribed data.
#[derive(Debug, Clone, Copy)]
pub struct ItemSpec {
    pub event: Option<&'static str>,
    pub schema: Option<&'static str>,
}

impl ItemSpec {
    pub const fn new(event: Option<&'static str>, schema: Option<&'static str>) -> Self {
        ItemSpec { event, schema }
    }
}

/// `response` with each item of its body checked against the operation's stream schemas,
/// when it is the streamed answer. An item that fails is not sent: the stream ends there
/// (with the chunk that held it) and the failure is logged with the item's number.
pub(crate) fn checked(
    spec: &crate::ApiSpec,
    operation: &'static crate::OperationSpec,
    response: Response,
) -> Response {
    let Some(stream) = operation.stream else {
        return response;
    };
    let answered = media_essence(content_type(response.headers()));
    if !answered.eq_ignore_ascii_case(media_essence(stream.media_type)) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let checker = Checker {
        schemas: spec.schemas.clone(),
        operation,
        stream,
        decoder: match stream.framing.separator() {
            None => Decoder::Events(nx1_stream::sse::Decoder::default()),
            Some(separator) => Decoder::Records(nx1_stream::lines::Decoder::new(
                separator,
                nx1_stream::DEFAULT_EVENT_LIMIT,
            )),
        },
        count: 0,
        failed: false,
    };
    let body = futures_util::StreamExt::scan(body.into_data_stream(), checker, |checker, chunk| {
        let out = match chunk {
            Ok(_) if checker.failed => None,
            Ok(chunk) => match checker.check(&chunk) {
                Ok(()) => Some(Ok(chunk)),
                Err(message) => {
                    tracing::error!(
                        operation = checker.operation.id,
                        "{message}; the stream ends before it"
                    );
                    checker.failed = true;
                    None
                }
            },
            Err(err) => Some(Err(err)),
        };
        std::future::ready(out)
    });
    Response::from_parts(parts, Body::from_stream(body))
}

/// Reads back what the body writes, by the stream's framing.
enum Decoder {
    Events(nx1_stream::sse::Decoder),
    Records(nx1_stream::lines::Decoder),
}

struct Checker {
    schemas: std::sync::Arc<crate::SchemaSet>,
    operation: &'static crate::OperationSpec,
    stream: StreamSpec,
    decoder: Decoder,
    count: u64,
    failed: bool,
}

impl Checker {
    fn check(&mut self, chunk: &[u8]) -> Result<(), String> {
        let items: Vec<(Option<String>, String)> = match &mut self.decoder {
            Decoder::Events(decoder) => {
                let mut frames = Vec::new();
                decoder
                    .feed(chunk, &mut frames)
                    .map_err(|err| err.to_string())?;
                frames
                    .into_iter()
                    .map(|frame| (frame.event, frame.data))
                    .collect()
            }
            Decoder::Records(decoder) => {
                let mut records = Vec::new();
                decoder
                    .feed(chunk, &mut records)
                    .map_err(|err| err.to_string())?;
                records.into_iter().map(|record| (None, record)).collect()
            }
        };
        for (event, data) in items {
            self.count += 1;
            self.item(event.as_deref(), &data).map_err(|why| {
                format!(
                    "streamed item {} does not match the spec: {why}",
                    self.count
                )
            })?;
        }
        Ok(())
    }

    fn item(&self, event: Option<&str>, data: &str) -> Result<(), String> {
        let tagged = self.stream.items.iter().any(|item| item.event.is_some());
        let item = if tagged {
            let name = event.unwrap_or("message");
            self.stream
                .items
                .iter()
                .find(|item| item.event == Some(name))
                .ok_or_else(|| format!("no event named `{name}` is described"))?
        } else {
            match self.stream.items.first() {
                Some(item) => item,
                None => return Ok(()),
            }
        };
        let Some(pointer) = item.schema else {
            return Ok(());
        };
        let Some(schema) = self.schemas.of(self.operation, pointer) else {
            return Ok(());
        };
        let value: serde_json::Value =
            serde_json::from_str(data).map_err(|err| format!("its data is not JSON ({err})"))?;
        let mut errors = Vec::new();
        self.schemas.validate(
            schema,
            &value,
            crate::Source::Json,
            &mut Vec::new(),
            &mut errors,
        );
        match errors.first() {
            None => Ok(()),
            Some(error) => Err(format!(
                "{} at {:?} ({} error(s))",
                error.msg,
                error.loc,
                errors.len()
            )),
        }
    }
}

/// A streamed answer of examples of each item the spec describes (each event of a tagged
/// union in turn), `count` of them, with ids `0`, `1`, …: what a mock answers a streamed
/// operation with. `after` (a reconnection's `Last-Event-ID`) starts after that id.
pub fn examples(
    schemas: &crate::SchemaSet,
    operation: &'static crate::OperationSpec,
    count: usize,
    after: Option<&str>,
) -> Option<Response> {
    let start = after
        .and_then(|id| id.parse::<usize>().ok())
        .map_or(0, |id| id + 1);
    let stream = operation.stream?;
    let mut data = Vec::new();
    for item in stream.items {
        let value = match item
            .schema
            .and_then(|pointer| schemas.of(operation, pointer))
        {
            Some(schema) => crate::example::example(schemas, schema),
            None => serde_json::Value::String("example".into()),
        };
        data.push((item.event, value.to_string()));
    }
    if data.is_empty() {
        data.push((None, "{}".to_owned()));
    }
    let items: Vec<(usize, (Option<&'static str>, String))> = (start..count)
        .map(|index| (index, data[index % data.len()].clone()))
        .collect();
    let response = match stream.framing.separator() {
        None => {
            let events = items
                .into_iter()
                .map(|(index, item)| Event::new(item).with_id(index.to_string()));
            sse(
                stream.status,
                stream.media_type,
                Events::new(futures_util::stream::iter(events)),
                written,
            )
        }
        Some(separator) => records(
            stream.status,
            stream.media_type,
            Records::new(futures_util::stream::iter(
                items.into_iter().map(|(_, item)| item),
            )),
            separator,
            written,
        ),
    };
    Some(response)
}

/// An item already written: its event name and data.
fn written(
    item: &(Option<&'static str>, String),
) -> Result<(Option<&'static str>, String), serde_json::Error> {
    Ok(item.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    async fn body_text(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn events_are_written_with_their_fields_and_a_tagged_name() {
        fn tagged(item: &u32) -> Result<(Option<&'static str>, String), serde_json::Error> {
            Ok((Some("count"), item.to_string()))
        }
        let events = Events::new(futures_util::stream::iter([
            Event::new(1)
                .with_id("a")
                .with_retry(Duration::from_millis(1500)),
            Event::new(2).with_event("override"),
        ]));
        let response = sse(200, "text/event-stream", events, tagged);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/event-stream"
        );
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
        assert_eq!(
            body_text(response).await,
            "event: count\nid: a\nretry: 1500\ndata: 1\n\nevent: override\ndata: 2\n\n"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_event_stream_sends_keep_alive_comments() {
        let items = futures_util::stream::once(async {
            tokio::time::sleep(Duration::from_secs(35)).await;
            Event::new("late".to_owned())
        });
        let events = Events::new(items).keep_alive(Some(Duration::from_secs(10)));
        let response = sse(200, "text/event-stream", events, nx1_stream::encode::text);
        assert_eq!(body_text(response).await, ":\n\n:\n\n:\n\ndata: late\n\n");
    }

    #[tokio::test]
    async fn a_record_that_cannot_be_written_ends_the_stream_there() {
        let items = futures_util::stream::iter([
            "a\"b".to_owned(),
            "two\nlines".to_owned(),
            "c".to_owned(),
        ]);
        let response = records(
            200,
            "application/jsonl",
            Records::new(items),
            Separator::Line,
            nx1_stream::encode::text,
        );
        assert_eq!(body_text(response).await, "a\"b\n");
        let response = records(
            200,
            "application/json-seq",
            Records::new(futures_util::stream::iter([1, 2])),
            Separator::RecordSeparator,
            nx1_stream::encode::json::<i32>,
        );
        assert_eq!(body_text(response).await, "\x1e1\n\x1e2\n");
        let _ = futures_util::stream::empty::<()>().next().await;
    }

    #[tokio::test]
    async fn a_client_that_goes_away_stops_the_handlers_stream() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        struct Flag(Arc<AtomicBool>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = Flag(dropped.clone());
        let items =
            futures_util::stream::unfold(flag, |flag| async move { Some((Event::new(1u8), flag)) });
        let response = sse(
            200,
            "text/event-stream",
            Events::new(items),
            nx1_stream::encode::json::<u8>,
        );
        let mut body = response.into_body().into_data_stream();
        assert!(body.next().await.is_some());
        drop(body);
        assert!(dropped.load(Ordering::SeqCst));
    }
}
