//! `expect:` entries: what a run must show, checked by `jobsim check`.
//!
//! Readings (SCENARIOS.md): `at:` sees the state after every event at that instant;
//! `events` counts the events recorded up to and including it; a `condition` holds when
//! the Job has that condition with status True (or the `status` given), and its `at` is
//! the condition's lastTransitionTime; a Job deleted before `at:` has no status or
//! conditions, but its events stay countable.

use std::fmt;

use job_model::api::{ConditionStatus, JobConditionType, JobStatus};
use job_model::run::{JobResult, RunOutcome};
use sim_core::{SimDuration, SimTime};

use crate::schema::{CountRange, NumRange, TimeRange};
use crate::yaml::Location;

/// One validated `expect:` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    /// Its position in the list.
    pub index: usize,
    /// Where it was written.
    pub at_location: Option<Location>,
    /// The Job instance it is about.
    pub job: String,
    /// The variant it applies to; `None`: every variant.
    pub variant: Option<String>,
    /// The instant it looks at; `None`: the end of the run.
    pub at: Option<SimTime>,
    /// `condition`.
    pub condition: Option<ConditionCheck>,
    /// `noCondition`.
    pub no_condition: Option<JobConditionType>,
    /// `status`.
    pub status: Vec<StatusCheck>,
    /// `events`: reason -> count.
    pub events: Vec<(String, CountRange)>,
    /// `podsCreated`: each creation time exact or bounded.
    pub pods_created: Option<Vec<TimeRange>>,
    /// `metrics`.
    pub metrics: Vec<MetricCheck>,
}

/// `condition: {type, status, reason, message, at}`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConditionCheck {
    /// Type.
    pub condition_type: JobConditionType,
    /// Status (True unless given).
    pub status: ConditionStatus,
    /// Reason, if given.
    pub reason: Option<String>,
    /// Message, if given.
    pub message: Option<String>,
    /// lastTransitionTime, if given.
    pub at: Option<TimeRange>,
}

/// One `status:` field.
#[derive(Clone, Debug, PartialEq)]
pub enum StatusCheck {
    /// A counter: active, ready, succeeded, failed, terminating. `None` (`null`): the
    /// field is absent (ready / terminating nil; the others 0, which upstream omits).
    Counter(&'static str, Option<CountRange>),
    /// completedIndexes.
    CompletedIndexes(String),
    /// failedIndexes (`None`: the field is absent).
    FailedIndexes(Option<String>),
    /// startTime (`None`: unset).
    StartTime(Option<TimeRange>),
    /// completionTime (`None`: unset).
    CompletionTime(Option<TimeRange>),
}

/// One `metrics:` entry (measured at the entry's `at`, or at the end of the run).
#[derive(Clone, Debug, PartialEq)]
pub enum MetricCheck {
    /// Complete, Failed, Unfinished or Deleted.
    Outcome(String),
    /// Terminal condition minus creation (`None`: no terminal condition).
    CompletionTime(Option<TimeRange>),
    /// Interim condition minus creation (`None`: no interim condition).
    InterimTime(Option<TimeRange>),
    /// A count: retries, podsCreated, containerRestarts, ignoredFailures.
    Count(&'static str, CountRange),
    /// Pod-seconds: usefulPodSeconds, wastedPodSeconds.
    Seconds(&'static str, NumRange),
}

/// The verdict on one expectation.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpectResult {
    /// Its position in the list.
    pub index: usize,
    /// Where it was written.
    pub at_location: Option<Location>,
    /// What it was about: `job pi at 5m`.
    pub subject: String,
    /// What was checked, each as `what: expected`.
    pub checked: Vec<String>,
    /// What did not hold, each as `what: expected X, got Y`.
    pub misses: Vec<String>,
}

impl ExpectResult {
    /// Whether everything held.
    pub fn ok(&self) -> bool {
        self.misses.is_empty()
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.min, self.max) {
            (Some(a), Some(b)) if a == b => write!(f, "{a}"),
            (Some(a), Some(b)) => write!(f, "between {a} and {b}"),
            (Some(a), None) => write!(f, "at least {a}"),
            (None, Some(b)) => write!(f, "at most {b}"),
            (None, None) => f.write_str("any time"),
        }
    }
}

impl TimeRange {
    /// Whether `d` is within the bounds.
    pub fn holds(&self, d: SimDuration) -> bool {
        self.min.is_none_or(|m| d >= m) && self.max.is_none_or(|m| d <= m)
    }
}

fn since_start(t: SimTime) -> SimDuration {
    t.since_start()
}

fn conditions_text(s: &JobStatus) -> String {
    if s.conditions.is_empty() {
        return "no conditions".into();
    }
    let parts: Vec<String> = s
        .conditions
        .iter()
        .map(|c| {
            format!(
                "{}={} ({}) at {}",
                c.condition_type.as_str(),
                c.status.as_str(),
                c.reason,
                since_start(c.last_transition_time)
            )
        })
        .collect();
    parts.join(", ")
}

fn count(v: i64) -> u64 {
    v.max(0) as u64
}

/// The status of `job` as `e` sees it, or `None` if the Job does not exist then.
fn status_seen<'a>(
    e: &Expectation,
    row: usize,
    job: &'a JobResult,
    out: &'a RunOutcome,
) -> Option<&'a JobStatus> {
    match e.at {
        None => job.removed_at.is_none().then_some(&job.status),
        Some(at) => out
            .snapshots
            .iter()
            .find(|s| s.at == at)
            .and_then(|s| s.jobs.get(row))
            .and_then(Option::as_ref),
    }
}

