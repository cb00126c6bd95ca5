//! The generated stream methods of `tests/fixtures/streams*.yaml`, end to end over
//! loopback: typed events from a server that drops the connection, resumed by
//! `Last-Event-ID` with none lost or repeated; a POST's chunks up to `[DONE]`; JSON Lines;
//! and 3.2 events told apart by their `event:` name.

#![allow(warnings, clippy::all)]

mod streams {
    include!("fixtures/output/streams.client.rs");
}
mod streams_32 {
    include!("fixtures/output/streams-3.2.client.rs");
}

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Result, ensure};
use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use nx1_stream::sse::{Frame, encode};

const EVENTS: u64 = 10_000;
const PER_CONNECTION: u64 = 3_000;

fn sse(frames: impl IntoIterator<Item = Frame>) -> Bytes {
    let mut out = BytesMut::new();
    for frame in frames {
        encode(&frame, &mut out).unwrap();
    }
    out.freeze()
}

fn frame(event: Option<&str>, data: String, id: Option<String>) -> Frame {
    Frame {
        event: event.map(str::to_owned),
        data,
        id,
        retry: None,
    }
}

/// Run events after `Last-Event-ID`, `PER_CONNECTION` per connection, each connection but
/// the last aborted after a pause (so that what came before it is flushed).
async fn run_events(connections: Arc<AtomicUsize>, headers: HeaderMap) -> Response {
    connections.fetch_add(1, Ordering::SeqCst);
    let start = headers
        .get("last-event-id")
        .and_then(|id| id.to_str().ok()?.parse::<u64>().ok())
        .map_or(0, |id| id + 1);
    let end = (start + PER_CONNECTION).min(EVENTS);
    let events = futures::stream::iter(start..end).map(|n| {
        let data = if n % 2 == 0 {
            format!(r#"{{"type":"started","at":"2026-12-07T18:00:00Z"}}"#)
        } else {
            format!(r#"{{"type":"finished","ok":{}}}"#, n % 4 == 1)
        };
        Ok::<_, std::io::Error>(sse([frame(None, data, Some(n.to_string()))]))
    });
    let end_of_connection = futures::stream::iter((end < EVENTS).then_some(())).then(|()| async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(std::io::Error::other("dropped on purpose"))
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(events.chain(end_of_connection)))
        .unwrap()
}

async fn chat(headers: HeaderMap, body: String) -> Response {
    assert_eq!(headers["accept"], "text/event-stream");
    let request: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(request["prompt"], "hello");
    let chunks = ["Hel", "lo"]
        .into_iter()
        .map(|delta| {
            frame(
                None,
                format!(r#"{{"delta":"{delta}","finish_reason":null}}"#),
                None,
            )
        })
        .chain([frame(None, "[DONE]".into(), None)]);
    Response::new(Body::from(sse(chunks)))
}

async fn feed() -> Response {
    Response::new(Body::from(sse([
        frame(Some("note"), "markets open\nsoon".into(), None),
        frame(
            Some("price"),
            r#"{"symbol":"NX1","cents":4200}"#.into(),
            Some("1".into()),
        ),
        frame(Some("heartbeat"), "7".into(), None),
        frame(Some("surprise"), "?".into(), None),
    ])))
}

async fn serve() -> Result<(String, Arc<AtomicUsize>)> {
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    let router = axum::Router::new()
        .route(
            "/runs/{run_id}/events",
            get(move |headers| run_events(counter.clone(), headers)),
        )
        .route("/chat", post(chat))
        .route(
            "/tools",
            get(|| async {
                "{\"name\":\"search\"}\n{\"name\":\"math\",\"description\":\"sums\"}\n"
            }),
        )
        .route("/feed", get(feed));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok((format!("http://{address}"), connections))
}

#[tokio::test]
async fn ten_thousand_typed_events_resume_after_dropped_connections() -> Result<()> {
    let (url, connections) = serve().await?;
    let client = streams::Client::new(&url);
    let run = uuid::Uuid::nil();
    let mut stream = client.run_events(&run).await?.into_inner();
    let mut next = 0u64;
    while let Some(event) = stream.next().await {
        let event = event?;
        ensure!(
            event.id == Some(next.to_string()),
            "event {next} lost or repeated: {event:?}"
        );
        match (next % 2, event.data) {
            (0, streams::types::RunEvent::Started(started)) => {
                ensure!(started.at.timestamp() == 1_796_666_400)
            }
            (1, streams::types::RunEvent::Finished(finished)) => {
                ensure!(finished.ok == (next % 4 == 1))
            }
            (_, other) => anyhow::bail!("event {next} has the wrong type: {other:?}"),
        }
        next += 1;
    }
    ensure!(next == EVENTS, "{next} events");
    ensure!(connections.load(Ordering::SeqCst) == 4);
    Ok(())
}

#[tokio::test]
async fn a_post_streams_its_chunks_until_done_and_jsonl_reads_each_line() -> Result<()> {
    let (url, _) = serve().await?;
    let client = streams::Client::new(&url);
    let request = streams::types::ChatRequest {
        prompt: "hello".into(),
        stream: true,
    };
    let chunks: Vec<_> = client
        .chat_stream(&request)
        .await?
        .into_inner()
        .collect()
        .await;
    let deltas: Vec<String> = chunks
        .into_iter()
        .map(|chunk| chunk.map(|event| event.data.delta))
        .collect::<Result<_, _>>()?;
    ensure!(deltas == ["Hel", "lo"], "{deltas:?}");

    let tools: Vec<_> = client.list_tools().await?.into_inner().collect().await;
    ensure!(tools.len() == 2);
    ensure!(tools[1].as_ref().unwrap().description.as_deref() == Some("sums"));
    Ok(())
}

#[tokio::test]
async fn events_of_a_3_2_union_are_told_apart_by_their_name() -> Result<()> {
    use streams_32::streams::FeedEvent;
    let (url, _) = serve().await?;
    let client = streams_32::Client::new(&url);
    let events: Vec<_> = client.feed().await?.into_inner().collect().await;
    ensure!(events.len() == 4);
    ensure!(
        matches!(&events[0].as_ref().unwrap().data, FeedEvent::Note(text) if text == "markets open\nsoon")
    );
    ensure!(
        matches!(&events[1].as_ref().unwrap().data, FeedEvent::Price(price) if price.cents == 4200)
    );
    ensure!(matches!(
        events[2].as_ref().unwrap().data,
        FeedEvent::Heartbeat(7)
    ));
    let unknown = events[3].as_ref().unwrap_err().to_string();
    ensure!(
        unknown
            == "feed: item 4 could not be decoded (no event named `surprise` is described for this stream); it read: `?`",
        "{unknown}"
    );
    Ok(())
}
