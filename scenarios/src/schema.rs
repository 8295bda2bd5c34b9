//! The scenario document as written (SCENARIOS.md), before it becomes a run.
//!
//! Every struct denies unknown keys. Keys of the contract that this version does not
//! implement yet are declared (so they are not "unknown") and rejected by the loader
//! with "not supported yet".

use std::fmt;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use sim_core::{Distribution, SimDuration};

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScenarioDoc {
    pub name: String,
    pub description: Option<String>,
    pub kubernetes: Option<VersionDoc>,
    pub horizon: Option<Dur>,
    pub seed: Option<u64>,
    pub runs: Option<u32>,
    pub control_plane: Option<ControlPlaneDoc>,
    pub cluster: ClusterDoc,
    pub jobs: IndexMap<String, JobDoc>,
    pub faults: Option<Vec<FaultDoc>>,
    pub variants: Option<Vec<VariantDoc>>,
    pub expect: Option<Vec<ExpectDoc>>,
    pub golden: Option<Value>,
}

/// `failures:` of a node pool.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeFailuresDoc {
    pub mtbf: Dur,
    pub downtime: Dist,
}

/// `nodeDown: {pool, count, for}` or `{node, for}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeDownDoc {
    pub pool: Option<String>,
    pub count: Option<u32>,
    pub node: Option<String>,
    #[serde(rename = "for")]
    pub down_for: Option<Dur>,
}

/// `drain: {node}`, `kubeletRestart: {node}`, `nodePressure: {node}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeRefDoc {
    pub node: String,
}

/// One entry of `variants:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VariantDoc {
    pub name: String,
    /// JSON merge patch (RFC 7396) over every Job's `.spec`.
    pub job_spec: Option<Value>,
    /// JSON merge patch over the whole scenario document.
    pub patch: Option<Value>,
}

/// One entry of `faults:`: `at` and exactly one action.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultDoc {
    pub at: Dur,
    pub suspend: Option<JobRefDoc>,
    pub resume: Option<JobRefDoc>,
    pub scale: Option<ScaleDoc>,
    pub delete_job: Option<JobRefDoc>,
    pub node_down: Option<NodeDownDoc>,
    pub drain: Option<NodeRefDoc>,
    pub evict: Option<DeletePodsDoc>,
    pub preempt: Option<DeletePodsDoc>,
    pub kubelet_restart: Option<NodeRefDoc>,
    pub node_pressure: Option<NodeRefDoc>,
    pub out_of_service: Option<NodeRefDoc>,
    pub delete_pods: Option<DeletePodsDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobRefDoc {
    pub job: String,
}

/// `deletePods`, `evict`, `preempt`: `{job, count}` (count defaults to 1).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeletePodsDoc {
    pub job: String,
    pub count: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScaleDoc {
    pub job: String,
    pub parallelism: Option<i32>,
    pub completions: Option<i32>,
}

/// One entry of `expect:`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpectDoc {
    pub job: Option<String>,
    pub variant: Option<String>,
    pub at: Option<Dur>,
    pub condition: Option<ConditionExpectDoc>,
    pub no_condition: Option<String>,
    pub status: Option<StatusExpectDoc>,
    pub events: Option<IndexMap<String, CountRange>>,
    pub pods_created: Option<Vec<TimeRange>>,
    pub metrics: Option<MetricsExpectDoc>,
    pub sweep: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConditionExpectDoc {
    #[serde(rename = "type")]
    pub condition_type: String,
    /// "True", "False" or "Unknown"; unquoted `True`/`False` (YAML booleans) too.
    #[serde(default, deserialize_with = "condition_status")]
    pub status: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub at: Option<TimeRange>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusExpectDoc {
    /// For every counter, `null` expects the field absent (nil, or 0 where upstream
    /// omits a zero).
    #[serde(default, deserialize_with = "present")]
    pub active: Option<Option<CountRange>>,
    #[serde(default, deserialize_with = "present")]
    pub ready: Option<Option<CountRange>>,
    #[serde(default, deserialize_with = "present")]
    pub succeeded: Option<Option<CountRange>>,
    #[serde(default, deserialize_with = "present")]
    pub failed: Option<Option<CountRange>>,
    #[serde(default, deserialize_with = "present")]
    pub terminating: Option<Option<CountRange>>,
    /// `null` (like `""`) expects no completed index.
    #[serde(default, deserialize_with = "present")]
    pub completed_indexes: Option<Option<String>>,
    /// `null` expects no failedIndexes field.
    #[serde(default, deserialize_with = "present")]
    pub failed_indexes: Option<Option<String>>,
    /// `null` expects no startTime.
    #[serde(default, deserialize_with = "present")]
    pub start_time: Option<Option<TimeRange>>,
    #[serde(default, deserialize_with = "present")]
    pub completion_time: Option<Option<TimeRange>>,
}

fn condition_status<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(if b { "True" } else { "False" }.to_string())),
        Value::String(s) => Ok(Some(s)),
        other => Err(de::Error::custom(format!(
            "expected True, False or Unknown, got {other}"
        ))),
    }
}

