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
    pub faults: Option<Value>,
    pub variants: Option<Value>,
    pub expect: Option<Value>,
    pub golden: Option<Value>,
    pub priority_classes: Option<Value>,
}

/// `kubernetes: "1.31"`.
#[derive(Debug)]
pub struct VersionDoc(pub String);

impl<'de> Deserialize<'de> for VersionDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(VersionDoc(s)),
            Value::Number(n) => Err(de::Error::custom(format!(
                "expected a quoted version string such as \"1.31\", got the number {n} (quote it: YAML reads 1.30 as 1.3)"
            ))),
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
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodePoolDoc {
    pub count: u32,
    pub capacity: CapacityDoc,
    pub price_per_hour: Option<f64>,
    pub labels: Option<IndexMap<String, String>>,
    pub taints: Option<Vec<TaintDoc>>,
    pub failures: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CapacityDoc {
    pub cpu: Qty,
    pub memory: Qty,
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
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Dist, A::Error> {
        let form = DistForm::deserialize(de::value::MapAccessDeserializer::new(map))?;
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