/// Checks `e` against `out`.
pub fn evaluate(e: &Expectation, out: &RunOutcome) -> ExpectResult {
    let mut r = ExpectResult {
        index: e.index,
        at_location: e.at_location,
        subject: match e.at {
            Some(at) => format!("job {} at {}", e.job, since_start(at)),
            None => format!("job {}", e.job),
        },
        checked: Vec::new(),
        misses: Vec::new(),
    };
    let row = out.jobs.iter().position(|j| j.name == e.job);
    let job = row.map(|i| &out.jobs[i]);
    let status = match (row, job) {
        (Some(i), Some(j)) => status_seen(e, i, j, out),
        _ => None,
    };
    let absent = if row.is_none() {
        "the Job was never created".to_string()
    } else {
        "the Job does not exist then".to_string()
    };

    if let Some(c) = &e.condition {
        let what = format!(
            "condition {}={}",
            c.condition_type.as_str(),
            c.status.as_str()
        );
        let mut expected = what.clone();
        if let Some(reason) = &c.reason {
            expected.push_str(&format!(" reason {reason}"));
        }
        if let Some(at) = &c.at {
            expected.push_str(&format!(" at {at}"));
        }
        r.checked.push(expected.clone());
        match status {
            None => r.misses.push(format!("{expected}: {absent}")),
            Some(s) => match s
                .conditions
                .iter()
                .find(|x| x.condition_type == c.condition_type && x.status == c.status)
            {
                None => r
                    .misses
                    .push(format!("{expected}: got {}", conditions_text(s))),
                Some(found) => {
                    if let Some(reason) = &c.reason
                        && &found.reason != reason
                    {
                        r.misses.push(format!(
                            "{what} reason: expected {reason}, got {}",
                            found.reason
                        ));
                    }
                    if let Some(msg) = &c.message
                        && &found.message != msg
                    {
                        r.misses.push(format!(
                            "{what} message: expected {msg:?}, got {:?}",
                            found.message
                        ));
                    }
                    let t = since_start(found.last_transition_time);
                    if let Some(at) = &c.at
                        && !at.holds(t)
                    {
                        r.misses.push(format!("{what} at: expected {at}, got {t}"));
                    }
                }
            },
        }
    }

    if let Some(t) = e.no_condition {
        r.checked.push(format!("noCondition {}", t.as_str()));
        if let Some(s) = status
            && let Some(c) = s.true_condition(t)
        {
            r.misses.push(format!(
                "noCondition {}: got {}=True ({}) at {}",
                t.as_str(),
                t.as_str(),
                c.reason,
                since_start(c.last_transition_time)
            ));
        }
    }

    let no_status = JobStatus::default();
    for check in &e.status {
        let (what, expected) = match check {
            StatusCheck::Counter(name, range) => (
                format!("status.{name}"),
                range.map_or("null".into(), |r| r.to_string()),
            ),
            StatusCheck::CompletedIndexes(v) => {
                ("status.completedIndexes".into(), format!("{v:?}"))
            }
            StatusCheck::FailedIndexes(v) => (
                "status.failedIndexes".into(),
                v.as_ref().map_or("null".into(), |v| format!("{v:?}")),
            ),
            StatusCheck::StartTime(v) => (
                "status.startTime".into(),
                v.as_ref().map_or("null".into(), |v| v.to_string()),
            ),
            StatusCheck::CompletionTime(v) => (
                "status.completionTime".into(),
                v.as_ref().map_or("null".into(), |v| v.to_string()),
            ),
        };
        r.checked.push(format!("{what}: {expected}"));
        // A Job that does not exist then has no status: every field is absent.
        let s = status.unwrap_or(&no_status);
        let got: Option<String> = match check {
            StatusCheck::Counter(name, range) => {
                let v: Option<i32> = match *name {
                    "active" => Some(s.active).filter(|&n| n != 0),
                    "ready" => s.ready,
                    "succeeded" => Some(s.succeeded).filter(|&n| n != 0),
                    "failed" => Some(s.failed).filter(|&n| n != 0),
                    _ => s.terminating,
                };
                let shown = || v.map_or("null".into(), |v| v.to_string());
                match range {
                    Some(range) => {
                        let v = i64::from(v.unwrap_or(0));
                        (!range.holds(count(v))).then(shown)
                    }
                    None => v.is_some().then(shown),
                }
            }
            StatusCheck::CompletedIndexes(v) => {
                let got = s.completed_indexes.to_string();
                (&got != v).then(|| format!("{got:?}"))
            }
            StatusCheck::FailedIndexes(v) => {
                let got = s.failed_indexes.as_ref().map(|f| f.to_string());
                (&got != v).then(|| got.map_or("null".into(), |g| format!("{g:?}")))
            }
            StatusCheck::StartTime(v) | StatusCheck::CompletionTime(v) => {
                let got = if matches!(check, StatusCheck::StartTime(_)) {
                    s.start_time
                } else {
                    s.completion_time
                };
                let ok = match (v, got) {
                    (None, None) => true,
                    (Some(range), Some(t)) => range.holds(since_start(t)),
                    _ => false,
                };
                (!ok).then(|| got.map_or("null".into(), |t| since_start(t).to_string()))
            }
        };
        if let Some(got) = got {
            let why = if status.is_none() {
                format!(" ({absent})")
            } else {
                String::new()
            };
            r.misses
                .push(format!("{what}: expected {expected}, got {got}{why}"));
        }
    }

    for (reason, range) in &e.events {
        r.checked.push(format!("events.{reason}: {range}"));
        let n = row.map_or(0, |i| {
            out.k8s_events
                .iter()
                .filter(|ev| {
                    ev.job.index() == i
                        && ev.reason == reason
                        && e.at.is_none_or(|at| ev.time <= at)
                })
                .count() as u64
        });
        if !range.holds(n) {
            r.misses
                .push(format!("events.{reason}: expected {range}, got {n}"));
        }
    }

    if let Some(want) = &e.pods_created {
        fn fmt_list<T: fmt::Display>(v: &[T]) -> String {
            let parts: Vec<String> = v.iter().map(|d| d.to_string()).collect();
            format!("[{}]", parts.join(", "))
        }
        r.checked.push(format!("podsCreated: {}", fmt_list(want)));
        let got: Vec<SimDuration> = job.map_or_else(Vec::new, |j| {
            j.ledger
                .pod_creations
                .iter()
                .filter(|&&t| e.at.is_none_or(|at| t <= at))
                // metadata.creationTimestamp: whole seconds, like every API time.
                .map(|&t| since_start(job_model::api::api_time(t)))
                .collect()
        });
        let holds = got.len() == want.len() && want.iter().zip(&got).all(|(w, &g)| w.holds(g));
        if !holds {
            r.misses.push(format!(
                "podsCreated: expected {}, got {}",
                fmt_list(want),
                fmt_list(&got)
            ));
        }
    }

    // With `at`, the metrics as they stood then (pod time counted up to it).
    let measured = match (e.at, row) {
        (Some(at), Some(i)) => out
            .snapshots
            .iter()
            .find(|s| s.at == at)
            .and_then(|s| s.results.get(i)),
        _ => job,
    };
    for m in &e.metrics {
        let Some(j) = measured else {
            r.misses.push(format!("metrics: {absent}"));
            break;
        };
        let secs = |ms: u64| ms as f64 / 1000.0;
        let (what, expected, got, ok) = match m {
            MetricCheck::Outcome(o) => (
                "outcome",
                o.clone(),
                j.outcome.as_str().to_string(),
                j.outcome.as_str() == o,
            ),
            MetricCheck::CompletionTime(range) | MetricCheck::InterimTime(range) => {
                let (what, t) = if matches!(m, MetricCheck::CompletionTime(_)) {
                    ("completionTime", j.completion_time())
                } else {
                    ("interimTime", j.interim_time())
                };
                (
                    what,
                    range.map_or("null".into(), |r| r.to_string()),
                    t.map_or("none (not finished)".into(), |t| t.to_string()),
                    match range {
                        Some(range) => t.is_some_and(|t| range.holds(t)),
                        None => t.is_none(),
                    },
                )
            }
            MetricCheck::Count(name, range) => {
                let v = match *name {
                    "retries" => count(j.status.failed.into()),
                    "podsCreated" => j.ledger.pod_creations.len() as u64,
                    "containerRestarts" => j.ledger.container_restarts,
                    _ => j.ledger.ignored_failures,
                };
                (*name, range.to_string(), v.to_string(), range.holds(v))
            }
            MetricCheck::Seconds(name, range) => {
                let v = if *name == "usefulPodSeconds" {
                    secs(j.ledger.time.useful_ms)
                } else {
                    secs(j.ledger.time.wasted_total_ms())
                };
                (*name, range.to_string(), v.to_string(), range.holds(v))
            }
        };
        r.checked.push(format!("metrics.{what}: {expected}"));
        if !ok {
            r.misses
                .push(format!("metrics.{what}: expected {expected}, got {got}"));
        }
    }
    r
}
