//! The spec's `security` as data in the generated client, so that credentials are applied
//! per operation exactly as the spec says, by hand-written code that reads the table.

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use crate::tidy::OperationName;

/// How one security scheme carries its credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemeKind {
    ApiKeyHeader(String),
    ApiKeyQuery(String),
    ApiKeyCookie(String),
    HttpBearer,
    HttpBasic,
    /// OAuth2 and OpenID Connect: an access token sent as `Authorization: Bearer`.
    OAuth2,
    Other,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityTable {
    pub schemes: Vec<(String, SchemeKind)>,
    /// Per operation: alternatives (one must be met), each a list of schemes that all apply.
    /// An empty alternative means the operation may be called without credentials.
    pub operations: Vec<(String, Vec<Vec<String>>)>,
}

/// Reads schemes and per-operation requirements from a (tidied) document.
pub fn collect(root: &Value, operations: &[OperationName]) -> SecurityTable {
    let mut table = SecurityTable::default();
    if let Some(Value::Object(schemes)) = root.pointer("/components/securitySchemes") {
        for (name, scheme) in schemes {
            table.schemes.push((name.clone(), scheme_kind(scheme)));
        }
    }
    let global = root.get("security");
    for op in operations {
        let operation = root
            .get("paths")
            .and_then(|paths| paths.get(&op.path))
            .and_then(|item| item.get(&op.method));
        let requirements = operation
            .and_then(|operation| operation.get("security"))
            .or(global);
        table
            .operations
            .push((op.name.clone(), alternatives(requirements)));
    }
    table
}

fn scheme_kind(scheme: &Value) -> SchemeKind {
    let text = |key: &str| {
        scheme
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match text("type").as_str() {
        "apiKey" => match text("in").as_str() {
            "header" => SchemeKind::ApiKeyHeader(text("name")),
            "query" => SchemeKind::ApiKeyQuery(text("name")),
            "cookie" => SchemeKind::ApiKeyCookie(text("name")),
            _ => SchemeKind::Other,
        },
        "http" => match text("scheme").to_ascii_lowercase().as_str() {
            "bearer" => SchemeKind::HttpBearer,
            "basic" => SchemeKind::HttpBasic,
            _ => SchemeKind::Other,
        },
        "oauth2" | "openIdConnect" => SchemeKind::OAuth2,
        _ => SchemeKind::Other,
    }
}

fn alternatives(requirements: Option<&Value>) -> Vec<Vec<String>> {
    let Some(Value::Array(requirements)) = requirements else {
        return Vec::new();
    };
    requirements
        .iter()
        .filter_map(Value::as_object)
        .map(|requirement| requirement.keys().cloned().collect())
        .collect()
}

/// The `security` module of the generated client.
pub fn table(table: &SecurityTable) -> TokenStream {
    let schemes = table.schemes.iter().map(|(name, kind)| {
        let kind = match kind {
            SchemeKind::ApiKeyHeader(header) => quote!(Scheme::ApiKeyHeader(#header)),
            SchemeKind::ApiKeyQuery(param) => quote!(Scheme::ApiKeyQuery(#param)),
            SchemeKind::ApiKeyCookie(cookie) => quote!(Scheme::ApiKeyCookie(#cookie)),
            SchemeKind::HttpBearer => quote!(Scheme::HttpBearer),
            SchemeKind::HttpBasic => quote!(Scheme::HttpBasic),
            SchemeKind::OAuth2 => quote!(Scheme::OAuth2),
            SchemeKind::Other => quote!(Scheme::Other),
        };
        quote!((#name, #kind))
    });
    let operations = table.operations.iter().map(|(name, alternatives)| {
        let alternatives = alternatives.iter().map(|all| quote!(&[#(#all),*]));
        quote!((#name, &[#(#alternatives),*]))
    });
    quote! {
        /// The security requirements of the spec, per operation.
        pub mod security {
            /// How a security scheme carries its credential.
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub enum Scheme {
                /// An API key in the named header.
                ApiKeyHeader(&'static str),
                /// An API key in the named query parameter.
                ApiKeyQuery(&'static str),
                /// An API key in the named cookie.
                ApiKeyCookie(&'static str),
                /// `Authorization: Bearer <token>`.
                HttpBearer,
                /// `Authorization: Basic <credentials>`.
                HttpBasic,
                /// An OAuth2 or OpenID Connect access token, sent as a bearer token.
                OAuth2,
                /// A scheme this client does not apply by itself.
                Other,
            }

            /// Every security scheme the spec declares.
            pub const SCHEMES: &[(&str, Scheme)] = &[#(#schemes),*];

            /// For each operation id: the alternatives, any one of which suffices, each a
            /// list of schemes that must all be applied. An empty alternative (or none at
            /// all) means the operation needs no credentials.
            pub const OPERATIONS: &[(&str, &[&[&str]])] = &[#(#operations),*];

            /// The scheme declared under `name`.
            pub fn scheme(name: &str) -> Option<Scheme> {
                SCHEMES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
            }

            /// The requirements of the operation with this id.
            pub fn requirements(operation_id: &str) -> Option<&'static [&'static [&'static str]]> {
                OPERATIONS.iter().find(|(n, _)| *n == operation_id).map(|(_, r)| *r)
            }
        }
    }
}
