//! A command line over the generated client: one `clap` subcommand per operation method,
//! read from the methods as generated (so the CLI calls exactly what the client offers),
//! with path parameters positional, the others as `--flags`, JSON bodies from
//! `--body FILE|-`, raw bodies as bytes, and multipart forms field by field.
//!
//! The emitted code calls a small runtime the including crate provides (`rt`): `one`,
//! `maybe`, `many`, `maybe_many`, `body`, `bytes`, `file`, `maybe_file`, `files`, `json`,
//! `stream`, `events`, `items`, `nothing`, and `Failure::call`.

use std::collections::HashSet;

use heck::ToKebabCase;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::visit::Visit;
use syn::{FnArg, ImplItem, ImplItemFn, Item, Pat, Type};

/// The flags every command has; a parameter of the same name is renamed.
const GLOBAL: &[&str] = &[
    "base-url", "psk", "token", "timeout", "compact", "help", "version",
];

/// How one argument of a method is read from the command line.
enum Read {
    /// Positional (a path parameter) or `--flag`, exactly once.
    One(Type),
    Maybe(Type),
    Many(Type),
    MaybeMany(Type),
    /// `--body FILE|-`, JSON.
    Body(Type),
    /// `--body FILE|-`, bytes as they are.
    Bytes,
    /// A multipart form: one argument per field.
    Form(syn::Path, Vec<FormField>),
}

struct FormField {
    ident: syn::Ident,
    read: Read,
    file: FileKind,
}

#[derive(Clone, Copy, PartialEq)]
enum FileKind {
    NotAFile,
    One,
    Maybe,
    Many,
}

/// Emits `operations()` (the subcommands) and `call()` (the dispatch) for the client in
/// `file`, whose crate is reached as `client`.
pub(crate) fn emit(file: &syn::File, client: &syn::Path) -> Result<TokenStream, String> {
    let forms = form_structs(file);
    let mut commands = Vec::new();
    let mut arms = Vec::new();
    for method in operation_methods(file) {
        let Some((command, arm)) = operation(method, &forms) else {
            continue;
        };
        commands.push(command);
        arms.push(arm);
    }
    Ok(quote! {
        #[allow(unused_imports)]
        use #client::*;
        use crate::rt;

        /// Every operation of the spec as a subcommand.
        pub fn operations() -> ::std::vec::Vec<::clap::Command> {
            vec![#(#commands),*]
        }

        /// Runs the operation `name` with the arguments the user gave.
        pub async fn call(
            client: &Client,
            name: &str,
            args: &::clap::ArgMatches,
        ) -> ::std::result::Result<rt::Output, rt::Failure> {
            match name {
                #(#arms)*
                other => Err(rt::Failure::unknown(other)),
            }
        }
    })
}

fn operation_methods(file: &syn::File) -> Vec<&ImplItemFn> {
    file.items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(block)
                if block.trait_.is_none()
                    && matches!(&*block.self_ty, Type::Path(p) if p.path.is_ident("Client")) =>
            {
                Some(block)
            }
            _ => None,
        })
        .flat_map(|block| &block.items)
        .filter_map(|item| match item {
            ImplItem::Fn(method)
                if crate::reshape::operation_result(&method.sig.output).is_some() =>
            {
                Some(method)
            }
            _ => None,
        })
        .collect()
}

/// The structs of `pub mod forms`, by name, with their fields.
fn form_structs(file: &syn::File) -> Vec<syn::ItemStruct> {
    file.items
        .iter()
        .filter_map(|item| match item {
            Item::Mod(module) if module.ident == "forms" => module.content.as_ref(),
            _ => None,
        })
        .flat_map(|(_, items)| items)
        .filter_map(|item| match item {
            Item::Struct(form) => Some(form.clone()),
            _ => None,
        })
        .collect()
}

