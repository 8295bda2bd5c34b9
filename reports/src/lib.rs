//! Results of jobsim runs as people and programs read them: the versioned JSON
//! document ([`run_json`]) and the terminal table ([`run_table`]). This crate only
//! renders [`RunOutcome`]s; it never runs a simulation.
//!
//! # The run document (schemaVersion 1)
//!
//! ```text
//! {
//!   "schemaVersion": 1,
//!   "jobsim": "0.1.0",                 // the version that produced it
//!   "scenario": "default", "kubernetes": "1.31", "variant": "baseline",
//!   "seed": 42,                        // base seed (scenario `seed` or --seed)
//!   "run": 0, "runSeed": 123...,       // run index and the seed derived for it
//!   "horizon": 21600.0,                // seconds
//!   "events": 1234,                    // simulation events handled
//!   "cluster": {"makespan": 1305.0,     // s until the last Job finished (horizon if one did not)
//!               "nodeHours": 0.725, "cost": 0.145,  // cost null unless every pool has pricePerHour
//!               "cpuUtilisation": 0.59,             // pod CPU requests x time / cluster CPU x makespan
//!               "cpuUtilisationOverTime": {"bucket": 54.4, "values": [..24 fractions..]}},
//!   "jobs": [{
//!     "name": "flaky-etl",
//!     "outcome": "Complete",           // Complete | Failed | Unfinished | Deleted
//!     "reason": "CompletionsReached",  // reason of the terminal condition, or null
//!     "createdAt": 60.0,               // seconds from the start of the run
//!     "completionTime": 560.0,         // terminal condition - creation, s; null if unfinished
//!     "interimTime": 559.0,            // SuccessCriteriaMet / FailureTarget - creation, s
//!     "retries": 2,                    // status.failed: failures counted toward backoffLimit
//!     "podsCreated": 3,
//!     "ignoredFailures": 0,            // failures podFailurePolicy Ignore'd
//!     "containerRestarts": 0,          // restarts under restartPolicy OnFailure
//!     "maxActivePods": 1,              // most pods active at once
//!     "status": {"active": 0, "ready": 0, "terminating": 0, "succeeded": 1, "failed": 2,
//!                "completedIndexes": "", "failedIndexes": null},
//!     "podSeconds": {"total": .., "useful": .., "wasted": .., "wastedByCause": {"failed": ..}},
//!     "coreSeconds": {"useful": .., "wasted": ..}
//!   }],
//!   "totals": {"jobs": 4, "complete": 3, "failed": 1, "unfinished": 0, "deleted": 0,
//!              "podsCreated": .., "retries": .., "podSeconds": {..}, "coreSeconds": {..}}
//! }
//! ```
//! Times are seconds as numbers with millisecond precision. `wastedByCause` lists only
//! causes with non-zero time, in a fixed order. Keys are never reordered between runs.
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::Path;

use job_model::metrics::{PodTime, WasteCause};
use job_model::run::{JobResult, Outcome, RunOutcome};
use serde_json::{Map, Value, json};
use sim_core::{SimDuration, SimTime};

/// The version of the run document's shape.
pub const SCHEMA_VERSION: u32 = 1;

/// What a report says about the run besides its outcome.
#[derive(Clone, Debug)]
pub struct RunMeta {
    /// Scenario name.
    pub scenario: String,
    /// Simulated release, "1.31".
    pub kubernetes: String,
    /// The variant run.
    pub variant: String,
    /// The scenario's other variants.
    pub other_variants: Vec<String>,
    /// Base seed.
    pub seed: u64,
    /// Run index.
    pub run: u64,
    /// Seed of this run.
    pub run_seed: u64,
    /// Horizon.
    pub horizon: SimDuration,
    /// The node pools.
    pub pools: Vec<PoolMeta>,
}

/// A node pool as reports need it.
#[derive(Clone, Debug)]
pub struct PoolMeta {
    /// Name.
    pub name: String,
    /// Nodes.
    pub nodes: u64,
    /// Allocatable CPU of one node, millicores.
    pub cpu_milli: u64,
    /// Price of one node per hour.
    pub price_per_hour: Option<f64>,
}

