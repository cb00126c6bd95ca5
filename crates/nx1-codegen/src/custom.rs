//! Client methods for the operations progenitor cannot express (multipart uploads, bodies of
//! media types it does not know), written in the same positional style as its own methods so
//! that a caller cannot tell them apart.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use serde_json::{Map, Value};

use crate::mapper::{RustType, TypeMapper};
use crate::model::{FieldKind, FormField, Location, Operation, Param, Payload, Stream, StreamItem};
use crate::spec::PathTemplate;
use crate::spec::Status;
use crate::streams::Framing;

/// A set-aside operation: the model's description, with what the client makes of it.
#[derive(Debug, Clone)]
pub struct CustomOperation {
    /// The operation as the model describes it (name, method, path, doc).
    pub operation: Operation,
    /// The parameters the client sends: the model's, less what `adapt` drops for every
    /// client method (cookies, duplicates), non-scalar path and header values as strings.
    pub params: Vec<Param>,
    pub body: Body,
    /// The success and error types as `adapt` shaped them (a union for several bodies).
    pub success: Outcome,
    pub error: Outcome,
    /// A streamed answer: the method returns its typed stream for the stream's status.
    pub stream: Option<Stream>,
}

#[derive(Debug, Clone)]
pub enum Body {
    /// A typed form: one struct field per form field.
    Multipart {
        form: String,
        fields: Vec<FormField>,
    },
    /// A multipart body with no described fields: the caller builds the form.
    AnyMultipart,
    /// Raw bytes sent with this content type.
    Raw { content_type: String },
    /// A JSON body of this type.
    Json { ty: RustType },
    /// No request body.
    None,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub statuses: Vec<String>,
    pub kind: Payload,
}

/// Describes an adapted operation in Rust terms.
/// Describes a set-aside operation from its model description and the operation as
/// `adapt` left it (its parameters and responses are the client's).
pub fn describe(
    model: &Operation,
    adapted: &Map<String, Value>,
    body: Body,
    mapper: &mut TypeMapper,
) -> CustomOperation {
    let name = &model.name;
    let mut params = Vec::new();
    for parameter in adapted
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = |key| {
            parameter
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let Some(param) = model
            .params
            .iter()
            .find(|param| param.location.as_str() == text("in") && param.api_name == text("name"))
        else {
            continue;
        };
        let mut param = param.clone();
        if parameter.get(PREFORMATTED) == Some(&Value::Bool(true)) {
            param.ty = RustType("::std::string::String".to_owned());
        }
        params.push(param);
    }
    let responses = adapted.get("responses").and_then(Value::as_object);
    let outcome = |mapper: &mut TypeMapper, is_member: fn(&Status) -> bool, role: &str| {
        let mut statuses = Vec::new();
        let mut kind = Payload::None;
        for (status, response) in responses.into_iter().flatten() {
            if !Status::parse(status).is_some_and(|status| is_member(&status)) {
                continue;
            }
            statuses.push(status.clone());
            match response.get("content").and_then(Value::as_object) {
                Some(content) if content.contains_key("application/json") => {
                    let schema = content["application/json"]
                        .get("schema")
                        .cloned()
                        .unwrap_or_else(|| Value::Object(Map::new()));
                    kind = Payload::Json(mapper.rust_type(&schema, &format!("{name}_{role}")));
                }
                Some(content) if !content.is_empty() && kind == Payload::None => {
                    kind = Payload::Raw(content.keys().next().cloned().unwrap_or_default());
                }
                _ => {}
            }
        }
        Outcome { statuses, kind }
    };
    let success = outcome(mapper, Status::is_success_or_default, "response");
    let error = outcome(mapper, Status::is_error_or_default, "error");
    CustomOperation {
        operation: model.clone(),
        params,
        body,
        success,
        error,
        stream: None,
    }
}

/// Marks a path or header parameter `adapt` turned into a preformatted string.
pub const PREFORMATTED: &str = "x-nx1-preformatted";

/// The body of a multipart operation: the model's form, or any form when the schema
/// describes no fields.
pub fn multipart_body(model: &Operation) -> Body {
    match &model.body {
        Some(body) if !body.form.is_empty() => Body::Multipart {
            form: crate::names::sanitize_pascal(&format!("{}_form", model.name)),
            fields: body.form.clone(),
        },
        _ => Body::AnyMultipart,
    }
}

