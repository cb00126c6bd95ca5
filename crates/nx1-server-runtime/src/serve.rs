//! The one handler every generated operation runs through. The generated code keeps only
//! what is spec-specific (the typed request, the trait method, the access mode); routing,
//! reading the body, credentials, validation and building the typed request happen here,
//! in FastAPI's order.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::auth::{self, AuthError, Credentials};
use crate::extract::{self, ApiSpec, Body, OperationSpec};
use crate::rejection::Rejection;
use crate::routing::{Match, RouteTable};

/// Limits and options of a generated router (and of [`crate::listen::serve`]). Every
/// limit answers as the HTTP specs say, through the trait's `reject` hook.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Bodies larger than this answer 413. Default: 16 MiB.
    pub body_limit: usize,
    /// Request targets (path and query) longer than this answer 414. Default: 8 KiB, what
    /// common proxies allow.
    pub max_uri_len: usize,
    /// Headers larger than this, names and values together, answer 431. Default: 32 KiB.
    pub max_header_bytes: usize,
    /// Requests in flight at once; one more answers 503 with `Retry-After`. Default: 512.
    pub max_concurrent: usize,
    /// The `Retry-After` of that 503, in seconds. Default: 1.
    pub retry_after: u64,
    /// A request still unanswered after this (a slow body, a slow handler) answers 504;
    /// the handler's future is dropped. Counted from the first time the request waits
    /// (for its body or in its handler): most requests never wait, and arming a timer
    /// for them cost a clock read each. Default: 60 s.
    pub request_timeout: Duration,
    /// [`crate::listen::serve`]: a connection that has not sent a whole request head in
    /// this time is closed. Default: 10 s.
    pub header_read_timeout: Duration,
    /// [`crate::listen::serve`]: on shutdown, how long in-flight requests may take to
    /// finish before their connections are closed. Default: 30 s.
    pub shutdown_grace: Duration,
    /// Check each item of a streamed answer against the spec; an item that fails ends
    /// the stream before it and is logged. Default: on in debug builds, off in release.
    pub check_streams: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            body_limit: 16 * 1024 * 1024,
            max_uri_len: 8 * 1024,
            max_header_bytes: 32 * 1024,
            max_concurrent: 512,
            retry_after: 1,
            request_timeout: Duration::from_secs(60),
            header_read_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(30),
            check_streams: cfg!(debug_assertions),
        }
    }
}

/// What a router keeps between requests: its limits and how many requests are in flight.
#[derive(Debug)]
pub struct Gate {
    config: ServerConfig,
    /// A counter, not a semaphore: nothing ever waits for a permit (one too many answers
    /// 503 at once), and giving a semaphore's permit back takes its lock.
    in_flight: AtomicUsize,
}

