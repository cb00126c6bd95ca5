"""A small FastAPI deployment for the provider-verification test: two operations of the
Nx1 spec, one of them deliberately wrong, and a count of every request that was not a
read, so the test can check that a read-only run sent none."""

from fastapi import FastAPI, Query, Request

app = FastAPI()
writes = {"count": 0, "methods": []}


@app.middleware("http")
async def count_writes(request: Request, call_next):
    if request.method not in ("GET", "HEAD") and request.url.path != "/__writes":
        writes["count"] += 1
        writes["methods"].append(request.method)
    return await call_next(request)


@app.get("/api/automl/train/jobs/status")
def statuses(ids: list[str] = Query(default=[])):
    # Wrong on purpose: job_id must be a UUID string and updated_at is required.
    return {"items": [{"job_id": 42, "status": "ready"}]}


@app.post("/api/automl/train/jobs/{job_id}/trigger")
def trigger(job_id: str):
    return {"job_id": job_id}


@app.get("/__writes")
def seen_writes():
    return writes
