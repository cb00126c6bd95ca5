//! TLS on rustls with *ring*.
//!
//! reqwest is built with `rustls-no-provider`: its default provider, aws-lc-rs, is a C
//! library whose build is the largest single step of a user's cold build. Without a
//! provider reqwest refuses to build a client (it panics), so every path that builds one
//! here installs ring first. Certificates are still checked by the platform verifier, with
//! any roots given to [`ClientBuilder::root_certificate_pem`](crate::ClientBuilder::root_certificate_pem)
//! added to the system's.

use std::sync::Once;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Makes ring the process's rustls crypto provider, unless the program installed one
/// already (that one is kept). Idempotent and cheap.
///
/// [`Client::builder`](crate::Client::builder) and [`Settings::default`](crate::Settings)
/// call it. Call it yourself before building a `reqwest::Client` of your own (for
/// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client)) when nothing else
/// in your program enables a provider.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // `Err` means a provider is installed already: the program chose, and that wins.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The certificates of a PEM text, read now: reqwest would only find a bad one when the
/// client is built, and say less about it.
pub(crate) fn certificates(pem: &[u8]) -> Result<Vec<reqwest::Certificate>, String> {
    let mut certificates = Vec::new();
    for der in CertificateDer::pem_slice_iter(pem) {
        let der = der.map_err(|err| err.to_string())?;
        certificates.push(reqwest::Certificate::from_der(&der).map_err(|err| err.to_string())?);
    }
    if certificates.is_empty() {
        return Err("no `CERTIFICATE` section in it".to_owned());
    }
    Ok(certificates)
}