/// The cluster-level figures of a run: how long it kept the cluster busy, what that
/// cost, and how much of the CPU the pods requested.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterUse {
    /// From the start until the last Job finished (the horizon if one did not).
    pub makespan: SimDuration,
    /// Nodes × makespan, hours.
    pub node_hours: f64,
    /// Node-hours × price, when every pool has a price.
    pub cost: Option<f64>,
    /// Pod CPU requests × time bound, over cluster CPU × makespan.
    pub cpu_utilisation: f64,
    /// The same in [`UTILISATION_BUCKETS`] equal slices of the makespan.
    pub cpu_over_time: Vec<f64>,
}

/// How many slices of the makespan the utilisation series has.
pub const UTILISATION_BUCKETS: usize = 24;

/// The mean of a step function (value from each change point on) over equal buckets
/// of `[0, end)`, divided by `capacity`.
fn bucket_means(steps: &[(SimTime, u64)], end: SimDuration, capacity: f64) -> Vec<f64> {
    let end_ms = end.as_millis();
    if end_ms == 0 || capacity <= 0.0 {
        return vec![0.0; UTILISATION_BUCKETS];
    }
    let n = UTILISATION_BUCKETS as u64;
    let mut area = [0.0f64; UTILISATION_BUCKETS];
    let mut i = 0;
    let mut value = 0u64;
    let mut t = 0u64;
    for k in 0..n {
        let b_end = end_ms * (k + 1) / n;
        while t < b_end {
            // Apply every change at or before t.
            while i < steps.len() && steps[i].0.as_millis() <= t {
                value = steps[i].1;
                i += 1;
            }
            let next = steps.get(i).map_or(b_end, |s| s.0.as_millis().min(b_end));
            let next = next.max(t + 1).min(b_end);
            area[k as usize] += value as f64 * (next - t) as f64;
            t = next;
        }
    }
    (0..n)
        .map(|k| {
            let len = (end_ms * (k + 1) / n - end_ms * k / n).max(1) as f64;
            area[k as usize] / len / capacity
        })
        .collect()
}

impl ClusterUse {
    /// The figures of `outcome` on the cluster of `meta`.
    pub fn of(meta: &RunMeta, outcome: &RunOutcome) -> ClusterUse {
        let unfinished = outcome.jobs.iter().any(|j| j.completion_time().is_none());
        let makespan = if unfinished {
            meta.horizon
        } else {
            last_finish(outcome).map_or(SimDuration::ZERO, |t| t.since_start())
        };
        let hours = makespan.as_secs_f64() / 3600.0;
        let node_hours: f64 = meta.pools.iter().map(|p| p.nodes as f64 * hours).sum();
        let cost = meta
            .pools
            .iter()
            .map(|p| p.price_per_hour.map(|price| price * p.nodes as f64 * hours))
            .sum::<Option<f64>>();
        let t = Totals::of(outcome);
        let core_ms = (t.time.useful_core + t.time.wasted_core) as f64;
        let capacity_ms: f64 = meta
            .pools
            .iter()
            .map(|p| (p.nodes * p.cpu_milli) as f64 * makespan.as_millis() as f64)
            .sum();
        let cpu_utilisation = if capacity_ms > 0.0 {
            core_ms / capacity_ms
        } else {
            0.0
        };
        let capacity: f64 = meta
            .pools
            .iter()
            .map(|p| (p.nodes * p.cpu_milli) as f64)
            .sum();
        ClusterUse {
            makespan,
            node_hours,
            cost,
            cpu_utilisation,
            cpu_over_time: bucket_means(&outcome.cpu_in_use, makespan, capacity),
        }
    }
}

fn secs(ms: u64) -> Value {
    // Milliseconds as seconds; exact to the millisecond in the decimal rendering.
    json!(ms as f64 / 1000.0)
}

