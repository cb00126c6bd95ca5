//! The AutoML training jobs the mock keeps, with the lifecycle the docs describe:
//! `ready → queued` (manual trigger), `queued → running → complete | failed` (the DAG's
//! status writeback). Terminal states do not change.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use nx1_server::types::{
    AutoMlTrainingJobResponse as Job, AutoMlTrainingJobStatus as Status,
    AutoMlTrainingJobStatusItem as StatusItem, AutoMlTrainingStatusUpdate as Update,
};
use serde_json::{Value, json};
use uuid::Uuid;

/// Why a seed file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read seed file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("seed file {path} is not JSON ({source}); give a list of jobs")]
    Json {
        path: String,
        source: serde_json::Error,
    },
    #[error("seed file {path} must hold a JSON list of jobs")]
    NotAList { path: String },
    #[error(
        "seed file {path}, job {index}: {source}; each job needs at least `job_id` and `status`"
    )]
    Job {
        path: String,
        index: usize,
        source: serde_json::Error,
    },
}

/// Why a job could not move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("Training job not found")]
    UnknownJob(Uuid),
    #[error("Training job is {from}; only a ready job can be triggered")]
    NotReady { from: Status },
    #[error("Training job cannot move from {from} to {to}")]
    Invalid { from: Status, to: Status },
}

impl TransitionError {
    pub fn status(&self) -> StatusCode {
        match self {
            TransitionError::UnknownJob(_) => StatusCode::NOT_FOUND,
            TransitionError::NotReady { .. } | TransitionError::Invalid { .. } => {
                StatusCode::CONFLICT
            }
        }
    }
}

/// Jobs by id.
#[derive(Debug, Default)]
pub struct JobStore {
    jobs: Mutex<BTreeMap<Uuid, Job>>,
}

fn rank(status: Status) -> u8 {
    match status {
        Status::Ready => 0,
        Status::Queued => 1,
        Status::Running => 2,
        Status::Complete | Status::Failed => 3,
    }
}

/// What a seed entry is completed with.
fn template(job_id: &str) -> Value {
    json!({
        "job_id": job_id,
        "name": "demo-training",
        "domain": "demo",
        "owner": "nx1-mock",
        "source_table": "demo.churn_features",
        "problem_type": "binary_classification",
        "algorithm": "lightgbm_classifier",
        "preset": "balanced",
        "status": "ready",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z"
    })
}

impl JobStore {
    pub fn new(jobs: impl IntoIterator<Item = Job>) -> Self {
        JobStore {
            jobs: Mutex::new(jobs.into_iter().map(|job| (job.job_id, job)).collect()),
        }
    }

    /// Three jobs, one per phase: ready, running, complete.
    pub fn demo() -> Self {
        let ids = [
            ("00000000-0000-4000-8000-000000000001", "ready"),
            ("00000000-0000-4000-8000-000000000002", "running"),
            ("00000000-0000-4000-8000-000000000003", "complete"),
        ];
        let jobs = ids.iter().filter_map(|(id, status)| {
            let mut job = template(id);
            job["status"] = json!(status);
            serde_json::from_value(job).ok()
        });
        JobStore::new(jobs)
    }

    /// Jobs from a JSON list; each entry is completed from a template, so `job_id` and
    /// `status` are enough.
    pub fn from_seed_file(path: &Path) -> Result<Self, SeedError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            path: shown.clone(),
            source,
        })?;
        let value: Value = serde_json::from_str(&text).map_err(|source| SeedError::Json {
            path: shown.clone(),
            source,
        })?;
        let Value::Array(entries) = value else {
            return Err(SeedError::NotAList { path: shown });
        };
        let mut jobs = Vec::with_capacity(entries.len());
        for (index, entry) in entries.into_iter().enumerate() {
            let id = entry
                .get("job_id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let mut job = template(id);
            if let (Value::Object(job), Value::Object(entry)) = (&mut job, entry) {
                job.extend(entry);
            }
            let job: Job = serde_json::from_value(job).map_err(|source| SeedError::Job {
                path: shown.clone(),
                index,
                source,
            })?;
            jobs.push(job);
        }
        Ok(JobStore::new(jobs))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Uuid, Job>> {
        self.jobs.lock().unwrap_or_else(|err| err.into_inner())
    }

    /// Adds a job, or replaces the one with its id.
    pub fn insert(&self, job: Job) {
        self.lock().insert(job.job_id, job);
    }

    /// Puts a job in `status` directly, as a test arranges it (no transition rules);
    /// `false` when there is no such job.
    pub fn set_status(&self, id: Uuid, status: Status) -> bool {
        let mut jobs = self.lock();
        let Some(job) = jobs.get_mut(&id) else {
            return false;
        };
        move_to(job, status);
        true
    }

    pub fn get(&self, id: Uuid) -> Option<Job> {
        self.lock().get(&id).cloned()
    }

    pub fn all(&self) -> Vec<Job> {
        self.lock().values().cloned().collect()
    }

    /// The current status of each known id, in the order asked; unknown ids are left out,
    /// as the service's database read returns only the rows it finds.
    pub fn statuses(&self, ids: &[Uuid]) -> Vec<StatusItem> {
        let jobs = self.lock();
        ids.iter()
            .filter_map(|id| jobs.get(id))
            .map(|job| StatusItem {
                job_id: job.job_id,
                status: job.status,
                error_message: job.error_message.clone(),
                updated_at: job.updated_at,
            })
            .collect()
    }

    /// Manual trigger: `ready → queued`.
    pub fn trigger(&self, id: Uuid) -> Result<Job, TransitionError> {
        let mut jobs = self.lock();
        let job = jobs.get_mut(&id).ok_or(TransitionError::UnknownJob(id))?;
        if job.status != Status::Ready {
            return Err(TransitionError::NotReady { from: job.status });
        }
        move_to(job, Status::Queued);
        Ok(job.clone())
    }

    /// The DAG's writeback: forward moves only, terminal states stay; reporting the
    /// current status again updates the details without a transition.
    pub fn write_back(&self, id: Uuid, update: &Update) -> Result<Job, TransitionError> {
        let mut jobs = self.lock();
        let job = jobs.get_mut(&id).ok_or(TransitionError::UnknownJob(id))?;
        let (from, to) = (job.status, update.status);
        let forward = rank(to) > rank(from) && rank(from) >= 1;
        if from != to && !forward {
            return Err(TransitionError::Invalid { from, to });
        }
        if from != to {
            move_to(job, to);
        }
        if update.error_message.is_some() {
            job.error_message.clone_from(&update.error_message);
        }
        if update.mlflow_run_id.is_some() {
            job.mlflow_run_id.clone_from(&update.mlflow_run_id);
        }
        if update.registered_model_name.is_some() {
            job.registered_model_name
                .clone_from(&update.registered_model_name);
        }
        Ok(job.clone())
    }
}

