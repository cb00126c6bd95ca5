//! Where docs come from: the site over HTTP (bounded concurrency, timeouts, retries with
//! backoff that honour `Retry-After`), or a local mirror laid out by URL path.

use std::path::{Path, PathBuf};
use std::time::Duration;

use percent_encoding::percent_decode_str;

use crate::DriftError;

/// How hard to try.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub concurrency: usize,
    /// The whole of one request, body included.
    pub timeout: Duration,
    /// From sending a request to the first byte of its answer. A host that accepts
    /// connections and stays silent this long twice running is taken as down, however
    /// many retries are left: a silent host is not a slow one.
    pub first_byte: Duration,
    pub retries: u32,
    /// The first backoff; it doubles per retry.
    pub backoff: Duration,
    /// A `Retry-After` longer than this is cut to it.
    pub max_retry_after: Duration,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            concurrency: 8,
            timeout: Duration::from_secs(20),
            first_byte: Duration::from_secs(8),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// A docs site or a mirror of it.
#[derive(Debug, Clone)]
pub enum Docs {
    Http {
        client: reqwest::Client,
        index: String,
        config: FetchConfig,
    },
    /// A directory mirroring the site; `index` is the llms.txt file in it.
    Local { root: PathBuf, index: PathBuf },
}

impl Docs {
    /// `--docs URL|DIR|FILE`.
    pub fn open(location: &str, config: FetchConfig) -> Result<Docs, DriftError> {
        if location.starts_with("http://") || location.starts_with("https://") {
            let client = nx1_tls::client_builder()
                .map_err(|err| DriftError::Fetch {
                    url: location.to_owned(),
                    message: err.to_string(),
                })?
                .timeout(config.timeout)
                .connect_timeout(config.timeout)
                .user_agent(concat!("nx1-drift/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|err| DriftError::Fetch {
                    url: location.to_owned(),
                    message: format!("cannot build the http client: {err}"),
                })?;
            let index = if location.ends_with(".txt") {
                location.to_owned()
            } else {
                format!("{}/llms.txt", location.trim_end_matches('/'))
            };
            return Ok(Docs::Http {
                client,
                index,
                config,
            });
        }
        let path = PathBuf::from(location);
        let (root, index) = if path.is_dir() {
            (path.clone(), path.join("llms.txt"))
        } else {
            let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
            (root, path)
        };
        if !index.is_file() {
            return Err(DriftError::Fetch {
                url: index.display().to_string(),
                message:
                    "no llms.txt there; give the docs site URL, a mirror directory or its llms.txt"
                        .into(),
            });
        }
        Ok(Docs::Local { root, index })
    }

    /// Where relative links of the index resolve from.
    pub fn index_location(&self) -> String {
        match self {
            Docs::Http { index, .. } => index.clone(),
            Docs::Local { index, .. } => index.display().to_string(),
        }
    }

    /// The index text, trying `/.well-known/llms.txt` where `/llms.txt` is missing.
    pub async fn index(&self) -> Result<(String, String), DriftError> {
        match self {
            Docs::Http { index, .. } => match self.fetch(index).await {
                Err(DriftError::Fetch { message, .. }) if message.contains("404") => {
                    let fallback = index.replace("/llms.txt", "/.well-known/llms.txt");
                    match self.fetch(&fallback).await {
                        Ok(text) => Ok((fallback, text)),
                        Err(DriftError::Fetch {
                            message: second, ..
                        }) => Err(DriftError::Fetch {
                            url: index.clone(),
                            message: format!("{message}, and {fallback}: {second}"),
                        }),
                        Err(other) => Err(other),
                    }
                }
                other => other.map(|text| (index.clone(), text)),
            },
            Docs::Local { index, .. } => {
                let text = std::fs::read_to_string(index).map_err(|err| DriftError::Fetch {
                    url: index.display().to_string(),
                    message: err.to_string(),
                })?;
                Ok((index.display().to_string(), text))
            }
        }
    }

    /// One page's text.
    pub async fn fetch(&self, url: &str) -> Result<String, DriftError> {
        match self {
            Docs::Http { client, config, .. } => fetch_http(client, config, url).await,
            Docs::Local { root, .. } => {
                let path = local_path(root, url);
                std::fs::read_to_string(&path).map_err(|err| DriftError::Fetch {
                    url: url.to_owned(),
                    message: format!("{} ({err})", path.display()),
                })
            }
        }
    }

    pub fn concurrency(&self) -> usize {
        match self {
            Docs::Http { config, .. } => config.concurrency.max(1),
            Docs::Local { .. } => 16,
        }
    }
}

