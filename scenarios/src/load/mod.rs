//! From a scenario file to a validated [`RunSpec`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use job_model::api::manifest::admit_job;
use job_model::api::{
    CompletionMode, ConditionStatus, JobConditionType, Quantity, Resources, Taint, TaintEffect,
};
use job_model::controller::indexed_job_utils::OrderedIntervals;
use job_model::run::{
    Arrivals, ControlPlane, JobAction, JobFault, JobTemplate, NodeAction, NodeFailures, NodeFault,
    NodePool, NodeTarget, RunSpec,
};
use job_model::version::{FeatureGate, FeatureGates, KubeVersion};
use job_model::workload::{
    Behavior, BehaviorOverride, ContainerExit, FailureMode, ScriptedRun, TerminationBehavior,
};
use serde_json::Value;
use sim_core::{Distribution, SimDuration, SimTime};

use crate::error::{Diagnostic, LoadError, Source};
use crate::expect::{ConditionCheck, Expectation, MetricCheck, StatusCheck};
use crate::schema::*;
use crate::yaml::{self, SourceMap, child};

mod behavior;
mod expectations;
mod faults;
mod jobs;

/// The first release whose controller jobsim simulates with finalizer tracking (on by
/// default from 1.25). 1.21 .. 1.24 run the legacy controller; turning the
/// JobTrackingWithFinalizers gate on there (beta in 1.23) is not modelled.
pub const FINALIZER_TRACKING_FROM: u32 = 25;

/// The run stops here when the scenario gives no `horizon`.
pub const DEFAULT_HORIZON: SimDuration = SimDuration::from_hours(24);
/// Base seed when the scenario gives none.
pub const DEFAULT_SEED: u64 = 1;
/// Runs per variant in a sweep when the scenario gives no `runs`.
pub const DEFAULT_RUNS: u32 = 100;
/// `pods` capacity of a node when the pool does not say (the kubelet's default).
pub const DEFAULT_MAX_PODS: u64 = 110;
/// Capacity of a node dimension the pool leaves out: more than any pods can request.
const UNLIMITED: u64 = u64::MAX / 4;
/// Run time of a container whose behaviour gives none.
pub const DEFAULT_RUNTIME: SimDuration = SimDuration::from_mins(1);

/// A loaded, validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// `name`.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// The file it came from, as named by the user.
    pub file: String,
    /// Base seed.
    pub seed: u64,
    /// Runs per variant in a sweep.
    pub runs: u32,
    /// What one run simulates.
    pub run: Arc<RunSpec>,
    /// Things worth knowing that do not stop the run.
    pub warnings: Vec<Diagnostic>,
    /// `expect:` entries.
    pub expectations: Vec<Expectation>,
    /// Every variant's run, in scenario order (the first is [`Scenario::run`]).
    pub variant_runs: Vec<(String, Arc<RunSpec>)>,
}

impl Scenario {
    /// The variant names, in scenario order.
    pub fn variants(&self) -> Vec<String> {
        self.variant_runs.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The run of variant `name`.
    pub fn variant_run(&self, name: &str) -> Option<&Arc<RunSpec>> {
        self.variant_runs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r)
    }
}

/// Loads and validates the scenario file at `path`.
pub fn load_file(path: &Path) -> Result<Scenario, LoadError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Diagnostic {
        file: file.clone(),
        at: None,
        path: String::new(),
        message: format!("cannot read the scenario: {e}"),
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    load_str(&text, &file, Some(&dir))
}