impl Gate {
    pub fn new(config: ServerConfig) -> Self {
        Gate {
            in_flight: AtomicUsize::new(0),
            config,
        }
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Takes a place among the requests in flight; `false` when they are as many as
    /// allowed. A place taken is given back with [`Gate::release`].
    fn admit(&self) -> bool {
        let before = self.in_flight.fetch_add(1, Ordering::Acquire);
        if before < self.config.max_concurrent.max(1) {
            true
        } else {
            self.release();
            false
        }
    }

    fn release(&self) {
        self.in_flight.fetch_sub(1, Ordering::Release);
    }
}

/// The front door of every request: its id (`x-request-id`, taken from the request when it
/// is a plausible id, else a new UUID, and echoed in the response), its `tracing` span
/// (method, route template and operation once routed, status, latency), the URI and
/// header limits, the concurrency limit and the request timeout. The answer is routed and
/// made by [`App::answer`]; every refusal goes through the implementation's `reject`.
///
/// Not an `async fn`: the checks run now, and the future returned is one struct holding
/// the answer's future once. It owns the app (the answer's future holds a second handle),
/// so that the service boxes it as it is made: built inside an `async` block that held
/// the app, the door was made on the stack and moved three times (550 bytes each) into
/// the block's state.
///
/// The request stays boxed until routing takes it apart: passed by value, its 240 bytes
/// were copied at every call on the way.
fn front_door<S: Service>(
    app: Arc<App<S>>,
    request: Box<axum::extract::Request>,
) -> FrontDoor<S, impl Future<Output = Response> + Send + use<S>> {
    // The id a request brings is kept as its header value (no copy); one is made only
    // when it brings none that is plausible.
    let request_id = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .filter(|id| {
            let id = id.as_bytes();
            !id.is_empty() && id.len() <= 128 && id.iter().all(u8::is_ascii_graphic)
        })
        .cloned()
        .unwrap_or_else(new_request_id);
    // Made only for a subscriber that wants it: with none set, `tracing`'s `log` bridge
    // (which axum's default features turn on) still formats every field of a span it makes.
    let span = if tracing::enabled!(tracing::Level::INFO) {
        tracing::info_span!(
            "request",
            method = %request.method(),
            route = tracing::field::Empty,
            operation = tracing::field::Empty,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
            request_id = %request_id.to_str().unwrap_or_default(),
        )
    } else {
        tracing::Span::none()
    };
    // Without a subscriber that wants the span, its fields and the clock are skipped.
    let started = (!span.is_disabled()).then(Instant::now);
    let config = &app.gate.config;
    let uri_len = request
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    let header_bytes: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    let refusal = if uri_len > config.max_uri_len {
        Some(Rejection::UriTooLong {
            limit: config.max_uri_len,
        })
    } else if header_bytes > config.max_header_bytes {
        Some(Rejection::HeadersTooLarge {
            limit: config.max_header_bytes,
        })
    } else if !app.gate.admit() {
        Some(Rejection::Overloaded {
            retry_after: config.retry_after,
        })
    } else {
        None
    };
    let timeout = config.request_timeout;
    let (answer, refused) = match refusal {
        Some(rejection) => {
            let refuse = || Box::new(app.service.reject(None, rejection));
            let refused = match started {
                Some(_) => span.in_scope(refuse),
                None => refuse(),
            };
            (None, Some(refused))
        }
        None => {
            // Nothing runs until it is polled, inside the span.
            let traced = Traced(started.is_some());
            let owner = app.clone();
            let answer = async move { owner.answer(request, traced).await };
            (Some(answer), None)
        }
    };
    FrontDoor {
        answer,
        deadline: None,
        admitted: refused.is_none(),
        refused,
        app,
        timeout,
        span,
        started,
        request_id: Some(request_id),
    }
}

pin_project_lite::pin_project! {
    /// The future [`front_door`] returns: the answer under the request timeout, inside
    /// the request's span, with the request id echoed.
    pub(crate) struct FrontDoor<S: Service, Answer> {
        #[pin]
        answer: Option<Answer>,
        // Armed the first time the answer waits: most never do.
        deadline: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
        // Boxed: a refusal at the door is rare, and inline it made every request's
        // future a response larger.
        refused: Option<Box<Response>>,
        // Whether this request holds a place among those in flight (given back once).
        admitted: bool,
        app: Arc<App<S>>,
        timeout: Duration,
        span: tracing::Span,
        started: Option<Instant>,
        request_id: Option<HeaderValue>,
    }

    impl<S: Service, Answer> PinnedDrop for FrontDoor<S, Answer> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if std::mem::take(this.admitted) {
                this.app.gate.release();
            }
        }
    }
}

impl<S: Service, Answer> Future for FrontDoor<S, Answer>
where
    Answer: Future<Output = Response>,
{
    type Output = Result<Response, std::convert::Infallible>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let mut this = self.project();
        let response = match this.answer.as_mut().as_pin_mut() {
            Some(answer) => {
                let entered = this.started.is_some().then(|| this.span.enter());
                let response = match answer.poll(cx) {
                    std::task::Poll::Ready(response) => response,
                    std::task::Poll::Pending => {
                        let timeout = *this.timeout;
                        let deadline = this
                            .deadline
                            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                        if deadline.as_mut().poll(cx).is_pending() {
                            return std::task::Poll::Pending;
                        }
                        // The handler's future is dropped now, not when the door is.
                        this.answer.set(None);
                        this.app.service.reject(
                            None,
                            Rejection::Timeout {
                                seconds: timeout.as_secs(),
                            },
                        )
                    }
                };
                drop(entered);
                response
            }
            // Refused at the door (answered once: a future is not polled after `Ready`).
            None => this
                .refused
                .take()
                .map_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response(), |r| *r),
        };
        if std::mem::take(this.admitted) {
            this.app.gate.release();
        }
        let request_id = this
            .request_id
            .take()
            .unwrap_or_else(|| HeaderValue::from_static("-"));
        std::task::Poll::Ready(Ok(finish(response, this.span, *this.started, request_id)))
    }
}

