"""The real stack for the loopback benchmark: the two operations the Rust services serve
(the bulk status read and the status writeback), written as the Nx1 FastAPI service writes
them, with pydantic models and the PSK header. `bench/load.sh` serves it with uvicorn."""

from datetime import datetime, timezone
from enum import Enum
from typing import Optional
from uuid import UUID

from fastapi import Depends, FastAPI, HTTPException, Query, Security
from fastapi.security import APIKeyHeader
from pydantic import BaseModel

PSK = "bench-psk"
NOW = datetime.fromtimestamp(1_764_460_800, tz=timezone.utc)

app = FastAPI()
psk_header = APIKeyHeader(name="authorization-psk")


def check_psk(psk: str = Security(psk_header)) -> None:
    if psk != PSK:
        raise HTTPException(status_code=401, detail="Invalid PSK")


class Status(str, Enum):
    ready = "ready"
    queued = "queued"
    running = "running"
    complete = "complete"
    failed = "failed"


class StatusItem(BaseModel):
    job_id: UUID
    status: Status
    error_message: Optional[str] = None
    updated_at: datetime


class Statuses(BaseModel):
    items: list[StatusItem]


class StatusUpdate(BaseModel):
    status: Status
    error_message: Optional[str] = None
    mlflow_run_id: Optional[str] = None
    registered_model_name: Optional[str] = None


class Job(BaseModel):
    job_id: UUID
    name: str
    owner: str
    domain: str
    source_table: str
    algorithm: str
    preset: str
    problem_type: str
    status: Status
    error_message: Optional[str] = None
    airflow_dag_id: Optional[str] = None
    airflow_dag_url: Optional[str] = None
    feature_engineering_job_id: Optional[UUID] = None
    mlflow_experiment_name: Optional[str] = None
    mlflow_run_id: Optional[str] = None
    registered_model_name: Optional[str] = None
    rendered_dag: Optional[str] = None
    created_at: datetime
    updated_at: datetime


@app.get("/api/automl/train/jobs/status", response_model=Statuses)
def statuses(ids: Optional[list[UUID]] = Query(default=None), _: None = Depends(check_psk)):
    return Statuses(
        items=[StatusItem(job_id=i, status=Status.queued, updated_at=NOW) for i in ids or []]
    )


@app.put("/api/automl/train/jobs/{job_id}/status", response_model=Job)
def writeback(job_id: UUID, update: StatusUpdate, _: None = Depends(check_psk)):
    return Job(
        job_id=job_id,
        name="bench",
        owner="bench",
        domain="demo",
        source_table="demo.features",
        algorithm="lightgbm_classifier",
        preset="balanced",
        problem_type="binary_classification",
        status=update.status,
        created_at=NOW,
        updated_at=NOW,
    )