/// Loads and validates scenario text. `file` names it in messages; `manifest:` paths
/// resolve against `dir` (an embedded scenario has none and must inline its Jobs).
pub fn load_str(text: &str, file: &str, dir: Option<&Path>) -> Result<Scenario, LoadError> {
    let (value, map) = yaml::parse(text).map_err(|e| Diagnostic {
        file: file.to_string(),
        at: Some(e.at),
        path: e.path,
        message: e.message,
    })?;
    let src = Source { file, map: &map };
    if !value.is_object() {
        return Err(src
            .at(
                "",
                "expected a mapping with at least `name`, `cluster` and `jobs`",
            )
            .into());
    }
    let nulls = expectations::null_diagnostics(&value, &src);
    if !nulls.is_empty() {
        return Err(LoadError { diagnostics: nulls });
    }
    let doc: ScenarioDoc = deserialize(&value, &src, "")?;
    let variants = variant_list(&doc, &src)?;
    let mut runs: Vec<(String, Arc<RunSpec>)> = Vec::new();
    let mut first: Option<Scenario> = None;
    let mut errors = Vec::new();
    let mut seen: Vec<Diagnostic> = Vec::new();
    let (mut warnings, mut seen_warnings) = (Vec::new(), Vec::<Diagnostic>::new());
    for (i, v) in variants.iter().enumerate() {
        // The scenario as this variant sees it: the document with its patch applied.
        let mut patched = value.clone();
        if let Some(patch) = &v.patch {
            json_patch::merge(&mut patched, patch);
        }
        let label = |mut d: Diagnostic| {
            if v.patch.is_some() || v.job_spec.is_some() {
                d.message = format!("variant {:?}: {}", v.name, d.message);
            }
            d
        };
        let vdoc: ScenarioDoc = match deserialize(&patched, &src, "") {
            Ok(d) => d,
            Err(d) => {
                errors.push(label(d));
                continue;
            }
        };
        let loader = Loader {
            src: Source { file, map: &map },
            dir: dir.map(Path::to_path_buf),
            errors: Vec::new(),
            warnings: Vec::new(),
            job_spec_patch: v.job_spec.clone(),
            variant_names: variants.iter().map(|v| v.name.clone()).collect(),
            variant_path: doc
                .variants
                .is_some()
                .then(|| format!("variants[{i}].jobSpec")),
            job_names: Vec::new(),
        };
        match loader.scenario(vdoc) {
            Ok(mut s) => {
                runs.push((v.name.clone(), Arc::clone(&s.run)));
                // Warnings too are said once, with the variant that found them.
                for w in std::mem::take(&mut s.warnings) {
                    if !seen_warnings.contains(&w) {
                        seen_warnings.push(w.clone());
                        warnings.push(label(w));
                    }
                }
                if i == 0 {
                    first = Some(s);
                }
            }
            Err(e) => {
                // An error of the base document, found again by every variant, is said
                // once, without a variant's name.
                for d in e.diagnostics {
                    if !seen.contains(&d) {
                        seen.push(d.clone());
                        errors.push(label(d));
                    }
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(LoadError {
            diagnostics: errors,
        });
    }
    let mut s = first.expect("at least one variant");
    s.variant_runs = runs;
    s.warnings = warnings;
    Ok(s)
}

/// The scenario's variants; none written means one, "baseline", without patches.
fn variant_list(doc: &ScenarioDoc, src: &Source) -> Result<Vec<VariantDoc>, LoadError> {
    let Some(list) = &doc.variants else {
        return Ok(vec![VariantDoc {
            name: "baseline".into(),
            job_spec: None,
            patch: None,
        }]);
    };
    let mut errors = Vec::new();
    if list.is_empty() {
        errors.push(src.at(
            "variants",
            "list at least one variant (or leave `variants` out)",
        ));
    }
    for (i, v) in list.iter().enumerate() {
        let path = format!("variants[{i}]");
        if v.name.trim().is_empty() {
            errors.push(src.at(&format!("{path}.name"), "must not be empty"));
        }
        if list[..i].iter().any(|o| o.name == v.name) {
            errors.push(src.at(
                &format!("{path}.name"),
                format!("duplicate variant name {:?}", v.name),
            ));
        }
        if let Some(p) = &v.patch {
            match p.as_object() {
                None => errors.push(src.at(
                    &format!("{path}.patch"),
                    "a merge patch over the scenario must be a mapping",
                )),
                Some(m) => {
                    for key in ["name", "variants", "expect", "golden"] {
                        if m.contains_key(key) {
                            errors.push(src.at(
                                &format!("{path}.patch.{key}"),
                                format!("a variant may not patch `{key}`"),
                            ));
                        }
                    }
                }
            }
        }
        if let Some(p) = &v.job_spec
            && !p.is_object()
        {
            errors.push(src.at(
                &format!("{path}.jobSpec"),
                "a merge patch over a Job's .spec must be a mapping",
            ));
        }
    }
    if errors.is_empty() {
        Ok(list.clone())
    } else {
        Err(LoadError {
            diagnostics: errors,
        })
    }
}

/// Deserializes `value` (found at `prefix` in `src`) with the key path of any error.
fn deserialize<T: serde::de::DeserializeOwned>(
    value: &Value,
    src: &Source,
    prefix: &str,
) -> Result<T, Diagnostic> {
    serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        let inner = e.path().to_string();
        let mut path = if inner == "." {
            prefix.to_string()
        } else {
            join(prefix, &inner)
        };
        let mut message = e.inner().to_string();
        // `unknown field` errors: the path names the parent; point at the key itself.
        if let Some(rest) = message.strip_prefix("unknown field `")
            && let Some((key, expected)) = rest.split_once('`')
        {
            if yaml::last_segment(&path) != key {
                path = child(&path, key);
            }
            message = format!("unknown key `{key}`{expected}");
        }
        src.at(&path, message)
    })
}

fn join(prefix: &str, inner: &str) -> String {
    if prefix.is_empty() {
        inner.to_string()
    } else if inner.starts_with('[') {
        format!("{prefix}{inner}")
    } else {
        format!("{prefix}.{inner}")
    }
}

struct Loader<'a> {
    src: Source<'a>,
    dir: Option<PathBuf>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// The variant's merge patch over every Job's `.spec`.
    job_spec_patch: Option<Value>,
    /// Every variant's name, for `expect[].variant`.
    variant_names: Vec<String>,
    /// Where this variant's jobSpec patch is written (`variants[1].jobSpec`).
    variant_path: Option<String>,
    /// The Job instance names of the document.
    job_names: Vec<String>,
}

