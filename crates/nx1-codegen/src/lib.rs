//! The spec pipeline: load an OpenAPI 3.0, 3.1 or 3.2 document, normalise it into what
//! progenitor and typify digest, and generate a Rust client and axum server stubs from it.
//!
//! The stages are private; what other crates use is re-exported here, beside the two leaf
//! modules of shared vocabulary, [`spec`] and [`pointer`].

mod adapt;
mod backend;
pub mod build_script;
mod cli;
mod custom;
mod degrade;
mod error;
mod generate;
mod lint;
mod load;
mod mapper;
mod model;
mod names;
mod normalize;
mod nulls;
mod parameters;
pub mod pointer;
mod regex;
mod repair;
mod reshape;
mod security;
mod server;
mod soundness;
pub mod spec;
mod streams;
mod tidy;
mod walk;

pub use backend::{ClientConfig, Fidelity};
pub use error::{Location, SpecError};
pub use generate::{
    GeneratedClient, GeneratedServer, Prepared, Streamed, generate_cli, generate_client,
    generate_server, generate_types, prepare,
};
pub use load::{Document, Version, load_file, load_str, spec_files};
pub use normalize::{normalize, normalize_meaning};
pub use server::ServerConfig;
pub use soundness::findings as soundness_findings;
pub use spec::Note;
pub use streams::{Framing as StreamFraming, Marked as MarkedStream, mark as mark_streams};
pub use tidy::{OperationName, tidy};