/// What every answer gets on its way out: the span's status and latency (when a
/// subscriber wants them), the `answered` event, and the request id echoed.
fn finish(
    mut response: Response,
    span: &tracing::Span,
    started: Option<Instant>,
    request_id: HeaderValue,
) -> Response {
    match started {
        Some(started) => {
            span.record("status", response.status().as_u16());
            span.record("latency_ms", started.elapsed().as_secs_f64() * 1000.0);
            span.in_scope(|| tracing::info!("answered"));
        }
        None => tracing::info!("answered"),
    }
    response.headers_mut().insert(REQUEST_ID_HEADER, request_id);
    response
}

/// A random (version 4) UUID for a request that brings no id. The bits come from a
/// per-thread generator seeded once from the OS: a request id must be unique, not secret,
/// and a system call per request cost more than the rest of the front door.
fn new_request_id() -> HeaderValue {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(uuid::Uuid::new_v4().as_u64_pair().0 | 1);
    }
    // SplitMix64: two outputs make the 128 bits.
    let next = || {
        STATE.with(|state| {
            let mut z = state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
            state.set(z);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        })
    };
    let bits = (u128::from(next()) << 64) | u128::from(next());
    let mut buffer = uuid::Uuid::encode_buffer();
    let text = uuid::Builder::from_random_bytes(bits.to_le_bytes())
        .into_uuid()
        .hyphenated()
        .encode_lower(&mut buffer);
    HeaderValue::from_maybe_shared(Bytes::copy_from_slice(text.as_bytes()))
        .unwrap_or_else(|_| HeaderValue::from_static("-"))
}

/// The header that carries a request's id.
pub const REQUEST_ID: &str = "x-request-id";

/// [`REQUEST_ID`] as a header name, made once instead of parsed on every request.
const REQUEST_ID_HEADER: axum::http::HeaderName = axum::http::HeaderName::from_static(REQUEST_ID);

/// Whether a subscriber wants the request's span: without one, naming the operation on it
/// would still look up the current span and offer each field to `log`.
#[derive(Debug, Clone, Copy)]
pub struct Traced(bool);

/// Names the routed operation and its route template on the request's span.
pub fn observe(operation: &OperationSpec, route: &str) {
    let span = tracing::Span::current();
    span.record("operation", operation.id);
    span.record("route", tracing::field::display(route));
}

/// What a generated trait method answers until it is implemented: the implementation's
/// `fallback` response as `custom`, else `none` (501).
pub async fn fallback_or<R>(
    fallback: impl Future<Output = Option<Response>>,
    custom: fn(Response) -> R,
    none: R,
) -> R {
    fallback.await.map_or(none, custom)
}

/// A request matched to one operation, its body read within the limit.
#[derive(Debug)]
pub struct Routed {
    /// Index into the generated `OPERATIONS`.
    pub operation: usize,
    /// Path parameters by name, as matched (not yet validated).
    pub params: Vec<(String, String)>,
    pub parts: Parts,
    pub bytes: Bytes,
}

/// Finds the operation a request is for: 404, 405 and 307 are answered here, before
/// anything operation-specific runs. The routed request has no body yet; [`read_into`]
/// reads it (413).
fn route(
    routes: &RouteTable,
    request: Box<axum::extract::Request>,
) -> Result<(Routed, axum::body::Body), Rejection> {
    let (parts, body) = (*request).into_parts();
    let (operation, params) = match routes.find(parts.method.as_str(), parts.uri.path()) {
        Match::Found { operation, params } => (operation, params),
        Match::MethodNotAllowed(allowed) => return Err(Rejection::MethodNotAllowed(allowed)),
        Match::Redirect(path) => return Err(Rejection::Redirect(redirect_to(&parts, path))),
        Match::NotFound => return Err(Rejection::NotFound),
    };
    let routed = Routed {
        operation,
        params,
        parts,
        bytes: Bytes::new(),
    };
    Ok((routed, body))
}

/// Reads `body` into `routed` within the limit.
async fn read_into(
    routed: &mut Routed,
    body: axum::body::Body,
    config: &ServerConfig,
) -> Result<(), Rejection> {
    // Most requests (GET, DELETE) carry no body; collecting an empty one still costs a
    // buffer list and a poll.
    if axum::body::HttpBody::size_hint(&body).exact() == Some(0) {
        return Ok(());
    }
    // Boxed: inline, its state would be part of every request's future, bodies or not.
    routed.bytes = Box::pin(axum::body::to_bytes(body, config.body_limit))
        .await
        .map_err(|_| Rejection::TooLarge {
            limit: config.body_limit,
        })?;
    Ok(())
}

