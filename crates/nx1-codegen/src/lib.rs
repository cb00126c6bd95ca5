//! The spec pipeline: load an OpenAPI 3.0 or 3.1 document, normalise it into what
//! progenitor and typify digest, and generate a Rust client from it.

pub mod adapt;
pub mod build_script;
mod degrade;
pub mod error;
pub mod load;
pub mod names;
pub mod normalize;
pub mod parameters;
mod regex;
pub mod repair;
pub mod tidy;

pub use error::{Location, SpecError};
pub use load::{Document, Version, load_file, load_str};
pub use normalize::{Note, normalize};
pub mod custom;
pub mod generate;
pub mod security;
pub mod server;
mod walk;

pub use generate::{
    ClientConfig, Fidelity, GeneratedClient, GeneratedServer, Prepared, generate_client,
    generate_server, generate_types, prepare,
};
pub use server::ServerConfig;