/// The doc text of a method: summary (first line) and the rest.
fn docs(method: &ImplItemFn) -> (String, String, Vec<(String, String)>) {
    let text: String = method
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(pair) => match &pair.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }) => Some(text.value()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n");
    let (prose, arguments) = text.split_once("\nArguments:").unwrap_or((&text, ""));
    let mut lines = prose.trim().lines();
    let summary = lines.next().unwrap_or_default().trim().to_owned();
    let long = prose.trim().to_owned();
    let params = arguments
        .lines()
        .filter_map(|line| {
            let line = line.trim().strip_prefix("- `")?;
            let (name, help) = line.split_once('`')?;
            Some((
                name.to_owned(),
                help.trim_start_matches(':').trim().to_owned(),
            ))
        })
        .collect();
    (summary, long, params)
}

/// The names passed to `encode_path` in the body: the path parameters.
fn path_params(method: &ImplItemFn) -> HashSet<String> {
    struct Finder(HashSet<String>);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
            let tokens = call.func.to_token_stream().to_string();
            if tokens.ends_with("encode_path") {
                for arg in &call.args {
                    collect_idents(arg, &mut self.0);
                }
            }
            syn::visit::visit_expr_call(self, call);
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            // `format!("{}/x/{}", self.baseurl, encode_path(&id.to_string()))`.
            if let Ok(args) = mac.parse_body_with(
                syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
            ) {
                for arg in &args {
                    self.visit_expr(arg);
                }
            }
        }
    }
    fn collect_idents(expr: &syn::Expr, into: &mut HashSet<String>) {
        struct Idents<'a>(&'a mut HashSet<String>);
        impl<'ast> Visit<'ast> for Idents<'_> {
            fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
                if let Some(ident) = path.path.get_ident() {
                    self.0.insert(ident.to_string());
                }
            }
        }
        Idents(into).visit_expr(expr);
    }
    let mut finder = Finder(HashSet::new());
    finder.visit_block(&method.block);
    // `rest.to_string().split('/').map(encode_path)`: rest-of-path parameters.
    let body = method.block.to_token_stream().to_string();
    for arg in &method.sig.inputs {
        if let FnArg::Typed(arg) = arg
            && let Pat::Ident(name) = &*arg.pat
            && body.contains(&format!("{} . to_string () . split ('/')", name.ident))
        {
            finder.0.insert(name.ident.to_string());
        }
    }
    finder.0
}

