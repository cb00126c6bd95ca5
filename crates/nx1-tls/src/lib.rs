//! The TLS of every reqwest client nx1 builds: rustls on *ring*, certificates checked by
//! the platform verifier, private roots added to the system's.
//!
//! The workspace builds reqwest with `rustls-no-provider`: its default provider,
//! aws-lc-rs, is a C library whose build was the largest single step of a user's cold
//! build of nx1-client. Such a reqwest refuses to build a client until it has a provider,
//! so each client gets a rustls configuration of its own here, on ring. Nothing is
//! installed process-wide: a program that installs a provider of its own (and `unwrap`s
//! that call) is not surprised by a library.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls_platform_verifier::Verifier;

/// Why the TLS configuration could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error(
        "root certificate {index} is not a PEM certificate ({reason}); give the `-----BEGIN CERTIFICATE-----` text"
    )]
    InvalidRootCertificate { index: usize, reason: String },
    #[error("cannot set up tls: {0}")]
    Setup(#[source] rustls::Error),
}

/// `builder` with nx1's TLS, trusting `roots` (PEM texts, each one certificate or a
/// bundle) beside the system's roots.
pub fn configure(
    builder: reqwest::ClientBuilder,
    roots: &[Vec<u8>],
) -> Result<reqwest::ClientBuilder, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut extra = Vec::new();
    for (index, pem) in roots.iter().enumerate() {
        extra.extend(
            certificates(pem)
                .map_err(|reason| TlsError::InvalidRootCertificate { index, reason })?,
        );
    }
    let verifier = if extra.is_empty() {
        Verifier::new(provider.clone())
    } else {
        Verifier::new_with_extra_roots(extra, provider.clone())
    }
    .map_err(TlsError::Setup)?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Setup)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(builder.tls_backend_preconfigured(config))
}

/// `reqwest::Client::builder()` with nx1's TLS and the system's roots.
pub fn client_builder() -> Result<reqwest::ClientBuilder, TlsError> {
    configure(reqwest::Client::builder(), &[])
}

/// The certificates of a PEM text; none at all is an error too.
fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| err.to_string())?;
    if certificates.is_empty() {
        return Err("no `CERTIFICATE` section in it".to_owned());
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_root_without_a_certificate_is_named_by_its_index() {
        let roots = vec![b"not pem at all".to_vec()];
        let err = configure(reqwest::Client::builder(), &roots).unwrap_err();
        assert!(
            matches!(err, TlsError::InvalidRootCertificate { index: 0, .. }),
            "{err}"
        );
    }

    #[test]
    fn the_system_roots_make_a_client() {
        let client = client_builder().unwrap().build();
        assert!(client.is_ok(), "{client:?}");
    }
}
