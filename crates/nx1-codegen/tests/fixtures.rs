//! One small spec per rule of the pipeline (`tests/fixtures/*.yaml`), with the client,
//! server and notes generated from it kept under `tests/fixtures/output/` for review, as
//! typify's and dropshot's output tests keep theirs. `tests/compiled.rs` includes every
//! output, so the same `cargo test` compiles what the generators emit and builds each
//! router.
//!
//! After a deliberate change: `NX1_BLESS=1 cargo test -p nx1-codegen --test fixtures`, then
//! review the diff.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn fixtures() -> Result<Vec<PathBuf>> {
    let mut specs: Vec<PathBuf> = std::fs::read_dir(dir().join("fixtures"))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    specs.retain(|path| {
        path.extension()
            .is_some_and(|ext| ext == "yaml" || ext == "json")
    });
    specs.sort();
    Ok(specs)
}

fn module_name(spec: &Path) -> String {
    spec.file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
}

/// The files one fixture produces: (file name under `output/`, content).
fn outputs(spec: &Path) -> Result<Vec<(String, String)>> {
    let stem = spec.file_stem().unwrap_or_default().to_string_lossy();
    let prepared = nx1_codegen::load_file(spec)
        .and_then(nx1_codegen::prepare)
        .with_context(|| format!("{} does not prepare", spec.display()))?;
    let client = nx1_codegen::generate_client(&prepared, &Default::default())?;
    let server = nx1_codegen::generate_server(&prepared, &Default::default())?;
    let mut notes = String::new();
    for note in prepared.notes.iter().chain(&client.notes) {
        writeln!(notes, "#{}: {}", note.pointer, note.message)?;
    }
    Ok(vec![
        (format!("{stem}.client.rs"), client.code),
        (format!("{stem}.server.rs"), server.code),
        (format!("{stem}.notes"), notes),
    ])
}

/// `tests/compiled.rs`: every fixture's client and server as modules, and a test that
/// builds each router.
fn compiled(specs: &[PathBuf]) -> String {
    let mut out = String::from(
        "//! Written by `tests/fixtures.rs` (bless to update): every fixture's generated client\n\
         //! and server, compiled, and each router built.\n\n\
         #![allow(warnings, clippy::all)]\n\n\
         macro_rules! fixture {\n    \
             ($name:ident, $client:literal, $server:literal) => {\n        \
                 mod $name {\n            \
                     pub mod client {\n                include!($client);\n            }\n            \
                     pub mod server {\n                include!($server);\n            }\n\n            \
                     struct Stub;\n\n            \
                     impl server::Api for Stub {\n                \
                         type Principal = ();\n\n                \
                         async fn authenticate(\n                    &self,\n                    _: nx1_server_runtime::Credentials,\n                \
                         ) -> Result<(), nx1_server_runtime::AuthError> {\n                    Ok(())\n                }\n            \
                     }\n\n            \
                     #[test]\n            \
                     fn client_and_router_build() {\n                \
                         // The workspace's reqwest has no TLS provider of its own; a program\n                \
                         // using a plain generated client chooses one (this test: ring).\n                \
                         let _ = rustls::crypto::ring::default_provider().install_default();\n                \
                         let _ = client::Client::new(\"http://127.0.0.1:9\");\n                \
                         let _ = server::router(Stub);\n            \
                     }\n        \
                 }\n    \
             };\n\
         }\n\n",
    );
    for spec in specs {
        let stem = spec.file_stem().unwrap_or_default().to_string_lossy();
        // Laid out as rustfmt lays it out, so that `cargo fmt` leaves the file alone.
        let _ = writeln!(
            out,
            "fixture!(\n    {},\n    \"fixtures/output/{stem}.client.rs\",\n    \"fixtures/output/{stem}.server.rs\"\n);",
            module_name(spec)
        );
    }
    out
}

