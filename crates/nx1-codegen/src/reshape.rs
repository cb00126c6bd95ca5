//! The call shapes of the generated client, reshaped after progenitor: lists are taken as
//! slices (an optional list sent only in the query as a plain slice, empty meaning absent,
//! which is what the wire carries either way), no `api-version` header the spec never
//! defined, and, when the including crate provides a runtime, every operation run through
//! it so that its errors name the operation and carry the server's answer.

use quote::ToTokens;
use syn::visit::Visit;
use syn::{
    Expr, FnArg, GenericArgument, ImplItem, ImplItemFn, Item, Pat, PathArguments, ReturnType, Stmt,
    Type,
};

/// Reshapes every operation method of the generated `impl Client` blocks in `file`.
/// `runtime` is the path of a module with `call(operation, future)` and `Error<E>`.
pub(crate) fn reshape(file: &mut syn::File, runtime: Option<&syn::Path>) {
    for item in &mut file.items {
        let Item::Impl(block) = item else { continue };
        if block.trait_.is_some() || !is_client(&block.self_ty) {
            continue;
        }
        for member in &mut block.items {
            if let ImplItem::Fn(method) = member
                && method.sig.ident == "new"
                && let Some(runtime) = runtime
            {
                build_through(method, runtime);
            }
            if let ImplItem::Fn(method) = member
                && let Some((ok, err)) = operation_result(&method.sig.output)
            {
                drop_api_version(method);
                take_slices(method);
                if let Some(runtime) = runtime {
                    run_through(method, runtime, &ok, &err);
                }
            }
        }
    }
}

fn is_client(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.path.is_ident("Client"))
}

/// `Result<ResponseValue<T>, Error<E>>`: `T` and `E`, when the method is an operation.
pub(crate) fn operation_result(output: &ReturnType) -> Option<(Type, Type)> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let [ok, err] = exactly::<2>(generic_args(ty, "Result")?)?;
    let [ok] = exactly::<1>(generic_args(&ok, "ResponseValue")?)?;
    let [err] = exactly::<1>(generic_args(&err, "Error")?)?;
    Some((ok, err))
}

fn exactly<const N: usize>(types: Vec<Type>) -> Option<[Type; N]> {
    types.try_into().ok()
}

/// The type arguments of `ty` when its last path segment is `name`.
fn generic_args(ty: &Type, name: &str) -> Option<Vec<Type>> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    Some(
        args.args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(ty.clone()),
                _ => None,
            })
            .collect(),
    )
}

/// progenitor sends `info.version` as an `api-version` header on every request; a header
/// the spec defines is sent by a parameter of its own, never through `api_version()`.
fn drop_api_version(method: &mut ImplItemFn) {
    let before = method.block.stmts.len();
    method.block.stmts.retain(|stmt| {
        !matches!(stmt, Stmt::Expr(..))
            || !stmt
                .to_token_stream()
                .to_string()
                .contains("api_version ()")
    });
    if method.block.stmts.len() == before {
        return;
    }
    // The map it went into may now never change: `let mut` would warn in users' builds.
    let changed = method.block.stmts.iter().any(|stmt| {
        let text = stmt.to_token_stream().to_string();
        text.contains("header_map . append") || text.contains("header_map . insert")
    });
    if changed {
        return;
    }
    for stmt in &mut method.block.stmts {
        if let Stmt::Local(local) = stmt
            && let Pat::Ident(binding) = &mut local.pat
            && binding.ident == "header_map"
        {
            binding.mutability = None;
        }
    }
}

/// `&Vec<T>` becomes `&[T]`; `Option<&Vec<T>>` becomes `&[T]` when the list only goes to
/// the query, else `Option<&[T]>`.
fn take_slices(method: &mut ImplItemFn) {
    let block = method.block.clone();
    for input in &mut method.sig.inputs {
        let FnArg::Typed(arg) = input else { continue };
        let Pat::Ident(name) = &*arg.pat else {
            continue;
        };
        if let Some(slice) = slice_of(&arg.ty) {
            *arg.ty = slice;
        } else if let Some([inner]) = generic_args(&arg.ty, "Option").and_then(exactly::<1>)
            && let Some(slice) = slice_of(&inner)
        {
            *arg.ty = if only_in_query(&block, &name.ident) {
                slice
            } else {
                syn::parse_quote!(Option<#slice>)
            };
        }
    }
}

/// `&'a Vec<T>` as `&'a [T]`.
fn slice_of(ty: &Type) -> Option<Type> {
    let Type::Reference(reference) = ty else {
        return None;
    };
    let [element] = exactly::<1>(generic_args(&reference.elem, "Vec")?)?;
    let lifetime = &reference.lifetime;
    Some(syn::parse_quote!(&#lifetime [#element]))
}

/// Whether every use of `name` in `block` is `QueryParam::new("…", &name)`.
fn only_in_query(block: &syn::Block, name: &syn::Ident) -> bool {
    struct Uses<'a> {
        name: &'a syn::Ident,
        query: usize,
        other: usize,
    }
    impl<'ast> Visit<'ast> for Uses<'_> {
        fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
            let is_query_param = matches!(&*call.func, Expr::Path(path)
                if path.path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>()
                    .ends_with(&["QueryParam".to_owned(), "new".to_owned()]));
            if is_query_param
                && let Some(Expr::Reference(value)) = call.args.iter().nth(1)
                && matches!(&*value.expr, Expr::Path(path) if path.path.is_ident(self.name))
            {
                self.query += 1;
                return;
            }
            syn::visit::visit_expr_call(self, call);
        }
        fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
            self.other += usize::from(path.path.is_ident(self.name));
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            // Macro input is not parsed: any mention of the name counts as another use.
            let mentioned = mac.tokens.clone().into_iter().any(|token| {
                matches!(token, proc_macro2::TokenTree::Ident(ident) if ident == *self.name)
            });
            self.other += usize::from(mentioned);
        }
    }
    let mut uses = Uses {
        name,
        query: 0,
        other: 0,
    };
    uses.visit_block(block);
    uses.query > 0 && uses.other == 0
}

