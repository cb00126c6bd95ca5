//! axum server stubs: one trait with one method per operation, typed requests and per-status
//! response enums, and a router that validates input as FastAPI does (the work is done by
//! `nx1-server-runtime`; the generated code describes each operation as data).

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::{Value, json};

use crate::error::SpecError;
use crate::mapper::{RustType, TypeMapper};
use crate::names::{sanitize_pascal, sanitize_snake};
use crate::pointer::{self, child, follow};
use crate::security::{SchemeKind, SecurityTable};
use crate::spec::MediaKind;
use crate::tidy::OperationName;

/// A pointer that resolves to nothing: the runtime validates nothing against it.
const ANY_SCHEMA: &str = "/x-nx1-no-schema";

/// A parameter of a server operation.
#[derive(Debug, Clone)]
pub struct ServerParam {
    pub api_name: String,
    pub field: String,
    pub location: &'static str,
    pub required: bool,
    pub list: bool,
    pub ty: RustType,
    /// Pointer of the schema in the original document.
    pub schema: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerMedia {
    Json,
    Form,
    Multipart,
    Raw,
}

#[derive(Debug, Clone)]
pub struct ServerBody {
    pub media: ServerMedia,
    pub media_type: String,
    pub required: bool,
    pub schema: String,
    /// JSON and form bodies: the body type. Multipart: the text fields' form struct fields.
    pub ty: Option<RustType>,
    pub form_fields: Vec<FormField>,
}

#[derive(Debug, Clone)]
pub struct FormField {
    pub api_name: String,
    pub field: String,
    pub required: bool,
    /// `None`: a file.
    pub ty: Option<RustType>,
    pub list: bool,
}

#[derive(Debug, Clone)]
pub enum Payload {
    Json(RustType),
    Raw(String),
    None,
}

#[derive(Debug, Clone)]
pub struct ServerResponse {
    /// `200`, `4XX` or `default`.
    pub status: String,
    pub variant: String,
    pub payload: Payload,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    Optional,
    Required,
}

#[derive(Debug, Clone)]
pub struct ServerOperation {
    pub name: String,
    pub method: String,
    pub path: String,
    pub doc: String,
    pub params: Vec<ServerParam>,
    pub body: Option<ServerBody>,
    pub responses: Vec<ServerResponse>,
    pub auth: Auth,
    pub security: Vec<Vec<String>>,
    /// First 2xx with a JSON body: status and schema pointer in the original document.
    pub success: Option<(u16, String)>,
}

/// Describes every operation for the server generator. `root` is the normalised, tidied
/// document (types are mapped against it and inline schemas hoisted into it); `original`
/// is the document as loaded, whose schemas the runtime validates against.
pub fn describe(
    original: &Value,
    root: &mut Value,
    operations: &[OperationName],
    security: &SecurityTable,
) -> Result<Vec<ServerOperation>, SpecError> {
    let snapshot = root.clone();
    let mut types = TypeMapper::new(root);
    let resolver = Resolver {
        original,
        normalized: &snapshot,
    };
    let mut described = Vec::new();
    for (op, (_, alternatives)) in operations.iter().zip(&security.operations) {
        let pointer = pointer::operation(&op.path, &op.method);
        let Some(operation) = snapshot.pointer(&pointer) else {
            continue;
        };
        described.push(resolver.operation(op, operation, alternatives, &mut types)?);
    }
    types.install(root);
    Ok(described)
}

struct Resolver<'a> {
    original: &'a Value,
    normalized: &'a Value,
}

