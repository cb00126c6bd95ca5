//! `cargo xtask drift` and `update-spec` end to end: the binary against docs sites served on
//! 127.0.0.1 by the test (built from the vendored spec in Mintlify's layout), mutated specs
//! (one per rule), injected faults, and the real drift pairs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn vendored() -> Value {
    let text = std::fs::read_to_string(root().join("openapi.yaml")).unwrap();
    serde_saphyr::from_str_with_options(&text, serde_saphyr::options! { strict_booleans: true })
        .unwrap()
}

/// A scratch copy of the vendored spec, to be checked and possibly rewritten.
fn scratch_spec(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nx1-drift-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("openapi.yaml");
    std::fs::copy(root().join("openapi.yaml"), &path).unwrap();
    path
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|err| panic!("{err}: {}", self.stdout))
    }
}

fn xtask(args: &[&str]) -> Outcome {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("xtask runs");
    Outcome {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

async fn xtask_async(args: Vec<String>) -> Outcome {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        xtask(&args)
    })
    .await
    .unwrap()
}

// ---------------------------------------------------------------------------------------
// A Mintlify-style docs site built from a spec.

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Every `$ref` target the operation needs, transitively.
fn referenced(spec: &Value, value: &Value, into: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref")
                && let Some(pointer) = reference.strip_prefix('#')
                && into.insert(pointer.to_owned())
                && let Some(target) = spec.pointer(pointer)
            {
                referenced(spec, target, into);
            }
            for item in map.values() {
                referenced(spec, item, into);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| referenced(spec, item, into)),
        _ => {}
    }
}

/// (url path, markdown) per operation, as the Nx1 docs site lays them out.
fn pages(spec: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let mut needed = BTreeSet::new();
            referenced(spec, operation, &mut needed);
            let mut components = json!({"securitySchemes": spec["components"]["securitySchemes"]});
            for pointer in needed {
                let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
                if let ["components", section, name] = parts.as_slice() {
                    components[*section][*name] =
                        spec.pointer(&pointer).cloned().unwrap_or_default();
                }
            }
            let document = json!({
                "openapi": spec["openapi"],
                "info": spec["info"],
                "servers": [],
                "security": [],
                "paths": {path.clone(): {method: operation}},
                "components": components,
            });
            let yaml = serde_saphyr::to_string(&document).unwrap();
            let slug = format!(
                "/api-reference/{}-{}.md",
                method,
                path.trim_start_matches('/').replace(['/', '{', '}'], "-")
            );
            let title = operation["summary"].as_str().unwrap_or("Operation");
            let markdown = format!(
                "> ## Documentation Index\n> Fetch the complete documentation index at: https://docs.nx1cloud.com/llms.txt\n\n# {title}\n\n## OpenAPI\n\n````yaml {method} {path}\n{yaml}````\n"
            );
            out.push((slug, markdown));
        }
    }
    out
}

/// How the test server answers one path.
#[derive(Clone)]
enum Answer {
    Text(String),
    Status(u16),
    /// Sleeps this long, then answers.
    Slow(Duration, String),
    /// 429 with `Retry-After: 1` the first time, the text after.
    RateLimited(Arc<std::sync::atomic::AtomicBool>, String),
}

struct Site {
    base: String,
}

