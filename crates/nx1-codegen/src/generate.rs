//! From a loaded document to Rust source: the whole pipeline behind one call.

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use crate::adapt::adapt;
use crate::backend::{ClientConfig, Fidelity, run_progenitor};
use crate::custom;
use crate::custom::CustomOperation;
use crate::error::SpecError;
use crate::load::Document;
use crate::model::{self, Operation};
use crate::normalize::normalize;
use crate::parameters;
use crate::security::{self, SecurityTable};
use crate::server::{self, ServerConfig};
use crate::spec::Note;
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
    pub server_operations: Vec<Operation>,
    /// Pointers of the schemas that could not be typed and were made untyped.
    pub degraded: Vec<String>,
    /// How many named types stayed typed.
    pub fidelity: Fidelity,
    /// The `types` module as generated while preparing, for the server (the client's comes
    /// with progenitor's output); unset nullable optionals are written as `null` here, as
    /// FastAPI answers, while the client leaves them out of requests (absent and `null`
    /// can mean different things to an update).
    types: TokenStream,
    /// progenitor's client for the default [`ClientConfig`], made while preparing: a
    /// default-configured client (`cargo xtask generate`, most `build.rs` uses) then costs
    /// no second progenitor run, the largest part of generating for a large spec.
    default_client: TokenStream,
    /// The fields written as `null` when unset, for builder-style types made later.
    nulls: crate::nulls::NullFields,
    /// Each component schema of the spec as written, with the Rust type it became
    /// (`types::<name>`).
    pub components: Vec<(String, String)>,
    /// The spec's text, for the line of a note.
    text: String,
}

/// A streamed operation and what its client method reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streamed {
    /// The client method that returns the stream.
    pub method: String,
    /// A second method beside the operation's own (which answers its other content).
    pub extra: bool,
    /// Its items have a type (not any JSON value).
    pub typed: bool,
}

impl Prepared {
    /// Every operation with a streamed answer, in document order.
    pub fn streams(&self) -> Vec<Streamed> {
        self.set_aside
            .iter()
            .filter_map(|custom| {
                let stream = custom.stream.as_ref()?;
                Some(Streamed {
                    method: custom.operation.name.clone(),
                    extra: !self
                        .server_operations
                        .iter()
                        .any(|operation| operation.name == custom.operation.name),
                    typed: stream.item.is_typed(),
                })
            })
            .collect()
    }

    /// Where a note points, as `origin:line:column#/pointer` (the line when the spec was
    /// read from text).
    pub fn locate(&self, note: &Note) -> String {
        SpecError::at_pointer(&self.origin, &note.pointer, "")
            .with_line(line_in(&self.text))
            .to_string()
            .trim_end_matches(": ")
            .to_owned()
    }
}

fn component_names(root: &Value) -> Vec<String> {
    root.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| schemas.keys().cloned().collect())
        .unwrap_or_default()
}

/// Runs normalisation, renaming and adaptation over a loaded document.
pub fn prepare(mut doc: Document) -> Result<Prepared, SpecError> {
    let text = std::mem::take(&mut doc.text);
    let mut prepared = prepare_parsed(doc).map_err(|err| err.with_line(line_in(&text)))?;
    prepared.text = text;
    Ok(prepared)
}

/// Finds a pointer's line in the spec's text, when there is text.
fn line_in(text: &str) -> impl FnOnce(&str) -> Option<(usize, usize)> + '_ {
    move |pointer| (!text.is_empty()).then(|| crate::pointer::line_of(text, pointer))
}

fn prepare_parsed(mut doc: Document) -> Result<Prepared, SpecError> {
    let mut notes = crate::repair::repair(&mut doc);
    let original = doc.value.clone();
    notes.extend(crate::streams::mark(&mut doc.value));
    notes.extend(normalize(&mut doc)?);
    let originals = component_names(&doc.value);
    let operations = tidy(&mut doc.value);
    notes.extend(crate::lint::lint(&original, &operations));
    // tidy renames in place and keeps the order: the n-th name before is the n-th after.
    let components: Vec<(String, String)> = originals
        .into_iter()
        .zip(component_names(&doc.value))
        .map(|(original, tidied)| (original, crate::names::typify_pascal(&tidied)))
        .collect();
    let security = security::collect(&doc.value, &operations);
    notes.extend(parameters::inline(&doc.origin, &mut doc.value)?);
    let server_operations = model::describe(&original, &mut doc.value, &operations, &security)?;
    let adapted = adapt(&doc.origin, &mut doc.value, &server_operations)?;
    notes.extend(adapted.notes);
    crate::degrade::break_composition_cycles(&mut doc.value, &mut notes);
    crate::names::name_inline_types(&mut doc.value);
    let crate::degrade::Generable {
        spec,
        mut degraded,
        types,
        default_client,
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
    let nulls = crate::nulls::null_fields(&original, &components);
    let types = with_nulls(&doc.origin, types, &nulls)?;
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
        default_client,
        nulls,
        text: String::new(),
    })
}