/// Moves a job, with an `updated_at` strictly later than the last one.
fn move_to(job: &mut Job, status: Status) {
    let now = pydantic_time(Utc::now());
    job.updated_at = if now > job.updated_at {
        now
    } else {
        pydantic_time(job.updated_at + chrono::Duration::microseconds(1))
    };
    job.status = status;
}

/// A time as the service writes it: Python datetimes hold microseconds, and pydantic
/// prints all six digits whenever there are any (`.120000`), while chrono prints the
/// fewest of 3, 6 or 9 that hold the value. Such a time moves on by a microsecond, so that
/// both print the same six digits.
fn pydantic_time(time: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{SubsecRound, Timelike};
    let time = time.trunc_subsecs(6);
    let micros = time.nanosecond() / 1_000;
    if micros != 0 && micros.is_multiple_of(1_000) {
        time + chrono::Duration::microseconds(1)
    } else {
        time
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READY: &str = "00000000-0000-4000-8000-000000000001";
    const RUNNING: &str = "00000000-0000-4000-8000-000000000002";
    const COMPLETE: &str = "00000000-0000-4000-8000-000000000003";

    fn update(status: Status, error: Option<&str>) -> Update {
        Update {
            status,
            error_message: error.map(str::to_owned),
            mlflow_run_id: None,
            registered_model_name: None,
        }
    }

    #[test]
    fn the_documented_lifecycle() {
        let store = JobStore::demo();
        let id: Uuid = READY.parse().unwrap();
        let before = store.get(id).unwrap().updated_at;
        assert_eq!(store.trigger(id).unwrap().status, Status::Queued);
        let queued_at = store.get(id).unwrap().updated_at;
        assert!(queued_at > before);
        assert_eq!(
            store.trigger(id).unwrap_err(),
            TransitionError::NotReady {
                from: Status::Queued
            }
        );
        store
            .write_back(id, &update(Status::Running, None))
            .unwrap();
        let failed = store
            .write_back(id, &update(Status::Failed, Some("oom")))
            .unwrap();
        assert_eq!(failed.status, Status::Failed);
        assert_eq!(failed.error_message.as_deref(), Some("oom"));
        assert!(failed.updated_at > queued_at);
        // Six fractional digits, as pydantic writes them.
        let written = serde_json::to_value(failed.updated_at).unwrap();
        let fraction = written.as_str().unwrap().split('.').nth(1).unwrap_or("Z");
        assert!(fraction == "Z" || fraction.len() == 7, "{written}");
        assert_eq!(
            store
                .write_back(id, &update(Status::Running, None))
                .unwrap_err(),
            TransitionError::Invalid {
                from: Status::Failed,
                to: Status::Running
            }
        );
    }

    #[test]
    fn ready_jobs_move_only_by_trigger_and_unknown_ids_are_404() {
        let store = JobStore::demo();
        let id: Uuid = READY.parse().unwrap();
        assert!(
            store
                .write_back(id, &update(Status::Running, None))
                .is_err()
        );
        let unknown = Uuid::nil();
        assert_eq!(
            store.trigger(unknown).unwrap_err().status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn statuses_keep_the_order_asked_and_skip_unknown_ids() {
        let store = JobStore::demo();
        let ids: Vec<Uuid> = [COMPLETE, "00000000-0000-4000-8000-00000000ffff", RUNNING]
            .iter()
            .map(|id| id.parse().unwrap())
            .collect();
        let items = store.statuses(&ids);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].status, Status::Complete);
        assert_eq!(items[1].status, Status::Running);
    }
}
