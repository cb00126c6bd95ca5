//! A reqwest-style builder for [`Client`].

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::auth::Credentials;
use crate::call::Settings;
use crate::generated::Client;
use crate::retry::RetryPolicy;

/// Why [`ClientBuilder::build`] refused.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("no base url: call .base_url(\"https://…\") on the client builder")]
    MissingBaseUrl,
    #[error("base url `{url}` is invalid ({reason}); give an absolute http or https url")]
    InvalidBaseUrl { url: String, reason: String },
    #[error(
        "the {which} contains characters not allowed in an http header; check for stray newlines"
    )]
    InvalidCredential { which: &'static str },
    #[error(transparent)]
    Tls(nx1_tls::TlsError),
    #[error("cannot build the http client: {0}")]
    Http(#[source] reqwest::Error),
}

/// Configures a [`Client`]. Setters take and return the builder by value; errors are
/// reported once, by [`build`](Self::build).
#[derive(Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    psk: Option<String>,
    bearer: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: Option<String>,
    retry: RetryPolicy,
    root_certificates: Vec<Vec<u8>>,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("psk", &self.psk.as_ref().map(|_| "<redacted>"))
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

impl ClientBuilder {
    /// The API's base URL, e.g. `https://aiapi.acme.nx1cloud.com` (no trailing path needed).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// A pre-shared key, sent as `Authorization-PSK` to operations that accept one.
    pub fn psk(mut self, psk: impl Into<String>) -> Self {
        self.psk = Some(psk.into());
        self
    }

    /// An OAuth2 access token, sent as `Authorization: Bearer` to operations that accept one.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer = Some(token.into());
        self
    }

    /// When to send a request again: see [`RetryPolicy`] (the default retries idempotent
    /// methods only, 3 attempts within 30 s). [`Client::with_retry`] changes it per call.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The limit for each attempt of a request, connection to last byte. Default: 15
    /// seconds. [`Client::with_timeout`] changes it per call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The limit for establishing a connection. Default: the request timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The `User-Agent` header. Default: `nx1-client/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Trusts this root (PEM; a bundle of several is fine) beside the system's: for a server
    /// whose certificate a private CA signed. The platform verifier still checks every
    /// certificate. Repeatable.
    pub fn root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Uses a preconfigured reqwest client (proxies, TLS roots, pools); the connect timeout,
    /// user agent and root certificates set here are then ignored, and its own timeout holds
    /// unless [`timeout`](Self::timeout) is set. Start from
    /// [`crate::http_client_builder`] for the same TLS.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    pub fn build(self) -> Result<Client, BuildError> {
        let base_url = self.base_url.ok_or(BuildError::MissingBaseUrl)?;
        let parsed = reqwest::Url::parse(&base_url).map_err(|err| BuildError::InvalidBaseUrl {
            url: base_url.clone(),
            reason: err.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(BuildError::InvalidBaseUrl {
                url: base_url,
                reason: format!("scheme `{}` is not http or https", parsed.scheme()),
            });
        }
        let timeout = self.timeout.unwrap_or(Duration::from_secs(15));
        let credentials = Credentials {
            psk: secret_header(self.psk, "psk", |psk| psk)?,
            bearer: secret_header(self.bearer, "bearer token", |token| {
                format!("Bearer {token}")
            })?,
        };
        let own_http = self.http.is_none();
        let http = match self.http {
            Some(http) => http,
            None => {
                nx1_tls::configure(reqwest::Client::builder(), &self.root_certificates)
                    .map_err(BuildError::Tls)?
                    .timeout(timeout)
                    .connect_timeout(self.connect_timeout.unwrap_or(timeout))
                    // Servers close idle keep-alive connections (uvicorn after 5 s, the
                    // generated router after its 10 s header-read timeout); a request sent on
                    // one as it closes fails. Drop them first.
                    .pool_idle_timeout(Duration::from_secs(4))
                    .user_agent(self.user_agent.unwrap_or_else(|| {
                        concat!("nx1-client/", env!("CARGO_PKG_VERSION")).to_owned()
                    }))
                    .build()
                    .map_err(BuildError::Http)?
            }
        };
        let base_url = base_url.trim_end_matches('/');
        let settings = Settings {
            credentials,
            retry: self.retry,
            // A reqwest client of the caller's own keeps its timeout unless one is set here.
            timeout: if own_http {
                Some(timeout)
            } else {
                self.timeout
            },
        };
        Ok(Client::new_with_client(base_url, http, settings))
    }
}

fn secret_header(
    secret: Option<String>,
    which: &'static str,
    render: impl FnOnce(String) -> String,
) -> Result<Option<HeaderValue>, BuildError> {
    let Some(secret) = secret else {
        return Ok(None);
    };
    let mut value = HeaderValue::from_str(&render(secret))
        .map_err(|_| BuildError::InvalidCredential { which })?;
    value.set_sensitive(true);
    Ok(Some(value))
}
