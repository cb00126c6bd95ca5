//! The command line of the drift check, shared by the `nx1-drift` binary and
//! `cargo xtask drift`/`update-spec`: the same flags, output and exit codes.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::report::{Format, Report};
use crate::{DiffOptions, Docs, FetchConfig, Level, Perspective};

/// The live docs the vendored spec is checked against by default.
pub const DEFAULT_DOCS: &str = "https://docs.nx1cloud.com/llms.txt";

/// Exit codes: the check's verdict, or that it could not run.
pub mod exit {
    pub const IN_SYNC: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const DRIFT: u8 = 2;
    pub const BREAKING: u8 = 3;
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Markdown,
    Json,
    Github,
}

impl From<OutputFormat> for Format {
    fn from(format: OutputFormat) -> Self {
        match format {
            OutputFormat::Text => Format::Text,
            OutputFormat::Markdown => Format::Markdown,
            OutputFormat::Json => Format::Json,
            OutputFormat::Github => Format::Github,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Side {
    /// What breaks code generated as a client of the spec.
    Client,
    /// What breaks a server implementing the spec.
    Server,
}

/// Where the docs are and how to read them.
#[derive(Debug, Clone, Args)]
pub struct Source {
    /// The docs: an llms.txt URL, a mirror directory, or one page file.
    #[arg(long, value_name = "URL|DIR|FILE", default_value = DEFAULT_DOCS)]
    pub docs: String,
    /// The vendored spec [default: openapi.yaml of the workspace].
    #[arg(long, value_name = "PATH")]
    pub spec: Option<PathBuf>,
    /// Seconds each page request may take.
    #[arg(long, value_name = "SECS", default_value_t = 20.0)]
    pub timeout: f64,
    /// Seconds to wait for the first byte of an answer; a host silent that long twice
    /// is taken as down.
    #[arg(long, value_name = "SECS", default_value_t = 8.0)]
    pub first_byte_timeout: f64,
    /// Retries of a page that failed with a timeout, a connection error or a 5xx.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,
    /// Seconds the whole crawl may take, retries included.
    #[arg(long, value_name = "SECS", default_value_t = 300.0)]
    pub deadline: f64,
}

impl Source {
    fn fetch(&self) -> FetchConfig {
        FetchConfig {
            timeout: std::time::Duration::from_secs_f64(self.timeout.max(0.001)),
            first_byte: std::time::Duration::from_secs_f64(self.first_byte_timeout.max(0.001)),
            retries: self.retries,
            ..FetchConfig::default()
        }
    }

    fn spec(&self, default: &Path) -> PathBuf {
        self.spec.clone().unwrap_or_else(|| default.to_owned())
    }

    /// Reads every page, within the deadline. `Err` holds why the docs could not be read
    /// (each failed page, or the index), with a hint where one helps.
    fn crawl(&self, runtime: &tokio::runtime::Runtime) -> Result<crate::Crawl, Unreadable> {
        let docs = Docs::open(&self.docs, self.fetch()).map_err(|err| Unreadable {
            reasons: vec![err.to_string()],
            hint: None,
        })?;
        let remote = matches!(docs, Docs::Http { .. });
        eprintln!("drift: reading {}", docs.index_location());
        let deadline = std::time::Duration::from_secs_f64(self.deadline.max(0.001));
        let hint = remote.then(|| {
            "if the docs cannot be reached from here, point --docs at a mirror directory \
             (an offline copy such as ../shared/nx1-docs)"
                .to_owned()
        });
        let crawl = runtime
            .block_on(async { tokio::time::timeout(deadline, crate::crawl(&docs)).await })
            .map_err(|_| Unreadable {
                reasons: vec![format!(
                    "the docs were not read within the deadline of {} s (--deadline)",
                    self.deadline
                )],
                hint: hint.clone(),
            })?
            .map_err(|err| Unreadable {
                reasons: vec![err.to_string()],
                hint: hint.clone(),
            })?;
        if !crawl.failed.is_empty() {
            return Err(Unreadable {
                reasons: crawl
                    .failed
                    .iter()
                    .map(|(_, message)| message.clone())
                    .collect(),
                hint,
            });
        }
        Ok(crawl)
    }
}

/// Why the docs could not be trusted: the reasons go into the report as `pages.failed`.
struct Unreadable {
    reasons: Vec<String>,
    hint: Option<String>,
}

/// Compare the vendored spec with the live docs (or a running server, or another file).
#[derive(Debug, Clone, Args)]
pub struct Check {
    #[command(flatten)]
    pub source: Source,
    /// Compare against this spec instead of the docs: a URL (a FastAPI's /openapi.json) or
    /// a file.
    #[arg(long, value_name = "URL|FILE")]
    pub against: Option<String>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Changes to hide until a date, with a reason (TOML).
    #[arg(long, value_name = "FILE")]
    pub ignore: Option<PathBuf>,
    /// Whose code a change is rated against.
    #[arg(long, value_enum, default_value_t = Side::Client)]
    pub perspective: Side,
    /// Treat what only the docs' prose says as part of the spec.
    #[arg(long)]
    pub strict_docs: bool,
    /// Days of notice a newly deprecated operation must give in its `x-sunset` date.
    #[arg(long, value_name = "DAYS")]
    pub deprecation_days: Option<u32>,
}

/// Write the docs' merged spec to the spec file: canonical, atomic, and only when every
/// page was read.
#[derive(Debug, Clone, Args)]
pub struct UpdateSpec {
    #[command(flatten)]
    pub source: Source,
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Runs the check; prints the report on stdout and returns the exit code. `default_spec`
/// is the spec when `--spec` is not given; `root` is what GitHub annotations are relative to.
pub fn check(args: &Check, default_spec: &Path, root: &Path) -> u8 {
    match try_check(args, default_spec, root) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            exit::ERROR
        }
    }
}

fn try_check(args: &Check, default_spec: &Path, root: &Path) -> Result<u8, Failure> {
    let spec_path = args.source.spec(default_spec);
    let runtime = runtime()?;
    let spec_text = std::fs::read_to_string(&spec_path)
        .map_err(|err| format!("cannot read {} ({err})", spec_path.display()))?;
    let spec = nx1_codegen::load_file(&spec_path)?.value;
    // Annotations name the file relative to the workspace, as GitHub expects.
    let absolute = std::fs::canonicalize(&spec_path).unwrap_or_else(|_| spec_path.clone());
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_owned());
    let spec_name = absolute
        .strip_prefix(&root)
        .unwrap_or(&absolute)
        .display()
        .to_string();
    let (live, sources, fetched) = match &args.against {
        Some(against) => (runtime.block_on(load_spec(against))?, Default::default(), 0),
        None => match args.source.crawl(&runtime) {
            Ok(crawl) => {
                let merged = crawl.merged()?;
                (merged.spec, merged.sources, crawl.fetched)
            }
            Err(Unreadable { reasons, hint }) => {
                // Every format still says what it knows: not in sync, and why.
                if args.format != OutputFormat::Text {
                    let report = Report::new(Vec::new(), 0, reasons.clone());
                    print!(
                        "{}",
                        report.render(args.format.into(), &spec_name, &spec_text)
                    );
                }
                eprintln!(
                    "error: the docs could not be read, so drift cannot be judged:\n  - {}",
                    reasons.join("\n  - ")
                );
                if let Some(hint) = hint {
                    eprintln!("hint: {hint}");
                }
                return Ok(exit::ERROR);
            }
        },
    };
    let perspective = match args.perspective {
        Side::Client => Perspective::Client,
        Side::Server => Perspective::Server,
    };
    let changes = crate::diff(
        &spec,
        &live,
        &sources,
        DiffOptions {
            perspective,
            strict_docs: args.strict_docs,
            deprecation_days: args.deprecation_days,
            today: None,
        },
    )?;
    let changes = match &args.ignore {
        Some(path) => {
            let file = crate::ignore::IgnoreFile::load(path)?;
            for entry in file.expired(crate::ignore::today()) {
                eprintln!(
                    "warning: {}: the entry for `{}` on {} expired on {}; it hides nothing now \
                     (it said: {})",
                    path.display(),
                    entry.rule,
                    entry.operation,
                    entry.expires.as_deref().unwrap_or_default(),
                    entry.reason
                );
            }
            let (kept, hidden) = file.apply(changes, crate::ignore::today());
            for (change, reason) in &hidden {
                eprintln!("ignored {} on {}: {reason}", change.id, change.operation);
            }
            kept
        }
        None => changes,
    };
    let report = Report::new(changes, fetched, Vec::new());
    print!(
        "{}",
        report.render(args.format.into(), &spec_name, &spec_text)
    );
    Ok(match report.worst() {
        None => exit::IN_SYNC,
        Some(Level::Breaking) => exit::BREAKING,
        Some(_) => exit::DRIFT,
    })
}

/// A spec from a URL (a running FastAPI's `/openapi.json`) or a file.
async fn load_spec(location: &str) -> Result<serde_json::Value, Failure> {
    if location.starts_with("http://") || location.starts_with("https://") {
        let response = nx1_tls::client_builder()?
            .timeout(std::time::Duration::from_secs(30))
            .build()?
            .get(location)
            .send()
            .await
            .map_err(|err| format!("cannot fetch {location}: {}", crate::fetch::cause(&err)))?;
        if !response.status().is_success() {
            return Err(format!("{location} answered HTTP {}", response.status()).into());
        }
        let text = response.text().await?;
        let is_json = text.trim_start().starts_with('{');
        return Ok(nx1_codegen::load_str(location, &text, is_json)?.value);
    }
    Ok(nx1_codegen::load_file(Path::new(location))?.value)
}

/// Writes the docs' merged spec to the spec file; returns the exit code.
pub fn update_spec(args: &UpdateSpec, default_spec: &Path) -> u8 {
    match try_update_spec(args, default_spec) {
        Ok(()) => exit::IN_SYNC,
        Err(err) => {
            eprintln!("error: {err}");
            exit::ERROR
        }
    }
}

fn try_update_spec(args: &UpdateSpec, default_spec: &Path) -> Result<(), Failure> {
    let spec_path = args.source.spec(default_spec);
    let runtime = runtime()?;
    let crawl = args
        .source
        .crawl(&runtime)
        .map_err(|Unreadable { reasons, hint }| {
            let hint = hint
                .map(|hint| format!("\nhint: {hint}"))
                .unwrap_or_default();
            format!(
                "the docs could not be read, so {} is left as it is:\n  - {}{hint}",
                spec_path.display(),
                reasons.join("\n  - ")
            )
        })?;
    let merged = crawl.merged()?;
    let yaml = crate::canonical::to_yaml(&merged.spec)?;
    let before = std::fs::read_to_string(&spec_path).unwrap_or_default();
    if before == yaml {
        println!(
            "{}: unchanged ({} operations from {} pages)",
            spec_path.display(),
            merged.sources.len(),
            crawl.fetched
        );
        return Ok(());
    }
    crate::canonical::write_atomic(&spec_path, &yaml)?;
    println!(
        "{}: written ({} operations from {} pages); rebuild to regenerate the client",
        spec_path.display(),
        merged.sources.len(),
        crawl.fetched
    );
    Ok(())
}
