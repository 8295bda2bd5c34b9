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

/// The releases this version of jobsim simulates: 1.21 .. 1.24 (the legacy controller)
/// and 1.27 to the newest (the finalizer-tracking controller with the pod-finish-time
/// back-off). 1.25 and 1.26 pair tracking with the rate-limiter back-off, whose
/// behaviour changed across their patch releases: not modelled yet.
pub const OLDEST_SUPPORTED: u32 = 27;
/// The legacy releases simulated besides 1.28+.
pub const LEGACY_SUPPORTED: std::ops::RangeInclusive<u32> = 21..=24;

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
    let doc: ScenarioDoc = deserialize(&value, &src, "")?;
    let variants = variant_list(&doc, &src)?;
    let mut runs: Vec<(String, Arc<RunSpec>)> = Vec::new();
    let mut first: Option<Scenario> = None;
    let mut errors = Vec::new();
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
            Ok(s) => {
                runs.push((v.name.clone(), Arc::clone(&s.run)));
                if i == 0 {
                    first = Some(s);
                }
            }
            Err(e) => {
                let diags = e.diagnostics.into_iter().map(label);
                // The same base error found again by a later variant is said once.
                for d in diags {
                    if !errors.contains(&d) {
                        errors.push(d);
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
        let mut jobs = Vec::new();
        for (name, j) in &doc.jobs {
            if let Some(mut t) = self.job(name, j, &gates) {
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

    /// The Priority admission plugin: a pod's priorityClassName becomes its priority;
    /// the built-in system classes exist in every cluster.
    fn resolve_priority(
        &mut self,
        name: &str,
        t: &mut JobTemplate,
        classes: Option<&indexmap::IndexMap<String, i32>>,
    ) {
        let Some(class) = t.spec.template.priority_class_name.clone() else {
            return;
        };
        let value = match class.as_str() {
            "system-cluster-critical" => Some(2_000_000_000),
            "system-node-critical" => Some(2_000_001_000),
            _ => classes.and_then(|c| c.get(&class).copied()),
        };
        match value {
            Some(v) => t.spec.template.priority = v,
            None => {
                let known: Vec<String> = classes.iter().flat_map(|c| c.keys().cloned()).collect();
                self.err(
                    &format!("jobs.{name}"),
                    format!(
                        "priorityClassName {class:?}: no PriorityClass with that name (define it under cluster.priorityClasses; known: {})",
                        if known.is_empty() { "none".to_string() } else { known.join(", ") }
                    ),
                );
            }
        }
    }

    fn faults(
        &mut self,
        docs: &[FaultDoc],
        jobs: &[JobTemplate],
        gates: &FeatureGates,
    ) -> Vec<JobFault> {
        let mut out = Vec::new();
        for (i, f) in docs.iter().enumerate() {
            let path = format!("faults[{i}]");
            let cluster_actions = [
                ("nodeDown", f.node_down.is_some()),
                ("drain", f.drain.is_some()),
                ("kubeletRestart", f.kubelet_restart.is_some()),
                ("nodePressure", f.node_pressure.is_some()),
                ("outOfService", f.out_of_service.is_some()),
            ];
            let job_actions = [
                ("suspend", f.suspend.as_ref().map(|r| r.job.as_str())),
                ("resume", f.resume.as_ref().map(|r| r.job.as_str())),
                ("scale", f.scale.as_ref().map(|r| r.job.as_str())),
                ("deleteJob", f.delete_job.as_ref().map(|r| r.job.as_str())),
                ("deletePods", f.delete_pods.as_ref().map(|r| r.job.as_str())),
                ("evict", f.evict.as_ref().map(|r| r.job.as_str())),
                ("preempt", f.preempt.as_ref().map(|r| r.job.as_str())),
            ];
            let given: Vec<&str> = cluster_actions
                .iter()
                .filter(|(_, p)| *p)
                .map(|(k, _)| *k)
                .chain(
                    job_actions
                        .iter()
                        .filter(|(_, j)| j.is_some())
                        .map(|(k, _)| *k),
                )
                .collect();
            if given.len() != 1 {
                self.err(
                    &path,
                    format!(
                        "a fault has `at` and exactly one action (suspend, resume, scale, deleteJob, deletePods, evict, preempt, nodeDown, drain, kubeletRestart, nodePressure, outOfService); got {}",
                        if given.is_empty() { "none".to_string() } else { given.join(", ") }
                    ),
                );
                continue;
            }
            let Some((key, Some(name))) = job_actions.iter().find(|(_, j)| j.is_some()).copied()
            else {
                continue;
            };
            let job_path = format!("{path}.{key}.job");
            if !self.job_names.iter().any(|n| n == name) {
                let names: Vec<String> = self.job_names.iter().take(8).cloned().collect();
                self.err(
                    &job_path,
                    format!(
                        "no Job {name:?} in the scenario (Jobs: {})",
                        names.join(", ")
                    ),
                );
                continue;
            }
            // A Job whose manifest was invalid has been reported already.
            let Some(template) = jobs
                .iter()
                .find(|t| t.instance_names().iter().any(|n| n == name))
            else {
                continue;
            };
            let action = match key {
                "suspend" => JobAction::Suspend,
                "resume" => JobAction::Resume,
                "deleteJob" => JobAction::Delete,
                "deletePods" | "evict" | "preempt" => {
                    let doc = match key {
                        "evict" => &f.evict,
                        "preempt" => &f.preempt,
                        _ => &f.delete_pods,
                    };
                    let count = doc.as_ref().map_or(1, |d| d.count.unwrap_or(1));
                    if count == 0 {
                        self.err(&format!("{path}.{key}.count"), "must be at least 1");
                        continue;
                    }
                    match key {
                        "evict" => JobAction::Evict { count },
                        "preempt" => JobAction::Preempt { count },
                        _ => JobAction::DeletePods { count },
                    }
                }
                _ => {
                    let Some(sc) = f.scale.as_ref() else {
                        continue;
                    };
                    match self.scale(&format!("{path}.scale"), sc, &template.spec, gates) {
                        Some(a) => a,
                        None => continue,
                    }
                }
            };
            out.push(JobFault {
                at: f.at.0,
                job: name.to_string(),
                action,
            });
        }
        out
    }

    /// The node actions of the timeline, each naming nodes and pools that exist.
    fn node_faults(&mut self, docs: &[FaultDoc], pools: &[NodePool]) -> Vec<NodeFault> {
        let node_exists = |name: &str| {
            pools.iter().any(|p| {
                name.strip_prefix(&format!("{}-", p.name))
                    .and_then(|i| i.parse::<u32>().ok())
                    .is_some_and(|i| {
                        i < p.count && i.to_string().len() == name.len() - p.name.len() - 1
                    })
            })
        };
        let mut out = Vec::new();
        for (i, f) in docs.iter().enumerate() {
            let path = format!("faults[{i}]");
            for (key, doc) in [
                ("drain", &f.drain),
                ("kubeletRestart", &f.kubelet_restart),
                ("nodePressure", &f.node_pressure),
                ("outOfService", &f.out_of_service),
            ] {
                let Some(d) = doc else { continue };
                if !node_exists(&d.node) {
                    self.err(
                        &format!("{path}.{key}.node"),
                        format!("no node {:?} in the cluster (nodes are <pool>-<i>)", d.node),
                    );
                    continue;
                }
                let node = d.node.clone();
                let action = match key {
                    "drain" => NodeAction::Drain { node },
                    "kubeletRestart" => NodeAction::KubeletRestart { node },
                    "outOfService" => NodeAction::OutOfService { node },
                    _ => NodeAction::NodePressure { node },
                };
                out.push(NodeFault { at: f.at.0, action });
            }
            if let Some(d) = &f.node_down {
                let p = format!("{path}.nodeDown");
                let target = match (&d.node, &d.pool, d.count) {
                    (Some(node), None, None) => {
                        if !node_exists(node) {
                            self.err(
                                &format!("{p}.node"),
                                format!("no node {node:?} in the cluster (nodes are <pool>-<i>)"),
                            );
                            continue;
                        }
                        NodeTarget::Node(node.clone())
                    }
                    (None, Some(pool), count) => {
                        let Some(pl) = pools.iter().find(|x| &x.name == pool) else {
                            let names: Vec<&str> = pools.iter().map(|x| x.name.as_str()).collect();
                            self.err(
                                &format!("{p}.pool"),
                                format!("no node pool {pool:?} (pools: {})", names.join(", ")),
                            );
                            continue;
                        };
                        let count = count.unwrap_or(1);
                        if count == 0 || count > pl.count {
                            self.err(
                                &format!("{p}.count"),
                                format!(
                                    "{count}: must be between 1 and the pool's {} nodes",
                                    pl.count
                                ),
                            );
                            continue;
                        }
                        NodeTarget::Pool {
                            pool: pool.clone(),
                            count,
                        }
                    }
                    _ => {
                        self.err(&p, "give `node`, or `pool` with an optional `count`");
                        continue;
                    }
                };
                if let Some(d) = d.down_for
                    && d.0.is_zero()
                {
                    self.err(
                        &format!("{p}.for"),
                        "must be greater than 0s (leave `for` out: gone for good)",
                    );
                    continue;
                }
                out.push(NodeFault {
                    at: f.at.0,
                    action: NodeAction::Down {
                        target,
                        duration: d.down_for.map(|d| d.0),
                    },
                });
            }
        }
        out
    }

    /// Validates a `scale` as the API server validates the Job update.
    fn scale(
        &mut self,
        path: &str,
        sc: &ScaleDoc,
        spec: &job_model::api::JobSpec,
        gates: &FeatureGates,
    ) -> Option<JobAction> {
        let before = self.errors.len();
        if sc.parallelism.is_none() && sc.completions.is_none() {
            self.err(path, "give `parallelism`, `completions` or both");
        }
        for (key, v) in [
            ("parallelism", sc.parallelism),
            ("completions", sc.completions),
        ] {
            if let Some(v) = v
                && v < 0
            {
                self.err(
                    &format!("{path}.{key}"),
                    format!("spec.{key}: Invalid value: {v}: must be greater than or equal to 0"),
                );
            }
        }
        let indexed = spec.completion_mode == CompletionMode::Indexed;
        if let Some(p) = sc.parallelism
            && indexed
            && p > job_model::api::validation::MAX_PARALLELISM_FOR_INDEXED_JOB
        {
            self.err(
                &format!("{path}.parallelism"),
                format!("spec.parallelism: Invalid value: {p}: must be less than or equal to 100000 when completion mode is Indexed"),
            );
        }
        if let Some(c) = sc.completions
            && Some(c) != spec.completions
        {
            let elastic = indexed && gates.enabled(FeatureGate::ElasticIndexedJob);
            if !elastic {
                self.err(
                    &format!("{path}.completions"),
                    format!("spec.completions: Invalid value: {c}: field is immutable"),
                );
            } else if sc.parallelism != Some(c) {
                self.err(
                    &format!("{path}.completions"),
                    format!("spec.completions: Invalid value: {c}: can only be modified in tandem with spec.parallelism"),
                );
            }
        }
        (self.errors.len() == before).then_some(JobAction::Scale {
            parallelism: sc.parallelism,
            completions: sc.completions,
        })
    }

    fn expectations(&mut self, docs: &[ExpectDoc], horizon: SimDuration) -> Vec<Expectation> {
        let names = self.job_names.clone();
        let mut out = Vec::new();
        for (i, d) in docs.iter().enumerate() {
            let path = format!("expect[{i}]");
            let before = self.errors.len();
            self.not_supported_yet(&format!("{path}.sweep"), d.sweep.is_some());
            if let Some(v) = &d.variant
                && !self.variant_names.contains(v)
            {
                let names = self.variant_names.join(", ");
                self.err(
                    &format!("{path}.variant"),
                    format!("no variant {v:?} in the scenario (variants: {names})"),
                );
            }
            let job = match &d.job {
                Some(j) if names.contains(j) => j.clone(),
                Some(j) => {
                    let mut known = names.clone();
                    known.truncate(8);
                    self.err(
                        &format!("{path}.job"),
                        format!("no Job {j:?} in the scenario (Jobs: {})", known.join(", ")),
                    );
                    continue;
                }
                None => {
                    if d.sweep.is_none() {
                        self.err(&path, "an expectation needs `job:` (the Job it is about)");
                    }
                    continue;
                }
            };
            let at = d.at.map(|a| SimTime::ZERO + a.0);
            if let Some(a) = d.at
                && a.0 > horizon
            {
                self.err(
                    &format!("{path}.at"),
                    format!("{} is after the horizon ({horizon})", a.0),
                );
            }
            let condition_type = |l: &mut Self, p: &str, t: &str| match JobConditionType::parse(t) {
                Some(t) => Some(t),
                None => {
                    l.err(
                        p,
                        format!("unknown Job condition type {t:?}; expected Complete, Failed, FailureTarget, SuccessCriteriaMet or Suspended"),
                    );
                    None
                }
            };
            let condition = d.condition.as_ref().and_then(|c| {
                let t = condition_type(self, &format!("{path}.condition.type"), &c.condition_type)?;
                let status = match c.status.as_deref() {
                    None | Some("True") => ConditionStatus::True,
                    Some("False") => ConditionStatus::False,
                    Some("Unknown") => ConditionStatus::Unknown,
                    Some(other) => {
                        self.err(
                            &format!("{path}.condition.status"),
                            format!("{other:?}: expected True, False or Unknown"),
                        );
                        return None;
                    }
                };
                Some(ConditionCheck {
                    condition_type: t,
                    status,
                    reason: c.reason.clone(),
                    message: c.message.clone(),
                    at: c.at,
                })
            });
            let no_condition = d
                .no_condition
                .as_ref()
                .and_then(|t| condition_type(self, &format!("{path}.noCondition"), t));
            let mut status = Vec::new();
            if let Some(st) = &d.status {
                for (name, v) in [
                    ("active", st.active),
                    ("ready", st.ready),
                    ("succeeded", st.succeeded),
                    ("failed", st.failed),
                    ("terminating", st.terminating),
                ] {
                    if let Some(v) = v {
                        status.push(StatusCheck::Counter(name, v));
                    }
                }
                if let Some(v) = &st.completed_indexes {
                    status.push(StatusCheck::CompletedIndexes(v.clone()));
                }
                if let Some(v) = &st.failed_indexes {
                    status.push(StatusCheck::FailedIndexes(v.clone()));
                }
                if let Some(v) = st.start_time {
                    status.push(StatusCheck::StartTime(v));
                }
                if let Some(v) = st.completion_time {
                    status.push(StatusCheck::CompletionTime(v));
                }
            }
            let mut metrics = Vec::new();
            if let Some(m) = &d.metrics {
                if d.at.is_some() {
                    self.err(
                        &format!("{path}.metrics"),
                        "metrics are measured at the end of the run; drop `at` or check `status`/`condition` instead",
                    );
                }
                if let Some(o) = &m.outcome {
                    if !["Complete", "Failed", "Unfinished", "Deleted"].contains(&o.as_str()) {
                        self.err(
                            &format!("{path}.metrics.outcome"),
                            format!("{o:?}: expected Complete, Failed, Unfinished or Deleted"),
                        );
                    }
                    metrics.push(MetricCheck::Outcome(o.clone()));
                }
                if let Some(v) = m.completion_time {
                    metrics.push(MetricCheck::CompletionTime(v));
                }
                if let Some(v) = m.interim_time {
                    metrics.push(MetricCheck::InterimTime(v));
                }
                for (name, v) in [
                    ("retries", m.retries),
                    ("podsCreated", m.pods_created),
                    ("containerRestarts", m.container_restarts),
                    ("ignoredFailures", m.ignored_failures),
                ] {
                    if let Some(v) = v {
                        metrics.push(MetricCheck::Count(name, v));
                    }
                }
                for (name, v) in [
                    ("usefulPodSeconds", m.useful_pod_seconds),
                    ("wastedPodSeconds", m.wasted_pod_seconds),
                ] {
                    if let Some(v) = v {
                        metrics.push(MetricCheck::Seconds(name, v));
                    }
                }
            }
            if self.errors.len() > before {
                continue;
            }
            out.push(Expectation {
                index: i,
                at_location: self.src.map.locate(&path),
                job,
                variant: d.variant.clone(),
                at,
                condition,
                no_condition,
                status,
                events: d
                    .events
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), *v))
                    .collect(),
                pods_created: d
                    .pods_created
                    .as_ref()
                    .map(|v| v.iter().map(|d| d.0).collect()),
                metrics,
            });
        }
        out
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
            Some(v) if v.minor() >= OLDEST_SUPPORTED || LEGACY_SUPPORTED.contains(&v.minor()) => v,
            Some(v) => {
                self.err(
                    "kubernetes",
                    format!(
                        "{v}: not supported yet (this version of jobsim simulates 1.{} to 1.{} and 1.{OLDEST_SUPPORTED} to {})",
                        LEGACY_SUPPORTED.start(),
                        LEGACY_SUPPORTED.end(),
                        KubeVersion::NEWEST
                    ),
                );
                KubeVersion::NEWEST
            }
            None => {
                self.err(
                    "kubernetes",
                    format!(
                        "unknown release {text:?}; expected \"1.{}\" .. \"1.{}\" or \"1.{OLDEST_SUPPORTED}\" .. \"{}\"",
                        LEGACY_SUPPORTED.start(),
                        LEGACY_SUPPORTED.end(),
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
                        && !version.at_least(OLDEST_SUPPORTED)
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

    fn job(&mut self, name: &str, j: &JobDoc, gates: &FeatureGates) -> Option<JobTemplate> {
        let path = format!("jobs.{name}");
        let admitted = match (&j.manifest, &j.job) {
            (Some(_), Some(_)) => {
                self.err(&path, "give either `manifest` or `job`, not both");
                None
            }
            (None, None) => {
                self.err(
                    &path,
                    "a Job needs `manifest: <path>` or an inline `job:` manifest",
                );
                None
            }
            (None, Some(inline)) => {
                let map = self.src.map.clone();
                let file = self.src.file.to_string();
                self.manifest(name, inline, &file, &map, &format!("{path}.job"), gates)
            }
            (Some(rel), None) => self.manifest_file(name, rel, &format!("{path}.manifest"), gates),
        };
        let arrivals = self.arrivals(&path, j.arrivals.as_ref());
        let spec = admitted?;
        let behavior = self.behavior(&format!("{path}.behavior"), j.behavior.as_ref(), &spec)?;
        Some(JobTemplate {
            name: name.to_string(),
            namespace: "default".to_string(),
            spec,
            arrivals: arrivals?,
            behavior,
        })
    }

    fn manifest_file(
        &mut self,
        name: &str,
        rel: &str,
        path: &str,
        gates: &FeatureGates,
    ) -> Option<job_model::api::JobSpec> {
        let Some(dir) = &self.dir else {
            self.err(
                path,
                "an embedded scenario cannot name manifest files; inline the Job with `job:`",
            );
            return None;
        };
        let full = dir.join(rel);
        let file = full.display().to_string();
        let text = match std::fs::read_to_string(&full) {
            Ok(t) => t,
            Err(e) => {
                self.err(path, format!("cannot read manifest {file}: {e}"));
                return None;
            }
        };
        match yaml::parse(&text) {
            Ok((value, map)) => self.manifest(name, &value, &file, &map, "", gates),
            Err(e) => {
                self.errors.push(Diagnostic {
                    file,
                    at: Some(e.at),
                    path: e.path,
                    message: e.message,
                });
                None
            }
        }
    }

    /// Checks, decodes and admits one Job manifest found at `prefix` of `file`.
    fn manifest(
        &mut self,
        name: &str,
        value: &Value,
        file: &str,
        map: &SourceMap,
        prefix: &str,
        gates: &FeatureGates,
    ) -> Option<job_model::api::JobSpec> {
        let src = Source { file, map };
        let before = self.errors.len();
        let at = |p: &str| join(prefix, p);
        let Some(obj) = value.as_object() else {
            self.errors
                .push(src.at(prefix, "expected a batch/v1 Job manifest (a mapping)"));
            return None;
        };
        if obj.get("apiVersion").and_then(Value::as_str) != Some("batch/v1") {
            self.errors.push(src.at(
                &at("apiVersion"),
                format!(
                    "expected \"batch/v1\", got {}",
                    obj.get("apiVersion").unwrap_or(&Value::Null)
                ),
            ));
        }
        if obj.get("kind").and_then(Value::as_str) != Some("Job") {
            self.errors.push(src.at(
                &at("kind"),
                format!(
                    "expected \"Job\", got {}",
                    obj.get("kind").unwrap_or(&Value::Null)
                ),
            ));
        }
        let mut value = value.clone();
        if let Some(patch) = &self.job_spec_patch
            && let Some(spec) = value.as_object_mut().and_then(|o| o.get_mut("spec"))
        {
            json_patch::merge(spec, patch);
        }
        quantities_as_strings(&mut value);
        match value.pointer("/metadata/name").and_then(Value::as_str) {
            Some(n) if n != name => self.errors.push(src.at(
                &at("metadata.name"),
                format!("{n:?} differs from the Job's key {name:?} under `jobs:`; they must match"),
            )),
            Some(_) => {}
            None => {
                // The `jobs:` key names the Job.
                if let Some(meta) = value.as_object_mut().map(|o| {
                    o.entry("metadata")
                        .or_insert_with(|| Value::Object(Default::default()))
                }) && let Some(m) = meta.as_object_mut()
                {
                    m.insert("name".into(), Value::String(name.into()));
                }
            }
        }
        if let Some(ns) = value.pointer("/metadata/namespace").and_then(Value::as_str)
            && ns != "default"
        {
            self.warnings.push(src.at(
                &at("metadata.namespace"),
                format!("namespace {ns:?} has no effect: the simulated cluster has one namespace"),
            ));
        }
        let job: k8s_openapi::api::batch::v1::Job = match deserialize(&value, &src, prefix) {
            Ok(j) => j,
            Err(d) => {
                self.errors.push(d);
                return None;
            }
        };
        // k8s-openapi ignores unknown fields; strict decoding (kubectl --validate=strict)
        // rejects them. Compare the input with what the typed object keeps.
        let kept = serde_json::to_value(&job).unwrap_or(Value::Null);
        let mut unknown = Vec::new();
        unknown_fields(&value, &kept, "", &mut unknown);
        for p in unknown {
            let key = p.rsplit(['.', '[']).next().unwrap_or(&p).to_string();
            self.errors.push(src.at(
                &at(&p),
                format!("unknown field `{key}` in a batch/v1 Job (strict decoding)"),
            ));
        }
        if self.errors.len() > before {
            return None;
        }
        match admit_job(&job, gates) {
            Ok(a) => {
                for w in a.warnings {
                    self.warnings.push(src.at(prefix, w));
                }
                Some(a.spec)
            }
            Err(errs) => {
                for e in errs {
                    let full = e.to_string();
                    let msg = full
                        .strip_prefix(&format!("{}: ", e.path))
                        .unwrap_or(&full)
                        .to_string();
                    // A field the variant's jobSpec patch set is reported where the
                    // patch writes it.
                    let in_patch = e.path.strip_prefix("spec.").filter(|rest| {
                        self.job_spec_patch
                            .as_ref()
                            .is_some_and(|p| patch_sets(p, rest))
                    });
                    match (in_patch, &self.variant_path) {
                        (Some(rest), Some(vp)) => {
                            let d = self.src.at(&format!("{vp}.{rest}"), msg);
                            self.errors.push(d);
                        }
                        _ => self.errors.push(src.at(&at(&e.path), msg)),
                    }
                }
                None
            }
        }
    }

    fn arrivals(&mut self, job_path: &str, a: Option<&ArrivalsDoc>) -> Option<Arrivals> {
        let path = format!("{job_path}.arrivals");
        let Some(a) = a else {
            return Some(Arrivals::At(SimDuration::ZERO));
        };
        match (a.at, a.every, a.count, &a.poisson) {
            (at, None, None, None) => Some(Arrivals::At(at.map_or(SimDuration::ZERO, |d| d.0))),
            (None, Some(every), count, None) => {
                let count = count.unwrap_or(1);
                if count == 0 {
                    self.err(&format!("{path}.count"), "must be at least 1");
                    return None;
                }
                Some(Arrivals::Every {
                    every: every.0,
                    count,
                })
            }
            (None, None, None, Some(p)) => {
                if !(p.per_hour.is_finite() && p.per_hour > 0.0) {
                    self.err(&format!("{path}.poisson.perHour"), "must be a number > 0");
                    return None;
                }
                if p.count == 0 {
                    self.err(&format!("{path}.poisson.count"), "must be at least 1");
                    return None;
                }
                Some(Arrivals::Poisson {
                    per_hour: p.per_hour,
                    count: p.count,
                })
            }
            _ => {
                self.err(
                    &path,
                    "expected one of {at: d}, {every: d, count: n} or {poisson: {perHour: r, count: n}}",
                );
                None
            }
        }
    }

    fn behavior(
        &mut self,
        path: &str,
        b: Option<&BehaviorDoc>,
        spec: &job_model::api::JobSpec,
    ) -> Option<Behavior> {
        let mut out = Behavior {
            runtime: Distribution::Fixed(DEFAULT_RUNTIME),
            ..Behavior::default()
        };
        let Some(b) = b else {
            return Some(out);
        };
        let before = self.errors.len();
        let o = self.behavior_override(
            path,
            &BehaviorOverrideDoc {
                startup: b.startup.clone(),
                runtime: b.runtime.clone(),
                failures: None,
                attempts: None,
                termination: None,
            },
        );
        if let Some(d) = o.startup {
            out.startup = d;
        }
        if let Some(d) = o.runtime {
            out.runtime = d;
        }
        if let Some(f) = &b.failures {
            out.failures = self.failures(&format!("{path}.failures"), f);
        }
        if let Some(a) = &b.attempts {
            out.attempts = self.attempts(&format!("{path}.attempts"), a);
        }
        if let Some(t) = &b.termination
            && let Some(t) = self.termination(&format!("{path}.termination"), t)
        {
            out.termination = t;
        }
        if let Some(q) = &b.memory_usage {
            out.memory_usage = self
                .quantity(&format!("{path}.memoryUsage"), q)
                .map(|q| q.value().max(0) as u64);
            if spec.template.memory_limit.is_none() {
                self.warnings.push(self.src.at(
                    &format!("{path}.memoryUsage"),
                    "the pod template sets no memory limit, so memoryUsage never triggers the OOM killer",
                ));
            }
        }
        let indexed = spec.completion_mode == CompletionMode::Indexed;
        if let Some(ix) = &b.indexes {
            let p = format!("{path}.indexes");
            if !indexed {
                self.err(&p, "`indexes` applies to Indexed Jobs; use `pods` (creation ordinals) for NonIndexed Jobs");
            } else {
                let completions = spec.completions.unwrap_or(0).max(0) as u32;
                out.indexes = self.overrides(&p, ix, completions, "completion indexes");
            }
        }
        if let Some(pods) = &b.pods {
            let p = format!("{path}.pods");
            if indexed {
                self.err(
                    &p,
                    "`pods` applies to NonIndexed Jobs; use `indexes` for Indexed Jobs",
                );
            } else {
                out.pods = self.overrides(&p, pods, u32::MAX, "pod ordinals");
            }
        }
        (self.errors.len() == before).then_some(out)
    }

    fn overrides(
        &mut self,
        path: &str,
        entries: &indexmap::IndexMap<String, BehaviorOverrideDoc>,
        limit: u32,
        what: &str,
    ) -> Vec<(OrderedIntervals, BehaviorOverride)> {
        let mut out = Vec::new();
        for (key, doc) in entries {
            let p = child(path, key);
            match OrderedIntervals::parse_strict(key, limit) {
                Ok(oi) => {
                    let o = self.behavior_override(&p, doc);
                    out.push((oi, o));
                }
                Err(e) => self.err(
                    &p,
                    format!("{key:?} is not a list of {what} (\"0,2-4\"): {e}"),
                ),
            }
        }
        out
    }

    fn behavior_override(&mut self, path: &str, d: &BehaviorOverrideDoc) -> BehaviorOverride {
        BehaviorOverride {
            startup: d.startup.clone().map(|d| d.0),
            runtime: d.runtime.clone().map(|d| d.0),
            failures: d
                .failures
                .as_ref()
                .map(|f| self.failures(&format!("{path}.failures"), f)),
            attempts: d
                .attempts
                .as_ref()
                .map(|a| self.attempts(&format!("{path}.attempts"), a)),
            termination: d
                .termination
                .as_ref()
                .and_then(|t| self.termination(&format!("{path}.termination"), t)),
        }
    }

    fn exit(
        &mut self,
        path: &str,
        code: Option<i32>,
        oom: Option<bool>,
        failure: bool,
    ) -> Option<ContainerExit> {
        let oom = oom.unwrap_or(false);
        let exit = match (code, oom) {
            (Some(c), true) if c != 137 => {
                self.err(
                    &format!("{path}.exitCode"),
                    "an OOM-killed container exits 137; drop exitCode or set it to 137",
                );
                return None;
            }
            (_, true) => ContainerExit {
                exit_code: 137,
                oom_killed: true,
            },
            (Some(c), false) => ContainerExit {
                exit_code: c,
                oom_killed: false,
            },
            (None, false) if failure => {
                self.err(
                    path,
                    "a failure needs a non-zero `exitCode` or `oomKilled: true`",
                );
                return None;
            }
            (None, false) => ContainerExit::SUCCESS,
        };
        if !(0..=255).contains(&exit.exit_code) {
            self.err(
                &format!("{path}.exitCode"),
                format!("{} is not an exit code (0..255)", exit.exit_code),
            );
            return None;
        }
        if failure && exit.is_success() {
            self.err(&format!("{path}.exitCode"), "a failure must not exit 0");
            return None;
        }
        Some(exit)
    }

    fn failures(&mut self, path: &str, f: &[FailureDoc]) -> Vec<FailureMode> {
        let mut out = Vec::new();
        for (i, d) in f.iter().enumerate() {
            let p = format!("{path}[{i}]");
            if !(0.0..=1.0).contains(&d.probability) {
                self.err(
                    &format!("{p}.probability"),
                    format!("{} is not a probability in [0, 1]", d.probability),
                );
                continue;
            }
            if let Some(exit) = self.exit(&p, d.exit_code, d.oom_killed, true) {
                out.push(FailureMode {
                    probability: d.probability,
                    exit,
                    after: d.after.clone().map(|a| a.0),
                });
            }
        }
        out
    }

    fn attempts(&mut self, path: &str, a: &[AttemptDoc]) -> Vec<ScriptedRun> {
        let mut out = Vec::new();
        for (i, d) in a.iter().enumerate() {
            let p = format!("{path}[{i}]");
            if let Some(exit) = self.exit(&p, d.exit_code, d.oom_killed, false) {
                out.push(ScriptedRun {
                    exit,
                    after: d.after.clone().map(|a| a.0),
                });
            }
        }
        out
    }

    fn termination(&mut self, path: &str, t: &TerminationDoc) -> Option<TerminationBehavior> {
        match (&t.after, t.ignores_sigterm) {
            (Some(_), Some(true)) => {
                self.err(path, "give `after` or `ignoresSigterm: true`, not both");
                None
            }
            (_, Some(true)) => Some(TerminationBehavior::IgnoresSigterm),
            (Some(a), _) => Some(TerminationBehavior::Exits(a.0.clone())),
            (None, _) => Some(TerminationBehavior::default()),
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

/// Whether merge patch `patch` sets the field at `path` (`a.b[0].c` -> keys a, b).
fn patch_sets(patch: &Value, path: &str) -> bool {
    let mut v = patch;
    for key in path.split('.') {
        let key = key.split('[').next().unwrap_or(key);
        match v.get(key) {
            Some(next) => v = next,
            None => return false,
        }
    }
    true
}

/// Kubernetes accepts `cpu: 1` as well as `cpu: "1"`; k8s-openapi wants strings.
fn quantities_as_strings(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if matches!(k.as_str(), "requests" | "limits")
                    && let Value::Object(q) = child
                {
                    for (_, x) in q.iter_mut() {
                        if let Value::Number(n) = x {
                            *x = Value::String(n.to_string());
                        }
                    }
                }
                quantities_as_strings(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(quantities_as_strings),
        _ => {}
    }
}

/// Keys present in `input` but absent from `kept` (what the typed object serialized).
fn unknown_fields(input: &Value, kept: &Value, path: &str, out: &mut Vec<String>) {
    match (input, kept) {
        (Value::Object(i), Value::Object(k)) => {
            for (key, v) in i {
                let p = child(path, key);
                match k.get(key) {
                    Some(kv) => unknown_fields(v, kv, &p, out),
                    // A null or empty value is dropped by serialization: not unknown.
                    None if is_empty(v) => {}
                    None => out.push(p),
                }
            }
        }
        (Value::Array(i), Value::Array(k)) => {
            for (n, (v, kv)) in i.iter().zip(k).enumerate() {
                unknown_fields(v, kv, &format!("{path}[{n}]"), out);
            }
        }
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.values().all(is_empty),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}