/// What went wrong under a request error, named: `timed out`, `dns error: …`,
/// `tcp connect error: Connection refused …`, `invalid peer certificate: …`. hyper's
/// wrapper levels and reqwest's own line (which repeats the URL) say nothing more.
pub(crate) fn cause(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "timed out".to_owned();
    }
    let mut causes: Vec<String> = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        let text = inner.to_string();
        if !text.starts_with("client error (") && !causes.contains(&text) {
            causes.push(text);
        }
        source = inner.source();
    }
    if causes.is_empty() {
        causes.push(err.to_string());
    }
    causes.join(": ")
}

/// A site URL mapped onto the mirror by its path (`https://docs.x/a/b.md` → `root/a/b.md`);
/// a relative or local link is taken as it is.
fn local_path(root: &Path, url: &str) -> PathBuf {
    let path = match url.find("://") {
        Some(scheme_end) => {
            let after = &url[scheme_end + 3..];
            after.find('/').map_or("", |index| &after[index..])
        }
        None => {
            let candidate = Path::new(url);
            if candidate.is_absolute() || candidate.exists() {
                return candidate.to_path_buf();
            }
            url
        }
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    root.join(decoded.trim_start_matches('/'))
}

async fn fetch_http(
    client: &reqwest::Client,
    config: &FetchConfig,
    url: &str,
) -> Result<String, DriftError> {
    let mut attempt = 0;
    let mut silent = 0;
    loop {
        let Ok(outcome) = tokio::time::timeout(config.first_byte, client.get(url).send()).await
        else {
            silent += 1;
            if silent >= 2 || attempt >= config.retries {
                return Err(DriftError::Fetch {
                    url: url.to_owned(),
                    message: format!(
                        "the host took the connection but answered nothing within {} s, {} \
                         time(s): the docs site looks down (--first-byte-timeout)",
                        config.first_byte.as_secs_f64(),
                        silent
                    ),
                });
            }
            attempt += 1;
            continue;
        };
        let retry_after = match outcome {
            Ok(response) if response.status().is_success() => {
                return response.text().await.map_err(|err| DriftError::Fetch {
                    url: url.to_owned(),
                    message: format!("the body broke off: {err}"),
                });
            }
            Ok(response)
                if response.status().as_u16() == 429 || response.status().is_server_error() =>
            {
                let wait = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                if attempt >= config.retries {
                    return Err(DriftError::Fetch {
                        url: url.to_owned(),
                        message: format!(
                            "HTTP {} after {} attempts",
                            response.status(),
                            attempt + 1
                        ),
                    });
                }
                wait
            }
            Ok(response) => {
                return Err(DriftError::Fetch {
                    url: url.to_owned(),
                    message: format!("HTTP {}", response.status()),
                });
            }
            Err(err)
                if (err.is_connect() || err.is_timeout() || err.is_request())
                    && attempt < config.retries =>
            {
                None
            }
            Err(err) => {
                return Err(DriftError::Fetch {
                    url: url.to_owned(),
                    message: format!("{} ({} attempts)", cause(&err), attempt + 1),
                });
            }
        };
        let backoff = config.backoff * 2u32.saturating_pow(attempt);
        let wait = retry_after
            .map(|wait| wait.min(config.max_retry_after))
            .unwrap_or(backoff);
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A host that accepts connections and never answers is known as down after two
    /// silent first-byte windows, not after every retry's full timeout.
    #[tokio::test]
    async fn a_silent_host_is_known_fast() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                open.push(socket);
            }
        });
        let config = FetchConfig {
            first_byte: Duration::from_millis(300),
            backoff: Duration::from_millis(10),
            ..FetchConfig::default()
        };
        let docs = Docs::open(&format!("http://{address}/llms.txt"), config).unwrap();
        let started = std::time::Instant::now();
        let err = docs.index().await.unwrap_err().to_string();
        let took = started.elapsed();
        held.abort();
        assert!(
            err.contains("answered nothing within 0.3 s, 2 time(s)"),
            "{err}"
        );
        assert!(err.contains("looks down"), "{err}");
        // Two windows of 0.3 s, where the old retries took 4 × the request timeout.
        assert!(took < Duration::from_secs(5), "{took:?}");
    }

    #[test]
    fn site_urls_map_onto_the_mirror() {
        let root = Path::new("/m");
        assert_eq!(
            local_path(root, "https://docs.x.com/api/a%20b.md"),
            PathBuf::from("/m/api/a b.md")
        );
        assert_eq!(
            local_path(root, "https://docs.x.com/run-dag-%E2%86%92-api.md"),
            PathBuf::from("/m/run-dag-→-api.md")
        );
    }
}