fn core_secs(milli_core_ms: u128) -> Value {
    json!((milli_core_ms as f64) / 1e6)
}

fn pod_seconds(t: &PodTime, total_ms: u64) -> Value {
    let mut by_cause = Map::new();
    for c in WasteCause::ALL {
        let ms = t.wasted(c);
        if ms > 0 {
            by_cause.insert(c.key().to_string(), secs(ms));
        }
    }
    json!({
        "total": secs(total_ms),
        "useful": secs(t.useful_ms),
        "wasted": secs(t.wasted_total_ms()),
        "wastedByCause": by_cause,
    })
}

fn reason(j: &JobResult) -> Value {
    match &j.outcome {
        Outcome::Failed(r) => json!(r),
        Outcome::Complete => j
            .status
            .true_condition(job_model::api::JobConditionType::Complete)
            .map_or(Value::Null, |c| json!(c.reason)),
        _ => Value::Null,
    }
}

fn job_json(j: &JobResult) -> Value {
    let s = &j.status;
    json!({
        "name": j.name,
        "outcome": j.outcome.as_str(),
        "reason": reason(j),
        "createdAt": secs(j.created_at.as_millis()),
        "completionTime": j.completion_time().map(|d| secs(d.as_millis())),
        "interimTime": j.interim_time().map(|d| secs(d.as_millis())),
        "retries": s.failed,
        "podsCreated": j.ledger.pod_creations.len(),
        "ignoredFailures": j.ledger.ignored_failures,
        "containerRestarts": j.ledger.container_restarts,
        "maxActivePods": j.ledger.max_active_pods,
        "status": {
            "active": s.active,
            "ready": s.ready,
            "terminating": s.terminating,
            "succeeded": s.succeeded,
            "failed": s.failed,
            "completedIndexes": s.completed_indexes.to_string(),
            "failedIndexes": s.failed_indexes.as_ref().map(|f| f.to_string()),
        },
        "podSeconds": pod_seconds(&j.ledger.time, j.ledger.total_ms),
        "coreSeconds": {
            "useful": core_secs(j.ledger.time.useful_core),
            "wasted": core_secs(j.ledger.time.wasted_core),
        },
    })
}

/// Sums of every Job of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Jobs.
    pub jobs: u64,
    /// Jobs Complete.
    pub complete: u64,
    /// Jobs Failed.
    pub failed: u64,
    /// Jobs Unfinished at the horizon.
    pub unfinished: u64,
    /// Jobs deleted before they finished.
    pub deleted: u64,
    /// Pods created.
    pub pods_created: u64,
    /// status.failed summed.
    pub retries: u64,
    /// Pod time.
    pub time: PodTime,
    /// Pod-milliseconds in all.
    pub total_ms: u64,
}

impl Totals {
    /// Adds up `outcome`.
    pub fn of(outcome: &RunOutcome) -> Totals {
        let mut t = Totals::default();
        for j in &outcome.jobs {
            t.jobs += 1;
            match j.outcome {
                Outcome::Complete => t.complete += 1,
                Outcome::Failed(_) => t.failed += 1,
                Outcome::Unfinished => t.unfinished += 1,
                Outcome::Deleted => t.deleted += 1,
            }
            t.pods_created += j.ledger.pod_creations.len() as u64;
            t.retries += j.status.failed.max(0) as u64;
            t.total_ms += j.ledger.total_ms;
            t.time.useful_ms += j.ledger.time.useful_ms;
            t.time.useful_core += j.ledger.time.useful_core;
            t.time.wasted_core += j.ledger.time.wasted_core;
            for (a, b) in t.time.wasted_ms.iter_mut().zip(j.ledger.time.wasted_ms) {
                *a += b;
            }
        }
        t
    }
}