fn doc_comment(operation: &Operation, stream: Option<&Stream>) -> String {
    let mut doc = operation.doc.clone();
    if !doc.is_empty() {
        doc.push_str("\n\n");
    }
    if let Some(stream) = stream {
        let resumes = if stream.framing == Framing::Sse {
            "; a dropped connection is resumed with `Last-Event-ID` when the operation is \
             idempotent (opt in with `.resume(..)` on the stream)"
        } else {
            ""
        };
        doc.push_str(&format!(
            "Answers a stream (`{}`): each item as it arrives{resumes}.\n\n",
            stream.media_type
        ));
    }
    doc.push_str(&format!(
        "Sends a `{}` request to `{}`\n",
        operation.method.to_ascii_uppercase(),
        operation.path
    ));
    doc
}

/// Emits the methods (and the form types they take) for every custom operation.
pub fn methods(operations: &[CustomOperation]) -> Result<TokenStream, String> {
    if operations.is_empty() {
        return Ok(TokenStream::new());
    }
    let mut forms = Vec::new();
    let mut impls = Vec::new();
    let mut written = std::collections::BTreeSet::new();
    for operation in operations {
        // A stream method shares its operation's form.
        if let Body::Multipart { form, fields } = &operation.body
            && written.insert(form.clone())
        {
            forms.push(form_struct(form, fields)?);
        }
        impls.push(method(operation)?);
    }
    let needs_forms = operations
        .iter()
        .any(|op| matches!(op.body, Body::Multipart { .. } | Body::AnyMultipart));
    let forms_module = needs_forms.then(|| {
        quote! {
            /// Multipart form bodies.
            pub mod forms {
                #[allow(unused_imports)]
                use super::types;

                /// A file to upload: its bytes, the file name the server sees, and
                /// optionally its media type.
                #[derive(Clone)]
                pub struct FilePart {
                    file_name: ::std::string::String,
                    bytes: ::std::vec::Vec<u8>,
                    content_type: ::std::option::Option<::std::string::String>,
                }

                impl FilePart {
                    /// A file named `file_name` (servers such as FastAPI treat a part
                    /// without a file name as a plain text field).
                    pub fn new(
                        file_name: impl Into<::std::string::String>,
                        bytes: impl Into<::std::vec::Vec<u8>>,
                    ) -> Self {
                        Self { file_name: file_name.into(), bytes: bytes.into(), content_type: None }
                    }

                    /// Sets the part's `Content-Type` (for example `text/csv`).
                    pub fn with_content_type(mut self, content_type: impl Into<::std::string::String>) -> Self {
                        self.content_type = Some(content_type.into());
                        self
                    }

                    fn into_part(self) -> Result<::reqwest::multipart::Part, ::std::string::String> {
                        let part = ::reqwest::multipart::Part::bytes(self.bytes).file_name(self.file_name);
                        match self.content_type {
                            Some(content_type) => part
                                .mime_str(&content_type)
                                .map_err(|err| format!("invalid content type `{content_type}`: {err}")),
                            None => Ok(part),
                        }
                    }
                }

                impl ::std::fmt::Debug for FilePart {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.debug_struct("FilePart")
                            .field("file_name", &self.file_name)
                            .field("len", &self.bytes.len())
                            .field("content_type", &self.content_type)
                            .finish()
                    }
                }

                /// A form field's text: strings as they are, anything else as JSON.
                fn text<T: ::serde::Serialize>(value: &T) -> Result<::std::string::String, ::std::string::String> {
                    match ::serde_json::to_value(value) {
                        Ok(::serde_json::Value::String(text)) => Ok(text),
                        Ok(other) => Ok(other.to_string()),
                        Err(err) => Err(format!("form field cannot be serialised: {err}")),
                    }
                }

                #(#forms)*
            }
        }
    });
    let streamed: Vec<&Operation> = operations
        .iter()
        .filter(|custom| custom.stream.is_some())
        .map(|custom| &custom.operation)
        .collect();
    let streams_module = stream_unions(&streamed, &quote!(::nx1_stream))?;
    Ok(quote! {
        #forms_module

        #streams_module

        #[allow(clippy::all)]
        impl Client {
            #(#impls)*
        }
    })
}