/// Starlette redirects to `request.url` with the path changed: absolute, from the request's
/// scheme and `Host`, the query kept. Without a host the location stays relative.
fn redirect_to(parts: &Parts, path: String) -> String {
    let relative = match parts.uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let host = parts
        .uri
        .authority()
        .map(|authority| authority.as_str())
        .or_else(|| {
            parts
                .headers
                .get(axum::http::header::HOST)
                .and_then(|host| host.to_str().ok())
        });
    match host {
        Some(host) => {
            let scheme = parts.uri.scheme_str().unwrap_or("http");
            format!("{scheme}://{host}{relative}")
        }
        None => relative,
    }
}

/// How an operation's `security` reaches its trait method: not at all, as an `Option`, or
/// as the principal itself.
pub trait Access {
    /// What the trait method receives for a principal `P`.
    type Principal<P: Send>: Send;
    /// Whether credentials are looked at.
    const AUTHENTICATES: bool;
    /// `None`: the operation needs a principal and the request has none (401).
    fn grant<P: Send>(principal: Option<P>) -> Option<Self::Principal<P>>;
}

/// No `security`: the method gets no principal.
#[derive(Debug, Clone, Copy)]
pub struct Public;

/// `security` with an empty alternative: the method gets `Option<Principal>`.
#[derive(Debug, Clone, Copy)]
pub struct Optional;

/// `security` without an empty alternative: the method gets the principal.
#[derive(Debug, Clone, Copy)]
pub struct Required;

impl Access for Public {
    type Principal<P: Send> = ();
    const AUTHENTICATES: bool = false;
    fn grant<P: Send>(_: Option<P>) -> Option<()> {
        Some(())
    }
}

impl Access for Optional {
    type Principal<P: Send> = Option<P>;
    const AUTHENTICATES: bool = true;
    fn grant<P: Send>(principal: Option<P>) -> Option<Option<P>> {
        Some(principal)
    }
}

impl Access for Required {
    type Principal<P: Send> = P;
    const AUTHENTICATES: bool = true;
    fn grant<P: Send>(principal: Option<P>) -> Option<P> {
        principal
    }
}

/// A generated request struct. Its JSON part is deserialised from the validated fields;
/// what JSON cannot carry (uploaded files, raw bytes) is attached from the body after.
pub trait TypedRequest: DeserializeOwned + Send {
    fn attach(&mut self, body: &Body) {
        let _ = body;
    }
}

/// Reads, authenticates and validates a routed request for `operation`, then calls
/// `handler` with the principal and the typed request. Every refusal goes through
/// `reject`, the trait's hook.
pub async fn handle<M, R, P, Auth, AuthFuture, Handler, HandlerFuture>(
    _access: M,
    spec: &ApiSpec,
    operation: &'static OperationSpec,
    routed: &Routed,
    authenticate: Auth,
    reject: impl FnOnce(Rejection) -> Response,
    handler: Handler,
) -> Response
where
    M: Access,
    R: TypedRequest,
    P: Send,
    Auth: FnOnce(Credentials) -> AuthFuture,
    AuthFuture: Future<Output = Result<P, AuthError>>,
    Handler: FnOnce(M::Principal<P>, R) -> HandlerFuture,
    HandlerFuture: Future<Output: IntoResponse>,
{
    match accept::<M, R, P, _, _>(spec, operation, routed, authenticate).await {
        Ok((principal, request)) => {
            let response = handler(principal, request).await.into_response();
            if spec.check_streams && operation.stream.is_some() {
                return crate::stream::checked(spec, operation, response);
            }
            response
        }
        Err(rejection) => reject(rejection),
    }
}

