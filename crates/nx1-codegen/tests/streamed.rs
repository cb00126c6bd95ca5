//! The generated stream methods and handlers of `tests/fixtures/streams*.yaml`, end to end
//! over loopback: the generated client reads what the generated server's handlers stream.
//! Between them, a proxy cuts the first connections mid-stream (mid-event, as a network
//! does): 10,000 typed events arrive once each, in order, resumed by `Last-Event-ID`.

#![allow(warnings, clippy::all)]

mod streams {
    pub mod client {
        include!("fixtures/output/streams.client.rs");
    }
    pub mod server {
        include!("fixtures/output/streams.server.rs");
    }
}
mod streams_32 {
    pub mod client {
        include!("fixtures/output/streams-3.2.client.rs");
    }
    pub mod server {
        include!("fixtures/output/streams-3.2.server.rs");
    }
}

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Result, ensure};
use futures::StreamExt;
use nx1_server_runtime::stream::{Event, Events, Records};
use streams::server as s;
use streams::server::types;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Every implementation here lets everyone in: the streams, not the credentials, are
/// under test.
macro_rules! open_to_all {
    () => {
        type Principal = ();

        async fn authenticate(
            &self,
            _: nx1_server_runtime::Credentials,
        ) -> Result<(), nx1_server_runtime::AuthError> {
            Ok(())
        }
    };
}

const EVENTS: u64 = 10_000;
/// Bytes of answer the proxy lets through on each of its first `CUTS` connections.
const BUDGET: usize = 200_000;
const CUTS: usize = 3;

fn run_event(n: u64) -> types::RunEvent {
    if n % 2 == 0 {
        types::RunEvent::Started(types::Started {
            at: chrono::DateTime::from_timestamp(1_796_666_400 + n as i64, 0).unwrap(),
            type_: types::StartedType::Started,
        })
    } else {
        types::RunEvent::Finished(types::Finished {
            ok: n % 4 == 1,
            type_: types::FinishedType::Finished,
        })
    }
}

struct Streams {
    /// The `Last-Event-ID` of every `run_events` request.
    resumed_from: std::sync::Mutex<Vec<Option<String>>>,
}

impl s::Api for Streams {
    open_to_all!();

    async fn run_events(&self, request: s::RunEventsRequest) -> s::RunEventsResponse {
        self.resumed_from
            .lock()
            .unwrap()
            .push(request.last_event_id.clone());
        let start = request
            .last_event_id
            .and_then(|id| id.parse::<u64>().ok())
            .map_or(0, |id| id + 1);
        let events = futures::stream::iter(start..EVENTS)
            .map(|n| Event::new(run_event(n)).with_id(n.to_string()));
        s::RunEventsResponse::OkStream(Events::new(events))
    }

    async fn chat(&self, request: s::ChatRequest) -> s::ChatResponse {
        if !request.body.stream {
            return s::ChatResponse::Ok(types::Chat {
                text: format!("{}!", request.body.prompt),
            });
        }
        let chunks = ["Hel", "lo"].map(|delta| types::ChatChunk {
            delta: delta.into(),
            finish_reason: None,
        });
        s::ChatResponse::OkStream(Events::from_data(futures::stream::iter(chunks)))
    }

    async fn list_tools(&self, _: s::ListToolsRequest) -> s::ListToolsResponse {
        let tools =
            [("search", None), ("math", Some("sums"))].map(|(name, description)| types::Tool {
                name: name.into(),
                description: description.map(str::to_owned),
            });
        s::ListToolsResponse::OkStream(Records::new(futures::stream::iter(tools)))
    }
}

struct Feed;

impl streams_32::server::Api for Feed {
    open_to_all!();

    async fn feed(&self, _: streams_32::server::FeedRequest) -> streams_32::server::FeedResponse {
        use streams_32::server::streams::FeedEvent;
        let price = streams_32::server::types::Price {
            symbol: "NX1".into(),
            cents: 4200,
        };
        let events = [
            Event::new(FeedEvent::Note("markets open\r\nsoon".into())),
            Event::new(FeedEvent::Price(price)).with_id("1"),
            Event::new(FeedEvent::Heartbeat(7)),
        ];
        streams_32::server::FeedResponse::OkStream(Events::new(futures::stream::iter(events)))
    }