/// Distinguishes a key given as `null` (`Some(None)`) from a missing key (`None`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricsExpectDoc {
    pub outcome: Option<String>,
    /// `null` expects no terminal (interim) condition by the end of the run.
    #[serde(default, deserialize_with = "present")]
    pub completion_time: Option<Option<TimeRange>>,
    #[serde(default, deserialize_with = "present")]
    pub interim_time: Option<Option<TimeRange>>,
    pub retries: Option<CountRange>,
    pub pods_created: Option<CountRange>,
    pub container_restarts: Option<CountRange>,
    pub ignored_failures: Option<CountRange>,
    pub useful_pod_seconds: Option<NumRange>,
    pub wasted_pod_seconds: Option<NumRange>,
}

/// A duration, or `{min: d, max: d}` (either bound may be left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub min: Option<SimDuration>,
    pub max: Option<SimDuration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeBounds {
    min: Option<Dur>,
    max: Option<Dur>,
}

impl<'de> Deserialize<'de> for TimeRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TimeRange;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration, or {min: d, max: d}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TimeRange, E> {
                DurVisitor.visit_str(v).map(|d| TimeRange::exactly(d.0))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TimeRange, E> {
                DurVisitor.visit_u64(v).map(|d| TimeRange::exactly(d.0))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TimeRange, E> {
                DurVisitor.visit_i64(v).map(|d| TimeRange::exactly(d.0))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<TimeRange, E> {
                DurVisitor.visit_f64(v).map(|d| TimeRange::exactly(d.0))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TimeRange, A::Error> {
                let b = TimeBounds::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(TimeRange {
                    min: b.min.map(|d| d.0),
                    max: b.max.map(|d| d.0),
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl TimeRange {
    pub fn exactly(d: SimDuration) -> Self {
        TimeRange {
            min: Some(d),
            max: Some(d),
        }
    }
}

/// A count, or `{min: n, max: n}` (either bound may be left out).
pub type CountRange = Range<u64>;
/// A number, or `{min: x, max: x}`.
pub type NumRange = Range<f64>;

/// An exact value or bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range<T> {
    pub min: Option<T>,
    pub max: Option<T>,
}

impl<T: PartialOrd + Copy> Range<T> {
    /// Whether `v` is within the bounds.
    pub fn holds(&self, v: T) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }
}

impl<T: fmt::Display + PartialEq> fmt::Display for Range<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.min, &self.max) {
            (Some(a), Some(b)) if a == b => write!(f, "{a}"),
            (Some(a), Some(b)) => write!(f, "between {a} and {b}"),
            (Some(a), None) => write!(f, "at least {a}"),
            (None, Some(b)) => write!(f, "at most {b}"),
            (None, None) => f.write_str("anything"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Bounds<T> {
    min: Option<T>,
    max: Option<T>,
}

impl<'de, T: Deserialize<'de> + Copy> Deserialize<'de> for Range<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Copy> Visitor<'de> for V<T> {
            type Value = Range<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, or {min: n, max: n}")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Range<T>, E> {
                let x = T::deserialize(de::value::U64Deserializer::<E>::new(v))?;
                Ok(Range {
                    min: Some(x),
                    max: Some(x),
                })
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Range<T>, E> {
                let x = T::deserialize(de::value::I64Deserializer::<E>::new(v))?;
                Ok(Range {
                    min: Some(x),
                    max: Some(x),
                })
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Range<T>, E> {
                let x = T::deserialize(de::value::F64Deserializer::<E>::new(v))?;
                Ok(Range {
                    min: Some(x),
                    max: Some(x),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Range<T>, A::Error> {
                let b = Bounds::<T>::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Range {
                    min: b.min,
                    max: b.max,
                })
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `kubernetes: "1.31"`.
#[derive(Debug)]
pub struct VersionDoc(pub String);

impl<'de> Deserialize<'de> for VersionDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(VersionDoc(s)),
            // YAML reads `1.31` as a number and `1.30` as 1.3: two digits after "1."
            // are meant, and no supported release has a one-digit minor.
            Value::Number(n) => match n.as_f64() {
                Some(f) if (1.0..2.0).contains(&f) => {
                    let minor = ((f - 1.0) * 100.0).round() as u32;
                    Ok(VersionDoc(format!("1.{minor}")))
                }
                _ => Err(de::Error::custom(format!(
                    "expected a version string such as \"1.31\", got the number {n}"
                ))),
            },
            other => Err(de::Error::custom(format!(
                "expected a version string such as \"1.31\", got {other}"
            ))),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControlPlaneDoc {
    pub job_sync_delay: Option<Dur>,
    pub pod_start_delay: Option<Dur>,
    pub node_monitor_grace_period: Option<Dur>,
    pub feature_gates: Option<IndexMap<String, bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterDoc {
    pub node_pools: IndexMap<String, NodePoolDoc>,
    /// PriorityClass name -> value, or `{value, globalDefault, preemptionPolicy}`.
    pub priority_classes: Option<IndexMap<String, PriorityClassDoc>>,
}

/// A PriorityClass: its value alone, or the object's fields.
#[derive(Debug)]
pub enum PriorityClassDoc {
    /// `high: 1000`.
    Value(i32),
    /// `batch: {value: 10, globalDefault: true, preemptionPolicy: Never}`.
    Class(PriorityClassSpecDoc),
}

/// The fields of a PriorityClass the scheduler acts on.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriorityClassSpecDoc {
    pub value: i32,
    pub global_default: Option<bool>,
    pub preemption_policy: Option<String>,
    pub description: Option<String>,
}

impl<'de> Deserialize<'de> for PriorityClassDoc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, MapAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PriorityClassDoc;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a priority value (an integer) or {value, globalDefault, preemptionPolicy, description}",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                i32::try_from(v)
                    .map(PriorityClassDoc::Value)
                    .map_err(|_| E::custom(format!("priority {v} is out of range for an int32")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                PriorityClassSpecDoc::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(PriorityClassDoc::Class)
            }
        }
        d.deserialize_any(V)
    }
}

impl PriorityClassDoc {
    /// (value, globalDefault, preemptionPolicy as written).
    pub fn parts(&self) -> (i32, bool, Option<&str>) {
        match self {
            PriorityClassDoc::Value(v) => (*v, false, None),
            PriorityClassDoc::Class(c) => (
                c.value,
                c.global_default.unwrap_or(false),
                c.preemption_policy.as_deref(),
            ),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodePoolDoc {
    pub count: u32,
    pub capacity: CapacityDoc,
    pub price_per_hour: Option<f64>,
    pub labels: Option<IndexMap<String, String>>,
    pub taints: Option<Vec<TaintDoc>>,
    pub failures: Option<NodeFailuresDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CapacityDoc {
    pub cpu: Option<Qty>,
    pub memory: Option<Qty>,
    pub pods: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaintDoc {
    pub key: String,
    #[serde(default)]
    pub value: String,
    pub effect: String,
}

/// A Kubernetes quantity, written as a string or a number.
#[derive(Debug, Clone)]
pub struct Qty(pub String);

impl<'de> Deserialize<'de> for Qty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Qty(s)),
            Value::Number(n) => Ok(Qty(n.to_string())),
            other => Err(de::Error::custom(format!(
                "expected a quantity such as \"8\", \"500m\" or \"32Gi\", got {other}"
            ))),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobDoc {
    pub manifest: Option<String>,
    pub job: Option<Value>,
    pub arrivals: Option<ArrivalsDoc>,
    pub behavior: Option<BehaviorDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArrivalsDoc {
    pub at: Option<Dur>,
    pub every: Option<Dur>,
    pub count: Option<u32>,
    pub poisson: Option<PoissonDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PoissonDoc {
    pub per_hour: f64,
    pub count: u32,
}

/// `behavior:` (and, without `indexes`/`pods`, each override under them).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BehaviorDoc {
    pub startup: Option<Dist>,
    pub runtime: Option<Dist>,
    pub failures: Option<Vec<FailureDoc>>,
    pub attempts: Option<Vec<AttemptDoc>>,
    pub termination: Option<TerminationDoc>,
    pub indexes: Option<IndexMap<String, BehaviorOverrideDoc>>,
    pub pods: Option<IndexMap<String, BehaviorOverrideDoc>>,
    /// Peak memory of a run (a quantity); above the memory limit it is OOM-killed.
    pub memory_usage: Option<Qty>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BehaviorOverrideDoc {
    pub startup: Option<Dist>,
    pub runtime: Option<Dist>,
    pub failures: Option<Vec<FailureDoc>>,
    pub attempts: Option<Vec<AttemptDoc>>,
    pub termination: Option<TerminationDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FailureDoc {
    pub probability: f64,
    pub exit_code: Option<i32>,
    pub oom_killed: Option<bool>,
    pub after: Option<Dist>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttemptDoc {
    pub exit_code: Option<i32>,
    pub oom_killed: Option<bool>,
    pub after: Option<Dist>,
}

/// How a container reacts to SIGTERM: `{after: <dist>}` or `{ignoresSigterm: true}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminationDoc {
    pub after: Option<Dist>,
    pub ignores_sigterm: Option<bool>,
}

/// A duration: a Go-style string (`"1h30m"`) or integer seconds.
#[derive(Debug, Clone, Copy)]
pub struct Dur(pub SimDuration);

const DURATION_EXPECTED: &str =
    "a duration such as \"250ms\", \"10s\", \"5m\", \"1h30m\" or integer seconds";

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DurVisitor)
    }
}

struct DurVisitor;

impl<'de> Visitor<'de> for DurVisitor {
    type Value = Dur;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(DURATION_EXPECTED)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
        v.parse::<SimDuration>()
            .map(Dur)
            .map_err(|e| E::custom(format!("{e}; expected {DURATION_EXPECTED}")))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
        v.checked_mul(1000)
            .map(|ms| Dur(SimDuration::from_millis(ms)))
            .ok_or_else(|| E::custom("duration too large"))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
        Err(E::custom(format!(
            "invalid duration {v}: negative; expected {DURATION_EXPECTED}"
        )))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
        Err(E::custom(format!(
            "invalid duration {v}: plain numbers are whole seconds; write fractions with a unit (\"1.5s\"); expected {DURATION_EXPECTED}"
        )))
    }
}

/// A distribution of durations (SCENARIOS.md "Distributions").
#[derive(Debug, Clone)]
pub struct Dist(pub Distribution);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
enum DistForm {
    Uniform(Dur, Dur),
    Exponential { mean: Dur },
    Lognormal { median: Dur, sigma: f64 },
    Normal { mean: Dur, stddev: Dur },
    Empirical(Vec<Dur>),
}

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DistVisitor)
    }
}

struct DistVisitor;

impl<'de> Visitor<'de> for DistVisitor {
    type Value = Dist;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a duration or a distribution: {uniform: [a, b]}, {exponential: {mean: d}}, {lognormal: {median: d, sigma: s}}, {normal: {mean: d, stddev: d}} or {empirical: [d1, d2, ...]}")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Dist, E> {
        DurVisitor
            .visit_str(v)
            .map(|d| Dist(Distribution::Fixed(d.0)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dist, E> {
        DurVisitor
            .visit_u64(v)
            .map(|d| Dist(Distribution::Fixed(d.0)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dist, E> {
        DurVisitor
            .visit_i64(v)
            .map(|d| Dist(Distribution::Fixed(d.0)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dist, E> {
        DurVisitor
            .visit_f64(v)
            .map(|d| Dist(Distribution::Fixed(d.0)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dist, A::Error> {
        let form = DistForm::deserialize(de::value::MapAccessDeserializer::new(&mut map))?;
        // One form per distribution. A second usually comes from a variant's merge
        // patch adding a form to the base's, which keeps its own unless set to null.
        if let Some(second) = map.next_key::<String>()? {
            return Err(de::Error::custom(format!(
                "a distribution has exactly one form, got a second: `{second}` (a variant's merge patch keeps the base's form: remove it with `<form>: null`)"
            )));
        }
        let dist = match form {
            DistForm::Uniform(a, b) => Distribution::uniform(a.0, b.0),
            DistForm::Exponential { mean } => Ok(Distribution::Exponential { mean: mean.0 }),
            DistForm::Lognormal { median, sigma } => Distribution::lognormal(median.0, sigma),
            DistForm::Normal { mean, stddev } => Ok(Distribution::Normal {
                mean: mean.0,
                stddev: stddev.0,
            }),
            DistForm::Empirical(values) => {
                Distribution::empirical(values.into_iter().map(|d| d.0).collect())
            }
        };
        dist.map(Dist).map_err(de::Error::custom)
    }
}