/// [`handle`] without the call: the principal and typed request, or why there are none.
pub async fn accept<M, R, P, Auth, AuthFuture>(
    spec: &ApiSpec,
    operation: &'static OperationSpec,
    routed: &Routed,
    authenticate: Auth,
) -> Result<(M::Principal<P>, R), Rejection>
where
    M: Access,
    R: TypedRequest,
    P: Send,
    Auth: FnOnce(Credentials) -> AuthFuture,
    AuthFuture: Future<Output = Result<P, AuthError>>,
{
    let Routed {
        params,
        parts,
        bytes,
        ..
    } = routed;
    let params = params.as_slice();
    let query = parts.uri.query();
    // FastAPI reads the body before it looks at credentials, so a body that is not JSON
    // answers 422 even without them. The typed read is pure: done first, it decides
    // whether the body needs reading the general way. An empty body cannot fail to read,
    // so then credentials come first and an unauthenticated request costs no parsing.
    let mut typed: Option<R> = None;
    let mut body = None;
    if !bytes.is_empty() {
        typed = extract::read_typed(spec, operation, params, &parts.headers, query, bytes);
        if typed.is_none() {
            body = Some(extract::read_body(
                operation,
                &parts.headers,
                bytes.clone(),
            )?);
        }
    }
    let mut principal = None;
    if M::AUTHENTICATES
        && let Some(credentials) = extract::credentials(spec, operation, &parts.headers, query)?
    {
        principal = Some(
            authenticate(credentials)
                .await
                .map_err(|rejection| refused(spec, operation, rejection))?,
        );
    }
    let principal = M::grant(principal).ok_or_else(|| {
        refused(
            spec,
            operation,
            AuthError::Unauthorized("Not authenticated".into()),
        )
    })?;
    if typed.is_none() && bytes.is_empty() {
        typed = extract::read_typed(spec, operation, params, &parts.headers, query, bytes);
    }
    if let Some(request) = typed {
        // Only operations without a body or with a JSON one are read typed, and for those
        // `attach` has nothing to add.
        return Ok((principal, request));
    }
    let body = match body {
        Some(body) => body,
        None => extract::read_body(operation, &parts.headers, bytes.clone())?,
    };
    let fields =
        extract::validate_after_typed(spec, operation, params, &parts.headers, query, &body)?;
    let mut request: R = serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|_| Rejection::Internal)?;
    request.attach(&body);
    Ok((principal, request))
}

/// What `authenticate` refused, as the rejection FastAPI's security classes raise.
fn refused(spec: &ApiSpec, operation: &OperationSpec, rejection: AuthError) -> Rejection {
    match rejection {
        AuthError::Unauthorized(detail) => Rejection::NotAuthenticated {
            detail,
            challenge: auth::challenge(&spec.accepted(operation)),
        },
        AuthError::Forbidden(detail) => Rejection::Forbidden(detail),
    }
}

/// The app as the `tower` service axum falls back to for every request: a service, not
/// a handler, so that no extractor machinery runs and the one future is boxed once.
struct Served<S>(Arc<App<S>>);

impl<S> Clone for Served<S> {
    fn clone(&self) -> Self {
        Served(self.0.clone())
    }
}

impl<S: Service> tower_service::Service<axum::extract::Request> for Served<S> {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future =
        std::pin::Pin<Box<dyn Future<Output = Result<Response, std::convert::Infallible>> + Send>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), std::convert::Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::extract::Request) -> Self::Future {
        // Boxed, the request is a pointer in this future rather than 240 bytes beside
        // the answer's state.
        Box::pin(front_door(self.0.clone(), Box::new(request)))
    }
}

/// An operation's answer in the making, as [`Service::call`] returns it.
pub type Answer<'a> = std::pin::Pin<Box<dyn Future<Output = Response> + Send + 'a>>;

/// What the runtime needs of an implementation, implemented by the generated code for
/// every implementation of its trait: the trait's `authenticate` and `reject`, and `call`,
/// the one generated match from an operation's index to its trait method.
pub trait Service: Send + Sync + Sized + 'static {
    type Principal: Send + 'static;

    fn authenticate(
        &self,
        credentials: Credentials,
    ) -> impl Future<Output = Result<Self::Principal, AuthError>> + Send;

    fn reject(&self, operation: Option<&'static OperationSpec>, rejection: Rejection) -> Response;

    /// Runs the operation `routed` is for, through one of [`App::public`],
    /// [`App::optional`] or [`App::required`]. Each operation's future is boxed on its
    /// own: one `async` match over every operation would be as large as the largest
    /// operation's future, and every request would move that many bytes into its box.
    fn call<'a>(app: &'a App<Self>, routed: &'a Routed) -> Answer<'a>;
}

/// A served API: the implementation, the spec it validates against, its routes and its
/// limits. [`App::into_router`] is the axum router the generated `router` returns.
#[derive(Debug)]
pub struct App<S> {
    service: S,
    spec: ApiSpec,
    routes: RouteTable,
    operations: &'static [OperationSpec],
    /// Each operation's path template, read once from its pointer for the request spans.
    templates: Vec<String>,
    gate: Gate,
}