/// The `types` items with [`crate::nulls::keep_nulls`] applied.
fn with_nulls(
    origin: &str,
    types: TokenStream,
    nulls: &crate::nulls::NullFields,
) -> Result<TokenStream, SpecError> {
    let mut file = syn::parse2::<syn::File>(types).map_err(|err| {
        SpecError::whole(
            origin,
            format!("generated types do not parse ({err}); please report this spec"),
        )
    })?;
    crate::nulls::keep_nulls(&mut file.items, nulls);
    Ok(quote!(#file))
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
    let notes = Vec::new();
    let generated = if *config == ClientConfig::default() {
        prepared.default_client.clone()
    } else {
        crate::soundness::mend(run_progenitor(&prepared.spec, &prepared.origin, config)?.0)
    };
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
    let mut file = syn::parse2::<syn::File>(tokens).map_err(|err| {
        SpecError::whole(
            &prepared.origin,
            format!("generated code does not parse ({err}); please report this spec"),
        )
    })?;
    let runtime = config
        .runtime
        .as_deref()
        .map(syn::parse_str::<syn::Path>)
        .transpose()
        .map_err(|_| {
            SpecError::whole(
                &prepared.origin,
                format!(
                    "client runtime `{}` is not a Rust path",
                    config.runtime.as_deref().unwrap_or_default()
                ),
            )
        })?;
    crate::reshape::reshape(&mut file, runtime.as_ref());
    Ok(GeneratedClient {
        code: prettyplease::unparse(&file),
        notes,
    })
}

/// A command line over a generated client: `operations()` (one `clap` subcommand per
/// method) and `call()` (the dispatch), read from `client_code` (the client source as
/// generated, so the CLI calls exactly its methods) for a crate that reaches the client as
/// `client_crate` and provides the runtime module `rt`.
pub fn generate_cli(
    origin: &str,
    client_code: &str,
    client_crate: &str,
) -> Result<String, SpecError> {
    let fail = |what: String| SpecError::whole(origin, format!("{what}; please report this spec"));
    let file = syn::parse_file(client_code)
        .map_err(|err| fail(format!("generated client does not parse ({err})")))?;
    let client_path = syn::parse_str::<syn::Path>(client_crate)
        .map_err(|_| fail(format!("client crate `{client_crate}` is not a Rust path")))?;
    let tokens = crate::cli::emit(&file, &client_path).map_err(fail)?;
    let file = syn::parse2::<syn::File>(tokens)
        .map_err(|err| fail(format!("generated command line does not parse ({err})")))?;
    Ok(prettyplease::unparse(&file))
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

/// The server's `types` again, from a builder-style progenitor run: typify then writes a
/// builder for every struct. Unset nullable optionals are written as `null`, as in
/// [`Prepared`]'s types.
fn builder_types(prepared: &Prepared) -> Result<TokenStream, SpecError> {
    let (_, types, _) = crate::backend::run_progenitor_as(
        &prepared.spec,
        &prepared.origin,
        &ClientConfig::default(),
        progenitor::InterfaceStyle::Builder,
    )?;
    with_nulls(
        &prepared.origin,
        crate::soundness::mend(types),
        &prepared.nulls,
    )
}

/// Generates the axum server stubs for a prepared spec.
pub fn generate_server(
    prepared: &Prepared,
    config: &ServerConfig,
) -> Result<GeneratedServer, SpecError> {
    let mut notes = Vec::new();
    let types = if config.builders {
        match builder_types(prepared) {
            Ok(types) => types,
            Err(err) => {
                notes.push(Note {
                    pointer: String::new(),
                    message: format!(
                        "the types have no builders: progenitor could not write them ({err})"
                    ),
                });
                prepared.types.clone()
            }
        }
    } else {
        prepared.types.clone()
    };
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
        operations: prepared.server_operations.len(),
    })
}