impl Loader<'_> {
    fn err(&mut self, path: &str, message: impl Into<String>) {
        let d = self.src.at(path, message);
        self.errors.push(d);
    }

    fn not_supported_yet(&mut self, path: &str, present: bool) {
        if present {
            self.err(
                path,
                "not supported yet by this version of jobsim (the key is part of the scenario contract; remove it to run)",
            );
        }
    }

    fn scenario(mut self, doc: ScenarioDoc) -> Result<Scenario, LoadError> {
        self.not_supported_yet("golden", doc.golden.is_some());

        let version = self.version(doc.kubernetes.as_ref());
        let gates = self.gates(version, doc.control_plane.as_ref());
        let control_plane = self.control_plane(version, doc.control_plane.as_ref());
        if doc.name.trim().is_empty() {
            self.err("name", "must not be empty");
        }
        let node_pools = doc
            .cluster
            .node_pools
            .iter()
            .map(|(name, p)| self.node_pool(name, p))
            .collect::<Vec<_>>();
        if node_pools.is_empty() {
            self.err("cluster.nodePools", "at least one node pool is required");
        }
        if doc.jobs.is_empty() {
            self.err("jobs", "at least one Job is required");
        }
        self.priority_classes(doc.cluster.priority_classes.as_ref());
        let mut jobs = Vec::new();
        for (name, j) in &doc.jobs {
            if let Some(mut t) = self.job(name, j, (version, &gates)) {
                self.resolve_priority(name, &mut t, doc.cluster.priority_classes.as_ref());
                jobs.push(t);
            }
        }
        // Every Job instance the document names, whether or not its manifest was valid,
        // so that a bad manifest is reported once, not again by each fault and check.
        let names: Vec<String> = doc
            .jobs
            .iter()
            .flat_map(|(name, j)| {
                let count = j.arrivals.as_ref().map_or(1, |a| {
                    a.count.or(a.poisson.as_ref().map(|p| p.count)).unwrap_or(1)
                });
                match count {
                    1 => vec![name.clone()],
                    n => (0..n).map(|i| format!("{name}-{i}")).collect(),
                }
            })
            .collect();
        self.job_names = names;
        let job_faults = self.faults(doc.faults.as_deref().unwrap_or(&[]), &jobs, &gates);
        let node_faults = self.node_faults(doc.faults.as_deref().unwrap_or(&[]), &node_pools);
        let horizon_for_expect = doc.horizon.map_or(DEFAULT_HORIZON, |h| h.0);
        let expectations =
            self.expectations(doc.expect.as_deref().unwrap_or(&[]), horizon_for_expect);
        if doc.runs == Some(0) {
            self.err("runs", "must be at least 1");
        }
        let horizon = doc.horizon.map_or(DEFAULT_HORIZON, |h| h.0);
        if horizon.is_zero() {
            self.err("horizon", "must be greater than 0s");
        }
        if !self.errors.is_empty() {
            self.errors.sort_by_key(|d| d.at);
            return Err(LoadError {
                diagnostics: self.errors,
            });
        }
        Ok(Scenario {
            name: doc.name,
            description: doc.description,
            file: self.src.file.to_string(),
            seed: doc.seed.unwrap_or(DEFAULT_SEED),
            runs: doc.runs.unwrap_or(DEFAULT_RUNS),
            run: Arc::new(RunSpec {
                scenario: String::new(),
                version,
                gates,
                control_plane,
                horizon,
                node_pools,
                jobs,
                job_faults,
                node_faults,
            }),
            warnings: self.warnings,
            expectations,
            variant_runs: Vec::new(),
        }
        .with_name())
    }

    fn version(&mut self, v: Option<&VersionDoc>) -> KubeVersion {
        let Some(VersionDoc(text)) = v else {
            return KubeVersion::NEWEST;
        };
        let minor = text
            .strip_prefix("1.")
            .and_then(|m| m.parse::<u32>().ok())
            .and_then(KubeVersion::new);
        match minor {
            Some(v) => v,
            None => {
                self.err(
                    "kubernetes",
                    format!(
                        "unknown release {text:?}; expected \"{}\" .. \"{}\"",
                        KubeVersion::OLDEST,
                        KubeVersion::NEWEST
                    ),
                );
                KubeVersion::NEWEST
            }
        }
    }

    fn gates(&mut self, version: KubeVersion, cp: Option<&ControlPlaneDoc>) -> FeatureGates {
        let mut gates = FeatureGates::defaults_for(version);
        for (name, &on) in cp
            .and_then(|c| c.feature_gates.as_ref())
            .into_iter()
            .flatten()
        {
            let path = format!("controlPlane.featureGates.{name}");
            match name.parse::<FeatureGate>() {
                Ok(g) => {
                    if let Err(e) = gates.set(version, g, on) {
                        self.err(&path, e);
                    } else if g == FeatureGate::JobTrackingWithFinalizers
                        && on
                        && !version.at_least(FINALIZER_TRACKING_FROM)
                    {
                        self.err(
                            &path,
                            format!("finalizer tracking in {version}: not supported yet (jobsim models the {version} controller without it)"),
                        );
                    }
                }
                Err(e) => self.err(&path, e),
            }
        }
        gates
    }

    fn control_plane(
        &mut self,
        version: KubeVersion,
        cp: Option<&ControlPlaneDoc>,
    ) -> ControlPlane {
        let mut out = ControlPlane::defaults_for(version);
        if let Some(cp) = cp {
            if let Some(d) = cp.job_sync_delay {
                out.job_sync_delay = d.0;
            }
            if let Some(d) = cp.pod_start_delay {
                out.pod_start_delay = d.0;
            }
            if let Some(d) = cp.node_monitor_grace_period {
                out.node_monitor_grace_period = d.0;
            }
        }
        out
    }

    fn quantity(&mut self, path: &str, q: &Qty) -> Option<Quantity> {
        match Quantity::parse(&q.0) {
            Ok(v) if !v.is_negative() => Some(v),
            Ok(_) => {
                self.err(path, format!("{:?}: must not be negative", q.0));
                None
            }
            Err(e) => {
                self.err(path, e.to_string());
                None
            }
        }
    }

    fn node_pool(&mut self, name: &str, p: &NodePoolDoc) -> NodePool {
        let path = format!("cluster.nodePools.{name}");
        if !job_model::api::validation::dns1123_label_errors(name).is_empty() {
            self.err(
                &path,
                format!("pool name {name:?} must be a DNS-1123 label (lower-case letters, digits, '-'): node names are <pool>-<i>"),
            );
        }
        let failures = p.failures.as_ref().and_then(|f| {
            if f.mtbf.0.is_zero() {
                self.err(&format!("{path}.failures.mtbf"), "must be greater than 0s");
                return None;
            }
            Some(NodeFailures {
                mtbf: f.mtbf.0,
                downtime: f.downtime.0.clone(),
            })
        });
        let cpu = p
            .capacity
            .cpu
            .as_ref()
            .map(|q| self.quantity(&format!("{path}.capacity.cpu"), q));
        let memory = p
            .capacity
            .memory
            .as_ref()
            .map(|q| self.quantity(&format!("{path}.capacity.memory"), q));
        if let Some(price) = p.price_per_hour
            && !(price.is_finite() && price >= 0.0)
        {
            self.err(&format!("{path}.pricePerHour"), "must be a number >= 0");
        }
        let mut taints = Vec::new();
        for (i, t) in p.taints.iter().flatten().enumerate() {
            let effect = match t.effect.as_str() {
                "NoSchedule" => TaintEffect::NoSchedule,
                "PreferNoSchedule" => TaintEffect::PreferNoSchedule,
                "NoExecute" => TaintEffect::NoExecute,
                other => {
                    self.err(
                        &format!("{path}.taints[{i}].effect"),
                        format!("unsupported value {other:?}: expected NoSchedule, PreferNoSchedule or NoExecute"),
                    );
                    continue;
                }
            };
            taints.push(Taint {
                key: t.key.clone(),
                value: t.value.clone(),
                effect,
                time_added: None,
            });
        }
        NodePool {
            name: name.to_string(),
            count: p.count,
            capacity: Resources {
                // A dimension left out does not limit scheduling.
                cpu_milli: cpu.map_or(UNLIMITED, |q| q.map_or(0, |q| q.milli_value() as u64)),
                memory: memory.map_or(UNLIMITED, |q| q.map_or(0, |q| q.value() as u64)),
                pods: p.capacity.pods.unwrap_or(DEFAULT_MAX_PODS),
            },
            labels: p
                .labels
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            taints,
            price_per_hour: p.price_per_hour,
            failures,
        }
    }
}

impl Scenario {
    fn with_name(mut self) -> Self {
        let mut run = (*self.run).clone();
        run.scenario = self.name.clone();
        self.run = Arc::new(run);
        self
    }
}
