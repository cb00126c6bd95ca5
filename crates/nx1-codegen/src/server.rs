//! axum server stubs: one trait with one method per operation, typed requests and per-status
//! response enums, and a router that validates input as FastAPI does (the work is done by
//! `nx1-server-runtime`; the generated code describes each operation as data).

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::{Value, json};

use crate::adapt::BodyKind;
use crate::custom::{RustType, TypeMapper};
use crate::error::{SpecError, child};
use crate::load::follow;
use crate::names::{sanitize_pascal, sanitize_snake};
use crate::security::{SchemeKind, SecurityTable};
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
        let pointer = crate::tidy::operation_pointer(&op.path, &op.method);
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

    /// The original parameter (name, location) of an operation, with its schema pointer.
    fn original_param(&self, path: &str, method: &str, name: &str, location: &str) -> String {
        let item_pointer = child("/paths", path);
        for list_pointer in [
            child(&child(&item_pointer, method), "parameters"),
            child(&item_pointer, "parameters"),
        ] {
            let Some(Value::Array(list)) = self.original.pointer(&list_pointer) else {
                continue;
            };
            for (index, parameter) in list.iter().enumerate() {
                let (parameter, pointer) =
                    self.follow(parameter, child(&list_pointer, &index.to_string()));
                if parameter.get("name").and_then(Value::as_str) == Some(name)
                    && parameter.get("in").and_then(Value::as_str) == Some(location)
                {
                    if parameter.get("schema").is_some() {
                        return child(&pointer, "schema");
                    }
                    if let Some(Value::Object(content)) = parameter.get("content")
                        && let Some(media) = content.keys().next()
                    {
                        return child(&child(&child(&pointer, "content"), media), "schema");
                    }
                }
            }
        }
        // A parameter the pipeline added (an undeclared path variable): a pointer to
        // nothing, which the runtime reads as "accept anything".
        ANY_SCHEMA.to_owned()
    }

    fn operation(
        &self,
        op: &OperationName,
        operation: &Value,
        alternatives: &[Vec<String>],
        mapper: &mut TypeMapper,
    ) -> Result<ServerOperation, SpecError> {
        let pointer = crate::tidy::operation_pointer(&op.path, &op.method);
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
            if let Some(media) = content.keys().find(|media| media_rank(media) == 0)
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
        let Some(media_type) = content
            .keys()
            .min_by_key(|media_type| media_rank(media_type))
            .cloned()
        else {
            return Ok(None);
        };
        let media = match media_rank(&media_type) {
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
                    let json_like = content.keys().find(|media| media_rank(media) == 0).cloned();
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

/// JSON first, then forms, multipart, anything else, as the client picks.
fn media_rank(media_type: &str) -> u8 {
    match crate::adapt::body_kind(media_type) {
        BodyKind::Json => 0,
        BodyKind::FormUrlencoded => 1,
        BodyKind::Multipart => 2,
        _ => 3,
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

/// Path parameters that, last in a path, take the rest of it: FastAPI's `{name:path}`,
/// which its OpenAPI output writes as a plain `{name}`.
pub const REST_PARAMS: [&str; 1] = ["path"];

/// How the generated server is wired into the crate that includes it.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The trait's name, e.g. `Nx1Api`.
    pub trait_name: String,
    /// The path of the runtime crate in the including crate.
    pub runtime: String,
    /// Path parameters that take the rest of the path (FastAPI's `{name:path}`, which its
    /// OpenAPI output writes as a plain `{name}`).
    pub rest_params: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            trait_name: "Api".into(),
            runtime: "::nx1_server_runtime".into(),
            rest_params: REST_PARAMS.iter().map(|name| (*name).to_owned()).collect(),
        }
    }
}

fn parse_type(ty: &RustType) -> Result<TokenStream, String> {
    ty.0.parse()
        .map_err(|_| format!("`{}` is not a Rust type", ty.0))
}

/// Emits the server module for the described operations.
pub fn emit(
    operations: &[ServerOperation],
    security: &SecurityTable,
    original: &Value,
    types: TokenStream,
    config: &ServerConfig,
) -> Result<TokenStream, String> {
    let rt: TokenStream = config
        .runtime
        .parse()
        .map_err(|_| format!("`{}` is not a Rust path", config.runtime))?;
    let trait_ident = format_ident!("{}", config.trait_name);
    let spec_json = serde_json::to_string(original).map_err(|err| err.to_string())?;

    let schemes = security.schemes.iter().filter_map(|(name, kind)| {
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
    });

    let mut specs = Vec::new();
    let mut routes = Vec::new();
    let mut requests = Vec::new();
    let mut responses = Vec::new();
    let mut methods = Vec::new();
    let mut handlers = Vec::new();
    let mut arms = Vec::new();
    for (index, operation) in operations.iter().enumerate() {
        let pascal = sanitize_pascal(&operation.name);
        let request_ident = format_ident!("{}Request", pascal);
        let response_ident = format_ident!("{}Response", pascal);
        let method_ident = format_ident!("{}", operation.name);
        let handler_ident = format_ident!("handle_{}", operation.name);
        let id = &operation.name;

        // The operation as data for the runtime.
        let params = operation.params.iter().map(|param| {
            let name = &param.api_name;
            let field = &param.field;
            let location = match param.location {
                "path" => quote!(#rt::Location::Path),
                "query" => quote!(#rt::Location::Query),
                "header" => quote!(#rt::Location::Header),
                _ => quote!(#rt::Location::Cookie),
            };
            let required = param.required;
            let schema = &param.schema;
            let list = param.list;
            let name = if param.location == "header" {
                name.to_ascii_lowercase()
            } else {
                name.clone()
            };
            quote! {
                #rt::ParamSpec { name: #name, field: #field, location: #location, required: #required, schema: #schema, list: #list }
            }
        });
        let body_spec = match &operation.body {
            Some(body) => {
                let required = body.required;
                let schema = &body.schema;
                let media = match body.media {
                    ServerMedia::Json => quote!(#rt::Media::Json),
                    ServerMedia::Form => quote!(#rt::Media::Form),
                    ServerMedia::Multipart => quote!(#rt::Media::Multipart),
                    ServerMedia::Raw => quote!(#rt::Media::Raw),
                };
                quote!(Some(#rt::BodySpec { required: #required, media: #media, schema: #schema }))
            }
            None => quote!(None),
        };
        let alternatives = operation.security.iter().map(|all| quote!(&[#(#all),*]));
        let success = match &operation.success {
            Some((status, pointer)) => quote!(Some((#status, #pointer))),
            None => quote!(None),
        };
        specs.push(quote! {
            #rt::OperationSpec {
                id: #id,
                params: &[#(#params),*],
                body: #body_spec,
                security: &[#(#alternatives),*],
                success: #success,
            }
        });
        let method_upper = operation.method.to_ascii_uppercase();
        let path = &operation.path;
        let rest: Vec<&String> = config
            .rest_params
            .iter()
            .filter(|name| path.ends_with(&format!("{{{name}}}")))
            .collect();
        routes.push(quote!((#method_upper, #path, #index, &[#(#rest),*])));

        // The typed request.
        let mut request_fields = Vec::new();
        for param in &operation.params {
            let field = format_ident!("{}", param.field);
            let ty = parse_type(&param.ty)?;
            let doc = format!("`{}` ({})", param.api_name, param.location);
            if param.required {
                request_fields.push(quote!(#[doc = #doc] pub #field: #ty,));
            } else {
                request_fields.push(
                    quote!(#[doc = #doc] #[serde(default)] pub #field: ::std::option::Option<#ty>,),
                );
            }
        }
        let mut form_struct = None;
        let mut fill_body = quote!();
        if let Some(body) = &operation.body {
            match body.media {
                ServerMedia::Json | ServerMedia::Form => {
                    let ty = parse_type(
                        body.ty
                            .as_ref()
                            .unwrap_or(&RustType("::serde_json::Value".into())),
                    )?;
                    if body.required {
                        request_fields.push(quote!(/// The request body.
                            pub body: #ty,));
                    } else {
                        request_fields.push(quote!(/// The request body, when one was sent.
                            #[serde(default)] pub body: ::std::option::Option<#ty>,));
                    }
                }
                ServerMedia::Multipart => {
                    let form_ident = format_ident!("{}Form", pascal);
                    let mut form_fields = Vec::new();
                    let mut file_fills = Vec::new();
                    for field in &body.form_fields {
                        let ident = format_ident!("{}", field.field);
                        let api_name = &field.api_name;
                        let doc = format!("Form field `{api_name}`.");
                        match &field.ty {
                            None => {
                                let ty = if field.list {
                                    quote!(::std::vec::Vec<#rt::UploadedFile>)
                                } else if field.required {
                                    quote!(#rt::UploadedFile)
                                } else {
                                    quote!(::std::option::Option<#rt::UploadedFile>)
                                };
                                form_fields
                                    .push(quote!(#[doc = #doc] #[serde(skip)] pub #ident: #ty,));
                                let fill = if field.list {
                                    quote!(form.#ident = files.iter().filter(|(name, _)| name == #api_name).map(|(_, file)| file.clone()).collect();)
                                } else if field.required {
                                    quote!(if let Some((_, file)) = files.iter().find(|(name, _)| name == #api_name) { form.#ident = file.clone(); })
                                } else {
                                    quote!(form.#ident = files.iter().find(|(name, _)| name == #api_name).map(|(_, file)| file.clone());)
                                };
                                file_fills.push(fill);
                            }
                            Some(ty) => {
                                let ty = parse_type(ty)?;
                                let ty = if field.list {
                                    quote!(::std::vec::Vec<#ty>)
                                } else {
                                    ty
                                };
                                if field.required {
                                    form_fields.push(quote!(#[doc = #doc] #[serde(rename = #api_name)] pub #ident: #ty,));
                                } else {
                                    form_fields.push(quote!(#[doc = #doc] #[serde(rename = #api_name, default)] pub #ident: ::std::option::Option<#ty>,));
                                }
                            }
                        }
                    }
                    let doc = format!("The multipart form of `{}`.", operation.name);
                    form_struct = Some(quote! {
                        #[doc = #doc]
                        #[derive(Debug, Clone, ::serde::Deserialize)]
                        pub struct #form_ident {
                            #(#form_fields)*
                        }
                    });
                    request_fields.push(quote!(/// The multipart form.
                        pub body: #form_ident,));
                    fill_body = quote! {
                        if let #rt::Body::Multipart { files, .. } = &body {
                            let form = &mut request.body;
                            #(#file_fills)*
                        }
                    };
                }
                ServerMedia::Raw => {
                    request_fields.push(quote!(/// The raw request body.
                        #[serde(skip)] pub body: #rt::bytes::Bytes,));
                    fill_body = quote! {
                        if let #rt::Body::Raw(bytes) = &body {
                            request.body = bytes.clone();
                        }
                    };
                }
            }
        }
        let request_doc = format!("The validated request of `{}`.", operation.name);
        requests.push(quote! {
            #form_struct
            #[doc = #request_doc]
            #[derive(Debug, Clone, ::serde::Deserialize)]
            pub struct #request_ident {
                #(#request_fields)*
            }
        });

        // The per-status response.
        let mut variants = Vec::new();
        let mut into_arms = Vec::new();
        for response in &operation.responses {
            let variant = format_ident!("{}", response.variant);
            let doc = format!("`{}`: {}", response.status, response.description);
            let fixed_status = response.status.parse::<u16>().ok();
            match (&response.payload, fixed_status) {
                (Payload::Json(ty), Some(code)) => {
                    let ty = parse_type(ty)?;
                    variants.push(quote!(#[doc = #doc] #variant(#ty),));
                    into_arms.push(quote!(Self::#variant(body) => json_response(#code, &body),));
                }
                (Payload::Json(ty), None) => {
                    let ty = parse_type(ty)?;
                    variants.push(quote!(#[doc = #doc] #variant(#rt::http::StatusCode, #ty),));
                    into_arms.push(quote!(Self::#variant(status, body) => json_response(status.as_u16(), &body),));
                }
                (Payload::Raw(media), Some(code)) => {
                    variants.push(quote!(#[doc = #doc] #variant(#rt::bytes::Bytes),));
                    into_arms
                        .push(quote!(Self::#variant(body) => raw_response(#code, #media, body),));
                }
                (Payload::Raw(media), None) => {
                    variants.push(
                        quote!(#[doc = #doc] #variant(#rt::http::StatusCode, #rt::bytes::Bytes),),
                    );
                    into_arms.push(quote!(Self::#variant(status, body) => raw_response(status.as_u16(), #media, body),));
                }
                (Payload::None, Some(code)) => {
                    variants.push(quote!(#[doc = #doc] #variant,));
                    into_arms.push(quote!(Self::#variant => empty_response(#code),));
                }
                (Payload::None, None) => {
                    variants.push(quote!(#[doc = #doc] #variant(#rt::http::StatusCode),));
                    into_arms
                        .push(quote!(Self::#variant(status) => empty_response(status.as_u16()),));
                }
            }
        }
        let response_doc = format!("The responses `{}` documents.", operation.name);
        responses.push(quote! {
            #[doc = #response_doc]
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
                        #(#into_arms)*
                        Self::Detail(status, detail) => #rt::problem::detail(status, &detail),
                        Self::NotImplemented => #rt::problem::not_implemented(),
                        Self::Custom(response) => response,
                    }
                }
            }
        });

        // The trait method and its handler.
        let doc = &operation.doc;
        let (principal_param, principal_arg, principal_bind) = match operation.auth {
            Auth::Required => (
                quote!(principal: Self::Principal,),
                quote!(principal,),
                quote! {
                    let principal = match #rt::extract::credentials(&state.spec, operation, &parts.headers, parts.uri.query()) {
                        Ok(Some(credentials)) => match state.api.authenticate(credentials).await {
                            Ok(principal) => principal,
                            Err(rejection) => return auth_rejected(rejection, operation),
                        },
                        Ok(None) => return auth_rejected(#rt::AuthError::Unauthorized("Not authenticated".into()), operation),
                        Err(response) => return response,
                    };
                },
            ),
            Auth::Optional => (
                quote!(principal: ::std::option::Option<Self::Principal>,),
                quote!(principal,),
                quote! {
                    let principal = match #rt::extract::credentials(&state.spec, operation, &parts.headers, parts.uri.query()) {
                        Ok(Some(credentials)) => match state.api.authenticate(credentials).await {
                            Ok(principal) => Some(principal),
                            Err(rejection) => return auth_rejected(rejection, operation),
                        },
                        Ok(None) => None,
                        Err(response) => return response,
                    };
                },
            ),
            Auth::None => (quote!(), quote!(), quote!()),
        };
        let unused = match operation.auth {
            Auth::None => quote!(let _ = request;),
            _ => quote!(let _ = (principal, request);),
        };
        methods.push(quote! {
            #[doc = #doc]
            fn #method_ident(
                &self,
                #principal_param
                request: #request_ident,
            ) -> impl ::std::future::Future<Output = #response_ident> + Send {
                #unused
                async move {
                    match self.fallback(&OPERATIONS[#index]).await {
                        Some(response) => #response_ident::Custom(response),
                        None => #response_ident::NotImplemented,
                    }
                }
            }
        });
        handlers.push(quote! {
            async fn #handler_ident<A: #trait_ident>(
                state: &State<A>,
                parts: &#rt::http::request::Parts,
                path_params: &[(::std::string::String, ::std::string::String)],
                bytes: #rt::bytes::Bytes,
            ) -> #rt::axum::response::Response {
                use #rt::axum::response::IntoResponse;
                let operation = &OPERATIONS[#index];
                let body = match #rt::extract::read_body(operation, &parts.headers, bytes).await {
                    Ok(body) => body,
                    Err(response) => return response,
                };
                #principal_bind
                let fields = match #rt::extract::validate(&state.spec, operation, path_params, &parts.headers, parts.uri.query(), &body) {
                    Ok(fields) => fields,
                    Err(response) => return response,
                };
                #[allow(unused_mut)]
                let mut request: #request_ident = match #rt::serde_json::from_value(#rt::serde_json::Value::Object(fields)) {
                    Ok(request) => request,
                    Err(_) => return #rt::problem::internal_error(),
                };
                #fill_body
                state.api.#method_ident(#principal_arg request).await.into_response()
            }
        });
        arms.push(quote!(#index => #handler_ident(&state, &parts, &params, bytes).await,));
    }

    let count = operations.len();
    let trait_doc = "One method per operation of the spec. Every method has a default body that answers 501, so an implementation writes only the operations it serves.";
    Ok(quote! {
        /// Types used in requests and responses (the same as the client's).
        #[allow(clippy::all)]
        pub mod types {
            #types
        }

        /// The spec as loaded: the runtime validates against its own (3.1) schemas.
        pub const SPEC_JSON: &str = #spec_json;

        const SCHEMES: &[(&str, #rt::Scheme)] = &[#(#schemes),*];

        /// Every operation, as data for the runtime.
        pub const OPERATIONS: [#rt::OperationSpec; #count] = [#(#specs),*];

        /// (method, path template, index into [`OPERATIONS`], rest-of-path parameters), in
        /// the spec's order, which is the order routes are tried in.
        pub const ROUTES: &[(&str, &str, usize, &[&str])] = &[#(#routes),*];

        #(#requests)*
        #(#responses)*

        #[doc = #trait_doc]
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
                let _ = operation;
                async { None }
            }

            #(#methods)*
        }

        /// Limits and options of the generated router.
        #[derive(Debug, Clone)]
        pub struct ServerConfig {
            /// Bodies larger than this answer 413. Default: 16 MiB.
            pub body_limit: usize,
        }

        impl Default for ServerConfig {
            fn default() -> Self {
                ServerConfig { body_limit: 16 * 1024 * 1024 }
            }
        }

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
            // The embedded spec was written by the generator from a parsed document.
            let root = #rt::serde_json::from_str(SPEC_JSON).unwrap_or_default();
            let state = ::std::sync::Arc::new(State {
                api,
                spec: #rt::ApiSpec { schemas: #rt::SchemaSet::new(root), schemes: SCHEMES },
                routes: #rt::RouteTable::new(ROUTES),
                config,
            });
            #rt::axum::Router::new().fallback(move |request: #rt::axum::extract::Request| {
                let state = state.clone();
                async move { dispatch(state, request).await }
            })
        }

        async fn dispatch<A: #trait_ident>(
            state: ::std::sync::Arc<State<A>>,
            request: #rt::axum::extract::Request,
        ) -> #rt::axum::response::Response {
            let (parts, body) = request.into_parts();
            let (operation, params) = match state.routes.find(parts.method.as_str(), parts.uri.path()) {
                #rt::Match::Found { operation, params } => (operation, params),
                #rt::Match::MethodNotAllowed(allowed) => return #rt::problem::method_not_allowed(&allowed),
                #rt::Match::Redirect(path) => {
                    let location = match parts.uri.query() {
                        Some(query) => format!("{path}?{query}"),
                        None => path,
                    };
                    return #rt::problem::redirect(&location);
                }
                #rt::Match::NotFound => return #rt::problem::not_found(),
            };
            let bytes = match #rt::axum::body::to_bytes(body, state.config.body_limit).await {
                Ok(bytes) => bytes,
                Err(_) => return #rt::problem::payload_too_large(state.config.body_limit),
            };
            // A panic in the implementation answers 500 and is logged; the server stays up.
            let id = OPERATIONS.get(operation).map_or("unknown", |spec| spec.id);
            #rt::panic::guard(id, async move {
                match operation {
                    #(#arms)*
                    _ => #rt::problem::not_found(),
                }
            })
            .await
        }

        fn auth_rejected(rejection: #rt::AuthError, operation: &#rt::OperationSpec) -> #rt::axum::response::Response {
            let accepted: Vec<(&'static str, #rt::Scheme)> = operation
                .security
                .iter()
                .flat_map(|all| all.iter())
                .filter_map(|name| SCHEMES.iter().find(|(n, _)| n == name).copied())
                .collect();
            match rejection {
                #rt::AuthError::Unauthorized(detail) => {
                    #rt::problem::unauthorized(&detail, #rt::auth::challenge(&accepted))
                }
                #rt::AuthError::Forbidden(detail) => {
                    #rt::problem::detail(#rt::http::StatusCode::FORBIDDEN, &detail)
                }
            }
        }

        #[allow(dead_code)]
        fn json_response<T: ::serde::Serialize>(status: u16, body: &T) -> #rt::axum::response::Response {
            use #rt::axum::response::IntoResponse;
            let status = #rt::http::StatusCode::from_u16(status).unwrap_or(#rt::http::StatusCode::OK);
            match #rt::serde_json::to_vec(body) {
                Ok(bytes) => (status, [(#rt::http::header::CONTENT_TYPE, "application/json")], bytes).into_response(),
                Err(_) => #rt::problem::internal_error(),
            }
        }

        #[allow(dead_code)]
        fn raw_response(status: u16, media_type: &'static str, body: #rt::bytes::Bytes) -> #rt::axum::response::Response {
            use #rt::axum::response::IntoResponse;
            let status = #rt::http::StatusCode::from_u16(status).unwrap_or(#rt::http::StatusCode::OK);
            (status, [(#rt::http::header::CONTENT_TYPE, media_type)], body).into_response()
        }

        #[allow(dead_code)]
        fn empty_response(status: u16) -> #rt::axum::response::Response {
            use #rt::axum::response::IntoResponse;
            #rt::http::StatusCode::from_u16(status).unwrap_or(#rt::http::StatusCode::OK).into_response()
        }

        #(#handlers)*
    })
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
    fn media_ranks() {
        assert_eq!(media_rank("application/json; charset=utf-8"), 0);
        assert_eq!(media_rank("application/problem+json"), 0);
        assert_eq!(media_rank("multipart/form-data"), 2);
        assert_eq!(media_rank("image/png"), 3);
    }
}
