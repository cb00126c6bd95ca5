//! What the benchmarks share: a timer that alternates a candidate and its baseline in
//! rounds and reports the median of each, and their ratio.

use std::time::{Duration, Instant};

/// One comparison: the median time per operation of each side, over `rounds` rounds that
/// alternate them (so that drift in the machine's speed hits both alike).
pub struct Comparison {
    pub name: String,
    pub candidate: Duration,
    pub baseline: Duration,
}

impl Comparison {
    /// Throughput of the candidate relative to the baseline: above 1, the candidate is
    /// faster.
    pub fn throughput_ratio(&self) -> f64 {
        self.baseline.as_secs_f64() / self.candidate.as_secs_f64()
    }

    /// Time of the candidate relative to the baseline: above 1, the candidate costs more.
    pub fn cost_ratio(&self) -> f64 {
        self.candidate.as_secs_f64() / self.baseline.as_secs_f64()
    }

    /// `| name | candidate ms | baseline ms{note} | cost× |`, for comparisons against the
    /// work any tool must do (parsing), where the cost ratio reads better than throughput.
    pub fn cost_row(&self, decimals: usize, note: &str) -> String {
        format!(
            "| {} | {:.decimals$} ms | {:.decimals$} ms{note} | {:.2}× |",
            self.name,
            self.candidate.as_secs_f64() * 1e3,
            self.baseline.as_secs_f64() * 1e3,
            self.cost_ratio()
        )
    }

    pub fn row(&self) -> String {
        format!(
            "| {} | {:.1} µs | {:.1} µs | {:.2}× |",
            self.name,
            self.candidate.as_secs_f64() * 1e6,
            self.baseline.as_secs_f64() * 1e6,
            self.throughput_ratio()
        )
    }
}

/// Runs `candidate` and `baseline` `per_round` times each, alternating, for `rounds`
/// rounds; the medians per operation.
pub fn compare(
    name: &str,
    rounds: usize,
    per_round: usize,
    mut candidate: impl FnMut(),
    mut baseline: impl FnMut(),
) -> Comparison {
    let mut candidates = Vec::with_capacity(rounds);
    let mut baselines = Vec::with_capacity(rounds);
    // One round of warm-up each, not counted.
    for _ in 0..per_round {
        candidate();
        baseline();
    }
    for _ in 0..rounds {
        let started = Instant::now();
        for _ in 0..per_round {
            candidate();
        }
        candidates.push(started.elapsed() / per_round as u32);
        let started = Instant::now();
        for _ in 0..per_round {
            baseline();
        }
        baselines.push(started.elapsed() / per_round as u32);
    }
    candidates.sort();
    baselines.sort();
    Comparison {
        name: name.to_owned(),
        candidate: candidates[rounds / 2],
        baseline: baselines[rounds / 2],
    }
}

/// The header of the tables the benchmarks print.
pub fn header(candidate: &str, baseline: &str) -> String {
    format!("| scenario | {candidate} | {baseline} | throughput ratio |\n|---|---|---|---|")
}
pub mod services;