impl Resolver<'_> {
    /// Follows a `$ref` in the original document, returning the target and its pointer.
    fn follow(&self, value: &Value, pointer: String) -> (Value, String) {
        match follow(self.original, value) {
            Some((target, target_pointer)) => (target.clone(), target_pointer.unwrap_or(pointer)),
            None => (value.clone(), pointer),
        }
    }

    fn normalized_resolve(&self, value: &Value) -> Value {
        follow(self.normalized, value).map_or_else(|| value.clone(), |(target, _)| target.clone())
    }

    /// The schema pointer of an operation's parameter (name, location) in the original
    /// document; the operation's own declaration wins over the path item's.
    fn original_param(&self, path: &str, method: &str, name: &str, location: &str) -> String {
        let declared = crate::spec::declared_parameters(self.original, path, method);
        let Some(parameter) = declared.iter().rev().find(|p| p.key() == (location, name)) else {
            // A parameter the pipeline added (an undeclared path variable): a pointer to
            // nothing, which the runtime reads as "accept anything".
            return ANY_SCHEMA.to_owned();
        };
        if parameter.value.get("schema").is_some() {
            return child(&parameter.defined_at, "schema");
        }
        match parameter.value.get("content") {
            Some(Value::Object(content)) if !content.is_empty() => {
                let media = content.keys().next().map_or("", String::as_str);
                child(
                    &child(&child(&parameter.defined_at, "content"), media),
                    "schema",
                )
            }
            _ => ANY_SCHEMA.to_owned(),
        }
    }

    fn operation(
        &self,
        op: &OperationName,
        operation: &Value,
        alternatives: &[Vec<String>],
        mapper: &mut TypeMapper,
    ) -> Result<ServerOperation, SpecError> {
        let pointer = pointer::operation(&op.path, &op.method);
        let mut params = Vec::new();
        let mut fields = BTreeSet::new();
        // Parameters were inlined (path-level merged, templates completed) by `prepare`.
        let merged: Vec<Value> = operation
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for parameter in merged {
            let name = parameter
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let location = match parameter.get("in").and_then(Value::as_str) {
                Some("path") => "path",
                Some("query") => "query",
                Some("header") => "header",
                Some("cookie") => "cookie",
                _ => continue,
            };
            let mut field = sanitize_snake(&name);
            while !fields.insert(field.clone()) {
                field.push('_');
            }
            let mut schema = parameter
                .get("schema")
                .cloned()
                .unwrap_or_else(|| json!({}));
            if let Value::Object(map) = &mut schema {
                map.remove("nullable");
            }
            let resolved = self.normalized_resolve(&schema);
            let list = resolved.get("type").and_then(Value::as_str) == Some("array");
            let ty = mapper.rust_type(&schema, &format!("{}_{name}", op.name));
            params.push(ServerParam {
                schema: self.original_param(&op.path, &op.method, &name, location),
                required: location == "path"
                    || parameter.get("required").and_then(Value::as_bool) == Some(true),
                api_name: name,
                field,
                location,
                list,
                ty,
            });
        }

        let body = self.body(op, operation, &pointer, mapper)?;
        let responses = self.responses(op, operation, mapper);
        let auth = if alternatives.is_empty() {
            Auth::None
        } else if alternatives.iter().any(Vec::is_empty) {
            Auth::Optional
        } else {
            Auth::Required
        };
        let mut doc = String::new();
        for key in ["summary", "description"] {
            if let Some(text) = operation.get(key).and_then(Value::as_str)
                && !text.trim().is_empty()
            {
                doc.push_str(text.trim());
                doc.push_str("\n\n");
            }
        }
        doc.push_str(&format!("`{} {}`", op.method.to_ascii_uppercase(), op.path));
        let success = self.success_pointer(&pointer);
        Ok(ServerOperation {
            success,
            name: op.name.clone(),
            method: op.method.clone(),
            path: op.path.clone(),
            doc,
            params,
            body,
            responses,
            auth,
            security: alternatives.to_vec(),
        })
    }

    fn success_pointer(&self, pointer: &str) -> Option<(u16, String)> {
        let responses_pointer = child(pointer, "responses");
        let responses = self.original.pointer(&responses_pointer)?.as_object()?;
        for (status, response) in responses {
            let Ok(code @ 200..=299) = status.parse::<u16>() else {
                continue;
            };
            let (response, at) = self.follow(response, child(&responses_pointer, status));
            let Some(Value::Object(content)) = response.get("content") else {
                continue;
            };
            if let Some(media) = content.keys().find(|media| MediaKind::is_json(media))
                && content[media].get("schema").is_some()
            {
                return Some((code, child(&child(&child(&at, "content"), media), "schema")));
            }
        }
        None
    }

    fn body(
        &self,
        op: &OperationName,
        operation: &Value,
        pointer: &str,
        mapper: &mut TypeMapper,
    ) -> Result<Option<ServerBody>, SpecError> {
        let Some(body) = operation.get("requestBody") else {
            return Ok(None);
        };
        let body = self.normalized_resolve(body);
        let Some(Value::Object(content)) = body.get("content") else {
            return Ok(None);
        };
        // FastAPI declares one media type per body; where several are listed, JSON wins as
        // it does on the client.
        let Some(media_type) = crate::spec::preferred_media(content.keys()).cloned() else {
            return Ok(None);
        };
        let media = match MediaKind::of(&media_type).rank() {
            0 => ServerMedia::Json,
            1 => ServerMedia::Form,
            2 => ServerMedia::Multipart,
            _ => ServerMedia::Raw,
        };
        let schema = content[&media_type]
            .get("schema")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let (original_body, body_pointer) = self.follow(
            self.original
                .pointer(&child(pointer, "requestBody"))
                .unwrap_or(&Value::Null),
            child(pointer, "requestBody"),
        );
        let schema_pointer = if original_body
            .get("content")
            .and_then(|content| content.get(&media_type))
            .is_some()
        {
            child(
                &child(&child(&body_pointer, "content"), &media_type),
                "schema",
            )
        } else {
            ANY_SCHEMA.to_owned()
        };
        let required = body.get("required").and_then(Value::as_bool) == Some(true);
        let mut server_body = ServerBody {
            media,
            media_type: media_type.clone(),
            required,
            schema: schema_pointer,
            ty: None,
            form_fields: Vec::new(),
        };
        match media {
            ServerMedia::Json | ServerMedia::Form => {
                server_body.ty = Some(mapper.rust_type(&schema, &format!("{}_body", op.name)));
            }
            ServerMedia::Multipart => {
                let resolved = self.normalized_resolve(&schema);
                let required: Vec<&str> = resolved
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|names| names.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let mut names = BTreeSet::new();
                if let Some(Value::Object(properties)) = resolved.get("properties") {
                    for (name, declared) in properties {
                        // Inspect the resolved schema, but map the declared one, so that a
                        // `$ref` stays a reference to its component type.
                        let property = self.normalized_resolve(declared);
                        let binary = |schema: &Value| {
                            self.normalized_resolve(schema)
                                .get("format")
                                .and_then(Value::as_str)
                                == Some("binary")
                        };
                        let list = property.get("type").and_then(Value::as_str) == Some("array");
                        let items = property.get("items").cloned().unwrap_or_else(|| json!({}));
                        let is_file = binary(&property) || (list && binary(&items));
                        let ty = (!is_file).then(|| {
                            let schema = if list { &items } else { declared };
                            let mut schema = schema.clone();
                            if let Value::Object(map) = &mut schema {
                                map.remove("nullable");
                            }
                            mapper.rust_type(&schema, &format!("{}_{name}", op.name))
                        });
                        let mut field = sanitize_snake(name);
                        while !names.insert(field.clone()) {
                            field.push('_');
                        }
                        server_body.form_fields.push(FormField {
                            api_name: name.clone(),
                            field,
                            required: required.contains(&name.as_str()),
                            ty,
                            list,
                        });
                    }
                }
            }
            ServerMedia::Raw => {}
        }
        Ok(Some(server_body))
    }

    fn responses(
        &self,
        op: &OperationName,
        operation: &Value,
        mapper: &mut TypeMapper,
    ) -> Vec<ServerResponse> {
        let mut out = Vec::new();
        let mut variants = BTreeSet::new();
        let Some(Value::Object(responses)) = operation.get("responses") else {
            return out;
        };
        for (status, response) in responses {
            let response = self.normalized_resolve(response);
            let payload = match response.get("content").and_then(Value::as_object) {
                Some(content) if !content.is_empty() => {
                    let json_like = content
                        .keys()
                        .find(|media| MediaKind::is_json(media))
                        .cloned();
                    match json_like {
                        Some(media) => {
                            let schema = content[&media]
                                .get("schema")
                                .cloned()
                                .unwrap_or_else(|| json!({}));
                            Payload::Json(
                                mapper.rust_type(&schema, &format!("{}_{status}_body", op.name)),
                            )
                        }
                        None => Payload::Raw(content.keys().next().cloned().unwrap_or_default()),
                    }
                }
                _ => Payload::None,
            };
            let mut variant = status_variant(status);
            while !variants.insert(variant.clone()) {
                variant.push('_');
            }
            out.push(ServerResponse {
                status: status.clone(),
                variant,
                payload,
                description: response
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        out
    }
}

/// `200` → `Ok`, `404` → `NotFound`, `4XX` → `Status4xx`, `default` → `Default`.
fn status_variant(status: &str) -> String {
    if status == "default" {
        return "Default".into();
    }
    match status
        .parse::<u16>()
        .ok()
        .and_then(|code| http_reason(code).map(sanitize_pascal))
    {
        Some(name) => name,
        None => sanitize_pascal(&format!("status_{status}")),
    }
}

fn http_reason(code: u16) -> Option<&'static str> {
    Some(match code {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "Ok",
        201 => "Created",
        202 => "Accepted",
        203 => "Non Authoritative Information",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        423 => "Locked",
        424 => "Failed Dependency",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented Status",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

/// How the generated server is wired into the crate that includes it.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The trait's name, e.g. `Nx1Api`.
    pub trait_name: String,
    /// The path of the runtime crate in the including crate.
    pub runtime: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            trait_name: "Api".into(),
            runtime: "::nx1_server_runtime".into(),
        }
    }
}

fn parse_type(ty: &RustType) -> Result<TokenStream, String> {
    ty.0.parse()
        .map_err(|_| format!("`{}` is not a Rust type", ty.0))
}

/// Emits the server module for the described operations: per operation its data, typed
/// request, response enum, trait method and dispatch arm; around them the few items that
/// name the trait. Everything else is ordinary code in the runtime.
pub fn emit(
    operations: &[ServerOperation],
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
    let schemes = schemes(security, &rt);
    let surroundings = surroundings(&format_ident!("{}", config.trait_name), &rt, methods, arms);
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

        #(#items)*
        #surroundings
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
fn operation_data(operation: &ServerOperation, rt: &TokenStream) -> TokenStream {
    let id = &operation.name;
    let base = pointer::operation(&operation.path, &operation.method);
    let mut spec = quote!(#rt::OperationSpec::new(#id, #base));
    if !operation.params.is_empty() {
        let params = operation.params.iter().map(|param| {
            let constructor = format_ident!("{}", param.location);
            let name = if param.location == "header" {
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
            if param.required && param.location != "path" {
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
            match body.media {
                ServerMedia::Json => "json",
                ServerMedia::Form => "form",
                ServerMedia::Multipart => "multipart",
                ServerMedia::Raw => "raw",
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
    let rest: Vec<&str> = crate::spec::REST_PARAMS
        .into_iter()
        .filter(|name| operation.path.ends_with(&format!("{{{name}}}")))
        .collect();
    if !rest.is_empty() {
        spec.extend(quote!(.rest(&[#(#rest),*])));
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
fn request_struct(operation: &ServerOperation, rt: &TokenStream) -> Result<TokenStream, String> {
    let pascal = sanitize_pascal(&operation.name);
    let request_ident = format_ident!("{}Request", pascal);
    let mut fields = Vec::new();
    for param in &operation.params {
        let field = format_ident!("{}", param.field);
        let ty = parse_type(&param.ty)?;
        let doc = format!("`{}` ({})", param.api_name, param.location);
        fields.push(if param.required {
            quote!(#[doc = #doc] pub #field: #ty,)
        } else {
            quote!(#[doc = #doc] #[serde(default)] pub #field: ::std::option::Option<#ty>,)
        });
    }
    let mut form = None;
    let mut attach = None;
    match operation.body.as_ref().map(|body| (body, body.media)) {
        None => {}
        Some((body, ServerMedia::Json | ServerMedia::Form)) => {
            let ty = parse_type(
                body.ty
                    .as_ref()
                    .unwrap_or(&RustType("::serde_json::Value".into())),
            )?;
            fields.push(if body.required {
                quote!(/// The request body.
                    pub body: #ty,)
            } else {
                quote!(/// The request body, when one was sent.
                    #[serde(default)] pub body: ::std::option::Option<#ty>,)
            });
        }
        Some((body, ServerMedia::Multipart)) => {
            let form_ident = format_ident!("{}Form", pascal);
            let (item, files) = form_struct(operation, &form_ident, &body.form_fields, rt)?;
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
        Some((_, ServerMedia::Raw)) => {
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
    operation: &ServerOperation,
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
        let Some(ty) = &field.ty else {
            let (ty, fill) = if field.list {
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
        };
        let ty = parse_type(ty)?;
        let ty = if field.list {
            quote!(::std::vec::Vec<#ty>)
        } else {
            ty
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
fn response_enum(operation: &ServerOperation, rt: &TokenStream) -> Result<TokenStream, String> {
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
                let ty = parse_type(ty)?;
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
fn trait_method(index: usize, operation: &ServerOperation) -> TokenStream {
    let pascal = sanitize_pascal(&operation.name);
    let request_ident = format_ident!("{}Request", pascal);
    let response_ident = format_ident!("{}Response", pascal);
    let method_ident = format_ident!("{}", operation.name);
    let doc = &operation.doc;
    let principal = match operation.auth {
        Auth::Required => quote!(principal: Self::Principal,),
        Auth::Optional => quote!(principal: ::std::option::Option<Self::Principal>,),
        Auth::None => quote!(),
    };
    quote! {
        #[doc = #doc]
        fn #method_ident(
            &self,
            #principal
            request: #request_ident,
        ) -> impl ::std::future::Future<Output = #response_ident> + Send {
            async move {
                self.fallback(&OPERATIONS[#index])
                    .await
                    .map_or(#response_ident::NotImplemented, #response_ident::Custom)
            }
        }
    }
}

/// `index => state.<access>(routed, A::method)`: the runtime's handler with this
/// operation's access mode and trait method.
fn dispatch_arm(index: usize, operation: &ServerOperation) -> TokenStream {
    let method_ident = format_ident!("{}", operation.name);
    let access = format_ident!(
        "{}",
        match operation.auth {
            Auth::Required => "required",
            Auth::Optional => "optional",
            Auth::None => "public",
        }
    );
    quote!(#index => state.#access(routed, A::#method_ident).await,)
}

/// The trait and the router: the items that name the trait, kept short; the work they do is
/// the runtime's.
fn surroundings(
    trait_ident: &proc_macro2::Ident,
    rt: &TokenStream,
    methods: Vec<TokenStream>,
    arms: Vec<TokenStream>,
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

        pub use #rt::ServerConfig;

        struct State<A> {
            api: A,
            spec: #rt::ApiSpec,
            routes: #rt::RouteTable,
            config: ServerConfig,
        }

        /// The router serving every operation of `api`.
        pub fn router<A: #trait_ident>(api: A) -> #rt::axum::Router {
            router_with(api, ServerConfig::default())
        }

        /// [`router`] with explicit limits.
        pub fn router_with<A: #trait_ident>(api: A, config: ServerConfig) -> #rt::axum::Router {
            let state = ::std::sync::Arc::new(State {
                api,
                spec: #rt::ApiSpec::new(SPEC_JSON, SCHEMES),
                routes: #rt::RouteTable::of(&OPERATIONS),
                config,
            });
            #rt::axum::Router::new().fallback(move |request: #rt::axum::extract::Request| {
                let state = state.clone();
                async move { dispatch(state, request).await }
            })
        }

        /// The runtime's handler for one operation, by its access mode; `method` is the
        /// trait's. A spec may use only some of the modes.
        #[allow(dead_code)]
        impl<A: #trait_ident> State<A> {
            async fn run<M, R, F>(
                &self,
                access: M,
                routed: #rt::Routed,
                method: impl FnOnce(M::Principal<A::Principal>, R) -> F,
            ) -> #rt::axum::response::Response
            where
                M: #rt::serve::Access,
                R: #rt::TypedRequest,
                F: ::std::future::Future<Output: #rt::axum::response::IntoResponse>,
            {
                let Some(operation) = OPERATIONS.get(routed.operation) else {
                    return self.api.reject(None, #rt::Rejection::NotFound);
                };
                let authenticate = |credentials| self.api.authenticate(credentials);
                let reject = |rejection| self.api.reject(Some(operation), rejection);
                #rt::serve::handle(access, &self.spec, operation, routed, authenticate, reject, method)
                    .await
            }

            async fn public<'s, R, F>(
                &'s self,
                routed: #rt::Routed,
                method: impl FnOnce(&'s A, R) -> F,
            ) -> #rt::axum::response::Response
            where
                R: #rt::TypedRequest,
                F: ::std::future::Future<Output: #rt::axum::response::IntoResponse>,
            {
                self.run(#rt::serve::Public, routed, |(), request| method(&self.api, request)).await
            }

            async fn optional<'s, R, F>(
                &'s self,
                routed: #rt::Routed,
                method: impl FnOnce(&'s A, Option<A::Principal>, R) -> F,
            ) -> #rt::axum::response::Response
            where
                R: #rt::TypedRequest,
                F: ::std::future::Future<Output: #rt::axum::response::IntoResponse>,
            {
                let call = |principal, request| method(&self.api, principal, request);
                self.run(#rt::serve::Optional, routed, call).await
            }

            async fn required<'s, R, F>(
                &'s self,
                routed: #rt::Routed,
                method: impl FnOnce(&'s A, A::Principal, R) -> F,
            ) -> #rt::axum::response::Response
            where
                R: #rt::TypedRequest,
                F: ::std::future::Future<Output: #rt::axum::response::IntoResponse>,
            {
                let call = |principal, request| method(&self.api, principal, request);
                self.run(#rt::serve::Required, routed, call).await
            }
        }

        async fn dispatch<A: #trait_ident>(
            state: ::std::sync::Arc<State<A>>,
            request: #rt::axum::extract::Request,
        ) -> #rt::axum::response::Response {
            let routed = match #rt::serve::route(&state.routes, &state.config, request).await {
                Ok(routed) => routed,
                Err(rejection) => return state.api.reject(None, rejection),
            };
            let id = OPERATIONS.get(routed.operation).map_or("unknown", |operation| operation.id);
            // A panic in the implementation answers 500 and is logged; the server stays up.
            #rt::panic::guard(id, call(&state, routed)).await
        }

        async fn call<A: #trait_ident>(state: &State<A>, routed: #rt::Routed) -> #rt::axum::response::Response {
            match routed.operation {
                #(#arms)*
                _ => state.api.reject(None, #rt::Rejection::NotFound),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_variants() {
        assert_eq!(status_variant("200"), "Ok");
        assert_eq!(status_variant("422"), "UnprocessableEntity");
        assert_eq!(status_variant("4XX"), "Status4xx");
        assert_eq!(status_variant("default"), "Default");
        assert_eq!(status_variant("299"), "Status299");
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