    async fn search(
        &self,
        request: streams_32::server::SearchRequest,
    ) -> streams_32::server::SearchResponse {
        let symbol = request.body.symbol;
        streams_32::server::SearchResponse::Ok(streams_32::server::types::Price {
            symbol,
            cents: 1,
        })
    }
}

async fn listen(router: axum::Router) -> Result<std::net::SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(address)
}

/// A proxy to `upstream` that closes each of its first `CUTS` connections after `BUDGET`
/// bytes of answer, wherever that falls. Returns its address and its connection count.
async fn cutting_proxy(upstream: std::net::SocketAddr) -> Result<(String, Arc<AtomicUsize>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let connections = Arc::new(AtomicUsize::new(0));
    let count = connections.clone();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let index = count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let requests = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                });
                let mut budget = if index < CUTS { BUDGET } else { usize::MAX };
                let mut buffer = vec![0u8; 16 * 1024];
                while budget > 0 {
                    let Ok(read) = server_read.read(&mut buffer).await else {
                        break;
                    };
                    if read == 0 {
                        break;
                    }
                    let sent = read.min(budget);
                    if client_write.write_all(&buffer[..sent]).await.is_err() {
                        break;
                    }
                    budget -= sent;
                }
                requests.abort();
            });
        }
    });
    Ok((format!("http://{address}"), connections))
}

#[tokio::test]
async fn ten_thousand_typed_events_resume_through_a_proxy_that_cuts_connections() -> Result<()> {
    let api = Arc::new(Streams {
        resumed_from: Default::default(),
    });
    let server = listen(s::router(ArcApi(api.clone()))).await?;
    let (url, connections) = cutting_proxy(server).await?;
    let client = streams::client::Client::new(&url);
    let mut stream = client.run_events(&uuid::Uuid::nil()).await?.into_inner();
    let mut next = 0u64;
    while let Some(event) = stream.next().await {
        let event = event?;
        ensure!(
            event.id == Some(next.to_string()),
            "event {next} lost or repeated: {event:?}"
        );
        let expected = serde_json::to_value(run_event(next))?;
        ensure!(
            serde_json::to_value(&event.data)? == expected,
            "event {next}: {:?}",
            event.data
        );
        next += 1;
    }
    ensure!(next == EVENTS, "{next} events");
    ensure!(connections.load(Ordering::SeqCst) == CUTS + 1);
    let resumed = api.resumed_from.lock().unwrap().clone();
    ensure!(
        resumed.len() == CUTS + 1 && resumed[0].is_none(),
        "{resumed:?}"
    );
    // Each resume starts after an event the client had whole, and later than the last.
    let ids: Vec<u64> = resumed[1..]
        .iter()
        .map(|id| id.as_ref().unwrap().parse().unwrap())
        .collect();
    ensure!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    Ok(())
}

/// The trait is implemented on a shared value, so that the test can read what it saw.
struct ArcApi(Arc<Streams>);

impl s::Api for ArcApi {
    type Principal = ();

    async fn authenticate(
        &self,
        credentials: nx1_server_runtime::Credentials,
    ) -> Result<(), nx1_server_runtime::AuthError> {
        s::Api::authenticate(&*self.0, credentials).await
    }

    async fn run_events(&self, request: s::RunEventsRequest) -> s::RunEventsResponse {
        s::Api::run_events(&*self.0, request).await
    }
}

#[tokio::test]
async fn a_post_streams_its_chunks_and_jsonl_reads_each_line() -> Result<()> {
    let api = Streams {
        resumed_from: Default::default(),
    };
    let url = format!("http://{}", listen(s::router(api)).await?);
    let client = streams::client::Client::new(&url);
    let mut request = streams::client::types::ChatRequest {
        prompt: "hello".into(),
        stream: false,
    };
    ensure!(client.chat(&request).await?.into_inner().text == "hello!");
    request.stream = true;
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
    // An operation whose handler is not written answers 501, not a stream.
    ensure!(client.records().await.is_err());
    Ok(())
}

