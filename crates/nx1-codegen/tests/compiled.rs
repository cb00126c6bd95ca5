//! Written by `tests/fixtures.rs` (bless to update): every fixture's generated client
//! and server, compiled, and each router built.

#![allow(warnings, clippy::all)]

macro_rules! fixture {
    ($name:ident, $client:literal, $server:literal) => {
        mod $name {
            pub mod client {
                include!($client);
            }
            pub mod server {
                include!($server);
            }

            struct Stub;

            impl server::Api for Stub {
                type Principal = ();

                async fn authenticate(
                    &self,
                    _: nx1_server_runtime::Credentials,
                ) -> Result<(), nx1_server_runtime::AuthError> {
                    Ok(())
                }
            }

            #[test]
            fn client_and_router_build() {
                // The workspace's reqwest has no TLS provider of its own; a program
                // using a plain generated client chooses one (this test: ring).
                let _ = rustls::crypto::ring::default_provider().install_default();
                let _ = client::Client::new("http://127.0.0.1:9");
                let _ = server::router(Stub);
            }
        }
    };
}

fixture!(
    default_only,
    "fixtures/output/default-only.client.rs",
    "fixtures/output/default-only.server.rs"
);
fixture!(
    multipart,
    "fixtures/output/multipart.client.rs",
    "fixtures/output/multipart.server.rs"
);
fixture!(
    nullable_components,
    "fixtures/output/nullable-components.client.rs",
    "fixtures/output/nullable-components.server.rs"
);
fixture!(
    parameters,
    "fixtures/output/parameters.client.rs",
    "fixtures/output/parameters.server.rs"
);
fixture!(
    raw_bodies,
    "fixtures/output/raw-bodies.client.rs",
    "fixtures/output/raw-bodies.server.rs"
);
fixture!(
    repairs,
    "fixtures/output/repairs.client.rs",
    "fixtures/output/repairs.server.rs"
);
fixture!(
    response_unions,
    "fixtures/output/response-unions.client.rs",
    "fixtures/output/response-unions.server.rs"
);
fixture!(
    rest_of_path,
    "fixtures/output/rest-of-path.client.rs",
    "fixtures/output/rest-of-path.server.rs"
);
fixture!(
    schema_keywords,
    "fixtures/output/schema-keywords.client.rs",
    "fixtures/output/schema-keywords.server.rs"
);
fixture!(
    soundness,
    "fixtures/output/soundness.client.rs",
    "fixtures/output/soundness.server.rs"
);
fixture!(
    streams_3_2,
    "fixtures/output/streams-3.2.client.rs",
    "fixtures/output/streams-3.2.server.rs"
);
fixture!(
    streams,
    "fixtures/output/streams.client.rs",
    "fixtures/output/streams.server.rs"
);
