//! Every struct of the server's `types` has a builder, so an implementation builds a
//! response of many fields by naming only the ones it sets; a required field left out is an
//! error naming it, not a compile error far from the cause.

use nx1_server::types;

fn at() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_764_460_800, 0).unwrap_or_default()
}

#[test]
fn a_job_response_is_built_from_its_required_fields() -> anyhow::Result<()> {
    let job_id = uuid::Uuid::from_u128(7);
    let job: types::AutoMlTrainingJobResponse = types::AutoMlTrainingJobResponse::builder()
        .job_id(job_id)
        .name("churn")
        .owner("ana")
        .domain("demo")
        .source_table("demo.features")
        .algorithm(types::AutoMlAlgorithm::LightgbmClassifier)
        .preset(types::AutoMlPreset::Balanced)
        .problem_type(types::AutoMlProblemType::BinaryClassification)
        .status(types::AutoMlTrainingJobStatus::Running)
        .created_at(at())
        .updated_at(at())
        .error_message(Some("none yet".to_owned()))
        .try_into()?;
    assert_eq!(job.job_id, job_id);
    assert_eq!(job.error_message.as_deref(), Some("none yet"));
    assert_eq!(job.mlflow_run_id, None);
    // Unset optionals are written as `null`, as FastAPI's response model writes them.
    let json = serde_json::to_value(&job)?;
    assert_eq!(json["mlflow_run_id"], serde_json::Value::Null);
    assert!(
        json.as_object()
            .is_some_and(|map| map.contains_key("mlflow_run_id"))
    );
    assert_eq!(json["status"], "running");
    Ok(())
}

#[test]
fn a_missing_required_field_is_named() {
    let result: Result<types::AutoMlTrainingJobStatusItem, _> =
        types::AutoMlTrainingJobStatusItem::builder()
            .status(types::AutoMlTrainingJobStatus::Queued)
            .updated_at(at())
            .try_into();
    let err = result.expect_err("job_id was not set");
    assert!(err.to_string().contains("job_id"), "{err}");
}
