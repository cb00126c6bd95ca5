//! From a loaded document to Rust source: the whole pipeline behind one call.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use crate::adapt::adapt;
use crate::custom;
use crate::custom::CustomOperation;
use crate::error::SpecError;
use crate::load::Document;
use crate::normalize::{Note, normalize};
use crate::parameters;
use crate::security::{self, SecurityTable};
use crate::server::{self, ServerConfig, ServerOperation};
use crate::tidy::{OperationName, tidy};
use crate::walk;

/// A spec made ready for progenitor: normalised, renamed and adapted.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub origin: String,
    /// The adapted document, as progenitor reads it.
    pub spec: openapiv3::OpenAPI,
    /// Every operation of the spec with its client method name.
    pub operations: Vec<OperationName>,
    /// Operations our own generator writes methods for.
    pub set_aside: Vec<CustomOperation>,
    /// Lossy steps, to be reported as warnings.
    pub notes: Vec<Note>,
    pub security: SecurityTable,
    /// The document as loaded, before any rewriting: what a server validates against.
    pub original: Value,
    /// Every operation as the server generator sees it.
    pub server_operations: Vec<ServerOperation>,
}

/// How the generated client is wired into the crate that includes it.
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    /// A path to a type stored in the client and handed to its hooks (credentials, say).
    pub inner_type: Option<String>,
    /// When set, the including crate must implement `progenitor_client::ClientHooks`.
    pub hooks_expected: bool,
}

/// Runs normalisation, renaming and adaptation over a loaded document.
pub fn prepare(mut doc: Document) -> Result<Prepared, SpecError> {
    let original = doc.value.clone();
    let mut notes = normalize(&mut doc)?;
    let operations = tidy(&mut doc.value);
    let security = security::collect(&doc.value, &operations);
    notes.extend(parameters::inline(&doc.origin, &mut doc.value)?);
    let server_operations = server::describe(&original, &mut doc.value, &operations, &security)?;
    let adapted = adapt(&doc.origin, &mut doc.value)?;
    notes.extend(adapted.notes);
    let spec = to_openapiv3(&doc.origin, doc.value)?;
    Ok(Prepared {
        origin: doc.origin,
        spec,
        operations,
        set_aside: adapted.set_aside,
        notes,
        security,
        original,
        server_operations,
    })
}

fn to_openapiv3(origin: &str, value: Value) -> Result<openapiv3::OpenAPI, SpecError> {
    let paths = value.get("paths").cloned();
    serde_path_to_error::deserialize(value).map_err(|err| {
        let mut pointer = pointer_of(err.path());
        let mut message = err.inner().to_string();
        // openapiv3 reads `paths` through a map that hides the path of an error inside it;
        // reading each path item alone finds where it is.
        if pointer == "/paths"
            && let Some(serde_json::Value::Object(paths)) = paths
        {
            for (path, item) in paths {
                if let Err(inner) = serde_path_to_error::deserialize::<_, openapiv3::PathItem>(item)
                {
                    pointer = format!(
                        "/paths/{}{}",
                        crate::error::escape_token(&path),
                        pointer_of(inner.path())
                    );
                    message = inner.inner().to_string();
                    break;
                }
            }
        }
        SpecError::at_pointer(
            origin,
            &pointer,
            format!("not a valid OpenAPI 3.0 object after normalisation: {message}"),
        )
    })
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    path.iter()
        .map(|segment| format!("/{}", crate::error::escape_token(&segment.to_string())))
        .collect()
}

/// Generated client source (formatted Rust), with the lossy steps generation itself took.
#[derive(Debug, Clone)]
pub struct GeneratedClient {
    pub code: String,
    pub notes: Vec<Note>,
}

/// Generates the client source for a prepared spec.
pub fn generate_client(
    prepared: &Prepared,
    config: &ClientConfig,
) -> Result<GeneratedClient, SpecError> {
    let mut notes = Vec::new();
    let (generated, _) = progenitor_with_fallback(prepared, config, &mut notes)?;
    let extra = custom::methods(&prepared.set_aside).map_err(|message| {
        SpecError::whole(
            &prepared.origin,
            format!("{message}; please report this spec"),
        )
    })?;
    let security = security::table(&prepared.security);
    let tokens = quote! {
        #generated
        #extra
        #security
    };
    let file = syn::parse2::<syn::File>(tokens).map_err(|err| {
        SpecError::whole(
            &prepared.origin,
            format!("generated code does not parse ({err}); please report this spec"),
        )
    })?;
    Ok(GeneratedClient {
        code: prettyplease::unparse(&file),
        notes,
    })
}

