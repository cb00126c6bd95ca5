//! Credentials, applied to each request as the spec's `security` says for its operation.

use std::fmt;

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use crate::generated::security;

/// The secrets a client may present. `Debug` never shows them.
#[derive(Clone, Default)]
pub struct Credentials {
    pub(crate) psk: Option<HeaderValue>,
    pub(crate) bearer: Option<HeaderValue>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |set: bool| if set { "<redacted>" } else { "<none>" };
        f.debug_struct("Credentials")
            .field("psk", &shown(self.psk.is_some()))
            .field("bearer", &shown(self.bearer.is_some()))
            .finish()
    }
}

impl Credentials {
    /// The credential this client holds for one scheme, as a header to set, if any.
    fn header_for(&self, scheme: security::Scheme) -> Option<(HeaderName, HeaderValue)> {
        match scheme {
            security::Scheme::ApiKeyHeader(name) => {
                let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
                Some((name, self.psk.clone()?))
            }
            security::Scheme::HttpBearer | security::Scheme::OAuth2 => {
                Some((AUTHORIZATION, self.bearer.clone()?))
            }
            security::Scheme::ApiKeyQuery(_)
            | security::Scheme::ApiKeyCookie(_)
            | security::Scheme::HttpBasic
            | security::Scheme::Other => None,
        }
    }

    /// Applies the first alternative of the operation's requirements that these credentials
    /// can meet in full. With none met the request goes out bare and the server answers 401,
    /// which the caller sees as it would see any other refusal.
    pub(crate) fn apply(&self, request: &mut reqwest::Request, operation_id: &str) {
        let Some(alternatives) = security::requirements(operation_id) else {
            return;
        };
        for alternative in alternatives {
            let headers: Option<Vec<_>> = alternative
                .iter()
                .map(|name| self.header_for(security::scheme(name)?))
                .collect();
            if let Some(headers) = headers {
                for (name, value) in headers {
                    request.headers_mut().insert(name, value);
                }
                return;
            }
        }
    }
}