/// The run document (see the crate docs for its shape).
pub fn run_json(meta: &RunMeta, outcome: &RunOutcome) -> Value {
    let t = Totals::of(outcome);
    let cluster = ClusterUse::of(meta, outcome);
    json!({
        "schemaVersion": SCHEMA_VERSION,
        "jobsim": env!("CARGO_PKG_VERSION"),
        "scenario": meta.scenario,
        "kubernetes": meta.kubernetes,
        "variant": meta.variant,
        "seed": meta.seed,
        "run": meta.run,
        "runSeed": meta.run_seed,
        "horizon": secs(meta.horizon.as_millis()),
        "events": outcome.events,
        "jobs": outcome.jobs.iter().map(job_json).collect::<Vec<_>>(),
        "cluster": {
            "makespan": secs(cluster.makespan.as_millis()),
            "nodeHours": round3(cluster.node_hours),
            "cost": cluster.cost.map(round3),
            "cpuUtilisation": round3(cluster.cpu_utilisation),
            "cpuUtilisationOverTime": {
                "bucket": secs(cluster.makespan.as_millis() / UTILISATION_BUCKETS as u64),
                "values": cluster.cpu_over_time.iter().map(|&x| round3(x)).collect::<Vec<_>>(),
            },
        },
        "totals": {
            "jobs": t.jobs,
            "complete": t.complete,
            "failed": t.failed,
            "unfinished": t.unfinished,
            "deleted": t.deleted,
            "podsCreated": t.pods_created,
            "retries": t.retries,
            "podSeconds": pod_seconds(&t.time, t.total_ms),
            "coreSeconds": {
                "useful": core_secs(t.time.useful_core),
                "wasted": core_secs(t.time.wasted_core),
            },
        },
    })
}

/// Fractions in [0, 1] as block characters, lowest to highest.
fn sparkline(values: &[f64]) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    values
        .iter()
        .map(|&v| BLOCKS[((v.clamp(0.0, 1.0) * 7.0).round()) as usize])
        .collect()
}

/// Rounded to three decimals, so the document does not show float noise.
fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Seconds with one decimal, for tables.
fn s1(ms: u64) -> String {
    format!("{}.{}", ms / 1000, (ms % 1000) / 100)
}

/// The largest waste cause of `t`, as "failed 80%".
fn top_cause(t: &PodTime) -> String {
    let total = t.wasted_total_ms();
    if total == 0 {
        return String::from("-");
    }
    let (cause, ms) = WasteCause::ALL
        .iter()
        .map(|&c| (c, t.wasted(c)))
        .max_by_key(|&(c, ms)| (ms, std::cmp::Reverse(c)))
        .expect("causes are not empty");
    format!("{} {}%", cause.key(), ms * 100 / total)
}