/// Runs progenitor; where typify rejects a default value, drops the defaults of composite
/// schemas and runs it once more. Returns the whole client and the types alone.
fn progenitor_with_fallback(
    prepared: &Prepared,
    config: &ClientConfig,
    notes: &mut Vec<Note>,
) -> Result<(TokenStream, TokenStream), SpecError> {
    match run_progenitor(&prepared.spec, &prepared.origin, config) {
        // typify checks each default against the type it derives and cannot for some
        // composites (a `$ref` to a union, say). Defaults are a server-side matter for a
        // client, so the composite ones go and generation runs once more.
        Err(err) if err.message.contains("does not conform") => {
            let mut value = serde_json::to_value(&prepared.spec).map_err(|err| {
                SpecError::whole(
                    &prepared.origin,
                    format!("cannot re-serialise the spec: {err}"),
                )
            })?;
            let dropped = drop_composite_defaults(&mut value);
            notes.push(Note {
                pointer: String::new(),
                message: format!(
                    "typify rejected a default value; {dropped} default(s) of composite schemas dropped"
                ),
            });
            let spec = to_openapiv3(&prepared.origin, value)?;
            run_progenitor(&spec, &prepared.origin, config)
        }
        other => other,
    }
}

/// Generated server source, with the lossy steps generation itself took.
#[derive(Debug, Clone)]
pub struct GeneratedServer {
    pub code: String,
    pub notes: Vec<Note>,
}

/// Generates the axum server stubs for a prepared spec.
pub fn generate_server(
    prepared: &Prepared,
    config: &ServerConfig,
) -> Result<GeneratedServer, SpecError> {
    let mut notes = Vec::new();
    let (_, types) = progenitor_with_fallback(prepared, &ClientConfig::default(), &mut notes)?;
    let tokens = server::emit(
        &prepared.server_operations,
        &prepared.security,
        &prepared.original,
        types,
        config,
    )
    .map_err(|message| {
        SpecError::whole(
            &prepared.origin,
            format!("{message}; please report this spec"),
        )
    })?;
    let file = syn::parse2::<syn::File>(tokens).map_err(|err| {
        SpecError::whole(
            &prepared.origin,
            format!("generated server does not parse ({err}); please report this spec"),
        )
    })?;
    Ok(GeneratedServer {
        code: prettyplease::unparse(&file),
        notes,
    })
}

fn run_progenitor(
    spec: &openapiv3::OpenAPI,
    origin: &str,
    config: &ClientConfig,
) -> Result<(TokenStream, TokenStream), SpecError> {
    let mut settings = progenitor::GenerationSettings::new();
    settings.with_interface(progenitor::InterfaceStyle::Positional);
    if let Some(inner) = &config.inner_type {
        let inner: TokenStream = inner.parse().map_err(|_| {
            SpecError::whole(origin, format!("inner type `{inner}` is not a Rust path"))
        })?;
        settings.with_inner_type(inner);
    }
    if config.hooks_expected {
        settings.with_hooks(progenitor::HooksMode::Expected);
    }
    let mut generator = progenitor::Generator::new(&settings);
    // progenitor asserts and `todo!`s on shapes it does not support; whatever slipped past
    // adaptation must surface as an error naming the spec, not as a build-script panic.
    catch_unwind(AssertUnwindSafe(|| {
        let all = generator.generate_tokens(spec)?;
        Ok::<_, progenitor::Error>((all, generator.get_type_space().to_stream()))
    }))
    .map_err(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "unknown panic".to_owned());
        SpecError::whole(
            origin,
            format!("progenitor panicked: {message}; please report this spec"),
        )
    })?
    .map_err(|err| SpecError::whole(origin, format!("progenitor rejected the spec: {err}")))
}

/// Removes `default` from every schema that is not a plain scalar; returns how many.
fn drop_composite_defaults(root: &mut Value) -> usize {
    let mut dropped = 0;
    walk::objects_mut(root, &mut |map| {
        let composite = ["allOf", "anyOf", "oneOf", "$ref", "properties"]
            .iter()
            .any(|key| map.contains_key(*key));
        // Parameters have no `default`; a schema beside `in` would be a parameter object.
        if composite && !map.contains_key("in") && map.remove("default").is_some() {
            dropped += 1;
        }
        true
    });
    dropped
}
