//! Credentials as the spec's `security` allows them for one operation.

use std::borrow::Cow;

use axum::http::{HeaderMap, HeaderName, header};

/// How a security scheme carries its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    ApiKeyHeader(&'static str),
    ApiKeyQuery(&'static str),
    ApiKeyCookie(&'static str),
    /// `Authorization: Bearer` (HTTP bearer, OAuth2, OpenID Connect).
    Bearer,
    /// `Authorization: Basic`.
    Basic,
}

/// One credential found on a request, under the name of the scheme that carried it.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub scheme: &'static str,
    pub kind: Scheme,
    pub value: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("scheme", &self.scheme)
            .field("kind", &self.kind)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// The credentials a request presented for the schemes its operation accepts. Schemes the
/// operation does not accept are never looked at: a bearer token sent to a PSK-only
/// operation is not a credential there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub presented: Vec<Credential>,
}

impl Credentials {
    /// The value presented under the named scheme.
    pub fn get(&self, scheme: &str) -> Option<&str> {
        self.presented
            .iter()
            .find(|credential| credential.scheme == scheme)
            .map(|credential| credential.value.as_str())
    }

    /// An `Authorization-PSK`-style API key, whatever the scheme is called.
    pub fn api_key(&self) -> Option<&str> {
        self.presented
            .iter()
            .find(|credential| {
                matches!(
                    credential.kind,
                    Scheme::ApiKeyHeader(_) | Scheme::ApiKeyQuery(_) | Scheme::ApiKeyCookie(_)
                )
            })
            .map(|credential| credential.value.as_str())
    }

    /// A bearer token.
    pub fn bearer(&self) -> Option<&str> {
        self.presented
            .iter()
            .find(|credential| credential.kind == Scheme::Bearer)
            .map(|credential| credential.value.as_str())
    }
}

/// Why the authentication hook refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// 401: the credentials are wrong or expired.
    Unauthorized(String),
    /// 403: the credentials are fine but do not allow this.
    Forbidden(String),
}

/// Extracts the credentials for `schemes` (name, kind) from a request.
pub fn extract(
    schemes: &[(&'static str, Scheme)],
    headers: &HeaderMap,
    query: Option<&str>,
) -> Credentials {
    extract_named(schemes, &[], headers, query)
}

/// The header name of each API key scheme among `schemes`, parsed once instead of on
/// every lookup.
pub(crate) fn header_names(schemes: &[(&'static str, Scheme)]) -> Vec<Option<HeaderName>> {
    schemes
        .iter()
        .map(|(_, kind)| match kind {
            Scheme::ApiKeyHeader(name) => HeaderName::from_bytes(name.as_bytes()).ok(),
            _ => None,
        })
        .collect()
}

/// [`extract`] with the header names of [`header_names`] where they were made; a scheme
/// without one has its name parsed here.
pub(crate) fn extract_named(
    schemes: &[(&'static str, Scheme)],
    names: &[Option<HeaderName>],
    headers: &HeaderMap,
    query: Option<&str>,
) -> Credentials {
    let mut presented = Vec::new();
    for (index, (name, kind)) in schemes.iter().enumerate() {
        let value = match kind {
            Scheme::ApiKeyHeader(header_name) => match names.get(index).and_then(Option::as_ref) {
                Some(parsed) => headers.get(parsed),
                None => headers.get(*header_name),
            }
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
            Scheme::ApiKeyQuery(param) => query.and_then(|query| {
                form_urlencoded::parse(query.as_bytes())
                    .find(|(key, _)| key == param)
                    .map(|(_, value)| value.into_owned())
            }),
            Scheme::ApiKeyCookie(cookie) => headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(key, _)| key == cookie)
                .map(|(_, value)| value.to_owned()),
            Scheme::Bearer => authorization(headers, "bearer"),
            Scheme::Basic => authorization(headers, "basic"),
        };
        if let Some(value) = value.filter(|value| !value.is_empty()) {
            presented.push(Credential {
                scheme: name,
                kind: *kind,
                value,
            });
        }
    }
    Credentials { presented }
}

/// `Authorization: <scheme> <credentials>`, the scheme matched without regard to case as
/// FastAPI's `get_authorization_scheme_param` does.
fn authorization(headers: &HeaderMap, scheme: &str) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, credentials) = value.split_once(' ')?;
    given
        .eq_ignore_ascii_case(scheme)
        .then(|| credentials.trim().to_owned())
}

/// The challenge for `WWW-Authenticate` when no credential was presented.
pub fn challenge(schemes: &[(&'static str, Scheme)]) -> &'static str {
    match schemes.first().map(|(_, kind)| kind) {
        Some(Scheme::Bearer) | None => "Bearer",
        Some(Scheme::Basic) => "Basic",
        Some(_) => "APIKey",
    }
}

pub(crate) fn form_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// A query string as parameters are read from it: undecoded text is split as it is read
/// (most queries have nothing to decode, and a request reads few parameters), text with
/// escapes is decoded once, as `form_urlencoded` does.
#[derive(Debug)]
pub(crate) enum Query<'q> {
    Plain(&'q str),
    Decoded(Vec<(Cow<'q, str>, Cow<'q, str>)>),
}

impl<'q> Query<'q> {
    pub(crate) fn new(query: Option<&'q str>) -> Self {
        match query {
            None => Query::Plain(""),
            Some(query) if memchr::memchr2(b'%', b'+', query.as_bytes()).is_none() => {
                Query::Plain(query)
            }
            Some(query) => Query::Decoded(form_urlencoded::parse(query.as_bytes()).collect()),
        }
    }

    /// The (name, value) pairs in order; empty pairs are skipped, a pair without `=` has
    /// an empty value.
    pub(crate) fn pairs(&self) -> Pairs<'_> {
        match self {
            Query::Plain(query) => Pairs::Plain(query),
            Query::Decoded(pairs) => Pairs::Decoded(pairs.iter()),
        }
    }
}

pub(crate) enum Pairs<'a> {
    Plain(&'a str),
    Decoded(std::slice::Iter<'a, (Cow<'a, str>, Cow<'a, str>)>),
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        match self {
            Pairs::Decoded(pairs) => pairs.next().map(|(name, value)| (&**name, &**value)),
            Pairs::Plain(rest) => loop {
                if rest.is_empty() {
                    return None;
                }
                let (pair, after) = match memchr::memchr(b'&', rest.as_bytes()) {
                    Some(at) => (&rest[..at], &rest[at + 1..]),
                    None => (*rest, ""),
                };
                *rest = after;
                if pair.is_empty() {
                    continue;
                }
                // Names are short: a plain scan finds the `=` before memchr has set up.
                return Some(match pair.bytes().position(|byte| byte == b'=') {
                    Some(at) => (&pair[..at], &pair[at + 1..]),
                    None => (pair, ""),
                });
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_decode_as_form_urlencoded_does() {
        for query in [
            "",
            "a=1",
            "a=1&b=2&a=3",
            "a&b=",
            "&&a=1&",
            "=x",
            "a=1=2",
            "a=%20b",
            "a+b=c+d",
            "a=%ZZ",
            "ü=ß",
            "a=1&b",
            "a=&=b&c=d=e&&",
            "=",
            "&",
            "ids=1&ids=2&ids=%41",
        ] {
            let expected: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            let parsed = Query::new(Some(query));
            let found: Vec<(String, String)> = parsed
                .pairs()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect();
            assert_eq!(found, expected, "{query:?}");
        }
    }
}
