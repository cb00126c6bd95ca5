//! `cargo xtask drift` and `cargo xtask update-spec`: the vendored spec against the live
//! docs (or a server's `/openapi.json`, or another spec file).

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, Result, bail};
use nx1_drift::report::{Format, Report};
use nx1_drift::{DiffOptions, Docs, FetchConfig, Level, Perspective};

use crate::workspace_root;

pub const DEFAULT_DOCS: &str = "https://docs.nx1cloud.com/llms.txt";

struct Options {
    docs: String,
    spec: PathBuf,
    against: Option<String>,
    format: Format,
    ignore: Option<PathBuf>,
    perspective: Perspective,
    strict_docs: bool,
    fetch: FetchConfig,
}

fn parse(args: Vec<String>) -> Result<Options> {
    let mut options = Options {
        docs: DEFAULT_DOCS.to_owned(),
        spec: workspace_root().join("openapi.yaml"),
        against: None,
        format: Format::Text,
        ignore: None,
        perspective: Perspective::Client,
        strict_docs: false,
        fetch: FetchConfig::default(),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().with_context(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "--docs" => options.docs = value("--docs")?,
            "--spec" => options.spec = PathBuf::from(value("--spec")?),
            "--against" => options.against = Some(value("--against")?),
            "--format" => {
                options.format =
                    Format::from_str(&value("--format")?).map_err(anyhow::Error::msg)?
            }
            "--ignore" => options.ignore = Some(PathBuf::from(value("--ignore")?)),
            "--perspective" => {
                options.perspective = match value("--perspective")?.as_str() {
                    "client" => Perspective::Client,
                    "server" => Perspective::Server,
                    other => bail!("unknown perspective `{other}`; use client or server"),
                }
            }
            "--strict-docs" => options.strict_docs = true,
            "--timeout" => {
                let seconds: f64 = value("--timeout")?
                    .parse()
                    .context("--timeout takes seconds")?;
                options.fetch.timeout = std::time::Duration::from_secs_f64(seconds);
            }
            "--retries" => {
                options.fetch.retries = value("--retries")?
                    .parse()
                    .context("--retries takes a count")?;
            }
            other => bail!("unknown option `{other}`; see `cargo xtask help`"),
        }
    }
    Ok(options)
}

/// Exit status: 0 in sync, 2 drift without breaking changes, 3 breaking drift (errors: 1).
pub fn drift(args: Vec<String>) -> Result<i32> {
    let options = parse(args)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let spec_text = std::fs::read_to_string(&options.spec)
        .with_context(|| format!("cannot read {}", options.spec.display()))?;
    let spec = nx1_codegen::load_file(&options.spec)?.value;

    let (live, sources, fetched) = match &options.against {
        Some(against) => (runtime.block_on(load_spec(against))?, Default::default(), 0),
        None => {
            let docs = Docs::open(&options.docs, options.fetch.clone())?;
            let crawl = runtime.block_on(nx1_drift::crawl(&docs))?;
            let merged = crawl.merged()?;
            (merged.spec, merged.sources, crawl.fetched)
        }
    };
    let changes = nx1_drift::diff(
        &spec,
        &live,
        &sources,
        DiffOptions {
            perspective: options.perspective,
            strict_docs: options.strict_docs,
        },
    )?;
    let changes = match &options.ignore {
        Some(path) => {
            let file = nx1_drift::ignore::IgnoreFile::load(path)?;
            let (kept, hidden) = file.apply(changes, nx1_drift::ignore::today());
            for (change, reason) in &hidden {
                eprintln!("ignored {} on {}: {reason}", change.id, change.operation);
            }
            kept
        }
        None => changes,
    };
    let report = Report::new(changes, fetched, Vec::new());
    // Annotations name the file relative to the workspace, as GitHub expects.
    let absolute = std::fs::canonicalize(&options.spec).unwrap_or_else(|_| options.spec.clone());
    let root = std::fs::canonicalize(workspace_root()).unwrap_or_else(|_| workspace_root());
    let spec_name = absolute
        .strip_prefix(&root)
        .unwrap_or(&absolute)
        .display()
        .to_string();
    print!("{}", report.render(options.format, &spec_name, &spec_text));
    Ok(match report.worst() {
        None => 0,
        Some(Level::Breaking) => 3,
        Some(_) => 2,
    })
}

/// A spec from a URL (a running FastAPI's `/openapi.json`) or a file.
async fn load_spec(location: &str) -> Result<serde_json::Value> {
    if location.starts_with("http://") || location.starts_with("https://") {
        let response = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()?
            .get(location)
            .send()
            .await
            .with_context(|| format!("cannot fetch {location}"))?;
        if !response.status().is_success() {
            bail!("{location} answered HTTP {}", response.status());
        }
        let text = response.text().await?;
        let is_json = text.trim_start().starts_with('{');
        return Ok(nx1_codegen::load_str(location, &text, is_json)?.value);
    }
    Ok(nx1_codegen::load_file(std::path::Path::new(location))?.value)
}

/// Writes the docs' merged spec to the spec file, canonically and atomically, and only when
/// every page was read.
pub fn update_spec(args: Vec<String>) -> Result<i32> {
    let options = parse(args)?;
    if options.against.is_some() {
        bail!("update-spec takes the docs (--docs), not --against");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let docs = Docs::open(&options.docs, options.fetch.clone())?;
    let crawl = runtime.block_on(nx1_drift::crawl(&docs))?;
    let merged = crawl.merged()?;
    let yaml = nx1_drift::canonical::to_yaml(&merged.spec)?;
    let before = std::fs::read_to_string(&options.spec).unwrap_or_default();
    if before == yaml {
        println!(
            "{}: unchanged ({} operations from {} pages)",
            options.spec.display(),
            merged.sources.len(),
            crawl.fetched
        );
        return Ok(0);
    }
    nx1_drift::canonical::write_atomic(&options.spec, &yaml)?;
    println!(
        "{}: written ({} operations from {} pages); rebuild to regenerate the client",
        options.spec.display(),
        merged.sources.len(),
        crawl.fetched
    );
    Ok(0)
}
