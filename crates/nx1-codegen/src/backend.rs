//! The generators we drive, progenitor and typify: the adapted document read as an
//! `openapiv3` value (errors located by pointer), progenitor run with a panic guard, and
//! the share of typify's types that stayed typed.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::TokenStream;
use serde_json::Value;

use crate::error::SpecError;
use crate::pointer;

/// How the generated client is wired into the crate that includes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientConfig {
    /// A path to a type stored in the client and handed to its hooks (credentials, say).
    pub inner_type: Option<String>,
    /// When set, the including crate must implement `progenitor_client::ClientHooks`.
    pub hooks_expected: bool,
    /// A path to a module of the including crate with `call(operation, future)` and
    /// `Error<E>`: every operation then runs through `call`, which turns progenitor's error
    /// into that `Error`. Without it the methods return progenitor's `Error`.
    pub runtime: Option<String>,
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
                        pointer::escape(&path),
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
        .map(|segment| format!("/{}", pointer::escape(&segment.to_string())))
        .collect()
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

    pub(crate) fn with_degraded(mut self, degraded: &[String]) -> Fidelity {
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

pub(crate) fn run_progenitor(
    spec: &openapiv3::OpenAPI,
    origin: &str,
    config: &ClientConfig,
) -> Result<(TokenStream, TokenStream, Fidelity), SpecError> {
    run_progenitor_as(spec, origin, config, progenitor::InterfaceStyle::Positional)
}

/// [`run_progenitor`] with the interface style chosen. The builder style is also what makes
/// typify write a builder for every struct (`types::X::builder()`), which the server's
/// `types` module wants: implementations build responses with many fields.
pub(crate) fn run_progenitor_as(
    spec: &openapiv3::OpenAPI,
    origin: &str,
    config: &ClientConfig,
    interface: progenitor::InterfaceStyle,
) -> Result<(TokenStream, TokenStream, Fidelity), SpecError> {
    let mut settings = progenitor::GenerationSettings::new();
    settings.with_interface(interface);
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