#[test]
fn fixtures_generate_as_recorded() -> Result<()> {
    let bless = std::env::var_os("NX1_BLESS").is_some();
    let specs = fixtures()?;
    if specs.len() < 9 {
        bail!(
            "expected the fixture specs under tests/fixtures, found {}",
            specs.len()
        );
    }
    let output_dir = dir().join("fixtures").join("output");
    let mut expected: Vec<(PathBuf, String)> = vec![(dir().join("compiled.rs"), compiled(&specs))];
    for spec in &specs {
        for (name, content) in outputs(spec)? {
            expected.push((output_dir.join(name), content));
        }
    }
    let mut stale = Vec::new();
    for (path, content) in &expected {
        let recorded = std::fs::read_to_string(path).ok();
        if recorded.as_deref() == Some(content.as_str()) {
            continue;
        }
        let recorded = recorded.unwrap_or_default();
        if bless {
            std::fs::create_dir_all(&output_dir)?;
            std::fs::write(path, content)?;
            continue;
        }
        let line = recorded
            .lines()
            .zip(content.lines())
            .position(|(old, new)| old != new)
            .unwrap_or_else(|| recorded.lines().count().min(content.lines().count()));
        stale.push(format!(
            "{} (first difference at line {})",
            path.display(),
            line + 1
        ));
    }
    if !stale.is_empty() {
        bail!(
            "generated output differs from the recorded fixtures:\n  {}\nreview the change, then record it with `NX1_BLESS=1 cargo test -p nx1-codegen --test fixtures`",
            stale.join("\n  ")
        );
    }
    Ok(())
}

/// Each fixture exercises its rule: what the rule does shows in its output or notes.
#[test]
fn each_fixture_triggers_its_rule() -> Result<()> {
    let expectations = [
        ("multipart.client.rs", "pub struct UploadForm"),
        (
            "multipart.server.rs",
            "pub extra: ::std::vec::Vec<rt::UploadedFile>",
        ),
        (
            "raw-bodies.client.rs",
            "HeaderValue::from_static(\"text/csv\")",
        ),
        (
            "raw-bodies.server.rs",
            "rt::respond::raw(200u16, \"image/png\", body)",
        ),
        ("rest-of-path.server.rs", ".rest(&[\"path\"])"),
        ("rest-of-path.client.rs", "pub async fn proxy_options"),
        (
            "response-unions.notes",
            "error status(es) 401 have no JSON body",
        ),
        (
            "response-unions.server.rs",
            "Status4xx(rt::http::StatusCode, types::Problem)",
        ),
        (
            "nullable-components.client.rs",
            "pub home: ::std::option::Option<Address>",
        ),
        (
            "parameters.notes",
            "`item` is not declared; added as a string",
        ),
        ("parameters.server.rs", "rt::ParamSpec::cookie(\"theme\""),
        (
            "default-only.server.rs",
            "Default(rt::http::StatusCode, types::Ping",
        ),
        ("schema-keywords.client.rs", "^(?<prefix>[A-Z]{2})-\\\\d+$"),
        ("streams.client.rs", "pub async fn chat_stream<'a>"),
        (
            "streams.client.rs",
            "ResponseValue<::nx1_stream::EventStream<types::RunEvent>>",
        ),
        ("streams.client.rs", "Some(::nx1_stream::Resume::default())"),
        (
            "streams.client.rs",
            "::nx1_stream::Separator::RecordSeparator",
        ),
        ("streams.notes", "the stream's items are not described"),
        ("streams-3.2.client.rs", "Price(types::Price),"),
        ("streams-3.2.client.rs", "ItemStream<types::Price>"),
        ("streams-3.2.notes", "`additionalOperations` (OpenAPI 3.2)"),
        ("streams-3.2.client.rs", "Method::from_bytes(b\"QUERY\")"),
        ("repairs.notes", "missing `info.version`"),
        ("repairs.notes", "dangling reference"),
        ("repairs.notes", "composed of itself"),
    ];
    let output = dir().join("fixtures").join("output");
    for (file, needle) in expectations {
        let text = std::fs::read_to_string(output.join(file))
            .with_context(|| format!("{file} is not recorded"))?;
        if !text.contains(needle) {
            bail!("{file} does not contain `{needle}`");
        }
    }
    Ok(())
}
