//! The client over HTTPS on loopback: rustls on ring, certificates checked by the platform
//! verifier, a private root trusted only when the builder is given it. Nothing installs a
//! process-wide provider, so these clients work only through their own configuration.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use nx1_client::{BuildError, Client, ErrorKind, TlsError};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types::PrivateKeyDer};
use tokio_rustls::server::TlsStream;

/// A root of our own and a certificate it signed for 127.0.0.1.
struct Pki {
    root_pem: String,
    server: rustls::ServerConfig,
}

fn pki() -> Result<Pki> {
    let mut root = CertificateParams::new(Vec::<String>::new())?;
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root.distinguished_name
        .push(DnType::CommonName, "nx1 test root");
    let root = CertifiedIssuer::self_signed(root, KeyPair::generate()?)?;
    let key = KeyPair::generate()?;
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])?.signed_by(&key, &root)?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::try_from(key.serialize_der()).map_err(anyhow::Error::msg)?,
        )?;
    Ok(Pki {
        root_pem: root.pem(),
        server,
    })
}

/// Accepts TCP connections and completes the TLS handshake before axum sees them; a failed
/// handshake (a client that refused our certificate) is skipped.
struct Tls {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for Tls {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, peer)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, peer);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// The mock over HTTPS; returns its base URL.
async fn serve_mock(server: rustls::ServerConfig) -> Result<String> {
    let mock = nx1_mock::Mock::builder().psk("k").build();
    let tcp = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("https://{}", tcp.local_addr()?);
    let listener = Tls {
        tcp,
        acceptor: TlsAcceptor::from(std::sync::Arc::new(server)),
    };
    tokio::spawn(async move { axum::serve(listener, mock.router()).await });
    Ok(base)
}

#[tokio::test]
async fn https_with_a_private_root() -> Result<()> {
    let pki = pki()?;
    let base = serve_mock(pki.server).await?;

    let trusted = Client::builder()
        .base_url(&base)
        .psk("k")
        .root_certificate_pem(pki.root_pem.as_bytes())
        .build()?;
    let ids = vec![uuid::Uuid::new_v4()];
    let statuses = trusted
        .get_training_job_statuses(&ids)
        .await
        .context("a certificate our root signed must be accepted")?;
    assert_eq!(statuses.status(), 200);

    // The same server without the root: the platform verifier refuses it, so verification
    // is really on.
    let untrusting = Client::builder().base_url(&base).psk("k").build()?;
    let err = untrusting
        .get_training_job_statuses(&ids)
        .await
        .expect_err("a certificate from an unknown root must be refused");
    assert!(matches!(err.kind(), ErrorKind::Transport(_)), "{err:?}");
    let chain = format!("{:?}", anyhow::Error::new(err));
    assert!(
        chain.contains("UnknownIssuer") || chain.to_lowercase().contains("certificate"),
        "the error names the certificate: {chain}"
    );
    Ok(())
}

#[test]
fn a_root_that_is_not_pem_is_refused_with_its_index() {
    let err = Client::builder()
        .base_url("https://127.0.0.1:9")
        .root_certificate_pem(
            "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
        )
        .build()
        .expect_err("garbage is not a certificate");
    assert!(
        matches!(
            err,
            BuildError::Tls(TlsError::InvalidRootCertificate { index: 0, .. })
        ),
        "{err:?}"
    );
}

#[test]
fn progenitors_constructor_builds_with_the_same_tls() {
    // `Client::new` is progenitor's; the pipeline makes it build its reqwest client through
    // nx1-tls. With no process-wide provider anywhere, a plain `build()` would panic here.
    let client = Client::new("https://127.0.0.1:9", nx1_client::Settings::default());
    assert_eq!(
        progenitor_client::ClientInfo::baseurl(&client),
        "https://127.0.0.1:9"
    );
}
