//! A typed event stream over loopback, with connections the server drops on purpose:
//! every event arrives once, in order, resumed by `Last-Event-ID`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Result;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use nx1_stream::{Event, EventStream, ItemStream, Resume, Separator, StreamErrorKind, sse};
use serde::{Deserialize, Serialize};

const EVENTS: u64 = 10_000;
/// The server drops the connection after this many events of each connection.
const PER_CONNECTION: u64 = 2_500;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Tick {
    n: u64,
    text: String,
}

#[derive(Default)]
struct Server {
    connections: AtomicUsize,
    resumed_from: std::sync::Mutex<Vec<Option<String>>>,
}

/// Events after `Last-Event-ID`, `PER_CONNECTION` of them, then a broken connection (an
/// error in the body aborts it mid-stream) unless the stream is done.
async fn ticks(server: Arc<Server>, headers: HeaderMap) -> Response {
    server.connections.fetch_add(1, Ordering::SeqCst);
    let last = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    server.resumed_from.lock().unwrap().push(last.clone());
    let start = last.map_or(0, |id| id.parse::<u64>().unwrap() + 1);
    let end = (start + PER_CONNECTION).min(EVENTS);
    let body = futures::stream::iter(start..end)
        .map(|n| {
            let mut out = BytesMut::new();
            let frame = sse::Frame {
                event: Some("tick".into()),
                data: serde_json::to_string(&Tick {
                    n,
                    text: format!("line one\nline {n}"),
                })
                .unwrap(),
                id: Some(n.to_string()),
                retry: (n == 0).then_some(1),
            };
            sse::encode(&frame, &mut out).unwrap();
            Ok::<Bytes, std::io::Error>(out.freeze())
        })
        .chain(broken_after_flush(end < EVENTS));
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(body))
        .unwrap()
}

/// An error after a pause, so that what came before is flushed before the connection is
/// aborted (hyper drops unflushed bytes with it).
fn broken_after_flush(broken: bool) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::iter(broken.then_some(())).then(|()| async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(std::io::Error::other("connection dropped on purpose"))
    })
}

async fn serve(router: axum::Router) -> Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(format!("http://{address}"))
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn open(
    client: &reqwest::Client,
    url: &str,
    resume: Option<Resume>,
) -> Result<EventStream<Tick>> {
    let request = client.get(url).build()?;
    let again = request.try_clone();
    let response = client.execute(request).await?;
    Ok(
        EventStream::new("ticks", response, nx1_stream::json::<Tick>).resumable(
            client.clone(),
            again,
            resume,
        ),
    )
}

#[tokio::test]
async fn ten_thousand_events_survive_dropped_connections() -> Result<()> {
    let server = Arc::new(Server::default());
    let state = server.clone();
    let url = serve(
        axum::Router::new().route("/ticks", get(move |headers| ticks(state.clone(), headers))),
    )
    .await?;
    let client = client();
    let resume = Resume {
        delay: Duration::from_millis(1),
        ..Resume::default()
    };
    let mut stream = open(&client, &format!("{url}/ticks"), Some(resume)).await?;
    let mut next = 0;
    while let Some(event) = stream.next().await {
        let Event {
            data, event, id, ..
        } = event?;
        assert_eq!(data.n, next, "an event was lost or repeated");
        assert_eq!(data.text, format!("line one\nline {next}"));
        assert_eq!(event.as_deref(), Some("tick"));
        assert_eq!(id, Some(next.to_string()));
        next += 1;
    }
    assert_eq!(next, EVENTS);
    assert_eq!(server.connections.load(Ordering::SeqCst), 4);
    assert_eq!(
        *server.resumed_from.lock().unwrap(),
        [
            None,
            Some("2499".into()),
            Some("4999".into()),
            Some("7499".into())
        ]
    );
    Ok(())
}

#[tokio::test]
async fn a_stream_not_resumable_ends_with_an_error_naming_the_operation() -> Result<()> {
    let server = Arc::new(Server::default());
    let state = server.clone();
    let url = serve(
        axum::Router::new().route("/ticks", get(move |headers| ticks(state.clone(), headers))),
    )
    .await?;
    let mut stream = open(&client(), &format!("{url}/ticks"), None).await?;
    let mut good = 0;
    let error = loop {
        match stream.next().await {
            Some(Ok(_)) => good += 1,
            Some(Err(error)) => break error,
            None => anyhow::bail!("the stream ended without reporting the dropped connection"),
        }
    };
    assert_eq!(good, PER_CONNECTION);
    assert!(matches!(
        error.kind,
        StreamErrorKind::Connection {
            after: 2500,
            attempts: 0,
            ..
        }
    ));
    assert!(
        error
            .to_string()
            .starts_with("ticks: the connection failed after item 2500")
    );
    assert!(stream.next().await.is_none());
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    Ok(())
}