#[tokio::test]
async fn events_of_a_3_2_union_are_named_by_the_server_and_told_apart_by_the_client() -> Result<()>
{
    use streams_32::client::streams::FeedEvent;
    let url = format!("http://{}", listen(streams_32::server::router(Feed)).await?);
    let client = streams_32::client::Client::new(&url);
    let events: Vec<_> = client.feed().await?.into_inner().collect().await;
    ensure!(events.len() == 3, "{events:?}");
    let events: Vec<_> = events.into_iter().collect::<Result<_, _>>()?;
    ensure!(events[0].event.as_deref() == Some("note"));
    ensure!(matches!(&events[0].data, FeedEvent::Note(text) if text == "markets open\nsoon"));
    ensure!(matches!(&events[1].data, FeedEvent::Price(price) if price.cents == 4200));
    ensure!(events[1].id.as_deref() == Some("1"));
    ensure!(matches!(events[2].data, FeedEvent::Heartbeat(7)));
    Ok(())
}

#[tokio::test]
async fn an_event_of_no_described_name_is_reported_with_its_number_and_text() -> Result<()> {
    let router = axum::Router::new().route(
        "/feed",
        axum::routing::get(|| async { "event: note\ndata: a\n\nevent: surprise\ndata: ?\n\n" }),
    );
    let url = format!("http://{}", listen(router).await?);
    let client = streams_32::client::Client::new(&url);
    let events: Vec<_> = client.feed().await?.into_inner().collect().await;
    let unknown = events[1].as_ref().unwrap_err().to_string();
    ensure!(
        unknown
            == "feed: item 2 could not be decoded (no event named `surprise` is described for this stream); it read: `?`",
        "{unknown}"
    );
    Ok(())
}

/// What a mock does: answers every operation it does not implement from the spec.
struct FromSpec(nx1_server_runtime::SchemaSet);

impl FromSpec {
    fn new(spec_json: &str) -> Self {
        FromSpec(nx1_server_runtime::SchemaSet::new(
            serde_json::from_str(spec_json).unwrap(),
        ))
    }
}

impl streams_32::server::Api for FromSpec {
    open_to_all!();

    async fn fallback(
        &self,
        operation: &'static nx1_server_runtime::OperationSpec,
    ) -> Option<axum::response::Response> {
        nx1_server_runtime::stream::examples(&self.0, operation, 7, None)
    }
}

#[tokio::test]
async fn a_mock_streams_examples_of_every_event_the_spec_names() -> Result<()> {
    use streams_32::client::streams::FeedEvent;
    let mock = FromSpec::new(streams_32::server::SPEC_JSON);
    let url = format!("http://{}", listen(streams_32::server::router(mock)).await?);
    let client = streams_32::client::Client::new(&url);
    let events: Vec<_> = client.feed().await?.into_inner().collect().await;
    let events: Vec<_> = events.into_iter().collect::<Result<_, _>>()?;
    ensure!(events.len() == 7, "{events:?}");
    let names: Vec<_> = events
        .iter()
        .map(|event| event.event.clone().unwrap())
        .collect();
    ensure!(names[..3] == ["note", "price", "heartbeat"], "{names:?}");
    ensure!(matches!(events[1].data, FeedEvent::Price(_)));
    ensure!(events[6].id.as_deref() == Some("6"));
    let prices: Vec<_> = client.prices().await?.into_inner().collect().await;
    ensure!(
        prices.len() == 7 && prices.iter().all(Result::is_ok),
        "{prices:?}"
    );
    Ok(())
}

struct Invalid;

impl streams_32::server::Api for Invalid {
    open_to_all!();

    async fn feed(&self, _: streams_32::server::FeedRequest) -> streams_32::server::FeedResponse {
        let events = [
            "event: price\ndata: {\"symbol\":\"NX1\",\"cents\":1}\n\n",
            "event: price\ndata: {\"symbol\":\"NX1\",\"cents\":\"many\"}\n\n",
            "event: heartbeat\ndata: 3\n\n",
        ];
        let body = futures::stream::iter(events.map(|event| Ok::<_, std::io::Error>(event)));
        let response = axum::response::Response::builder()
            .header("content-type", "text/event-stream")
            .body(axum::body::Body::from_stream(body))
            .unwrap();
        streams_32::server::FeedResponse::Custom(response)
    }
}