/// progenitor's `Client::new` ends in `client.build().unwrap()`; with a runtime the reqwest
/// client is built by `runtime::http_client(client)`, so that the runtime decides how
/// (its TLS provider, say: a reqwest without one cannot build a client at all).
fn build_through(method: &mut ImplItemFn, runtime: &syn::Path) {
    struct Rewrite<'a>(&'a syn::Path);
    impl syn::visit_mut::VisitMut for Rewrite<'_> {
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            if let syn::Expr::MethodCall(unwrap) = expr
                && unwrap.method == "unwrap"
                && let syn::Expr::MethodCall(build) = &*unwrap.receiver
                && build.method == "build"
                && build.args.is_empty()
            {
                let runtime = self.0;
                let builder = &build.receiver;
                *expr = syn::parse_quote!(#runtime::http_client(#builder));
                return;
            }
            syn::visit_mut::visit_expr_mut(self, expr);
        }
    }
    syn::visit_mut::VisitMut::visit_impl_item_fn_mut(&mut Rewrite(runtime), method);
}

/// The body becomes `runtime::call("op", async move { body }).await`, whose error is the
/// runtime's `Error<E>`.
fn run_through(method: &mut ImplItemFn, runtime: &syn::Path, ok: &Type, err: &Type) {
    let operation = method.sig.ident.to_string();
    let body = &method.block;
    method.block = syn::parse_quote!({
        #runtime::call::<#ok, #err, _>(#operation, async move #body).await
    });
    method.sig.output = syn::parse_quote!(-> Result<ResponseValue<#ok>, #runtime::Error<#err>>);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reshaped(source: &str, runtime: Option<&str>) -> String {
        let mut file: syn::File = syn::parse_str(source).unwrap();
        let runtime = runtime.map(|path| syn::parse_str::<syn::Path>(path).unwrap());
        reshape(&mut file, runtime.as_ref());
        prettyplease::unparse(&file)
    }

    const METHOD: &str = r#"
        impl Client {
            pub async fn statuses<'a>(
                &'a self,
                ids: Option<&'a ::std::vec::Vec<::uuid::Uuid>>,
                tags: Option<&'a ::std::vec::Vec<String>>,
                body: &'a ::std::vec::Vec<i64>,
            ) -> Result<ResponseValue<types::Out>, Error<types::Problem>> {
                let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
                header_map.append(
                    ::reqwest::header::HeaderName::from_static("api-version"),
                    ::reqwest::header::HeaderValue::from_static(Self::api_version()),
                );
                let request = self.client.get(url)
                    .query(&progenitor_client::QueryParam::new("ids", &ids))
                    .header("tags", format!("{:?}", tags))
                    .json(&body);
                todo!()
            }
        }
    "#;

    #[test]
    fn lists_become_slices_and_the_version_header_goes() {
        let out = reshaped(METHOD, None);
        assert!(out.contains("ids: &'a [::uuid::Uuid]"), "{out}");
        assert!(out.contains("tags: Option<&'a [String]>"), "{out}");
        assert!(out.contains("body: &'a [i64]"), "{out}");
        assert!(!out.contains("api_version"), "{out}");
        assert!(out.contains("let header_map"), "{out}");
        assert!(out.contains("Error<types::Problem>"), "{out}");
    }

    #[test]
    fn a_runtime_wraps_the_body_and_owns_the_error() {
        let out = reshaped(METHOD, Some("crate::call"));
        assert!(out.contains("crate::call::call::<"), "{out}");
        assert!(out.contains("\"statuses\",\n"), "{out}");
        assert!(out.contains("async move {"), "{out}");
        assert!(out.contains("crate::call::Error<types::Problem>"), "{out}");
    }
}