fn operation(method: &ImplItemFn, forms: &[syn::ItemStruct]) -> Option<(TokenStream, TokenStream)> {
    let (ok, _) = crate::reshape::operation_result(&method.sig.output)?;
    let name = method.sig.ident.to_string();
    let command_name = name.to_kebab_case();
    let (summary, long, param_docs) = docs(method);
    let positional = path_params(method);
    let generics: HashSet<String> = method
        .sig
        .generics
        .type_params()
        .map(|param| param.ident.to_string())
        .collect();
    let mut taken: HashSet<String> = GLOBAL.iter().map(|s| (*s).to_owned()).collect();
    let mut args = Vec::new();
    let mut reads = Vec::new();
    let mut passes = Vec::new();
    let mut index = 0usize;
    for input in &method.sig.inputs {
        let FnArg::Typed(arg) = input else { continue };
        let Pat::Ident(ident) = &*arg.pat else {
            return None;
        };
        let ident = ident.ident.clone();
        let rust_name = ident.to_string();
        let read = classify(&rust_name, &arg.ty, &generics, forms)?;
        let help = param_docs
            .iter()
            .find(|(name, _)| *name == rust_name)
            .map(|(_, help)| help.clone())
            .unwrap_or_default();
        let (value, pass) = match &read {
            Read::Form(path, fields) => {
                let mut inits = Vec::new();
                for field in fields {
                    let field_ident = &field.ident;
                    let id = unique(&field_ident.to_string().to_kebab_case(), &mut taken);
                    args.push(flag(
                        &id,
                        &format!("Form field `{field_ident}`"),
                        &field.read,
                        field.file,
                    ));
                    let value = read_value(&id, &field.read, field.file);
                    inits.push(quote!(#field_ident: #value));
                }
                (quote!(#path { #(#inits),* }), quote!(#ident))
            }
            _ => {
                let id = match read {
                    Read::Body(_) | Read::Bytes => "body".to_owned(),
                    _ => unique(&rust_name.to_kebab_case(), &mut taken),
                };
                if positional.contains(&rust_name) {
                    index += 1;
                    args.push(positional_arg(&id, &help, index));
                } else {
                    args.push(flag(&id, &help, &read, FileKind::NotAFile));
                }
                (
                    read_value(&id, &read, FileKind::NotAFile),
                    pass_value(&ident, &read, &arg.ty),
                )
            }
        };
        reads.push(quote!(let #ident = #value;));
        passes.push(pass);
    }
    let output = if last_ident(&ok).as_deref() == Some("ByteStream") {
        quote!(rt::stream(answer.into_inner()).await)
    } else if last_ident(&ok).as_deref() == Some("EventStream") {
        quote!(rt::events(answer.into_inner()))
    } else if last_ident(&ok).as_deref() == Some("ItemStream") {
        quote!(rt::items(answer.into_inner()))
    } else if matches!(&ok, Type::Tuple(tuple) if tuple.elems.is_empty()) {
        quote!({
            let _ = answer;
            rt::nothing()
        })
    } else {
        quote!(rt::json(&answer.into_inner()))
    };
    let method_ident = &method.sig.ident;
    let about = if summary.is_empty() {
        format!("The `{name}` operation")
    } else {
        summary
    };
    let command = quote! {
        ::clap::Command::new(#command_name)
            .about(#about)
            .long_about(#long)
            #(.arg(#args))*
    };
    let arm = quote! {
        #command_name => {
            #(#reads)*
            let answer = client.#method_ident(#(#passes),*).await.map_err(rt::Failure::call)?;
            #output
        }
    };
    Some((command, arm))
}

fn unique(wanted: &str, taken: &mut HashSet<String>) -> String {
    let mut id = wanted.to_owned();
    let mut n = 1;
    while taken.contains(&id) {
        n += 1;
        id = format!("{wanted}-{n}");
    }
    taken.insert(id.clone());
    id
}

fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn single_arg(ty: &Type, name: &str) -> Option<Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>()[..] {
        [syn::GenericArgument::Type(inner)] => Some(inner.clone()),
        _ => None,
    }
}

/// What a reference or value type reads as: `&str` as `String`, `&[T]` as many `T`.
fn classify(
    name: &str,
    ty: &Type,
    generics: &HashSet<String>,
    forms: &[syn::ItemStruct],
) -> Option<Read> {
    if let Some(inner) = single_arg(ty, "Option") {
        return Some(match classify(name, &inner, generics, forms)? {
            Read::One(inner) => Read::Maybe(inner),
            Read::Many(inner) => Read::MaybeMany(inner),
            _ => return None,
        });
    }
    match ty {
        Type::Reference(reference) => match &*reference.elem {
            Type::Slice(slice) => Some(Read::Many((*slice.elem).clone())),
            Type::Path(path) if path.path.is_ident("str") => {
                Some(Read::One(syn::parse_quote!(::std::string::String)))
            }
            elem if name == "body" => Some(Read::Body(elem.clone())),
            elem => Some(Read::One(elem.clone())),
        },
        Type::Path(path) => {
            let last = last_ident(ty)?;
            if path.path.segments.len() == 1 && generics.contains(&last) {
                return Some(Read::Bytes);
            }
            if path
                .path
                .segments
                .first()
                .is_some_and(|s| s.ident == "forms")
                && let Some(form) = forms.iter().find(|form| form.ident == last)
            {
                return Some(Read::Form(path.path.clone(), form_fields(form)?));
            }
            if name == "body" {
                return Some(Read::Body(ty.clone()));
            }
            Some(Read::One(ty.clone()))
        }
        _ => None,
    }
}

fn form_fields(form: &syn::ItemStruct) -> Option<Vec<FormField>> {
    form.fields
        .iter()
        .map(|field| {
            let ident = field.ident.clone()?;
            let is_file = |ty: &Type| last_ident(ty).as_deref() == Some("FilePart");
            let (read, file) = if is_file(&field.ty) {
                (Read::Bytes, FileKind::One)
            } else if single_arg(&field.ty, "Option").is_some_and(|t| is_file(&t)) {
                (Read::Bytes, FileKind::Maybe)
            } else if single_arg(&field.ty, "Vec").is_some_and(|t| is_file(&t)) {
                (Read::Bytes, FileKind::Many)
            } else if let Some(inner) = single_arg(&field.ty, "Option") {
                match single_arg(&inner, "Vec") {
                    Some(element) => (Read::MaybeMany(element), FileKind::NotAFile),
                    None => (Read::Maybe(inner), FileKind::NotAFile),
                }
            } else if let Some(element) = single_arg(&field.ty, "Vec") {
                (Read::Many(element), FileKind::NotAFile)
            } else {
                (Read::One(field.ty.clone()), FileKind::NotAFile)
            };
            Some(FormField { ident, read, file })
        })
        .collect()
}

fn positional_arg(id: &str, help: &str, index: usize) -> TokenStream {
    let value_name = id.to_uppercase().replace('-', "_");
    quote! {
        ::clap::Arg::new(#id).help(#help).required(true).index(#index).value_name(#value_name)
    }
}

fn flag(id: &str, help: &str, read: &Read, file: FileKind) -> TokenStream {
    let value_name = match (read, file) {
        (_, FileKind::One | FileKind::Maybe | FileKind::Many) => "PATH",
        (Read::Body(_) | Read::Bytes, _) => "FILE|-",
        _ => "VALUE",
    };
    let help = match (read, file) {
        (Read::Body(_), _) => format!("The JSON body: a file, or - for stdin. {help}"),
        (Read::Bytes, FileKind::NotAFile) => format!("The body: a file, or - for stdin. {help}"),
        _ => help.to_owned(),
    };
    let help = help.trim_end();
    let required = matches!(read, Read::One(_) | Read::Body(_))
        || matches!(
            (read, file),
            (Read::Bytes, FileKind::NotAFile | FileKind::One)
        );
    let repeated = matches!(read, Read::Many(_) | Read::MaybeMany(_)) || file == FileKind::Many;
    let action = if repeated {
        quote!(.action(::clap::ArgAction::Append).value_delimiter(','))
    } else {
        quote!()
    };
    quote! {
        ::clap::Arg::new(#id).long(#id).help(#help).value_name(#value_name).required(#required) #action
    }
}

fn read_value(id: &str, read: &Read, file: FileKind) -> TokenStream {
    match (read, file) {
        (_, FileKind::One) => quote!(rt::file(args, #id)?),
        (_, FileKind::Maybe) => quote!(rt::maybe_file(args, #id)?),
        (_, FileKind::Many) => quote!(rt::files(args, #id)?),
        (Read::One(ty), _) => quote!(rt::one::<#ty>(args, #id)?),
        (Read::Maybe(ty), _) => quote!(rt::maybe::<#ty>(args, #id)?),
        (Read::Many(ty), _) => quote!(rt::many::<#ty>(args, #id)?),
        (Read::MaybeMany(ty), _) => quote!(rt::maybe_many::<#ty>(args, #id)?),
        (Read::Body(ty), _) => quote!(rt::body::<#ty>(args, #id)?),
        (Read::Bytes, _) => quote!(rt::bytes(args, #id)?),
        (Read::Form(..), _) => quote!(compile_error!("a form inside a form")),
    }
}

/// How a value read is handed to the method, given the parameter's type.
fn pass_value(ident: &syn::Ident, read: &Read, ty: &Type) -> TokenStream {
    let by_reference = matches!(ty, Type::Reference(_));
    let option_of_reference =
        single_arg(ty, "Option").is_some_and(|inner| matches!(inner, Type::Reference(_)));
    match read {
        Read::One(_) | Read::Body(_) | Read::Many(_) if by_reference => quote!(&#ident),
        Read::Maybe(inner)
            if option_of_reference && last_ident(inner).as_deref() == Some("String") =>
        {
            quote!(#ident.as_deref())
        }
        Read::Maybe(_) if option_of_reference => quote!(#ident.as_ref()),
        Read::MaybeMany(_) => quote!(#ident.as_deref()),
        _ => quote!(#ident),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: &str = r#"
        pub mod forms {
            pub struct UploadForm {
                pub file: FilePart,
                pub note: ::std::option::Option<::std::string::String>,
                pub tags: ::std::vec::Vec<::std::string::String>,
            }
        }
        impl Client {
            /**Update a job

            Sends a `PUT` request to `/jobs/{job_id}`

            Arguments:
            - `job_id`: The job.
            - `ids`: Other jobs.
            - `note`
            - `body`
            */
            pub async fn update_job<'a>(
                &'a self,
                job_id: &'a ::uuid::Uuid,
                ids: &'a [::uuid::Uuid],
                note: Option<&'a str>,
                limit: Option<i64>,
                body: &'a types::Update,
            ) -> Result<ResponseValue<types::Job>, crate::call::Error<types::Problem>> {
                let url = format!("{}/jobs/{}", self.baseurl, encode_path(&job_id.to_string()));
                todo!()
            }
            pub async fn upload<'a>(&'a self, body: forms::UploadForm)
                -> Result<ResponseValue<()>, Error<()>> { todo!() }
            pub async fn put_raw<'a, B: Into<reqwest::Body>>(&'a self, body: B)
                -> Result<ResponseValue<ByteStream>, Error<()>> { todo!() }
            pub async fn ticks<'a>(&'a self)
                -> Result<ResponseValue<::nx1_stream::EventStream<types::Tick>>, Error<()>> { todo!() }
            pub async fn lines<'a>(&'a self)
                -> Result<ResponseValue<::nx1_stream::ItemStream<i64>>, Error<()>> { todo!() }
            pub fn not_an_operation(&self) -> u8 { 0 }
        }
    "#;

    fn emitted() -> String {
        let file: syn::File = syn::parse_str(CLIENT).unwrap();
        let tokens = emit(&file, &syn::parse_quote!(my_client)).unwrap();
        prettyplease::unparse(&syn::parse2(tokens).unwrap())
    }

    #[test]
    fn each_parameter_is_read_as_its_type_and_passed_as_the_method_takes_it() {
        let out = emitted();
        let flat: String = out.split_whitespace().collect();
        for expected in [
            r#"::clap::Command::new("update-job") .about("Update a job")"#,
            r#"::clap::Arg::new("job-id") .help("The job.") .required(true) .index(1usize)"#,
            r#"::clap::Arg::new("ids") .long("ids") .help("Other jobs.")"#,
            "let job_id = rt::one::<::uuid::Uuid>(args, \"job-id\")?;",
            "let ids = rt::many::<::uuid::Uuid>(args, \"ids\")?;",
            "let note = rt::maybe::<::std::string::String>(args, \"note\")?;",
            "let limit = rt::maybe::<i64>(args, \"limit\")?;",
            "let body = rt::body::<types::Update>(args, \"body\")?;",
            ".update_job(&job_id, &ids, note.as_deref(), limit, &body)",
            "file: rt::file(args, \"file\")?",
            "tags: rt::many::<::std::string::String>(args, \"tags\")?",
            "let body = rt::bytes(args, \"body\")?;",
            "rt::stream(answer.into_inner()).await",
            "rt::events(answer.into_inner())",
            "rt::items(answer.into_inner())",
            "rt::nothing()",
        ] {
            let expected: String = expected.split_whitespace().collect();
            assert!(flat.contains(&expected), "missing `{expected}` in:\n{out}");
        }
        assert!(!out.contains("not-an-operation"), "{out}");
    }
}
