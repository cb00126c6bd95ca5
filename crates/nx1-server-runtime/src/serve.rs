//! The one handler every generated operation runs through. The generated code keeps only
//! what is spec-specific (the typed request, the trait method, the access mode); routing,
//! reading the body, credentials, validation and building the typed request happen here,
//! in FastAPI's order.

use std::future::Future;

use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::auth::{self, AuthError, Credentials};
use crate::extract::{self, ApiSpec, Body, OperationSpec};
use crate::rejection::Rejection;
use crate::routing::{Match, RouteTable};

/// Limits and options of a generated router.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Bodies larger than this answer 413. Default: 16 MiB.
    pub body_limit: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            body_limit: 16 * 1024 * 1024,
        }
    }
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

/// Finds the operation a request is for and reads its body: 404, 405, 307 and 413 are
/// answered here, before anything operation-specific runs.
pub async fn route(
    routes: &RouteTable,
    config: &ServerConfig,
    request: axum::extract::Request,
) -> Result<Routed, Rejection> {
    let (parts, body) = request.into_parts();
    let (operation, params) = match routes.find(parts.method.as_str(), parts.uri.path()) {
        Match::Found { operation, params } => (operation, params),
        Match::MethodNotAllowed(allowed) => return Err(Rejection::MethodNotAllowed(allowed)),
        Match::Redirect(path) => {
            let location = match parts.uri.query() {
                Some(query) => format!("{path}?{query}"),
                None => path,
            };
            return Err(Rejection::Redirect(location));
        }
        Match::NotFound => return Err(Rejection::NotFound),
    };
    let bytes = axum::body::to_bytes(body, config.body_limit)
        .await
        .map_err(|_| Rejection::TooLarge {
            limit: config.body_limit,
        })?;
    Ok(Routed {
        operation,
        params,
        parts,
        bytes,
    })
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
    routed: Routed,
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
        Ok((principal, request)) => handler(principal, request).await.into_response(),
        Err(rejection) => reject(rejection),
    }
}

/// [`handle`] without the call: the principal and typed request, or why there are none.
pub async fn accept<M, R, P, Auth, AuthFuture>(
    spec: &ApiSpec,
    operation: &'static OperationSpec,
    routed: Routed,
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
    let body = extract::read_body(operation, &parts.headers, bytes).await?;
    let mut principal = None;
    if M::AUTHENTICATES
        && let Some(credentials) =
            extract::credentials(spec, operation, &parts.headers, parts.uri.query())?
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
    let fields = extract::validate(
        spec,
        operation,
        &params,
        &parts.headers,
        parts.uri.query(),
        &body,
    )?;
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