/// Binds first, so that the index can carry absolute URLs as the real site's does.
async fn serve_site(build: impl FnOnce(&str) -> BTreeMap<String, Answer>) -> Site {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let answers = Arc::new(build(&base));
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let answers = answers.clone();
        async move {
            let path = percent_decode(uri.path());
            match answers.get(&path).cloned() {
                Some(Answer::Text(text)) => text_response(text),
                Some(Answer::Status(code)) => StatusCode::from_u16(code).unwrap().into_response(),
                Some(Answer::Slow(delay, text)) => {
                    tokio::time::sleep(delay).await;
                    text_response(text)
                }
                Some(Answer::RateLimited(seen, text)) => {
                    if seen.swap(true, std::sync::atomic::Ordering::SeqCst) {
                        text_response(text)
                    } else {
                        (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")])
                            .into_response()
                    }
                }
                None => StatusCode::NOT_FOUND.into_response(),
            }
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    Site { base }
}

fn text_response(text: String) -> Response {
    ([(header::CONTENT_TYPE, "text/markdown")], text).into_response()
}

fn percent_decode(path: &str) -> String {
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned()
}

/// A site for `spec` in the mirror's layout (llms.txt with absolute links, one Markdown
/// page per operation, a guide without an API block), `tweak` applied before serving.
async fn site_for(
    spec: &Value,
    tweak: impl FnOnce(&mut BTreeMap<String, Answer>, &[String]),
) -> Site {
    let pages = pages(spec);
    serve_site(move |base| {
        let slugs: Vec<String> = pages.iter().map(|(slug, _)| slug.clone()).collect();
        let mut answers: BTreeMap<String, Answer> = pages
            .into_iter()
            .map(|(slug, markdown)| (slug, Answer::Text(markdown)))
            .collect();
        let mut index = format!(
            "# Nx1\n\n> Test docs.\n\n## Docs\n\n- [Guide]({base}/guide.md): a page without an API block\n"
        );
        for slug in &slugs {
            index.push_str(&format!("- [{slug}]({base}{slug})\n"));
        }
        answers.insert("/llms.txt".into(), Answer::Text(index));
        answers.insert("/guide.md".into(), Answer::Text("# Guide\n\nProse only.\n".into()));
        tweak(&mut answers, &slugs);
        answers
    })
    .await
}

fn page_with<'a>(slugs: &'a [String], needle: &str) -> &'a String {
    slugs
        .iter()
        .find(|slug| slug.contains(needle))
        .unwrap_or_else(|| panic!("no page {needle}"))
}

// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn the_vendored_spec_is_in_sync_with_its_own_docs_site() {
    let spec = vendored();
    let site = site_for(&spec, |_, _| {}).await;
    let path = scratch_spec("in-sync");
    let outcome = xtask_async(vec![
        "drift".into(),
        "--docs".into(),
        format!("{}/llms.txt", site.base),
        "--spec".into(),
        path.display().to_string(),
        "--format".into(),
        "json".into(),
    ])
    .await;
    assert_eq!(outcome.code, 0, "{}{}", outcome.stdout, outcome.stderr);
    let report = outcome.json();
    assert_eq!(report["in_sync"], true);
    assert_eq!(report["pages"]["fetched"], 42);

    let before = std::fs::read(&path).unwrap();
    let outcome = xtask_async(vec![
        "update-spec".into(),
        "--docs".into(),
        format!("{}/llms.txt", site.base),
        "--spec".into(),
        path.display().to_string(),
    ])
    .await;
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(outcome.stdout.contains("unchanged"), "{}", outcome.stdout);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn the_offline_mirror_is_in_sync_and_update_spec_changes_nothing() {
    let mirror = root().join("../shared/nx1-docs/llms.txt");
    if !mirror.exists() {
        panic!(
            "{} is absent: this test needs the shared docs mirror beside the project",
            mirror.display()
        );
    }
    let path = scratch_spec("mirror");
    let outcome = xtask(&[
        "drift",
        "--docs",
        mirror.to_str().unwrap(),
        "--spec",
        path.to_str().unwrap(),
    ]);
    assert_eq!(outcome.code, 0, "{}{}", outcome.stdout, outcome.stderr);
    let before = std::fs::read(&path).unwrap();
    let outcome = xtask(&[
        "update-spec",
        "--docs",
        mirror.to_str().unwrap(),
        "--spec",
        path.to_str().unwrap(),
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the vendored spec is in canonical form"
    );
}

/// `drift` of the vendored spec against `live` (written to a scratch file), with `extra`
/// options.
fn drift_against(name: &str, live: &Value, extra: &[&str]) -> Outcome {
    let path = std::env::temp_dir().join(format!("nx1-drift-{}-{name}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_string(live).unwrap()).unwrap();
    let spec = root().join("openapi.yaml");
    let mut args = vec![
        "drift",
        "--spec",
        spec.to_str().unwrap(),
        "--against",
        path.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    xtask(&args)
}

fn with_status_value(value: &str) -> Value {
    let mut live = vendored();
    live["components"]["schemas"]["AutoMLTrainingJobStatus"]["enum"]
        .as_array_mut()
        .unwrap()
        .push(json!(value));
    live
}

// ---------------------------------------------------------------------------------------
// One mutation per rule: (rule, level, operation, mutation of the live spec).

type Mutation = fn(&mut Value);

const STATUS_ITEM: &str = "AutoMLTrainingJobStatusItem";

fn mutations() -> Vec<(&'static str, &'static str, &'static str, Mutation)> {
    vec![
        ("endpoint-added", "info", "GET /api/reports", |s| {
            s["paths"]["/api/reports"] = json!({"get": {"operationId": "list_reports_api_reports_get", "responses": {"200": {"description": "ok"}}}});
        }),
        ("endpoint-removed", "breaking", "GET /api/files", |s| {
            s["paths"]["/api/files"]
                .as_object_mut()
                .unwrap()
                .remove("get");
        }),
        (
            "new-required-request-parameter",
            "breaking",
            "GET /api/app",
            |s| {
                s["paths"]["/api/app"]["get"]["parameters"].as_array_mut().unwrap().push(json!({"name": "owner", "in": "query", "required": true, "schema": {"type": "string"}}));
            },
        ),
        (
            "new-optional-request-parameter",
            "info",
            "GET /api/app",
            |s| {
                s["paths"]["/api/app"]["get"]["parameters"].as_array_mut().unwrap().push(json!({"name": "owner", "in": "query", "required": false, "schema": {"type": "string"}}));
            },
        ),
        (
            "request-parameter-removed",
            "warning",
            "GET /api/app",
            |s| {
                s["paths"]["/api/app"]["get"]["parameters"] = json!([]);
            },
        ),
        (
            "request-parameter-became-required",
            "breaking",
            "GET /api/app",
            |s| {
                s["paths"]["/api/app"]["get"]["parameters"][0]["required"] = json!(true);
            },
        ),
        (
            "request-parameter-type-changed",
            "breaking",
            "GET /api/query",
            |s| {
                s["paths"]["/api/query"]["get"]["parameters"][0]["schema"] =
                    json!({"type": "string"});
            },
        ),
        (
            "request-parameter-enum-value-removed",
            "breaking",
            "GET /api/app",
            |s| {
                s["components"]["schemas"]["AppTypeEnum"]["enum"]
                    .as_array_mut()
                    .unwrap()
                    .pop();
            },
        ),
        (
            "new-required-request-property",
            "breaking",
            "POST /api/app",
            |s| {
                s["components"]["schemas"]["CreateAppRequest"]["properties"]["team"] =
                    json!({"type": "string"});
                s["components"]["schemas"]["CreateAppRequest"]["required"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("team"));
            },
        ),
        (
            "request-property-became-required",
            "breaking",
            "POST /api/app",
            |s| {
                s["components"]["schemas"]["CreateAppRequest"]["required"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("app_type"));
            },
        ),
        (
            "request-body-became-required",
            "breaking",
            "POST /api/files/file",
            |s| {
                s["paths"]["/api/files/file"]["post"]["requestBody"]["required"] = json!(true);
            },
        ),
        (
            "response-required-property-removed",
            "breaking",
            "GET /api/automl/train/jobs/status",
            |s| {
                let schema = &mut s["components"]["schemas"][STATUS_ITEM];
                schema["properties"]
                    .as_object_mut()
                    .unwrap()
                    .remove("updated_at");
                schema["required"] = json!(["job_id", "status"]);
            },
        ),
        (
            "response-optional-property-removed",
            "breaking",
            "GET /api/automl/train/jobs/status",
            |s| {
                s["components"]["schemas"][STATUS_ITEM]["properties"]
                    .as_object_mut()
                    .unwrap()
                    .remove("error_message");
            },
        ),
        (
            "response-property-became-optional",
            "breaking",
            "GET /api/automl/train/jobs/status",
            |s| {
                s["components"]["schemas"][STATUS_ITEM]["required"] = json!(["job_id", "status"]);
            },
        ),
        (
            "response-property-became-nullable",
            "breaking",
            "GET /api/automl/train/jobs/status",
            |s| {
                s["components"]["schemas"][STATUS_ITEM]["properties"]["updated_at"] = json!({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}], "title": "Updated At"});
            },
        ),
        (
            "response-property-type-changed",
            "breaking",
            "GET /api/automl/train/jobs/status",
            |s| {
                s["components"]["schemas"][STATUS_ITEM]["properties"]["updated_at"] =
                    json!({"type": "integer"});
            },
        ),
        (
            "response-property-enum-value-added",
            "breaking",
            "GET /api/automl/train/jobs/status",
            |s| {
                s["components"]["schemas"]["AutoMLTrainingJobStatus"]["enum"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("archived"));
            },
        ),
        (
            "response-success-status-removed",
            "breaking",
            "GET /api/files",
            |s| {
                let responses = s["paths"]["/api/files"]["get"]["responses"]
                    .as_object_mut()
                    .unwrap();
                let ok = responses.remove("200").unwrap();
                responses.insert("201".into(), ok);
            },
        ),
        (
            "response-media-type-removed",
            "breaking",
            "GET /api/files",
            |s| {
                let content = s["paths"]["/api/files"]["get"]["responses"]["200"]["content"]
                    .as_object_mut()
                    .unwrap();
                let json = content.remove("application/json").unwrap();
                content.insert("text/csv".into(), json);
            },
        ),
        (
            "security-changed",
            "breaking",
            "PUT /api/automl/train/jobs/{job_id}/status",
            |s| {
                s["paths"]["/api/automl/train/jobs/{job_id}/status"]["put"]["security"] =
                    json!([{"OAuth2AuthorizationCodeBearer": []}]);
            },
        ),
        ("operation-id-changed", "breaking", "GET /api/files", |s| {
            s["paths"]["/api/files"]["get"]["operationId"] = json!("list_files_api_files_get");
        }),
        // The families added with the rule table, each on the vendored spec (which has no
        // union of two or more branches: those rules are tested on small specs in
        // crates/nx1-drift/tests/rules.rs, and on the airflow pair).
        ("endpoint-deprecated", "info", "GET /api/files", |s| {
            s["paths"]["/api/files"]["get"]["deprecated"] = json!(true);
        }),
        (
            "response-error-status-added",
            "info",
            "GET /api/files",
            |s| {
                s["paths"]["/api/files"]["get"]["responses"]["404"] =
                    json!({"description": "none"});
            },
        ),
        ("response-header-added", "info", "GET /api/files", |s| {
            s["paths"]["/api/files"]["get"]["responses"]["200"]["headers"] =
                json!({"X-Total-Count": {"schema": {"type": "integer"}}});
        }),
        (
            "response-property-type-widened",
            "breaking",
            "GET /api/files",
            |s| {
                s["components"]["schemas"]["FileResponse"]["properties"]["size"] =
                    json!({"type": "number", "title": "Size"});
            },
        ),
        (
            "request-property-constraint-tightened",
            "breaking",
            "PUT /api/automl/train/jobs/{job_id}/status",
            |s| {
                s["components"]["schemas"]["AutoMLTrainingStatusUpdate"]["properties"]["error_message"] =
                    json!({"anyOf": [{"type": "string", "maxLength": 500}, {"type": "null"}]});
            },
        ),
        (
            "request-property-became-non-nullable",
            "breaking",
            "PUT /api/automl/train/jobs/{job_id}/status",
            |s| {
                s["components"]["schemas"]["AutoMLTrainingStatusUpdate"]["properties"]["mlflow_run_id"] =
                    json!({"type": "string"});
            },
        ),
        (
            "request-media-type-added",
            "info",
            "PUT /api/automl/train/jobs/{job_id}/status",
            |s| {
                let body = &mut s["paths"]["/api/automl/train/jobs/{job_id}/status"]["put"]["requestBody"]
                    ["content"];
                body["application/x-www-form-urlencoded"] = body["application/json"].clone();
            },
        ),
        (
            "response-property-became-non-nullable",
            "warning",
            "GET /api/automl/train/jobs/status",
            |s| {
                s["components"]["schemas"][STATUS_ITEM]["properties"]["error_message"] =
                    json!({"type": "string"});
            },
        ),
    ]
}

#[test]
fn every_rule_is_detected_with_its_level_and_exit_status() {
    for (rule, level, operation, mutate) in mutations() {
        let mut live = vendored();
        mutate(&mut live);
        let outcome = drift_against(rule, &live, &["--format", "json"]);
        let report = outcome.json();
        let changes = report["changes"].as_array().unwrap();
        let found = changes.iter().find(|change| change["id"] == rule);
        let Some(found) = found else {
            panic!(
                "{rule}: not reported; got {}",
                serde_json::to_string_pretty(changes).unwrap()
            );
        };
        assert_eq!(found["level"], level, "{rule}");
        assert_eq!(found["operation"], operation, "{rule}");
        let worst_breaking = changes.iter().any(|change| change["level"] == "breaking");
        let expected_code = if worst_breaking { 3 } else { 2 };
        assert_eq!(outcome.code, expected_code, "{rule}: {}", outcome.stdout);
        if level == "breaking" {
            assert_eq!(outcome.code, 3, "{rule}");
        }
        assert_eq!(
            found["fingerprint"].as_str().map(str::len),
            Some(16),
            "{rule}"
        );
    }
}

#[test]
fn a_shared_component_change_lists_every_operation_that_uses_it() {
    let mut live = vendored();
    live["components"]["schemas"]["ErrorResponse"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("detail");
    let outcome = drift_against("shared", &live, &["--format", "json"]);
    let report = outcome.json();
    let operations: BTreeSet<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|change| change["id"] == "response-required-property-removed")
        .map(|change| change["operation"].as_str().unwrap())
        .collect();
    // Every operation whose JSON responses use ErrorResponse, read from the spec itself.
    let spec_value = vendored();
    let mut expected = BTreeSet::new();
    for (path, item) in spec_value["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation["responses"]
                .to_string()
                .contains("#/components/schemas/ErrorResponse")
            {
                expected.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let operations: BTreeSet<String> = operations.into_iter().map(str::to_owned).collect();
    assert_eq!(operations, expected);
}

#[test]
fn the_server_perspective_flips_directions() {
    let outcome = drift_against(
        "server",
        &with_status_value("archived"),
        &["--format", "json", "--perspective", "server"],
    );
    let report = outcome.json();
    let added: Vec<&Value> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|change| change["id"] == "response-property-enum-value-added")
        .collect();
    assert!(!added.is_empty());
    assert!(added.iter().all(|change| change["level"] == "info"));
    // The writeback's request now accepts a value the server must handle.
    assert_eq!(outcome.code, 3, "{}", outcome.stdout);
}

#[test]
fn an_ignore_file_hides_until_it_expires() {
    let mut live = vendored();
    live["paths"]["/api/reports"] = json!({"get": {"operationId": "list_reports_api_reports_get", "responses": {"200": {"description": "ok"}}}});
    let ignore = std::env::temp_dir().join(format!("nx1-drift-{}-ignore.toml", std::process::id()));
    let run = |expires: &str| {
        std::fs::write(
            &ignore,
            format!("[[ignore]]\nrule = \"endpoint-added\"\noperation = \"GET /api/reports\"\nreason = \"next release\"\nexpires = \"{expires}\"\n"),
        )
        .unwrap();
        drift_against("ignore", &live, &["--ignore", ignore.to_str().unwrap()])
    };
    let hidden = run("2999-12-31");
    assert_eq!(hidden.code, 0, "{}{}", hidden.stdout, hidden.stderr);
    assert!(
        hidden.stderr.contains("ignored endpoint-added"),
        "{}",
        hidden.stderr
    );
    let expired = run("2000-01-01");
    assert_eq!(expired.code, 2, "{}", expired.stdout);
    assert!(
        expired
            .stderr
            .contains("expired on 2000-01-01; it hides nothing now"),
        "an expired entry stops hiding with a word: {}",
        expired.stderr
    );
}

#[test]
fn reports_in_every_format() {
    let live = with_status_value("archived");
    let spec = root().join("openapi.yaml");
    let run = |format: &str| drift_against("formats", &live, &["--format", format]);
    let text = run("text");
    assert!(
        text.stdout.contains("GET /api/automl/train/jobs/status"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("breaking  response-property-enum-value-added"),
        "{}",
        text.stdout
    );
    let markdown = run("markdown");
    assert!(
        markdown.stdout.starts_with("### API drift:"),
        "{}",
        markdown.stdout
    );
    assert!(
        markdown
            .stdout
            .contains("| breaking | `response-property-enum-value-added` |"),
        "{}",
        markdown.stdout
    );
    let github = run("github");
    let line = github
        .stdout
        .lines()
        .find(|line| line.contains("response-property-enum-value-added"))
        .unwrap();
    assert!(
        line.starts_with("::error file=openapi.yaml,line="),
        "{line}"
    );
    // The line points at the enum's schema in openapi.yaml.
    let number: usize = line["::error file=openapi.yaml,line=".len()..]
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let vendored_text = std::fs::read_to_string(&spec).unwrap();
    let target = vendored_text.lines().nth(number - 1).unwrap();
    assert!(
        target.contains("AutoMLTrainingJobStatus:"),
        "line {number}: {target}"
    );
    let json = run("json").json();
    for key in ["in_sync", "changes", "pages"] {
        assert!(json.get(key).is_some(), "{key}");
    }
    for key in [
        "id",
        "level",
        "operation",
        "pointer",
        "message",
        "page",
        "fingerprint",
    ] {
        assert!(json["changes"][0].get(key).is_some(), "{key}");
    }
}

// ---------------------------------------------------------------------------------------
// Faults: every one is exit 1, names the page, and leaves the spec file as it was.

async fn assert_fault(
    name: &str,
    tweak: impl FnOnce(&mut BTreeMap<String, Answer>, &[String]) -> String,
    expected: &str,
) {
    let spec = vendored();
    let mut culprit = String::new();
    let site = site_for(&spec, |answers, slugs| culprit = tweak(answers, slugs)).await;
    let path = scratch_spec(name);
    let before = std::fs::read(&path).unwrap();
    for task in ["drift", "update-spec"] {
        let outcome = xtask_async(vec![
            task.into(),
            "--docs".into(),
            format!("{}/llms.txt", site.base),
            "--spec".into(),
            path.display().to_string(),
            "--timeout".into(),
            "1".into(),
            "--retries".into(),
            "1".into(),
        ])
        .await;
        assert_eq!(
            outcome.code, 1,
            "{name} {task}: {}{}",
            outcome.stdout, outcome.stderr
        );
        assert!(
            outcome.stderr.contains(&culprit),
            "{name} {task}: {}",
            outcome.stderr
        );
        assert!(
            outcome.stderr.contains(expected),
            "{name} {task}: {}",
            outcome.stderr
        );
        assert!(
            !outcome.stdout.contains("endpoint-removed"),
            "{name}: a failed page is not a removal"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "{name} {task}: spec file changed"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_fail_the_check() {
    assert_fault(
        "500",
        |answers, slugs| {
            let slug = page_with(slugs, "get-api-files.md").clone();
            answers.insert(slug.clone(), Answer::Status(500));
            slug
        },
        "HTTP 500",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn timeouts_fail_the_check() {
    assert_fault(
        "timeout",
        |answers, slugs| {
            let slug = page_with(slugs, "get-api-files.md").clone();
            let text = match answers.get(&slug) {
                Some(Answer::Text(text)) => text.clone(),
                _ => unreachable!(),
            };
            answers.insert(slug.clone(), Answer::Slow(Duration::from_secs(4), text));
            slug
        },
        "timed out",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn truncated_pages_fail_the_check() {
    assert_fault(
        "truncated",
        |answers, slugs| {
            let slug = page_with(slugs, "get-api-files.md").clone();
            if let Some(Answer::Text(text)) = answers.get_mut(&slug) {
                let cut = text.rfind("````").unwrap();
                text.truncate(cut);
            }
            slug
        },
        "never closed",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_yaml_in_a_fence_fails_the_check() {
    assert_fault(
        "yaml",
        |answers, slugs| {
            let slug = page_with(slugs, "get-api-files.md").clone();
            if let Some(Answer::Text(text)) = answers.get_mut(&slug) {
                *text = text.replacen("paths:", "paths: [unclosed", 1);
            }
            slug
        },
        "invalid YAML",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn conflicting_components_name_both_pages() {
    assert_fault(
        "conflict",
        |answers, slugs| {
            let slug = page_with(slugs, "delete-api-app-components").clone();
            if let Some(Answer::Text(text)) = answers.get_mut(&slug) {
                *text = text.replacen(
                    "    ErrorResponse:\n",
                    "    ErrorResponse:\n      deprecated: true\n",
                    1,
                );
            }
            slug
        },
        // The difference itself, not only the two pages.
        "components.schemas.ErrorResponse differs between",
    )
    .await;
    let spec = vendored();
    let site = site_for(&spec, |answers, slugs| {
        let slug = page_with(slugs, "delete-api-app-components").clone();
        if let Some(Answer::Text(text)) = answers.get_mut(&slug) {
            *text = text.replacen(
                "    ErrorResponse:\n",
                "    ErrorResponse:\n      deprecated: true\n",
                1,
            );
        }
    })
    .await;
    let outcome = xtask_async(vec![
        "drift".into(),
        "--docs".into(),
        format!("{}/llms.txt", site.base),
        "--spec".into(),
        scratch_spec("conflict-detail").display().to_string(),
    ])
    .await;
    assert!(
        outcome.stderr.contains("at /deprecated: absent vs true")
            || outcome.stderr.contains("at /deprecated: true vs absent"),
        "{}",
        outcome.stderr
    );
}

/// Runs `drift` against docs at `docs` with small timeouts; returns the outcome and how
/// long it took.
async fn drift_at(docs: &str, extra: &[&str]) -> (Outcome, Duration) {
    let mut args: Vec<String> = vec![
        "drift".into(),
        "--docs".into(),
        docs.into(),
        "--spec".into(),
        scratch_spec("unreachable").display().to_string(),
    ];
    args.extend(extra.iter().map(|arg| (*arg).to_owned()));
    let started = std::time::Instant::now();
    let outcome = xtask_async(args).await;
    (outcome, started.elapsed())
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_docs_name_the_cause_and_still_report() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap();
    drop(listener);
    let docs = format!("http://{closed}/llms.txt");
    let (outcome, _) = drift_at(&docs, &["--retries", "0", "--format", "json"]).await;
    assert_eq!(outcome.code, 1, "{}{}", outcome.stdout, outcome.stderr);
    assert!(
        outcome.stderr.to_lowercase().contains("connection refused"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("--docs"),
        "a hint: {}",
        outcome.stderr
    );
    let report = outcome.json();
    assert_eq!(report["in_sync"], false);
    let failed = report["pages"]["failed"].as_array().unwrap();
    assert!(
        failed[0]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("connection refused"),
        "{report}"
    );
    // The GitHub format says it too, as an annotation-free report is no report.
    let (outcome, _) = drift_at(&docs, &["--retries", "0", "--format", "github"]).await;
    assert_eq!(outcome.code, 1);
    assert!(!outcome.stdout.is_empty(), "{}", outcome.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_that_never_answers_is_given_up_on_at_the_deadline() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let (outcome, took) = drift_at(
        &format!("http://{address}/llms.txt"),
        &["--timeout", "1", "--retries", "10", "--deadline", "2"],
    )
    .await;
    assert_eq!(outcome.code, 1, "{}{}", outcome.stdout, outcome.stderr);
    assert!(outcome.stderr.contains("deadline"), "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains(&format!("drift: reading http://{address}/llms.txt")),
        "not silent: {}",
        outcome.stderr
    );
    // Generous: the point is the 2 s deadline, not 11 attempts of 1 s and their backoff.
    assert!(took < Duration::from_secs(8), "{took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_index_names_both_urls_tried() {
    let spec = vendored();
    let site = site_for(&spec, |answers, _| {
        answers.remove("/llms.txt");
    })
    .await;
    let (outcome, _) = drift_at(&site.base, &[]).await;
    assert_eq!(outcome.code, 1, "{}{}", outcome.stdout, outcome.stderr);
    assert!(outcome.stderr.contains("/llms.txt"), "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("/.well-known/llms.txt"),
        "{}",
        outcome.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_are_waited_out() {
    let spec = vendored();
    let site = site_for(&spec, |answers, slugs| {
        let slug = page_with(slugs, "get-api-files.md").clone();
        if let Some(Answer::Text(text)) = answers.get(&slug).cloned() {
            answers.insert(slug, Answer::RateLimited(Arc::default(), text));
        }
    })
    .await;
    let path = scratch_spec("429");
    let outcome = xtask_async(vec![
        "drift".into(),
        "--docs".into(),
        format!("{}/llms.txt", site.base),
        "--spec".into(),
        path.display().to_string(),
    ])
    .await;
    assert_eq!(outcome.code, 0, "{}{}", outcome.stdout, outcome.stderr);
}

// ---------------------------------------------------------------------------------------
// Real drift, nobody staged.

fn pair(old: &str, new: &str) -> Outcome {
    let dir = root().join("../shared/specs/drift-pairs");
    if !dir.is_dir() {
        panic!(
            "{} is absent: these tests need the shared corpus beside the project",
            dir.display()
        );
    }
    xtask(&[
        "drift",
        "--spec",
        dir.join(old).to_str().unwrap(),
        "--against",
        dir.join(new).to_str().unwrap(),
        "--format",
        "json",
    ])
}

#[test]
fn flashnotes_moved_its_prefix() {
    let outcome = pair("flashnotes-6629867.json", "flashnotes-a15eda1.json");
    assert_eq!(outcome.code, 3);
    let report = outcome.json();
    let count = |id: &str| {
        report["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["id"] == id)
            .count()
    };
    assert_eq!(count("endpoint-removed"), 15);
    assert_eq!(count("endpoint-added"), 17);
}

#[test]
fn airflow_findings_are_pinned() {
    let outcome = pair("airflow-d71f13a.yaml", "airflow-241405e.yaml");
    assert_eq!(outcome.code, 3);
    let report = outcome.json();
    let lines: Vec<String> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| {
            format!(
                "{} {} {} | {}",
                change["level"].as_str().unwrap(),
                change["id"].as_str().unwrap(),
                change["operation"].as_str().unwrap(),
                change["message"].as_str().unwrap()
            )
        })
        .collect();
    insta::assert_snapshot!("airflow_pair", lines.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_well_known_index_is_the_fallback() {
    let spec = vendored();
    let site = site_for(&spec, |answers, _| {
        if let Some(index) = answers.remove("/llms.txt") {
            answers.insert("/.well-known/llms.txt".into(), index);
        }
    })
    .await;
    let path = scratch_spec("well-known");
    // The site's root, not its index: `/llms.txt` is tried first and answers 404.
    let outcome = xtask_async(vec![
        "drift".into(),
        "--docs".into(),
        site.base.clone(),
        "--spec".into(),
        path.display().to_string(),
    ])
    .await;
    assert_eq!(outcome.code, 0, "{}{}", outcome.stdout, outcome.stderr);
}