#[tokio::test]
async fn the_router_stops_a_stream_before_an_item_the_spec_refuses() -> Result<()> {
    let url = format!(
        "http://{}",
        listen(streams_32::server::router(Invalid)).await?
    );
    let client = streams_32::client::Client::new(&url);
    let events: Vec<_> = client.feed().await?.into_inner().collect().await;
    ensure!(events.len() == 1, "{events:?}");
    // Unchecked (as in release builds by default), everything goes through.
    let config = streams_32::server::ServerConfig {
        check_streams: false,
        ..Default::default()
    };
    let url = format!(
        "http://{}",
        listen(streams_32::server::router_with(Invalid, config)).await?
    );
    let events: Vec<_> = streams_32::client::Client::new(&url)
        .feed()
        .await?
        .into_inner()
        .collect()
        .await;
    ensure!(events.len() == 3, "{events:?}");
    Ok(())
}

/// A mock of the 3.1 fixture: every operation from the spec, event streams resumed.
struct StreamsFromSpec(nx1_server_runtime::SchemaSet);

impl s::Api for StreamsFromSpec {
    open_to_all!();

    async fn fallback_stream(
        &self,
        operation: &'static nx1_server_runtime::OperationSpec,
        last_event_id: Option<String>,
    ) -> Option<axum::response::Response> {
        nx1_server_runtime::stream::examples(&self.0, operation, 6_000, last_event_id.as_deref())
    }
}

#[tokio::test]
async fn a_mocks_example_stream_resumes_through_dropped_connections_without_repeats() -> Result<()>
{
    let mock = StreamsFromSpec(nx1_server_runtime::SchemaSet::new(serde_json::from_str(
        s::SPEC_JSON,
    )?));
    let (url, connections) = cutting_proxy(listen(s::router(mock)).await?).await?;
    let client = streams::client::Client::new(&url);
    let mut stream = client.run_events(&uuid::Uuid::nil()).await?.into_inner();
    let mut next = 0u64;
    while let Some(event) = stream.next().await {
        let event = event?;
        ensure!(
            event.id == Some(next.to_string()),
            "example {next} lost or repeated: {event:?}"
        );
        next += 1;
    }
    ensure!(next == 6_000, "{next} examples");
    ensure!(
        connections.load(Ordering::SeqCst) > 1,
        "no connection was cut"
    );
    Ok(())
}

/// Set when the handler's stream is dropped.
struct DropFlag(Arc<std::sync::atomic::AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

struct Endless(Arc<std::sync::atomic::AtomicBool>);

impl s::Api for Endless {
    open_to_all!();

    async fn run_events(&self, _: s::RunEventsRequest) -> s::RunEventsResponse {
        let flag = DropFlag(self.0.clone());
        let events = futures::stream::unfold((0u64, flag), |(n, flag)| async move {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            Some((
                Event::new(run_event(n)).with_id(n.to_string()),
                (n + 1, flag),
            ))
        });
        s::RunEventsResponse::OkStream(Events::new(events))
    }
}

#[tokio::test]
async fn dropping_the_clients_stream_stops_the_servers() -> Result<()> {
    let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let url = format!(
        "http://{}",
        listen(s::router(Endless(dropped.clone()))).await?
    );
    let client = streams::client::Client::new(&url);
    let mut stream = client.run_events(&uuid::Uuid::nil()).await?.into_inner();
    for _ in 0..3 {
        stream.next().await.transpose()?;
    }
    ensure!(!dropped.load(Ordering::SeqCst));
    drop(stream);
    for _ in 0..200 {
        if dropped.load(Ordering::SeqCst) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    anyhow::bail!("the handler's stream was still running 2 s after the client dropped its own")
}

#[tokio::test]
async fn a_3_2_query_operation_sends_its_typed_body_with_the_query_method() -> Result<()> {
    let url = format!("http://{}", listen(streams_32::server::router(Feed)).await?);
    let client = streams_32::client::Client::new(&url);
    let body = streams_32::client::types::SearchBody {
        symbol: "NX1".into(),
    };
    let price = client.search(&body).await?.into_inner();
    ensure!(price.symbol == "NX1" && price.cents == 1, "{price:?}");
    // The router holds QUERY to the spec like any method: a body without `symbol` is a 422.
    let refused = reqwest::Client::new()
        .request(
            reqwest::Method::from_bytes(b"QUERY")?,
            format!("{url}/search"),
        )
        .json(&serde_json::json!({}))
        .send()
        .await?;
    ensure!(refused.status() == 422, "{}", refused.status());
    Ok(())
}