fn form_struct(name: &str, fields: &[FormField]) -> Result<TokenStream, String> {
    let ident = format_ident!("{}", name);
    let mut declarations = Vec::new();
    let mut appends = Vec::new();
    for field in fields {
        let field_ident = format_ident!("{}", field.field);
        let api_name = &field.api_name;
        let (ty, append) = match &field.kind {
            FieldKind::File => (
                quote!(FilePart),
                quote!(form = form.part(#api_name, value.into_part()?);),
            ),
            FieldKind::Files => (
                quote!(::std::vec::Vec<FilePart>),
                quote!(for file in value { form = form.part(#api_name, file.into_part()?); }),
            ),
            FieldKind::Value(ty) => {
                let ty = ty.tokens()?;
                (ty, quote!(form = form.text(#api_name, text(&value)?);))
            }
            FieldKind::Values(ty) => {
                let ty = ty.tokens()?;
                (
                    quote!(::std::vec::Vec<#ty>),
                    quote!(for item in value { form = form.text(#api_name, text(&item)?); }),
                )
            }
        };
        let doc = format!("Form field `{api_name}`.");
        if field.required {
            declarations.push(quote!(#[doc = #doc] pub #field_ident: #ty,));
            appends.push(quote!({ let value = self.#field_ident; #append }));
        } else {
            declarations.push(quote!(#[doc = #doc] pub #field_ident: ::std::option::Option<#ty>,));
            appends.push(quote!(if let Some(value) = self.#field_ident { #append }));
        }
    }
    let doc = format!("The multipart form `{name}`.");
    Ok(quote! {
        #[doc = #doc]
        #[derive(Clone, Debug)]
        pub struct #ident {
            #(#declarations)*
        }

        impl #ident {
            /// The form as reqwest sends it.
            pub fn into_form(self) -> Result<::reqwest::multipart::Form, ::std::string::String> {
                #[allow(unused_mut)]
                let mut form = ::reqwest::multipart::Form::new();
                #(#appends)*
                Ok(form)
            }
        }
    })
}

fn method(operation: &CustomOperation) -> Result<TokenStream, String> {
    let model = &operation.operation;
    let name = format_ident!("{}", model.name);
    let operation_id = &model.name;
    let doc = doc_comment(model, operation.stream.as_ref());
    let Parameters {
        mut arguments,
        path_values,
        queries,
        headers,
    } = parameters(operation)?;

    // `{}` per path parameter, in template order.
    let path = PathTemplate::parse(&model.path);
    let template = format!("{{}}{}", path.format_string());
    let path_arguments: Vec<TokenStream> = path
        .names()
        .into_iter()
        .filter_map(|variable| {
            path_values
                .iter()
                .find(|(name, _)| name == variable)
                .map(|(_, value)| value.clone())
        })
        .collect();

    let (body_argument, body_call, generics) = body_parts(&operation.body)?;
    if !body_argument.is_empty() {
        arguments.push(body_argument);
    }

    let success_type = match &operation.stream {
        Some(stream) => stream_type(stream)?,
        None => outcome_type(&operation.success)?,
    };
    let error_type = outcome_type(&operation.error)?;
    let accepted = match &operation.stream {
        Some(stream) => Some(stream.media_type.as_str()),
        None => matches!(
            (&operation.success.kind, &operation.error.kind),
            (Payload::Json(_), _) | (Payload::None, Payload::Json(_))
        )
        .then_some("application/json"),
    };
    let accept = accepted.map(|media_type| {
        quote! {
            .header(
                ::reqwest::header::ACCEPT,
                ::reqwest::header::HeaderValue::from_static(#media_type),
            )
        }
    });
    // What an event stream sends again to resume: the request as first sent.
    let keep_request = operation
        .stream
        .as_ref()
        .is_some_and(|stream| stream.framing == Framing::Sse)
        .then(|| quote!(let again = request.try_clone();));
    // `request(Method, …)` serves every method; reqwest has no `options` or `trace` helper,
    // and no constant for an extension method such as QUERY.
    let upper = model.method.to_ascii_uppercase();
    let http_method = if matches!(
        upper.as_str(),
        "GET" | "PUT" | "POST" | "DELETE" | "OPTIONS" | "HEAD" | "PATCH" | "TRACE"
    ) {
        let ident = format_ident!("{}", upper);
        quote!(::reqwest::Method::#ident)
    } else {
        let bytes = proc_macro2::Literal::byte_string(upper.as_bytes());
        quote!(::reqwest::Method::from_bytes(#bytes).map_err(|err| Error::InvalidRequest(err.to_string()))?)
    };
    let arms = status_arms(operation)?;
    let header_count = 1 + operation
        .params
        .iter()
        .filter(|param| param.location == Location::Header)
        .count();

    Ok(quote! {
        #[doc = #doc]
        pub async fn #name #generics (
            &'a self,
            #(#arguments),*
        ) -> Result<ResponseValue<#success_type>, Error<#error_type>> {
            let url = format!(#template, self.baseurl, #(#path_arguments),*);
            let mut header_map = ::reqwest::header::HeaderMap::with_capacity(#header_count);
            header_map.append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(Self::api_version()),
            );
            #(#headers)*
            #[allow(unused_mut)]
            let mut request = self
                .client
                .request(#http_method, url)
                #accept
                #body_call
                #(#queries)*
                .headers(header_map)
                .build()?;
            let info = OperationInfo { operation_id: #operation_id };
            self.pre(&mut request, &info).await?;
            #keep_request
            let result = self.exec(request, &info).await;
            self.post(&result, &info).await?;
            let response = result?;
            #[allow(unreachable_patterns)]
            match response.status().as_u16() {
                #(#arms)*
            }
        }
    })
}

/// A method's parameters: its arguments, and how each is written into the path (by
/// name), the query and the headers.
struct Parameters {
    arguments: Vec<TokenStream>,
    path_values: Vec<(String, TokenStream)>,
    queries: Vec<TokenStream>,
    headers: Vec<TokenStream>,
}

fn parameters(operation: &CustomOperation) -> Result<Parameters, String> {
    let mut out = Parameters {
        arguments: Vec::new(),
        path_values: Vec::new(),
        queries: Vec::new(),
        headers: Vec::new(),
    };
    let rest_param = PathTemplate::parse(&operation.operation.path).rest_param();
    for param in &operation.params {
        let ident = format_ident!("{}", param.field);
        let inner = if param.ty.0 == "::std::string::String" {
            quote!(&'a str)
        } else {
            let ty = param.ty.tokens()?;
            quote!(&'a #ty)
        };
        out.arguments.push(if param.required {
            quote!(#ident: #inner)
        } else {
            quote!(#ident: Option<#inner>)
        });
        let api_name = &param.api_name;
        match param.location {
            Location::Path if rest_param == Some(api_name.as_str()) => {
                // Each segment encoded, the slashes between them kept.
                out.path_values.push((
                    api_name.clone(),
                    quote!(#ident.to_string().split('/').map(encode_path).collect::<Vec<_>>().join("/")),
                ));
            }
            Location::Path => {
                out.path_values
                    .push((api_name.clone(), quote!(encode_path(&#ident.to_string()))));
            }
            Location::Query | Location::Cookie => {
                out.queries
                    .push(quote!(.query(&progenitor_client::QueryParam::new(#api_name, &#ident))));
            }
            Location::Header => {
                let lower = api_name.to_ascii_lowercase();
                out.headers.push(if param.required {
                    quote!(header_map.append(#lower, #ident.to_string().try_into()?);)
                } else {
                    quote! {
                        if let Some(value) = #ident {
                            header_map.append(#lower, value.to_string().try_into()?);
                        }
                    }
                });
            }
        }
    }
    Ok(out)
}

/// The body argument, the request builder call that sends it, and the method's generics.
fn body_parts(body: &Body) -> Result<(TokenStream, TokenStream, TokenStream), String> {
    Ok(match body {
        Body::Json { ty } => {
            let ty = ty.tokens()?;
            (quote!(body: &'a #ty), quote!(.json(body)), quote!(<'a>))
        }
        Body::None => (quote!(), quote!(), quote!(<'a>)),
        Body::Multipart { form, .. } => {
            let form = format_ident!("{}", form);
            (
                quote!(body: forms::#form),
                quote!(.multipart(body.into_form().map_err(Error::InvalidRequest)?)),
                quote!(<'a>),
            )
        }
        Body::AnyMultipart => (
            quote!(body: ::reqwest::multipart::Form),
            quote!(.multipart(body)),
            quote!(<'a>),
        ),
        Body::Raw { content_type } => (
            quote!(body: B),
            quote! {
                .header(
                    ::reqwest::header::CONTENT_TYPE,
                    ::reqwest::header::HeaderValue::from_static(#content_type),
                )
                .body(body)
            },
            quote!(<'a, B: Into<reqwest::Body>>),
        ),
    })
}

/// The match arms over the response status: each success status decoded, each error
/// status as `Error::ErrorResponse`, anything else unexpected unless `default` covers it.
fn status_arms(operation: &CustomOperation) -> Result<Vec<TokenStream>, String> {
    let mut arms = match &operation.stream {
        Some(stream) => vec![stream_arm(&operation.operation, stream)?],
        None => success_arms(operation),
    };
    arms.extend(error_arms(operation));
    Ok(arms)
}

fn success_arms(operation: &CustomOperation) -> Vec<TokenStream> {
    operation
        .success
        .statuses
        .iter()
        .map(|status| {
            let pattern = status_pattern(status, quote!(200..=299));
            let decode = match &operation.success.kind {
                Payload::Json(_) => quote!(ResponseValue::from_response(response).await),
                Payload::Raw(_) => quote!(Ok(ResponseValue::stream(response))),
                Payload::None => quote!(Ok(ResponseValue::empty(response))),
            };
            quote!(#pattern => { #decode })
        })
        .collect()
}

fn error_arms(operation: &CustomOperation) -> Vec<TokenStream> {
    let mut arms = Vec::new();
    let mut error_has_default = false;
    for status in &operation.error.statuses {
        error_has_default |= status == "default";
        let pattern = status_pattern(status, quote!(_));
        let decode = match &operation.error.kind {
            Payload::Json(_) => {
                quote!(Err(Error::ErrorResponse(
                    ResponseValue::from_response(response).await?
                )))
            }
            Payload::Raw(_) => quote!(Err(Error::ErrorResponse(ResponseValue::stream(response)))),
            Payload::None => quote!(Err(Error::ErrorResponse(ResponseValue::empty(response)))),
        };
        arms.push(quote!(#pattern => { #decode }));
    }
    if !error_has_default {
        arms.push(quote!(_ => Err(Error::UnexpectedResponse(response)),));
    }
    arms
}

fn outcome_type(outcome: &Outcome) -> Result<TokenStream, String> {
    Ok(match &outcome.kind {
        Payload::Json(ty) => ty.tokens()?,
        Payload::Raw(_) => quote!(ByteStream),
        Payload::None => quote!(()),
    })
}

/// The match pattern of a response key: a code, a range (`4XX`), or for `default` the
/// pattern the caller gives (every success, or anything at all).
fn status_pattern(status: &str, default: TokenStream) -> TokenStream {
    match Status::parse(status) {
        Some(Status::Code(code)) => quote!(#code),
        Some(Status::Range(hundreds)) => {
            let (base, top) = (hundreds * 100, hundreds * 100 + 99);
            quote!(#base..=#top)
        }
        Some(Status::Default) | None => default,
    }
}

/// The item type of a stream, as the generated code names it.
pub fn item_type(item: &StreamItem) -> Result<TokenStream, String> {
    Ok(match item {
        StreamItem::Json(ty) => ty.tokens()?,
        StreamItem::Text => quote!(::std::string::String),
        StreamItem::Any => quote!(::serde_json::Value),
        StreamItem::Tagged { name, .. } => {
            let ident = format_ident!("{}", name);
            quote!(streams::#ident)
        }
    })
}

/// The decoder of one item, a function of (event name, data); `krate` is how the code
/// reaches `nx1_stream`.
fn item_decoder(item: &StreamItem, krate: &TokenStream) -> Result<TokenStream, String> {
    Ok(match item {
        StreamItem::Json(ty) => {
            let ty = ty.tokens()?;
            quote!(#krate::json::<#ty>)
        }
        StreamItem::Text => quote!(#krate::text),
        StreamItem::Any => quote!(#krate::any),
        StreamItem::Tagged { name, .. } => {
            let ident = format_ident!("{}", name);
            quote!(streams::#ident::decode)
        }
    })
}

/// The encoder of one item (an `nx1_stream::Encode`), the inverse of its decoder.
pub fn item_encoder(item: &StreamItem, krate: &TokenStream) -> Result<TokenStream, String> {
    Ok(match item {
        StreamItem::Json(ty) => {
            let ty = ty.tokens()?;
            quote!(#krate::encode::json::<#ty>)
        }
        StreamItem::Text => quote!(#krate::encode::text),
        StreamItem::Any => quote!(#krate::encode::json::<::serde_json::Value>),
        StreamItem::Tagged { name, .. } => {
            let ident = format_ident!("{}", name);
            quote!(streams::#ident::encode)
        }
    })
}

fn stream_type(stream: &Stream) -> Result<TokenStream, String> {
    let item = item_type(&stream.item)?;
    Ok(match stream.framing {
        Framing::Sse => quote!(::nx1_stream::EventStream<#item>),
        Framing::Lines | Framing::Seq => quote!(::nx1_stream::ItemStream<#item>),
    })
}

/// The success arm of a streamed answer: the response handed to its stream type. An event
/// stream of an idempotent operation resumes a dropped connection; others only when the
/// caller opts in (a resumed POST may start its work again).
fn stream_arm(operation: &Operation, stream: &Stream) -> Result<TokenStream, String> {
    let pattern = status_pattern(&stream.status, quote!(200..=299));
    let operation_id = &operation.name;
    let decode = item_decoder(&stream.item, &quote!(::nx1_stream))?;
    let built = match stream.framing.separator() {
        None => {
            let idempotent = matches!(
                operation.method.as_str(),
                "get" | "head" | "put" | "delete" | "options" | "trace" | "query"
            );
            let resume = if idempotent {
                quote!(Some(::nx1_stream::Resume::default()))
            } else {
                quote!(None)
            };
            quote! {
                ::nx1_stream::EventStream::new(#operation_id, response, #decode)
                    .resumable(self.client.clone(), again, #resume)
            }
        }
        Some(separator) => {
            let separator = format_ident!("{}", separator);
            quote! {
                ::nx1_stream::ItemStream::new(
                    #operation_id, response, ::nx1_stream::Separator::#separator, #decode,
                )
            }
        }
    };
    Ok(quote! {
        #pattern => {
            let status = response.status();
            let headers = response.headers().clone();
            Ok(ResponseValue::new(#built, status, headers))
        }
    })
}

/// The tagged unions of the streams of `operations`: one enum per stream whose events are
/// named, decoded by the event's name and encoded with it. `krate` is how the code
/// reaches `nx1_stream` (the client's dependency, the server runtime's re-export).
pub fn stream_unions(
    operations: &[&Operation],
    krate: &TokenStream,
) -> Result<Option<TokenStream>, String> {
    let mut unions = Vec::new();
    for operation in operations {
        let Some(Stream {
            item: StreamItem::Tagged { name, events },
            ..
        }) = &operation.stream
        else {
            continue;
        };
        let ident = format_ident!("{}", name);
        let mut variants = Vec::new();
        let mut decodes = Vec::new();
        let mut encodes = Vec::new();
        for event in events {
            let variant = format_ident!("{}", event.variant);
            let ty = item_type(&event.item)?;
            let decode = item_decoder(&event.item, krate)?;
            let encode = item_encoder(&event.item, krate)?;
            let wire = &event.name;
            let doc = format!("The `{wire}` event.");
            variants.push(quote!(#[doc = #doc] #variant(#ty),));
            decodes.push(quote!(#wire => Ok(Self::#variant(#decode(event, data)?)),));
            encodes.push(quote!(Self::#variant(item) => Ok((Some(#wire), #encode(item)?.1)),));
        }
        let doc = format!("An event of `{}`, by its `event:` name.", operation.name);
        unions.push(quote! {
            #[doc = #doc]
            #[derive(Clone, Debug, ::serde::Serialize)]
            #[serde(untagged)]
            pub enum #ident {
                #(#variants)*
            }

            impl #ident {
                /// Decodes an event's data by the event's name.
                pub fn decode(
                    event: ::std::option::Option<&str>,
                    data: &str,
                ) -> ::std::result::Result<Self, #krate::DecodeError> {
                    match event.unwrap_or("message") {
                        #(#decodes)*
                        other => Err(#krate::DecodeError::UnknownEvent(other.to_owned())),
                    }
                }

                /// The event's name and its data as written.
                pub fn encode(
                    &self,
                ) -> ::std::result::Result<
                    (::std::option::Option<&'static str>, ::std::string::String),
                    ::serde_json::Error,
                > {
                    match self {
                        #(#encodes)*
                    }
                }
            }
        });
    }
    if unions.is_empty() {
        return Ok(None);
    }
    Ok(Some(quote! {
        /// The event unions of streamed operations.
        pub mod streams {
            #[allow(unused_imports)]
            use super::types;

            #(#unions)*
        }
    }))
}
