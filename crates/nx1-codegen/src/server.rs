//! axum server stubs emitted from the operation model: one trait with one method per
//! operation, typed requests and per-status response enums, and each operation as data for
//! `nx1-server-runtime`, which routes, authenticates and validates as FastAPI does.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::mapper::RustType;
use crate::model::{Auth, FieldKind, FormField, Location, Operation, Payload};
use crate::names::sanitize_pascal;
use crate::security::{SchemeKind, SecurityTable};
use crate::spec::MediaKind;
use crate::streams::Framing;

/// How the generated server is wired into the crate that includes it.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The trait's name, e.g. `Nx1Api`.
    pub trait_name: String,
    /// The path of the runtime crate in the including crate.
    pub runtime: String,
    /// Give every struct of `types` a builder (`types::X::builder().field(..).try_into()`),
    /// so that implementations name only the fields they set. It roughly triples the
    /// `types` code, hence the compile time of the server crate; off by default.
    pub builders: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            trait_name: "Api".into(),
            runtime: "::nx1_server_runtime".into(),
            builders: false,
        }
    }
}

/// Emits the server module for the described operations: per operation its data, typed
/// request, response enum, trait method and dispatch arm; around them the few items that
/// name the trait. Everything else is ordinary code in the runtime.
pub fn emit(
    operations: &[Operation],
    security: &SecurityTable,
    original: &Value,
    types: TokenStream,
    config: &ServerConfig,
) -> Result<TokenStream, String> {
    let runtime: TokenStream = config
        .runtime
        .parse()
        .map_err(|_| format!("`{}` is not a Rust path", config.runtime))?;
    let rt = quote!(rt);
    let spec_json = serde_json::to_string(original).map_err(|err| err.to_string())?;
    let mut specs = Vec::new();
    let mut items = Vec::new();
    let mut methods = Vec::new();
    let mut arms = Vec::new();
    for (index, operation) in operations.iter().enumerate() {
        specs.push(operation_data(operation, &rt));
        items.push(request_struct(operation, &rt)?);
        items.push(response_enum(operation, &rt)?);
        methods.push(trait_method(index, operation));
        arms.push(dispatch_arm(index, operation));
    }
    let streamed: Vec<&Operation> = operations
        .iter()
        .filter(|operation| operation.stream.is_some())
        .collect();
    // The unions live in a module of their own, below the `use` that names the runtime.
    let streams_module = crate::custom::stream_unions(&streamed, &quote!(super::#rt::nx1_stream))?;
    let schemes = schemes(security, &rt);
    let trait_ident = format_ident!("{}", config.trait_name);
    let trait_item = trait_item(&trait_ident, &rt, methods);
    let router = router_items(&trait_ident, &rt, arms);
    let count = operations.len();
    Ok(quote! {
        use #runtime as rt;

        /// Types used in requests and responses (the same as the client's).
        #[allow(clippy::all)]
        pub mod types {
            #types
        }

        /// The spec as loaded: the runtime validates against its own (3.1) schemas.
        pub const SPEC_JSON: &str = #spec_json;

        const SCHEMES: &[(&str, #rt::Scheme)] = &[#(#schemes),*];

        /// Every operation, as data for the runtime, in the spec's order, which is the
        /// order routes are tried in.
        pub const OPERATIONS: [#rt::OperationSpec; #count] = [#(#specs),*];

        #streams_module

        #(#items)*
        #trait_item
        #router
    })
}

/// The security schemes the runtime can check, by name.
fn schemes(security: &SecurityTable, rt: &TokenStream) -> Vec<TokenStream> {
    security
        .schemes
        .iter()
        .filter_map(|(name, kind)| {
            let kind = match kind {
                SchemeKind::ApiKeyHeader(header) => {
                    let header = header.to_ascii_lowercase();
                    quote!(#rt::Scheme::ApiKeyHeader(#header))
                }
                SchemeKind::ApiKeyQuery(param) => quote!(#rt::Scheme::ApiKeyQuery(#param)),
                SchemeKind::ApiKeyCookie(cookie) => quote!(#rt::Scheme::ApiKeyCookie(#cookie)),
                SchemeKind::HttpBearer | SchemeKind::OAuth2 => quote!(#rt::Scheme::Bearer),
                SchemeKind::HttpBasic => quote!(#rt::Scheme::Basic),
                SchemeKind::Other => return None,
            };
            Some(quote!((#name, #kind)))
        })
        .collect()
}

/// The operation as data for the runtime: parameters, body, security, what a mock answers.
/// Schema pointers are written relative to the operation where they can be.
fn operation_data(operation: &Operation, rt: &TokenStream) -> TokenStream {
    let id = &operation.name;
    let base = operation.pointer();
    let mut spec = quote!(#rt::OperationSpec::new(#id, #base));
    if !operation.params.is_empty() {
        let params = operation.params.iter().map(|param| {
            let constructor = format_ident!("{}", param.location.as_str());
            let name = if param.location == Location::Header {
                param.api_name.to_ascii_lowercase()
            } else {
                param.api_name.clone()
            };
            let schema = relative_pointer(&base, &param.schema);
            let mut param_spec = quote!(#rt::ParamSpec::#constructor(#name, #schema));
            if param.field != name {
                let field = &param.field;
                param_spec.extend(quote!(.field(#field)));
            }
            if param.required && param.location != Location::Path {
                param_spec.extend(quote!(.required()));
            }
            if param.list {
                param_spec.extend(quote!(.list()));
            }
            param_spec
        });
        spec.extend(quote!(.params(&[#(#params),*])));
    }
    if let Some(body) = &operation.body {
        let schema = relative_pointer(&base, &body.schema);
        let constructor = format_ident!(
            "{}",
            match body.kind {
                MediaKind::Json => "json",
                MediaKind::FormUrlencoded => "form",
                MediaKind::Multipart => "multipart",
                _ => "raw",
            }
        );
        let required = body.required.then(|| quote!(.required()));
        spec.extend(quote!(.body(#rt::BodySpec::#constructor(#schema)#required)));
    }
    if !operation.security.is_empty() {
        let alternatives = operation.security.iter().map(|all| quote!(&[#(#all),*]));
        spec.extend(quote!(.security(&[#(#alternatives),*])));
    }
    if let Some((status, pointer)) = &operation.success {
        let schema = relative_pointer(&base, pointer);
        spec.extend(quote!(.success(#status, #schema)));
    }
    if let Some(rest) = crate::spec::PathTemplate::parse(&operation.path).rest_param() {
        spec.extend(quote!(.rest(&[#rest])));
    }
    if let Some(stream) = &operation.stream {
        let code = stream.status.parse::<u16>().unwrap_or(200);
        let media_type = &stream.media_type;
        let framing = format_ident!("{}", stream.framing.variant());
        let items = stream.checks.iter().map(|(event, schema)| {
            let event = match event {
                Some(event) => quote!(Some(#event)),
                None => quote!(None),
            };
            let schema = match schema {
                Some(schema) => {
                    let schema = relative_pointer(&base, schema);
                    quote!(Some(#schema))
                }
                None => quote!(None),
            };
            quote!(#rt::stream::ItemSpec::new(#event, #schema))
        });
        spec.extend(quote!(.stream(#rt::stream::StreamSpec::new(
            #code, #media_type, #rt::stream::Framing::#framing, &[#(#items),*],
        ))));
    }
    spec
}

/// `pointer` as a relative JSON pointer from `base` (`0/…` below it, `1/…` below its
/// parent) when it lies there; otherwise as it is.
fn relative_pointer(base: &str, pointer: &str) -> String {
    let parent = base.rsplit_once('/').map_or("", |(parent, _)| parent);
    for (up, start) in [(0, base), (1, parent)] {
        if let Some(rest) = pointer.strip_prefix(start)
            && rest.starts_with('/')
            && !start.is_empty()
        {
            return format!("{up}{rest}");
        }
    }
    pointer.to_owned()
}

/// The typed request: one field per parameter and the body; multipart forms get their own
/// struct, and files and raw bytes are attached from the body after deserialising.
fn request_struct(operation: &Operation, rt: &TokenStream) -> Result<TokenStream, String> {
    let pascal = sanitize_pascal(&operation.name);
    let request_ident = format_ident!("{}Request", pascal);
    let mut fields = Vec::new();
    for param in &operation.params {
        let field = format_ident!("{}", param.field);
        let ty = param.ty.tokens()?;
        let doc = format!("`{}` ({})", param.api_name, param.location.as_str());
        fields.push(if param.required {
            quote!(#[doc = #doc] pub #field: #ty,)
        } else {
            quote!(#[doc = #doc] #[serde(default)] pub #field: ::std::option::Option<#ty>,)
        });
    }
    let mut form = None;
    let mut attach = None;
    match operation.body.as_ref().map(|body| (body, &body.kind)) {
        None => {}
        Some((body, MediaKind::Json | MediaKind::FormUrlencoded)) => {
            let ty = body
                .ty
                .as_ref()
                .unwrap_or(&RustType("::serde_json::Value".into()))
                .tokens()?;
            fields.push(if body.required {
                quote!(/// The request body.
                    pub body: #ty,)
            } else {
                quote!(/// The request body, when one was sent.
                    #[serde(default)] pub body: ::std::option::Option<#ty>,)
            });
        }
        Some((body, MediaKind::Multipart)) => {
            let form_ident = format_ident!("{}Form", pascal);
            let (item, files) = form_struct(operation, &form_ident, &body.form, rt)?;
            form = Some(item);
            fields.push(quote!(/// The multipart form.
                pub body: #form_ident,));
            attach = Some(quote! {
                if let #rt::Body::Multipart { files, .. } = body {
                    let form = &mut self.body;
                    #(#files)*
                }
            });
        }
        Some(_) => {
            fields.push(quote!(/// The raw request body.
                #[serde(skip)] pub body: #rt::bytes::Bytes,));
            attach = Some(quote! {
                if let #rt::Body::Raw(bytes) = body {
                    self.body = bytes.clone();
                }
            });
        }
    }
    let attach = attach.map(|attach| quote!(fn attach(&mut self, body: &#rt::Body) { #attach }));
    let doc = format!("The validated request of `{}`.", operation.name);
    Ok(quote! {
        #form
        #[doc = #doc]
        #[derive(Debug, Clone, ::serde::Deserialize)]
        pub struct #request_ident {
            #(#fields)*
        }

        impl #rt::TypedRequest for #request_ident { #attach }
    })
}

/// A multipart body's struct (text fields deserialised, files skipped) and the statements
/// that attach its files.
fn form_struct(
    operation: &Operation,
    form_ident: &proc_macro2::Ident,
    form_fields: &[FormField],
    rt: &TokenStream,
) -> Result<(TokenStream, Vec<TokenStream>), String> {
    let mut fields = Vec::new();
    let mut files = Vec::new();
    for field in form_fields {
        let ident = format_ident!("{}", field.field);
        let api_name = &field.api_name;
        let doc = format!("Form field `{api_name}`.");
        let ty = match &field.kind {
            FieldKind::File | FieldKind::Files => {
                let (ty, fill) = if matches!(field.kind, FieldKind::Files) {
                    (
                        quote!(::std::vec::Vec<#rt::UploadedFile>),
                        quote!(form.#ident = files.iter().filter(|(name, _)| name == #api_name).map(|(_, file)| file.clone()).collect();),
                    )
                } else if field.required {
                    (
                        quote!(#rt::UploadedFile),
                        quote!(if let Some((_, file)) = files.iter().find(|(name, _)| name == #api_name) { form.#ident = file.clone(); }),
                    )
                } else {
                    (
                        quote!(::std::option::Option<#rt::UploadedFile>),
                        quote!(form.#ident = files.iter().find(|(name, _)| name == #api_name).map(|(_, file)| file.clone());),
                    )
                };
                fields.push(quote!(#[doc = #doc] #[serde(skip)] pub #ident: #ty,));
                files.push(fill);
                continue;
            }
            FieldKind::Value(ty) => ty.tokens()?,
            FieldKind::Values(ty) => {
                let ty = ty.tokens()?;
                quote!(::std::vec::Vec<#ty>)
            }
        };
        fields.push(if field.required {
            quote!(#[doc = #doc] #[serde(rename = #api_name)] pub #ident: #ty,)
        } else {
            quote!(#[doc = #doc] #[serde(rename = #api_name, default)] pub #ident: ::std::option::Option<#ty>,)
        });
    }
    let doc = format!("The multipart form of `{}`.", operation.name);
    let item = quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, ::serde::Deserialize)]
        pub struct #form_ident {
            #(#fields)*
        }
    };
    Ok((item, files))
}

/// The per-status response enum and how each variant answers.
fn response_enum(operation: &Operation, rt: &TokenStream) -> Result<TokenStream, String> {
    let response_ident = format_ident!("{}Response", sanitize_pascal(&operation.name));
    let mut variants = Vec::new();
    let mut arms = Vec::new();
    for response in &operation.responses {
        let variant = format_ident!("{}", response.variant);
        let doc = format!("`{}`: {}", response.status, response.description);
        // A fixed status is part of the variant; a range or `default` carries its status.
        let (status_field, status_bind, code) = match response.status.parse::<u16>() {
            Ok(code) => (quote!(), quote!(), quote!(#code)),
            Err(_) => (
                quote!(#rt::http::StatusCode,),
                quote!(status,),
                quote!(status.as_u16()),
            ),
        };
        match &response.payload {
            Payload::Json(ty) => {
                let ty = ty.tokens()?;
                variants.push(quote!(#[doc = #doc] #variant(#status_field #ty),));
                arms.push(
                    quote!(Self::#variant(#status_bind body) => #rt::respond::json(#code, &body),),
                );
            }
            Payload::Raw(media) => {
                variants.push(quote!(#[doc = #doc] #variant(#status_field #rt::bytes::Bytes),));
                arms.push(quote!(Self::#variant(#status_bind body) => #rt::respond::raw(#code, #media, body),));
            }
            Payload::None if status_bind.is_empty() => {
                variants.push(quote!(#[doc = #doc] #variant,));
                arms.push(quote!(Self::#variant => #rt::respond::empty(#code),));
            }
            Payload::None => {
                variants.push(quote!(#[doc = #doc] #variant(#rt::http::StatusCode),));
                arms.push(quote!(Self::#variant(status) => #rt::respond::empty(#code),));
            }
        }
        if let Some(stream) = operation
            .stream
            .as_ref()
            .filter(|stream| stream.status == response.status)
        {
            let variant = format_ident!("{}Stream", response.variant);
            let doc = format!(
                "`{}`: {} As a stream (`{}`), each item written as it is produced.",
                response.status, response.description, stream.media_type
            );
            let item = crate::custom::item_type(&stream.item)?;
            let encode = crate::custom::item_encoder(&stream.item, &quote!(#rt::nx1_stream))?;
            let media_type = &stream.media_type;
            let (ty, write) = match stream.framing.separator() {
                None => (
                    quote!(#rt::stream::Events<#item>),
                    quote!(#rt::stream::sse(#code, #media_type, items, #encode)),
                ),
                Some(separator) => {
                    let separator = format_ident!("{}", separator);
                    (
                        quote!(#rt::stream::Records<#item>),
                        quote!(#rt::stream::records(
                            #code, #media_type, items, #rt::nx1_stream::Separator::#separator, #encode,
                        )),
                    )
                }
            };
            variants.push(quote!(#[doc = #doc] #variant(#status_field #ty),));
            arms.push(quote!(Self::#variant(#status_bind items) => #write,));
        }
    }
    let doc = format!("The responses `{}` documents.", operation.name);
    Ok(quote! {
        #[doc = #doc]
        #[derive(Debug)]
        pub enum #response_ident {
            #(#variants)*
            /// `{"detail": ...}` with any status, as FastAPI's `HTTPException`.
            Detail(#rt::http::StatusCode, ::std::string::String),
            /// 501 `{"detail": "Not Implemented"}`: the default for every operation.
            NotImplemented,
            /// Any response at all, for what the spec does not describe.
            Custom(#rt::axum::response::Response),
        }

        impl #rt::axum::response::IntoResponse for #response_ident {
            fn into_response(self) -> #rt::axum::response::Response {
                match self {
                    #(#arms)*
                    Self::Detail(status, detail) => #rt::problem::detail(status, &detail),
                    Self::NotImplemented => #rt::problem::not_implemented(),
                    Self::Custom(response) => response,
                }
            }
        }
    })
}

/// The trait method, whose default asks `fallback` and otherwise answers 501.
fn trait_method(index: usize, operation: &Operation) -> TokenStream {
    let pascal = sanitize_pascal(&operation.name);
    let request_ident = format_ident!("{}Request", pascal);
    let response_ident = format_ident!("{}Response", pascal);
    let method_ident = format_ident!("{}", operation.name);
    let route = format!(
        "`{} {}`",
        operation.method.to_ascii_uppercase(),
        operation.path
    );
    let doc = if operation.doc.is_empty() {
        route
    } else {
        format!("{}\n\n{route}", operation.doc)
    };
    let principal = match operation.auth {
        Auth::Required => quote!(principal: Self::Principal,),
        Auth::Optional => quote!(principal: ::std::option::Option<Self::Principal>,),
        Auth::None => quote!(),
    };
    // An event stream's fallback learns where a reconnecting client stopped.
    let resumed = operation
        .stream
        .as_ref()
        .filter(|stream| stream.framing == Framing::Sse)
        .and_then(|_| operation.last_event_id())
        .map(|param| {
            let field = format_ident!("{}", param.field);
            if param.required {
                quote!(Some(request.#field.to_string()))
            } else {
                quote!(request.#field.as_ref().map(|id| id.to_string()))
            }
        });
    let fallback = match resumed {
        Some(last_event_id) => {
            quote!(self.fallback_stream(&OPERATIONS[#index], #last_event_id))
        }
        None => quote!(self.fallback(&OPERATIONS[#index])),
    };
    quote! {
        #[doc = #doc]
        fn #method_ident(
            &self,
            #principal
            request: #request_ident,
        ) -> impl ::std::future::Future<Output = #response_ident> + Send {
            rt::serve::fallback_or(
                #fallback,
                #response_ident::Custom,
                #response_ident::NotImplemented,
            )
        }
    }
}

/// `index => app.<access>(routed, api, A::method)`: the runtime's handler with this
/// operation's access mode and trait method.
fn dispatch_arm(index: usize, operation: &Operation) -> TokenStream {
    let method_ident = format_ident!("{}", operation.name);
    let access = format_ident!(
        "{}",
        match operation.auth {
            Auth::Required => "required",
            Auth::Optional => "optional",
            Auth::None => "public",
        }
    );
    // Boxed per arm: a box of the one operation's future, not of the largest one's.
    quote!(#index => ::std::boxed::Box::pin(app.#access(routed, api, A::#method_ident)),)
}

/// The trait: `authenticate`, the `fallback` and `reject` hooks, and one method per
/// operation.
fn trait_item(
    trait_ident: &proc_macro2::Ident,
    rt: &TokenStream,
    methods: Vec<TokenStream>,
) -> TokenStream {
    let trait_doc = "One method per operation of the spec. Every method has a default body that answers 501, so an implementation writes only the operations it serves.";
    quote! {
        #[doc = #trait_doc]
        // The default bodies do not read their arguments.
        #[allow(unused_variables)]
        pub trait #trait_ident: Send + Sync + 'static {
            /// Who made the request, as `authenticate` established it.
            type Principal: Send + 'static;

            /// Checks the credentials an operation's `security` allows. Called only when at
            /// least one was presented; return `AuthError::Forbidden` for a 403.
            fn authenticate(
                &self,
                credentials: #rt::Credentials,
            ) -> impl ::std::future::Future<Output = Result<Self::Principal, #rt::AuthError>> + Send;

            /// Answers the operations this implementation does not override. The default
            /// answers none (each then answers 501); a mock can answer from the spec.
            fn fallback(
                &self,
                operation: &'static #rt::OperationSpec,
            ) -> impl ::std::future::Future<Output = Option<#rt::axum::response::Response>> + Send {
                async { None }
            }

            /// Answers an event-stream operation this implementation does not override,
            /// resuming after `last_event_id` when the client sent one (a reconnection).
            /// The default asks `fallback`.
            fn fallback_stream(
                &self,
                operation: &'static #rt::OperationSpec,
                last_event_id: Option<::std::string::String>,
            ) -> impl ::std::future::Future<Output = Option<#rt::axum::response::Response>> + Send {
                self.fallback(operation)
            }

            /// Answers a request the runtime refused before any method ran (`operation` is
            /// `None` when no route matched). The default answers as FastAPI does.
            fn reject(
                &self,
                operation: Option<&'static #rt::OperationSpec>,
                rejection: #rt::Rejection,
            ) -> #rt::axum::response::Response {
                #rt::axum::response::IntoResponse::into_response(rejection)
            }

            #(#methods)*
        }
    }
}

/// The router over an implementation of the trait: the trait connected to the runtime's
/// `Service` (its hooks, and the one generated match from operation to method).
fn router_items(
    trait_ident: &proc_macro2::Ident,
    rt: &TokenStream,
    arms: Vec<TokenStream>,
) -> TokenStream {
    let api = (!arms.is_empty()).then(|| quote!(let api = &app.service().0;));
    quote! {
        pub use #rt::ServerConfig;

        /// An implementation of the trait, as the runtime serves it.
        struct Served<A>(A);

        impl<A: #trait_ident> #rt::Service for Served<A> {
            type Principal = A::Principal;

            fn authenticate(
                &self,
                credentials: #rt::Credentials,
            ) -> impl ::std::future::Future<Output = Result<A::Principal, #rt::AuthError>> + Send {
                self.0.authenticate(credentials)
            }

            fn reject(
                &self,
                operation: Option<&'static #rt::OperationSpec>,
                rejection: #rt::Rejection,
            ) -> #rt::axum::response::Response {
                self.0.reject(operation, rejection)
            }

            fn call<'a>(app: &'a #rt::App<Self>, routed: &'a #rt::Routed) -> #rt::Answer<'a> {
                #api
                match routed.operation {
                    #(#arms)*
                    _ => {
                        let rejected = app.service().reject(None, #rt::Rejection::NotFound);
                        ::std::boxed::Box::pin(::std::future::ready(rejected))
                    }
                }
            }
        }

        /// The router serving every operation of `api`.
        pub fn router<A: #trait_ident>(api: A) -> #rt::axum::Router {
            router_with(api, ServerConfig::default())
        }

        /// [`router`] with explicit limits.
        pub fn router_with<A: #trait_ident>(api: A, config: ServerConfig) -> #rt::axum::Router {
            let spec = #rt::ApiSpec::new(SPEC_JSON, SCHEMES);
            #rt::App::new(Served(api), spec, &OPERATIONS, config).into_router()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An operation may never be named like one of the trait's own methods: every fixed
    /// method the trait has must be a name `tidy` keeps operations away from.
    #[test]
    fn the_traits_own_methods_are_reserved() {
        let tokens = trait_item(&format_ident!("Api"), &quote!(rt), Vec::new());
        let item: syn::ItemTrait = syn::parse2(tokens).expect("the trait parses");
        let own: Vec<String> = item
            .items
            .iter()
            .filter_map(|item| match item {
                syn::TraitItem::Fn(method) => Some(method.sig.ident.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(
            own,
            ["authenticate", "fallback", "fallback_stream", "reject"]
        );
        for name in &own {
            assert!(
                crate::names::RESERVED_METHODS.contains(&name.as_str()),
                "`{name}` is not in names::RESERVED_METHODS"
            );
        }
    }

    #[test]
    fn relative_pointers() {
        let base = "/paths/~1jobs~1{id}/get";
        assert_eq!(
            relative_pointer(base, "/paths/~1jobs~1{id}/get/parameters/0/schema"),
            "0/parameters/0/schema"
        );
        assert_eq!(
            relative_pointer(base, "/paths/~1jobs~1{id}/parameters/1/schema"),
            "1/parameters/1/schema"
        );
        assert_eq!(
            relative_pointer(base, "/paths/~1jobs~1{id}/getter/x"),
            "1/getter/x"
        );
        assert_eq!(
            relative_pointer(base, "/components/parameters/Id/schema"),
            "/components/parameters/Id/schema"
        );
        assert_eq!(
            relative_pointer(base, "/x-nx1-no-schema"),
            "/x-nx1-no-schema"
        );
    }
}