impl<S: Service> App<S> {
    pub fn new(
        service: S,
        mut spec: ApiSpec,
        operations: &'static [OperationSpec],
        config: ServerConfig,
    ) -> Self {
        spec.prepare(operations);
        spec.check_streams = config.check_streams;
        App {
            service,
            spec,
            routes: RouteTable::of(operations),
            operations,
            templates: operations.iter().map(OperationSpec::path).collect(),
            gate: Gate::new(config),
        }
    }

    pub fn service(&self) -> &S {
        &self.service
    }

    /// Every request goes through [`front_door`], then routing, then `S::call` inside the
    /// panic guard.
    pub fn into_router(self) -> axum::Router {
        axum::Router::new().fallback_service(Served(Arc::new(self)))
    }

    /// Routes `request`, reads its body and runs its operation. This future holds the
    /// routed request once; the operation's (boxed by `call`) borrows it from there.
    async fn answer(&self, request: Box<axum::extract::Request>, traced: Traced) -> Response {
        // Routed here, not before: a routed request captured by the future and then taken
        // apart in it would be kept twice.
        let (mut routed, body) = match route(&self.routes, request) {
            Ok(routed) => routed,
            Err(rejection) => return self.service.reject(None, rejection),
        };
        if let Err(rejection) = read_into(&mut routed, body, self.gate.config()).await {
            return self.service.reject(None, rejection);
        }
        let Some(operation) = self.operations.get(routed.operation) else {
            return self.service.reject(None, Rejection::NotFound);
        };
        if traced.0 {
            observe(operation, &self.templates[routed.operation]);
        }
        // A panic in the implementation answers 500 and is logged; the server stays up.
        crate::panic::guard(operation.id, S::call(self, &routed)).await
    }

    /// The handler for one operation with the access mode `M`. Not itself `async`, nor
    /// are the three below: each layer would keep its own copy of its arguments in the
    /// operation's future, which every request allocates.
    pub fn run<'a, M, R, F>(
        &'a self,
        access: M,
        routed: &'a Routed,
        method: impl FnOnce(M::Principal<S::Principal>, R) -> F + 'a,
    ) -> impl Future<Output = Response> + 'a
    where
        M: Access + 'a,
        R: TypedRequest + 'a,
        F: Future<Output: IntoResponse> + 'a,
    {
        let Some(operation) = self.operations.get(routed.operation) else {
            let refused = self.service.reject(None, Rejection::NotFound);
            return futures_util::future::Either::Left(std::future::ready(refused));
        };
        let authenticate = |credentials| self.service.authenticate(credentials);
        let reject = |rejection| self.service.reject(Some(operation), rejection);
        futures_util::future::Either::Right(handle(
            access,
            &self.spec,
            operation,
            routed,
            authenticate,
            reject,
            method,
        ))
    }

    /// An operation without `security`: `method(api, request)`.
    pub fn public<'a, A, R, F>(
        &'a self,
        routed: &'a Routed,
        api: &'a A,
        method: impl FnOnce(&'a A, R) -> F + 'a,
    ) -> impl Future<Output = Response> + 'a
    where
        R: TypedRequest + 'a,
        F: Future<Output: IntoResponse> + 'a,
    {
        self.run(Public, routed, move |(), request| method(api, request))
    }

    /// An operation whose `security` allows no credentials: `method(api, principal?, request)`.
    pub fn optional<'a, A, R, F>(
        &'a self,
        routed: &'a Routed,
        api: &'a A,
        method: impl FnOnce(&'a A, Option<S::Principal>, R) -> F + 'a,
    ) -> impl Future<Output = Response> + 'a
    where
        R: TypedRequest + 'a,
        F: Future<Output: IntoResponse> + 'a,
    {
        self.run(Optional, routed, move |principal, request| {
            method(api, principal, request)
        })
    }

    /// An operation that needs credentials: `method(api, principal, request)`.
    pub fn required<'a, A, R, F>(
        &'a self,
        routed: &'a Routed,
        api: &'a A,
        method: impl FnOnce(&'a A, S::Principal, R) -> F + 'a,
    ) -> impl Future<Output = Response> + 'a
    where
        R: TypedRequest + 'a,
        F: Future<Output: IntoResponse> + 'a,
    {
        self.run(Required, routed, move |principal, request| {
            method(api, principal, request)
        })
    }
}
