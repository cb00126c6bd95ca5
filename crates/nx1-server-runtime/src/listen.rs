//! Serving a router on a TCP listener the way a production server must: a connection that
//! does not send its request head in time is closed, and on SIGTERM or Ctrl-C the listener
//! stops accepting, in-flight requests finish (up to a deadline), and then `serve` returns.

use std::future::Future;
use std::io;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::serve::ServerConfig;

mod timer;

/// Serves `router` until SIGTERM or Ctrl-C, then drains (see [`serve_with_shutdown`]).
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    config: &ServerConfig,
) -> io::Result<()> {
    serve_with_shutdown(listener, router, config, shutdown_signal()).await
}

/// Serves `router` until `signal` completes; then stops accepting, lets in-flight
/// requests finish for up to `config.shutdown_grace`, and returns.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    router: axum::Router,
    config: &ServerConfig,
    signal: impl Future<Output = ()>,
) -> io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .header_read_timeout(config.header_read_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(signal);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        // Out of file descriptors, say: wait instead of spinning.
                        tracing::warn!(error = %err, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let service = TowerToHyperService::new(router.clone());
                let mut builder = builder.clone();
                builder.http1().timer(timer::ConnectionTimer::default());
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let connection =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    if let Err(err) = watcher.watch(connection.into_owned()).await {
                        tracing::debug!(error = %err, "connection closed with an error");
                    }
                });
            }
            () = &mut signal => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down: no new connections, draining in-flight requests");
    if tokio::time::timeout(config.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_s = config.shutdown_grace.as_secs(),
            "in-flight requests outlived the shutdown grace period and were cut off"
        );
    }
    Ok(())
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
