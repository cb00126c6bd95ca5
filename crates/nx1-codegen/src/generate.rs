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
    /// Pointers of the schemas that could not be typed and were made untyped.
    pub degraded: Vec<String>,
    /// How many named types stayed typed.
    pub fidelity: Fidelity,
    /// The `types` module as generated while preparing: client and server share it, and
    /// generating it again would double progenitor's time in every build script.
    types: TokenStream,
    /// Each component schema of the spec as written, with the Rust type it became
    /// (`types::<name>`).
    pub components: Vec<(String, String)>,
}

fn component_names(root: &Value) -> Vec<String> {
    root.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| schemas.keys().cloned().collect())
        .unwrap_or_default()
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
    let mut notes = crate::repair::repair(&mut doc);
    let original = doc.value.clone();
    notes.extend(normalize(&mut doc)?);
    let originals = component_names(&doc.value);
    let operations = tidy(&mut doc.value);
    // tidy renames in place and keeps the order: the n-th name before is the n-th after.
    let components = originals
        .into_iter()
        .zip(component_names(&doc.value))
        .map(|(original, tidied)| (original, crate::names::typify_pascal(&tidied)))
        .collect();
    let security = security::collect(&doc.value, &operations);
    notes.extend(parameters::inline(&doc.origin, &mut doc.value)?);
    let server_operations = server::describe(&original, &mut doc.value, &operations, &security)?;
    let adapted = adapt(&doc.origin, &mut doc.value)?;
    notes.extend(adapted.notes);
    crate::degrade::break_composition_cycles(&mut doc.value, &mut notes);
    crate::names::name_inline_types(&mut doc.value);
    let crate::degrade::Generable {
        spec,
        mut degraded,
        types,
        fidelity,
    } = crate::degrade::generable(&doc.origin, doc.value, &mut notes)?;
    // Mends that left a schema untyped (a dangling `$ref`, say) count as losses too.
    let mended: Vec<String> = notes
        .iter()
        .filter(|note| note.is_untyped())
        .map(|note| note.pointer.clone())
        .filter(|pointer| !degraded.contains(pointer))
        .collect();
    degraded.extend(mended);
    Ok(Prepared {
        origin: doc.origin,
        spec,
        operations,
        set_aside: adapted.set_aside,
        notes,
        security,
        original,
        server_operations,
        fidelity: fidelity.with_degraded(&degraded),
        degraded,
        components,
        types,
    })
}

pub(crate) fn to_openapiv3(origin: &str, value: Value) -> Result<openapiv3::OpenAPI, SpecError> {
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

/// The share of schemas that kept a type. Every named type typify generates counts (each
/// component schema, and each inline object, enum, union or constrained string); one is
/// untyped when it is a mere `serde_json::Value`. Inline schemas that degradation made
/// untyped no longer get a type of their own, so each counts once more, as untyped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fidelity {
    pub typed: usize,
    pub total: usize,
}

impl Fidelity {
    pub(crate) fn count(types: &typify::TypeSpace) -> Fidelity {
        let mut fidelity = Fidelity::default();
        for ty in types.iter_types() {
            let untyped = match ty.details() {
                typify::TypeDetails::Struct(_) | typify::TypeDetails::Enum(_) => false,
                typify::TypeDetails::Newtype(newtype) => {
                    types.get_type(&newtype.inner()).is_ok_and(|inner| {
                        matches!(
                            inner.details(),
                            typify::TypeDetails::Builtin("::serde_json::Value")
                        )
                    })
                }
                _ => continue,
            };
            fidelity.total += 1;
            fidelity.typed += usize::from(!untyped);
        }
        fidelity
    }

    fn with_degraded(mut self, degraded: &[String]) -> Fidelity {
        self.total += degraded
            .iter()
            .filter(|pointer| !is_component_root(pointer))
            .count();
        self
    }
}

fn is_component_root(pointer: &str) -> bool {
    pointer
        .strip_prefix("/components/schemas/")
        .is_some_and(|name| !name.contains('/'))
}

/// Generates the client source for a prepared spec.
pub fn generate_client(
    prepared: &Prepared,
    config: &ClientConfig,
) -> Result<GeneratedClient, SpecError> {
    let notes = Vec::new();
    let (generated, _, _) = run_progenitor(&prepared.spec, &prepared.origin, config)?;
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

/// The `types` module alone (what client and server share), as formatted Rust.
pub fn generate_types(prepared: &Prepared) -> Result<String, SpecError> {
    let types = &prepared.types;
    let tokens = quote! {
        pub mod types {
            #types
        }
    };
    let file = syn::parse2::<syn::File>(tokens).map_err(|err| {
        SpecError::whole(
            &prepared.origin,
            format!("generated types do not parse ({err}); please report this spec"),
        )
    })?;
    Ok(prettyplease::unparse(&file))
}

/// Generated server source, with the lossy steps generation itself took.
#[derive(Debug, Clone)]
pub struct GeneratedServer {
    pub code: String,
    pub notes: Vec<Note>,
    /// How many operations the router serves.
    pub operations: usize,
}

/// Generates the axum server stubs for a prepared spec.
pub fn generate_server(
    prepared: &Prepared,
    config: &ServerConfig,
) -> Result<GeneratedServer, SpecError> {
    let notes = Vec::new();
    let tokens = server::emit(
        &prepared.server_operations,
        &prepared.security,
        &prepared.original,
        prepared.types.clone(),
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
        operations: prepared.server_operations.len(),
    })
}

pub(crate) fn run_progenitor(
    spec: &openapiv3::OpenAPI,
    origin: &str,
    config: &ClientConfig,
) -> Result<(TokenStream, TokenStream, Fidelity), SpecError> {
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
        let types = generator.get_type_space().to_stream();
        let fidelity = Fidelity::count(generator.get_type_space());
        Ok::<_, progenitor::Error>((all, types, fidelity))
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
