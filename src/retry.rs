//! Sending one request, again when that is safe and worth it: connection failures, time-outs
//! and 408/429/502/503/504, with exponential backoff and full jitter, honouring
//! `Retry-After`, bounded by attempts and an overall deadline. Only idempotent methods are
//! sent twice unless the caller says otherwise for the call.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, Request, Response, StatusCode};

use crate::errors::BODY_LIMIT;

/// When to send a request again. The default: 3 attempts, backoff from 200 ms up to 5 s,
/// all of it within 30 s, idempotent methods only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    deadline: Duration,
    non_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            deadline: Duration::from_secs(30),
            non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// Every request is sent once.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// At most `attempts` sends of one request, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff before attempt n+1 is a random time up to `min(max, base × 2ⁿ⁻¹)`.
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max.max(base);
        self
    }

    /// The time all attempts and waits together may take; no attempt starts, and no wait
    /// begins, that would end past it.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Also sends POST and PATCH again. Only for calls the caller knows are safe to repeat:
    /// the server may have acted on an attempt whose answer was lost.
    pub fn retry_non_idempotent(mut self, yes: bool) -> Self {
        self.non_idempotent = yes;
        self
    }

    fn allows(&self, method: &Method) -> bool {
        self.max_attempts > 1
            && (self.non_idempotent
                || matches!(
                    *method,
                    Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
                ))
    }

    /// Full jitter (AWS's "Exponential Backoff and Jitter"): spreads clients that failed
    /// together over the whole window instead of waking them in step.
    fn backoff_before(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let window = self
            .base_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay);
        let millis = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(fastrand::u64(0..=millis))
    }
}

/// Statuses that say "not now" rather than "no".
fn worth_retrying(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 502 | 503 | 504)
}

/// `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// What one call's sends came to.
pub(crate) struct Outcome {
    pub result: reqwest::Result<Response>,
    pub attempts: u32,
    /// The body of an error answer, read so that the error can show it.
    pub error_body: Option<Bytes>,
}

/// Sends `request` under `policy`, each attempt limited to `timeout` (and to what is left
/// of the deadline).
pub(crate) async fn send(
    http: &reqwest::Client,
    mut request: Request,
    policy: &RetryPolicy,
    timeout: Option<Duration>,
) -> Outcome {
    let started = Instant::now();
    // A streamed body cannot be sent twice; such a request gets one attempt.
    let retrying = policy.allows(request.method()) && request.try_clone().is_some();
    let mut attempt = 1;
    loop {
        let left = policy.deadline.saturating_sub(started.elapsed());
        let limit = match (timeout, retrying) {
            (Some(timeout), true) => Some(timeout.min(left)),
            (None, true) => Some(left),
            (timeout, false) => timeout,
        };
        if limit.is_some() {
            *request.timeout_mut() = limit;
        }
        let spare = (retrying && attempt < policy.max_attempts)
            .then(|| request.try_clone())
            .flatten();
        tracing::debug!(attempt, method = %request.method(), "sending");
        let result = http.execute(request).await;
        let wait = match &result {
            Err(err) if err.is_connect() || err.is_timeout() || err.is_request() => {
                Some(policy.backoff_before(attempt))
            }
            Ok(response) if worth_retrying(response.status()) => Some(
                retry_after(response.headers()).unwrap_or_else(|| policy.backoff_before(attempt)),
            ),
            _ => None,
        };
        let next = match (spare, wait) {
            (Some(next), Some(wait)) if started.elapsed() + wait < policy.deadline => {
                Some((next, wait))
            }
            _ => None,
        };
        let Some((next, wait)) = next else {
            return finish(result, attempt).await;
        };
        match &result {
            Ok(response) => tracing::info!(
                attempt,
                status = response.status().as_u16(),
                wait_ms = wait.as_millis() as u64,
                "retrying"
            ),
            Err(err) => tracing::info!(
                attempt,
                error = %crate::errors::root_cause(err),
                wait_ms = wait.as_millis() as u64,
                "retrying"
            ),
        }
        drop(result);
        tokio::time::sleep(wait).await;
        request = next;
        attempt += 1;
    }
}

/// Reads the body of an error answer (up to [`BODY_LIMIT`]) and hands on a response with the
/// same status, headers and body, so that generated code parses it as before.
async fn finish(result: reqwest::Result<Response>, attempts: u32) -> Outcome {
    let response = match result {
        Ok(response) if !response.status().is_success() => response,
        result => {
            return Outcome {
                result,
                attempts,
                error_body: None,
            };
        }
    };
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let mut response = response;
    let mut body = BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = BODY_LIMIT.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if chunk.len() >= room {
                    break;
                }
            }
            Ok(None) => break,
            Err(err) => {
                return Outcome {
                    result: Err(err),
                    attempts,
                    error_body: None,
                };
            }
        }
    }
    let body = body.freeze();
    let mut rebuilt = http::Response::new(reqwest::Body::from(body.clone()));
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Outcome {
        result: Ok(Response::from(rebuilt)),
        attempts,
        error_body: Some(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_idempotent_methods_by_default() {
        let policy = RetryPolicy::default();
        assert!(policy.allows(&Method::GET));
        assert!(policy.allows(&Method::PUT));
        assert!(!policy.allows(&Method::POST));
        assert!(!policy.allows(&Method::PATCH));
        assert!(
            policy
                .clone()
                .retry_non_idempotent(true)
                .allows(&Method::POST)
        );
        assert!(!RetryPolicy::never().allows(&Method::GET));
    }

    #[test]
    fn backoff_stays_in_its_window() {
        let policy =
            RetryPolicy::default().backoff(Duration::from_millis(100), Duration::from_secs(1));
        for attempt in 1..40 {
            let cap = Duration::from_millis(100 * (1u64 << (attempt - 1).min(20)))
                .min(Duration::from_secs(1));
            assert!(policy.backoff_before(attempt) <= cap);
        }
    }

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let soon = chrono::Utc::now() + chrono::Duration::seconds(90);
        headers.insert(RETRY_AFTER, soon.to_rfc2822().parse().unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(
            wait > Duration::from_secs(80) && wait <= Duration::from_secs(90),
            "{wait:?}"
        );
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }
}
