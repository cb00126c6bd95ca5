//! Contract tests: every operation of `openapi.yaml` called through the generated client
//! against the generated router backed by the mock, over loopback. Every JSON body the mock
//! answers is validated against the spec's original 3.1 schema with the `jsonschema` crate
//! (JSON Schema 2020-12), not the normalised one, so that a normalisation mistake shows.
//! The list of operations comes from the spec: one without a call here fails the suite.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use anyhow::{Result, bail};
use axum::body::Body;
use http_body_util::BodyExt;
use nx1_client::{Client, ErrorExt, forms, types};
use nx1_mock::{Access, JobStore, Mock};
use nx1_server_runtime::{Match, RouteTable, SchemaSet, example};
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

const PSK: &str = "contract-psk";
const TOKEN: &str = "contract-token";
const READY_JOB: &str = "00000000-0000-4000-8000-000000000001";

/// One answer the mock gave, as it went over the wire.
#[derive(Debug, Clone)]
struct Exchange {
    method: String,
    path: String,
    status: u16,
    content_type: String,
    body: bytes::Bytes,
}

type Log = Arc<Mutex<Vec<Exchange>>>;

/// The mock behind a layer that records every response.
async fn serve(log: Log) -> Result<String> {
    let mock = Mock::new(
        Access {
            psks: vec![PSK.into()],
            tokens: vec![TOKEN.into()],
        },
        JobStore::demo(),
    );
    let router = mock.router().layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let log = log.clone();
            async move {
                let method = request.method().to_string();
                let path = request.uri().path().to_owned();
                let response = next.run(request).await;
                let (parts, body) = response.into_parts();
                let bytes = body
                    .collect()
                    .await
                    .map(|b| b.to_bytes())
                    .unwrap_or_default();
                log.lock().unwrap().push(Exchange {
                    method,
                    path,
                    status: parts.status.as_u16(),
                    content_type: parts
                        .headers
                        .get(axum::http::header::CONTENT_TYPE)
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or_default()
                        .to_owned(),
                    body: bytes.clone(),
                });
                axum::response::Response::from_parts(parts, Body::from(bytes))
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(format!("http://{address}"))
}

fn spec() -> Value {
    serde_json::from_str(nx1_server::SPEC_JSON).expect("the embedded spec is JSON")
}

/// A schema-valid request body for the operation, as the client's type.
fn body<T: DeserializeOwned>(operation_id: &str) -> T {
    let operation = nx1_server::OPERATIONS
        .iter()
        .find(|operation| operation.id == operation_id)
        .unwrap_or_else(|| panic!("no operation {operation_id}"));
    let pointer = operation.body.expect("the operation has a body").schema;
    let schemas = SchemaSet::new(spec());
    let schema = schemas.of(operation, pointer).expect("body schema");
    let value = example::example(&schemas, schema);
    serde_json::from_value(value.clone()).unwrap_or_else(|err| {
        panic!("{operation_id}: example {value} does not fit the client type: {err}")
    })
}

/// Calls an operation and records that it was called; fails on anything but success.
macro_rules! call {
    ($called:expr, $name:literal, $call:expr) => {{
        $called.insert($name);
        match $call.await {
            Ok(_) => {}
            Err(err) => bail!("{} failed: {err:?}", $name),
        }
    }};
}

#[tokio::test]
async fn every_operation_round_trips_and_matches_the_original_schema() -> Result<()> {
    let log: Log = Arc::default();
    let base = serve(log.clone()).await?;
    let client = Client::builder()
        .base_url(&base)
        .bearer_token(TOKEN)
        .build()?;
    let dag = Client::builder().base_url(&base).psk(PSK).build()?;
    let id = Uuid::parse_str("3fa85f64-5717-4562-b3fc-2c963f66afa6")?;
    let job: Uuid = READY_JOB.parse()?;
    let file = || forms::FilePart::new("data.csv", b"a,b\n1,2\n".to_vec());
    let mut called: BTreeSet<&str> = BTreeSet::new();

    call!(
        called,
        "get_all_apps",
        client.get_all_apps(Some(types::AppTypeEnum::HandAuthored))
    );
    call!(called, "create_app", client.create_app(&body("create_app")));
    call!(called, "delete_component", client.delete_component(&id));
    call!(
        called,
        "activate_app_version",
        client.activate_app_version(&id)
    );
    call!(called, "get_components", client.get_components(&id));
    call!(called, "get_app_by_id", client.get_app_by_id(&id));
    call!(
        called,
        "create_app_role",
        client.create_app_role(&id, "viewer")
    );
    call!(called, "get_app_versions", client.get_app_versions(&id));
    call!(
        called,
        "create_app_version",
        client.create_app_version(&id, &body("create_app_version"))
    );
    call!(
        called,
        "create_feature_engineering_proposal",
        client.create_feature_engineering_proposal(
            Some("corr-1"),
            &body("create_feature_engineering_proposal")
        )
    );
    call!(
        called,
        "approve_proposal",
        client.approve_proposal(&id, &body("approve_proposal"))
    );
    call!(
        called,
        "retry_feature_engineering_job",
        client.retry_feature_engineering_job(&id, None)
    );
    call!(
        called,
        "get_training_job_statuses",
        client.get_training_job_statuses(&[job])
    );
    call!(
        called,
        "trigger_training_job",
        client.trigger_training_job(&job)
    );
    call!(
        called,
        "update_training_status",
        dag.update_training_status(
            &job,
            &types::AutoMlTrainingStatusUpdate {
                status: types::AutoMlTrainingJobStatus::Running,
                error_message: None,
                mlflow_run_id: Some("run-1".into()),
                registered_model_name: None,
            }
        )
    );
    call!(called, "ask_eng", client.ask_eng(None, &body("ask_eng")));
    call!(
        called,
        "schedule_query",
        client.schedule_query(&body("schedule_query"))
    );
    call!(called, "ingest", client.ingest(&body("ingest")));
    call!(
        called,
        "create_dataproduct",
        client.create_dataproduct(&body("create_dataproduct"))
    );
    call!(called, "list_psks", client.list_psks(Some(false)));
    call!(
        called,
        "create_psk",
        client.create_psk(&id, &body("create_psk"))
    );
    call!(called, "get_files", client.get_files());
    call!(
        called,
        "upload_file_url2",
        client.upload_file_url2(&body("upload_file_url2"))
    );
    call!(called, "create_job", client.create_job(&body("create_job")));
    call!(called, "get_job", client.get_job(&id));
    call!(
        called,
        "create_deployment",
        client.create_deployment("churn", &body("create_deployment"))
    );
    call!(
        called,
        "get_deployment",
        client.get_deployment("churn", "online")
    );
    call!(
        called,
        "update_allowed_roles",
        client.update_allowed_roles("churn", "online", &body("update_allowed_roles"))
    );
    call!(
        called,
        "proxy_online_deployment_get",
        client.proxy_online_deployment_get("churn", "online", "score")
    );
    call!(
        called,
        "proxy_online_deployment_patch",
        client.proxy_online_deployment_patch("churn", "online", "score")
    );
    call!(
        called,
        "run_callback",
        dag.run_callback("churn", "batch", &body("run_callback"))
    );
    call!(called, "get_queries", client.get_queries(Some(10)));
    call!(
        called,
        "create_query",
        client.create_query(&body("create_query"))
    );
    call!(
        called,
        "ask_question",
        client.ask_question(&body("ask_question"))
    );
    call!(called, "get_user_psk", client.get_user_psk());
    call!(
        called,
        "create_user_psk",
        client.create_user_psk(&body("create_user_psk"))
    );
    call!(called, "regenerate_user_psk", client.regenerate_user_psk());
    call!(
        called,
        "add_artifact_component",
        client.add_artifact_component(
            &id,
            forms::AddArtifactComponentForm {
                filename: "model.pkl".into(),
                file: file()
            }
        )
    );
    call!(
        called,
        "add_component",
        client.add_component(
            &id,
            forms::AddComponentForm {
                component_type: types::ComponentTypeEnum::Dag,
                filename: Some("dag.py".into()),
                file: Some(file()),
                properties_json: None,
            }
        )
    );
    call!(
        called,
        "upload_document",
        client.upload_document(forms::UploadDocumentForm {
            file: file(),
            confirm_ocr: Some(true),
            subtype: None,
        })
    );
    call!(
        called,
        "upload_file",
        client.upload_file(forms::UploadFileForm { file: Some(file()) })
    );

    // The spec's operations, not a hand-kept list: a new operation fails here until it is
    // called above.
    let in_spec: BTreeSet<&str> = nx1_server::OPERATIONS
        .iter()
        .map(|operation| operation.id)
        .collect();
    assert_eq!(
        called, in_spec,
        "operations called vs operations in openapi.yaml"
    );

    // Every body the mock sent, against the original schema of its operation and status.
    let spec = spec();
    let routes = RouteTable::of(&nx1_server::OPERATIONS);
    let exchanges = log.lock().unwrap().clone();
    assert_eq!(exchanges.len(), in_spec.len());
    let mut validated = 0;
    for exchange in &exchanges {
        let Match::Found { operation, .. } = routes.find(&exchange.method, &exchange.path) else {
            bail!("{} {} did not route", exchange.method, exchange.path);
        };
        let operation = &nx1_server::OPERATIONS[operation];
        let (method, template) = (operation.method(), operation.path());
        // A URI fragment: the pointer's braces must be percent-encoded.
        let pointer = format!(
            "#/paths/{}/{}/responses/{}/content/application~1json/schema",
            template
                .replace('~', "~0")
                .replace('/', "~1")
                .replace('{', "%7B")
                .replace('}', "%7D"),
            method.to_ascii_lowercase(),
            exchange.status
        );
        assert!(
            exchange.content_type.starts_with("application/json"),
            "{exchange:?}"
        );
        let instance: Value = serde_json::from_slice(&exchange.body)?;
        let mut schema = spec.clone();
        schema["$ref"] = Value::String(pointer.clone());
        let validator = jsonschema::draft202012::new(&schema)
            .map_err(|err| anyhow::anyhow!("{pointer}: {err}"))?;
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|err| format!("{} at {}", err, err.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{} {} answered {} that does not match {pointer}:\n{}",
            exchange.method,
            exchange.path,
            instance,
            errors.join("\n")
        );
        validated += 1;
    }
    assert_eq!(validated, 41);
    Ok(())
}

#[tokio::test]
async fn missing_credentials_are_a_401_the_client_can_tell() -> Result<()> {
    let base = serve(Arc::default()).await?;
    let anonymous = Client::builder().base_url(&base).build()?;
    let err = anonymous.get_all_apps(None).await.unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    // A bearer token does not open the PSK-only writeback.
    let bearer = Client::builder()
        .base_url(&base)
        .bearer_token(TOKEN)
        .build()?;
    let update = types::AutoMlTrainingStatusUpdate {
        status: types::AutoMlTrainingJobStatus::Running,
        error_message: None,
        mlflow_run_id: None,
        registered_model_name: None,
    };
    let err = bearer
        .update_training_status(&READY_JOB.parse()?, &update)
        .await
        .unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    Ok(())
}

#[tokio::test]
async fn invalid_input_is_a_typed_validation_error() -> Result<()> {
    let base = serve(Arc::default()).await?;
    let client = Client::builder().base_url(&base).psk(PSK).build()?;
    // The client's types cannot send a malformed UUID; a list the spec bounds can be.
    let mut request: types::DeploymentCreateRequest = body("create_deployment");
    request.entity_columns = Some(Vec::new());
    let err = client
        .create_deployment("churn", &request)
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(422), "{err}");
    assert_eq!(err.operation(), "create_deployment");
    assert!(
        err.to_string()
            .contains("body.entity_columns: List should have at least 1 item"),
        "{err}"
    );
    let Some(detail) = err.body() else {
        bail!("expected a typed 422, got {err:?}");
    };
    let json = serde_json::to_value(detail)?;
    assert_eq!(json["detail"][0]["type"], "too_short", "{json}");
    assert_eq!(
        json["detail"][0]["loc"],
        serde_json::json!(["body", "entity_columns"]),
        "{json}"
    );
    Ok(())
}

#[tokio::test]
async fn the_job_lifecycle_through_the_client() -> Result<()> {
    let base = serve(Arc::default()).await?;
    let client = Client::builder().base_url(&base).psk(PSK).build()?;
    let job: Uuid = READY_JOB.parse()?;
    let status = |client: Client| async move {
        let items = client
            .get_training_job_statuses(&[job])
            .await?
            .into_inner()
            .items;
        Ok::<_, anyhow::Error>((items[0].status, items[0].updated_at))
    };
    let (before, at) = status(client.clone()).await?;
    assert_eq!(before, types::AutoMlTrainingJobStatus::Ready);
    client.trigger_training_job(&job).await?;
    let (after, later) = status(client.clone()).await?;
    assert_eq!(after, types::AutoMlTrainingJobStatus::Queued);
    assert!(later > at);
    // A second trigger is refused: the job is no longer ready.
    let err = client.trigger_training_job(&job).await.unwrap_err();
    assert_eq!(err.status_code(), Some(409));
    // Unknown jobs are left out of the bulk answer.
    let items = client
        .get_training_job_statuses(&[Uuid::nil()])
        .await?
        .into_inner()
        .items;
    assert!(items.is_empty());
    Ok(())
}