#[tokio::test]
async fn a_refused_resume_ends_the_stream_and_a_204_ends_it_quietly() -> Result<()> {
    for (status, expect_error) in [
        (StatusCode::FORBIDDEN, true),
        (StatusCode::NO_CONTENT, false),
    ] {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let url = serve(axum::Router::new().route(
            "/once",
            get(move || {
                let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
                async move {
                    if !first {
                        return Response::builder()
                            .status(status)
                            .body(Body::empty())
                            .unwrap();
                    }
                    let body = futures::stream::iter([Ok(Bytes::from_static(
                        b"id: a\ndata: {\"n\":1,\"text\":\"\"}\n\n",
                    ))])
                    .chain(broken_after_flush(true));
                    Response::new(Body::from_stream(body))
                }
            }),
        ))
        .await?;
        let client = client();
        let resume = Resume {
            delay: Duration::from_millis(1),
            ..Resume::default()
        };
        let mut stream = open(&client, &format!("{url}/once"), Some(resume)).await?;
        assert_eq!(stream.next().await.unwrap()?.data.n, 1);
        match stream.next().await {
            Some(Err(error)) if expect_error => {
                assert!(matches!(
                    error.kind,
                    StreamErrorKind::Refused {
                        after: 1,
                        status: 403
                    }
                ));
            }
            None if !expect_error => {}
            other => anyhow::bail!("unexpected end for {status}: {other:?}"),
        }
        assert!(stream.next().await.is_none());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
    Ok(())
}

#[tokio::test]
async fn bad_items_are_reported_with_their_number_and_text_and_the_stream_goes_on() -> Result<()> {
    let url = serve(
        axum::Router::new()
            .route(
                "/events",
                post(|| async {
                    "data: {\"n\":1,\"text\":\"a\"}\n\ndata: {\"n\":\"two\"}\n\ndata: {\"n\":3,\"text\":\"c\"}\n\ndata: [DONE]\n\ndata: {\"n\":4,\"text\":\"never\"}\n\n"
                }),
            )
            .route(
                "/lines",
                get(|| async { "{\"n\":1,\"text\":\"a\"}\nnot json\n{\"n\":3,\"text\":\"c\"}" }),
            ),
    )
    .await?;
    let client = client();
    let response = client.post(format!("{url}/events")).send().await?;
    let items: Vec<_> = EventStream::new("events", response, nx1_stream::json::<Tick>)
        .collect()
        .await;
    assert_eq!(items.len(), 3, "`[DONE]` ends the stream");
    let error = items[1].as_ref().unwrap_err().to_string();
    assert!(
        error.starts_with("events: item 2 could not be decoded ("),
        "{error}"
    );
    assert!(error.ends_with("it read: `{\"n\":\"two\"}`"), "{error}");
    assert_eq!(items[2].as_ref().unwrap().data.n, 3);

    let response = client.get(format!("{url}/lines")).send().await?;
    let items: Vec<_> =
        ItemStream::new("lines", response, Separator::Line, nx1_stream::json::<Tick>)
            .collect()
            .await;
    assert_eq!(items.len(), 3);
    assert!(
        items[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("item 2 could not be decoded")
    );
    assert_eq!(items[2].as_ref().unwrap().n, 3);
    Ok(())
}

#[tokio::test]
async fn an_oversized_event_stops_the_stream_after_the_events_before_it() -> Result<()> {
    let url = serve(axum::Router::new().route(
        "/big",
        get(|| async {
            format!(
                "data: {{\"n\":1,\"text\":\"\"}}\n\ndata: \"{}\"\n\n",
                "x".repeat(4096)
            )
        }),
    ))
    .await?;
    let response = client().get(format!("{url}/big")).send().await?;
    let items: Vec<_> = EventStream::new("big", response, nx1_stream::json::<Tick>)
        .limit(1024)
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().data.n, 1);
    assert!(matches!(
        items[1].as_ref().unwrap_err().kind,
        StreamErrorKind::TooLarge {
            number: 2,
            limit: 1024
        }
    ));
    Ok(())
}
