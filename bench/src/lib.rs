//! What the benchmarks share: a timer that alternates a candidate and its baseline in
//! rounds and reports the median of each, and the median of their ratio per round.

use std::time::{Duration, Instant};

/// One comparison: the median time per operation of each side, over `rounds` rounds that
/// alternate them (so that drift in the machine's speed hits both alike), and the median
/// of the rounds' ratios.
pub struct Comparison {
    pub name: String,
    pub candidate: Duration,
    pub baseline: Duration,
    /// Baseline time over candidate time, the median over the rounds: each round's two
    /// sides ran milliseconds apart, so the machine's drift over the run cancels in it (a
    /// ratio of the two medians, taken from different rounds, kept it).
    speedup: f64,
}

impl Comparison {
    /// Throughput of the candidate relative to the baseline: above 1, the candidate is
    /// faster.
    pub fn throughput_ratio(&self) -> f64 {
        self.speedup
    }

    /// Time of the candidate relative to the baseline: above 1, the candidate costs more.
    pub fn cost_ratio(&self) -> f64 {
        1.0 / self.speedup
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

/// Runs `candidate` and `baseline` `per_round` times each, alternating (every other round
/// the baseline first), for `rounds` rounds; the medians per operation and of the ratios.
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
    let time = |work: &mut dyn FnMut()| {
        let started = Instant::now();
        for _ in 0..per_round {
            work();
        }
        started.elapsed() / per_round as u32
    };
    let mut speedups = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let (mine, theirs) = if round % 2 == 0 {
            let mine = time(&mut candidate);
            (mine, time(&mut baseline))
        } else {
            let theirs = time(&mut baseline);
            (time(&mut candidate), theirs)
        };
        candidates.push(mine);
        baselines.push(theirs);
        speedups.push(theirs.as_secs_f64() / mine.as_secs_f64().max(f64::MIN_POSITIVE));
    }
    candidates.sort();
    baselines.sort();
    speedups.sort_by(f64::total_cmp);
    Comparison {
        name: name.to_owned(),
        candidate: candidates[rounds / 2],
        baseline: baselines[rounds / 2],
        speedup: speedups[rounds / 2],
    }
}

/// The header of the tables the benchmarks print.
pub fn header(candidate: &str, baseline: &str) -> String {
    format!("| scenario | {candidate} | {baseline} | throughput ratio |\n|---|---|---|---|")
}
pub mod services;
