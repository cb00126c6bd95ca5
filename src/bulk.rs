//! The statuses of any number of training jobs. The operation takes its ids in the query
//! string (`?ids=…&ids=…`, 41 bytes each), so a few hundred ids already make a URL that
//! common proxies refuse (nginx answers 414 past 8 KiB). This splits the ids into requests
//! whose URL stays under a limit, sends each distinct id once, a few requests at a time,
//! and merges the answers in the caller's order.

use std::collections::{HashMap, HashSet};

use futures::{StreamExt, TryStreamExt};
use uuid::Uuid;

use crate::Error;
use crate::generated::{Client, types};

/// How [`Client::training_job_statuses_with`] splits and sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchOptions {
    /// The longest URL one request may have, in bytes. Default: 8 KiB, nginx's default.
    pub max_url_len: usize,
    /// Requests in flight at once. Default: 4.
    pub concurrency: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            max_url_len: 8 * 1024,
            concurrency: 4,
        }
    }
}

impl BatchOptions {
    pub fn max_url_len(mut self, bytes: usize) -> Self {
        self.max_url_len = bytes;
        self
    }

    pub fn concurrency(mut self, requests: usize) -> Self {
        self.concurrency = requests;
        self
    }
}

/// The path of the bulk-status operation, as the URL writes it.
const PATH: &str = "/api/automl/train/jobs/status";
/// `ids=<uuid>&`: what each id adds to the URL.
const PER_ID: usize = "ids=".len() + 36 + 1;

impl Client {
    /// The status of every job in `ids`, however many: see [`BatchOptions`] for how they are
    /// sent. One item per distinct id the server knows, in the order the ids first occur.
    pub async fn training_job_statuses(
        &self,
        ids: &[Uuid],
    ) -> Result<Vec<types::AutoMlTrainingJobStatusItem>, Error<types::HttpValidationError>> {
        self.training_job_statuses_with(ids, BatchOptions::default())
            .await
    }

    /// [`training_job_statuses`](Self::training_job_statuses) with explicit limits.
    pub async fn training_job_statuses_with(
        &self,
        ids: &[Uuid],
        options: BatchOptions,
    ) -> Result<Vec<types::AutoMlTrainingJobStatusItem>, Error<types::HttpValidationError>> {
        let mut seen = HashSet::new();
        let distinct: Vec<Uuid> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
        let per_request = ids_per_request(self.baseurl.len(), options.max_url_len);
        let batches: Vec<Vec<Uuid>> = distinct.chunks(per_request).map(<[Uuid]>::to_vec).collect();
        let answers: Vec<types::AutoMlTrainingJobStatuses> = futures::stream::iter(&batches)
            .map(|batch| async move {
                self.get_training_job_statuses(batch)
                    .await
                    .map(|response| response.into_inner())
            })
            .buffer_unordered(options.concurrency.max(1))
            .try_collect()
            .await?;
        let mut by_id: HashMap<Uuid, types::AutoMlTrainingJobStatusItem> = answers
            .into_iter()
            .flat_map(|answer| answer.items)
            .map(|item| (item.job_id, item))
            .collect();
        Ok(distinct.iter().filter_map(|id| by_id.remove(id)).collect())
    }
}

/// How many ids fit in one URL of at most `max_url_len` bytes; at least one.
fn ids_per_request(base_len: usize, max_url_len: usize) -> usize {
    let fixed = base_len + PATH.len() + "?".len();
    (max_url_len.saturating_sub(fixed) / PER_ID).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_stay_under_the_limit() {
        let base = "https://aiapi.example.nx1cloud.com";
        let count = ids_per_request(base.len(), 8 * 1024);
        let id = Uuid::nil().to_string();
        let query: String = (0..count).map(|_| format!("ids={id}&")).collect();
        let url = format!("{base}{PATH}?{query}");
        assert!(url.len() <= 8 * 1024, "{}", url.len());
        let one_more = url.len() + PER_ID;
        assert!(one_more > 8 * 1024, "the batch could hold one more id");
        assert_eq!(ids_per_request(base.len(), 10), 1);
    }
}