/// The per-job text table and totals.
pub fn run_table(meta: &RunMeta, outcome: &RunOutcome) -> String {
    let mut rows: Vec<[String; 9]> = vec![[
        "JOB".into(),
        "OUTCOME".into(),
        "REASON".into(),
        "COMPLETION".into(),
        "PODS".into(),
        "FAILED".into(),
        "USEFUL POD-S".into(),
        "WASTED POD-S".into(),
        "MOSTLY WASTED ON".into(),
    ]];
    for j in &outcome.jobs {
        rows.push([
            j.name.clone(),
            j.outcome.as_str().into(),
            reason(j).as_str().unwrap_or("-").into(),
            j.completion_time()
                .map_or_else(|| "-".into(), |d| d.to_string()),
            j.ledger.pod_creations.len().to_string(),
            j.status.failed.to_string(),
            s1(j.ledger.time.useful_ms),
            s1(j.ledger.time.wasted_total_ms()),
            top_cause(&j.ledger.time),
        ]);
    }
    let t = Totals::of(outcome);
    rows.push([
        format!("TOTAL ({} jobs)", t.jobs),
        format!("{}/{} done", t.complete + t.failed, t.jobs),
        String::new(),
        String::new(),
        t.pods_created.to_string(),
        t.retries.to_string(),
        s1(t.time.useful_ms),
        s1(t.time.wasted_total_ms()),
        top_cause(&t.time),
    ]);
    let mut width = [0usize; 9];
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let numeric = [false, false, false, true, true, true, true, true, false];
    let mut out = String::new();
    out.push_str(&format!(
        "scenario {} · Kubernetes {} · variant {} · seed {} (run {})\n",
        meta.scenario, meta.kubernetes, meta.variant, meta.seed, meta.run
    ));
    if !meta.other_variants.is_empty() {
        out.push_str(&format!(
            "other variants: {} (choose with --variant)\n",
            meta.other_variants.join(", ")
        ));
    }
    out.push('\n');
    let last = rows.len() - 1;
    for (i, r) in rows.iter().enumerate() {
        if i == last {
            let rule: usize = width.iter().sum::<usize>() + 2 * (width.len() - 1);
            out.push_str(&"-".repeat(rule));
            out.push('\n');
        }
        let mut line = String::new();
        for (k, c) in r.iter().enumerate() {
            if k > 0 {
                line.push_str("  ");
            }
            let pad = width[k] - c.chars().count();
            if numeric[k] {
                line.push_str(&" ".repeat(pad));
                line.push_str(c);
            } else {
                line.push_str(c);
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let total = t.total_ms.max(1);
    out.push_str(&format!(
        "\npod-seconds: {} in all, {} useful, {} wasted ({}%); core-seconds wasted: {:.1}\n",
        s1(t.total_ms),
        s1(t.time.useful_ms),
        s1(t.time.wasted_total_ms()),
        t.time.wasted_total_ms() * 100 / total,
        t.time.wasted_core as f64 / 1e6,
    ));
    let end = last_finish(outcome);
    let cluster = ClusterUse::of(meta, outcome);
    let nodes: u64 = meta.pools.iter().map(|p| p.nodes).sum();
    out.push_str(&format!(
        "{} nodes · last Job finished at {} · horizon {} · {} events\n",
        nodes,
        end.map_or_else(|| "-".into(), |t| t.since_start().to_string()),
        meta.horizon,
        outcome.events,
    ));
    out.push_str(&format!(
        "cluster: {:.1} node-hours{} · CPU requested {:.0}% of capacity\n",
        cluster.node_hours,
        cluster
            .cost
            .map_or_else(String::new, |c| format!(" · cost {c:.2}")),
        cluster.cpu_utilisation * 100.0,
    ));
    out.push_str(&format!(
        "CPU requested over time: {} (each step {} of {})\n",
        sparkline(&cluster.cpu_over_time),
        SimDuration::from_millis(cluster.makespan.as_millis() / UTILISATION_BUCKETS as u64),
        cluster.makespan
    ));
    out
}

fn last_finish(outcome: &RunOutcome) -> Option<SimTime> {
    outcome
        .jobs
        .iter()
        .filter_map(|j| j.completion_time().map(|d| j.created_at + d))
        .max()
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, then a
/// rename, so a reader never sees a partial file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_means_integrate_the_step_function() {
        let t = SimTime::from_secs;
        // 0-12s: 1000; 12s-24s: 2000 (of a capacity of 2000), over 24 s in 24 buckets.
        let steps = [(t(0), 1000), (t(12), 2000)];
        let m = bucket_means(&steps, SimDuration::from_secs(24), 2000.0);
        assert_eq!(m.len(), UTILISATION_BUCKETS);
        assert!(m[..12].iter().all(|&x| (x - 0.5).abs() < 1e-9), "{m:?}");
        assert!(m[12..].iter().all(|&x| (x - 1.0).abs() < 1e-9), "{m:?}");
        // A change inside a bucket is weighted by time: 1s at 0, then 2000.
        let m = bucket_means(
            &[(t(0), 0), (t(1), 2000)],
            SimDuration::from_secs(48),
            2000.0,
        );
        assert!((m[0] - 0.5).abs() < 1e-9, "{m:?}");
    }

    #[test]
    fn sparkline_maps_fractions_to_blocks() {
        assert_eq!(sparkline(&[0.0, 0.5, 1.0, 2.0]), "▁▅██");
    }
}
