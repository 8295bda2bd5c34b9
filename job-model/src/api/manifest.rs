//! Admission of a real batch/v1 Job manifest, as the API server of the simulated
//! release would do it on create: drop the fields whose feature gate is off
//! (`dropDisabledFields`), apply defaults (`SetDefaults_Job`, `SetDefaults_PodSpec`,
//! the DefaultTolerationSeconds admission plugin), validate ([`super::validation`]),
//! then convert to the simulator's [`JobSpec`].

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1 as core;

use super::field::FieldError;
use super::quantity::Quantity;
use super::{
    CompletionMode, ConditionStatus, ExitCodesOperator, JobSpec, NodeSelectorOperator,
    NodeSelectorRequirement, OnExitCodes, OnPodCondition, PodFailurePolicy, PodFailurePolicyAction,
    PodFailurePolicyRule, PodReplacementPolicy, PodTemplate, Resources, RestartPolicy,
    SuccessPolicy, SuccessPolicyRule, TaintEffect, Toleration, TolerationOperator, secs,
};
use crate::version::{FeatureGate, FeatureGates, KubeVersion};

/// `DefaultTolerationSeconds` admission: not-ready / unreachable NoExecute for 300 s.
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;
/// Taint of a node whose Ready condition is False.
pub const TAINT_NODE_NOT_READY: &str = "node.kubernetes.io/not-ready";
/// Taint of a node whose Ready condition is Unknown.
pub const TAINT_NODE_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// `terminationGracePeriodSeconds` default.
pub const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS: i64 = 30;

/// A Job the API server accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct AdmittedJob {
    /// metadata.name.
    pub name: String,
    /// metadata.namespace ("default" if unset).
    pub namespace: String,
    /// The defaulted spec.
    pub spec: JobSpec,
    /// Things the user should know: fields dropped because their gate is off, fields
    /// the simulation does not model.
    pub warnings: Vec<String>,
}

/// Admits `job` as the API server of `version` with `gates` would on create.
///
/// ```
/// use job_model::api::manifest::admit_job;
/// use job_model::version::{FeatureGates, KubeVersion};
/// let job: k8s_openapi::api::batch::v1::Job = serde_json::from_value(serde_json::json!({
///     "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
///     "spec": {"parallelism": -1, "template": {"spec": {"restartPolicy": "Never",
///         "containers": [{"name": "pi", "image": "perl"}]}}}
/// })).unwrap();
/// let gates = FeatureGates::defaults_for(KubeVersion::NEWEST);
/// let errs = admit_job(&job, KubeVersion::NEWEST, &gates).unwrap_err();
/// assert_eq!(
///     errs[0].to_string(),
///     "spec.parallelism: Invalid value: -1: must be greater than or equal to 0"
/// );
/// ```
pub fn admit_job(
    job: &batch::Job,
    version: KubeVersion,
    gates: &FeatureGates,
) -> Result<AdmittedJob, Vec<FieldError>> {
    let mut job = job.clone();
    let mut warnings = Vec::new();
    if let Some(spec) = job.spec.as_mut() {
        // The request is decoded (fields the release does not know are lost) and
        // defaulted before the strategy's PrepareForCreate drops gated fields, so a
        // dropped backoffLimitPerIndex still made backoffLimit default to MaxInt32.
        drop_fields_newer_than(spec, version, &mut warnings);
        set_defaults_job(spec, gates);
        drop_disabled_fields(spec, version, gates, &mut warnings);
        set_defaults_pod_template(&mut spec.template);
    }
    let errs = super::validation::validate_job(&job, version);
    if !errs.is_empty() {
        return Err(errs);
    }
    let name = job.metadata.name.clone().unwrap_or_default();
    let namespace = job
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string());
    let spec = job.spec.as_ref().expect("validated: spec is set");
    let spec = convert_spec(spec, &mut warnings);
    Ok(AdmittedJob {
        name,
        namespace,
        spec,
        warnings,
    })
}

/// The gated Job fields: the gate, and the release whose batch/v1 first has the field.
macro_rules! for_each_gated_field {
    ($m:ident) => {
        $m! {
            pod_failure_policy: "podFailurePolicy" by JobPodFailurePolicy from 25,
            backoff_limit_per_index: "backoffLimitPerIndex" by JobBackoffLimitPerIndex from 28,
            max_failed_indexes: "maxFailedIndexes" by JobBackoffLimitPerIndex from 28,
            pod_replacement_policy: "podReplacementPolicy" by JobPodReplacementPolicy from 28,
            success_policy: "successPolicy" by JobSuccessPolicy from 30,
            managed_by: "managedBy" by JobManagedBy from 30,
            completion_mode: "completionMode" by IndexedJob from 21,
            suspend: "suspend" by SuspendJob from 21,
            ttl_seconds_after_finished: "ttlSecondsAfterFinished" by TTLAfterFinished from 12,
        }
    };
}

/// Decoding: a field newer than the release is not in its batch/v1, and that API
/// server drops it as an unknown field (before 1.25 silently, later with a warning
/// unless the client asks for strict decoding). Dropping (with a warning here) lets
/// one manifest be compared across releases.
fn drop_fields_newer_than(spec: &mut batch::JobSpec, version: KubeVersion, w: &mut Vec<String>) {
    macro_rules! drop_if_newer {
        ($($field:ident: $name:literal by $gate:ident from $added:literal),+ $(,)?) => {$(
            if spec.$field.is_some() && !version.at_least($added) {
                spec.$field = None;
                w.push(format!(
                    "spec.{} dropped: the field is not in the batch/v1 API of {version} (added in 1.{})",
                    $name, $added
                ));
            }
        )+};
    }
    for_each_gated_field!(drop_if_newer);
}

/// `PrepareForCreate` of the Job strategy (after defaulting): a field whose gate is
/// off is cleared, as if the user had not written it; with JobBackoffLimitPerIndex
/// off, FailIndex rules go too (1.28+; before, FailIndex is not a valid action).
fn drop_disabled_fields(
    spec: &mut batch::JobSpec,
    version: KubeVersion,
    gates: &FeatureGates,
    w: &mut Vec<String>,
) {
    macro_rules! drop_if_disabled {
        ($($field:ident: $name:literal by $gate:ident from $added:literal),+ $(,)?) => {$(
            if spec.$field.is_some() && !gates.enabled(FeatureGate::$gate) {
                spec.$field = None;
                w.push(format!(
                    "spec.{} dropped: feature gate {} is off in {version}",
                    $name,
                    FeatureGate::$gate.name()
                ));
            }
        )+};
    }
    for_each_gated_field!(drop_if_disabled);
    // pod.DropDisabledTemplateFields: an init container's restartPolicy needs
    // SidecarContainers (the field is new in 1.28).
    if !gates.enabled(FeatureGate::SidecarContainers) {
        let t = spec.template.spec.iter_mut();
        for (i, c) in t
            .flat_map(|s| s.init_containers.iter_mut().flatten())
            .enumerate()
        {
            if c.restart_policy.take().is_some() {
                w.push(format!(
                    "spec.template.spec.initContainers[{i}].restartPolicy dropped: feature gate SidecarContainers is off in {version}"
                ));
            }
        }
    }
    if version.at_least(28)
        && !gates.enabled(FeatureGate::JobBackoffLimitPerIndex)
        && let Some(pfp) = spec.pod_failure_policy.as_mut()
    {
        let before = pfp.rules.len();
        pfp.rules.retain(|r| r.action != "FailIndex");
        if pfp.rules.len() < before {
            w.push(format!(
                "spec.podFailurePolicy: {} FailIndex rule(s) dropped: feature gate JobBackoffLimitPerIndex is off in {version}",
                before - pfp.rules.len()
            ));
        }
    }
}

/// `SetDefaults_Job` (pkg/apis/batch/v1/defaults.go).
fn set_defaults_job(spec: &mut batch::JobSpec, gates: &FeatureGates) {
    match (spec.completions, spec.parallelism) {
        (None, None) => {
            spec.completions = Some(1);
            spec.parallelism = Some(1);
        }
        (_, None) => spec.parallelism = Some(1),
        _ => {}
    }
    if spec.backoff_limit.is_none() {
        spec.backoff_limit = Some(if spec.backoff_limit_per_index.is_some() {
            i32::MAX
        } else {
            6
        });
    }
    if gates.enabled(FeatureGate::IndexedJob) && spec.completion_mode.is_none() {
        spec.completion_mode = Some("NonIndexed".into());
    }
    if gates.enabled(FeatureGate::SuspendJob) && spec.suspend.is_none() {
        spec.suspend = Some(false);
    }
    if gates.enabled(FeatureGate::JobPodReplacementPolicy) && spec.pod_replacement_policy.is_none()
    {
        spec.pod_replacement_policy = Some(if spec.pod_failure_policy.is_some() {
            "Failed".into()
        } else {
            "TerminatingOrFailed".into()
        });
    }
    if let Some(pfp) = spec.pod_failure_policy.as_mut() {
        for rule in &mut pfp.rules {
            for pattern in rule.on_pod_conditions.iter_mut().flatten() {
                if pattern.status.as_deref().unwrap_or("").is_empty() {
                    pattern.status = Some("True".into());
                }
            }
        }
    }
    if spec.manual_selector.is_none() {
        spec.manual_selector = Some(false);
    }
}

/// `SetDefaults_PodSpec` and container defaults for the fields the simulation reads.
fn set_defaults_pod_template(t: &mut core::PodTemplateSpec) {
    let Some(spec) = t.spec.as_mut() else {
        return;
    };
    if spec.restart_policy.as_deref().unwrap_or("").is_empty() {
        spec.restart_policy = Some("Always".into());
    }
    if spec.termination_grace_period_seconds.is_none() {
        spec.termination_grace_period_seconds = Some(DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
    }
    // A container with limits but no requests gets requests = limits.
    let containers = spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten());
    for c in containers {
        let Some(res) = c.resources.as_mut() else {
            continue;
        };
        let Some(limits) = res.limits.clone() else {
            continue;
        };
        let requests = res.requests.get_or_insert_with(BTreeMap::new);
        for (k, v) in limits {
            requests.entry(k).or_insert(v);
        }
    }
}

fn quantity(
    map: &Option<BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
    key: &str,
) -> Option<Quantity> {
    map.as_ref()?
        .get(key)
        .and_then(|q| Quantity::parse(&q.0).ok())
}

fn requests_of(c: &core::Container) -> Resources {
    let r = c.resources.as_ref();
    let req = r.and_then(|r| r.requests.clone());
    Resources {
        cpu_milli: quantity(&req, "cpu").map_or(0, |q| q.milli_value().max(0) as u64),
        memory: quantity(&req, "memory").map_or(0, |q| q.value().max(0) as u64),
        pods: 0,
    }
}

fn convert_spec(spec: &batch::JobSpec, warnings: &mut Vec<String>) -> JobSpec {
    let pod = spec.template.spec.clone().unwrap_or_default();
    JobSpec {
        parallelism: spec.parallelism.unwrap_or(1),
        completions: spec.completions,
        active_deadline_seconds: spec.active_deadline_seconds,
        backoff_limit: spec.backoff_limit.unwrap_or(6),
        backoff_limit_per_index: spec.backoff_limit_per_index,
        max_failed_indexes: spec.max_failed_indexes,
        pod_failure_policy: spec.pod_failure_policy.as_ref().map(convert_pfp),
        success_policy: spec.success_policy.as_ref().map(|sp| SuccessPolicy {
            rules: sp
                .rules
                .iter()
                .map(|r| SuccessPolicyRule {
                    succeeded_indexes: r.succeeded_indexes.clone(),
                    succeeded_count: r.succeeded_count,
                })
                .collect(),
        }),
        completion_mode: match spec.completion_mode.as_deref() {
            Some("Indexed") => CompletionMode::Indexed,
            _ => CompletionMode::NonIndexed,
        },
        suspend: spec.suspend.unwrap_or(false),
        pod_replacement_policy: spec.pod_replacement_policy.as_deref().map(|p| match p {
            "Failed" => PodReplacementPolicy::Failed,
            _ => PodReplacementPolicy::TerminatingOrFailed,
        }),
        ttl_seconds_after_finished: spec.ttl_seconds_after_finished,
        managed_by: spec.managed_by.clone(),
        template: convert_template(&spec.template, &pod, warnings),
    }
}

fn convert_pfp(pfp: &batch::PodFailurePolicy) -> PodFailurePolicy {
    PodFailurePolicy {
        rules: pfp
            .rules
            .iter()
            .map(|r| PodFailurePolicyRule {
                action: match r.action.as_str() {
                    "FailJob" => PodFailurePolicyAction::FailJob,
                    "FailIndex" => PodFailurePolicyAction::FailIndex,
                    "Ignore" => PodFailurePolicyAction::Ignore,
                    _ => PodFailurePolicyAction::Count,
                },
                on_exit_codes: r.on_exit_codes.as_ref().map(|e| OnExitCodes {
                    container_name: e.container_name.clone(),
                    operator: if e.operator == "In" {
                        ExitCodesOperator::In
                    } else {
                        ExitCodesOperator::NotIn
                    },
                    values: e.values.clone(),
                }),
                on_pod_conditions: r
                    .on_pod_conditions
                    .iter()
                    .flatten()
                    .map(|c| OnPodCondition {
                        condition_type: c.type_.clone(),
                        status: match c.status.as_deref() {
                            Some("False") => ConditionStatus::False,
                            Some("Unknown") => ConditionStatus::Unknown,
                            _ => ConditionStatus::True,
                        },
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// `resourcehelper.PodRequests` (KEP-753): the containers plus the sidecars (init
/// containers with `restartPolicy: Always`, which keep running), or, if larger, what
/// any init container needs while it runs beside the sidecars started before it.
///
/// ```
/// # use job_model::api::manifest::pod_requests;
/// let pod: k8s_openapi::api::core::v1::PodSpec = serde_json::from_value(serde_json::json!({
///     "initContainers": [
///         {"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"cpu": "600m"}}},
///         {"name": "setup", "resources": {"requests": {"cpu": "900m"}}}],
///     "containers": [{"name": "main", "resources": {"requests": {"cpu": "300m"}}}]
/// })).unwrap();
/// assert_eq!(pod_requests(&pod).cpu_milli, 1500); // setup runs beside the proxy
/// ```
pub fn pod_requests(pod: &core::PodSpec) -> Resources {
    let max = |a: Resources, b: Resources| Resources {
        cpu_milli: a.cpu_milli.max(b.cpu_milli),
        memory: a.memory.max(b.memory),
        pods: 0,
    };
    let mut reqs = pod
        .containers
        .iter()
        .fold(Resources::default(), |acc, c| acc + requests_of(c));
    let (mut sidecars, mut init_max) = (Resources::default(), Resources::default());
    for c in pod.init_containers.iter().flatten() {
        let r = requests_of(c);
        let use_while_running = if c.restart_policy.as_deref() == Some("Always") {
            reqs += r;
            sidecars += r;
            sidecars
        } else {
            r + sidecars
        };
        init_max = max(init_max, use_while_running);
    }
    max(reqs, init_max)
}

fn convert_template(
    t: &core::PodTemplateSpec,
    pod: &core::PodSpec,
    warnings: &mut Vec<String>,
) -> PodTemplate {
    let requests = Resources {
        pods: 1,
        ..pod_requests(pod)
    };
    let memory_limit = pod
        .containers
        .iter()
        .map(|c| {
            let limits = c.resources.as_ref().and_then(|r| r.limits.clone());
            quantity(&limits, "memory").map(|q| q.value().max(0) as u64)
        })
        .sum::<Option<u64>>();
    if pod.containers.iter().any(|c| c.restart_policy.is_some()) {
        warnings.push(
            "spec.template.spec.containers[*].restartPolicy: container restart rules (ContainerRestartRules) are not simulated; containers follow the pod's restartPolicy"
                .to_string(),
        );
    }
    // GetWarningsForPodTemplate; the pod strategy then uses 1 (PR #115606).
    if pod.termination_grace_period_seconds.is_some_and(|g| g < 0) {
        warnings.push(
            "spec.template.spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1"
                .to_string(),
        );
    }
    let mut warn = |what: &str| {
        warnings.push(format!(
            "spec.template.spec.{what} is not simulated yet and has no effect"
        ))
    };
    if pod.topology_spread_constraints.is_some() {
        warn("topologySpreadConstraints");
    }
    if pod.scheduling_gates.is_some() {
        warn("schedulingGates");
    }
    let affinity = pod.affinity.as_ref();
    if affinity.is_some_and(|a| a.pod_affinity.is_some() || a.pod_anti_affinity.is_some()) {
        warn("affinity.podAffinity/podAntiAffinity");
    }
    let node_affinity = affinity.and_then(|a| a.node_affinity.as_ref());
    if node_affinity.is_some_and(|n| {
        n.preferred_during_scheduling_ignored_during_execution
            .is_some()
    }) {
        warn("affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution");
    }
    let required_node_affinity = node_affinity
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .map(|sel| {
            sel.node_selector_terms
                .iter()
                .map(|term| {
                    let mut reqs: Vec<NodeSelectorRequirement> = term
                        .match_expressions
                        .iter()
                        .flatten()
                        .map(|e| NodeSelectorRequirement {
                            key: e.key.clone(),
                            operator: match e.operator.as_str() {
                                "In" => NodeSelectorOperator::In,
                                "NotIn" => NodeSelectorOperator::NotIn,
                                "Exists" => NodeSelectorOperator::Exists,
                                "DoesNotExist" => NodeSelectorOperator::DoesNotExist,
                                "Gt" => NodeSelectorOperator::Gt,
                                _ => NodeSelectorOperator::Lt,
                            },
                            values: e.values.clone().unwrap_or_default(),
                        })
                        .collect();
                    // matchFields supports only metadata.name: the node's hostname label.
                    for f in term.match_fields.iter().flatten() {
                        reqs.push(NodeSelectorRequirement {
                            key: "kubernetes.io/hostname".into(),
                            operator: if f.operator == "NotIn" {
                                NodeSelectorOperator::NotIn
                            } else {
                                NodeSelectorOperator::In
                            },
                            values: f.values.clone().unwrap_or_default(),
                        });
                    }
                    reqs
                })
                .collect()
        })
        .unwrap_or_default();
    let mut tolerations: Vec<Toleration> = pod
        .tolerations
        .iter()
        .flatten()
        .map(|t| Toleration {
            key: t.key.clone().unwrap_or_default(),
            operator: if t.operator.as_deref() == Some("Exists") {
                TolerationOperator::Exists
            } else {
                TolerationOperator::Equal
            },
            value: t.value.clone().unwrap_or_default(),
            effect: match t.effect.as_deref() {
                Some("NoSchedule") => Some(TaintEffect::NoSchedule),
                Some("PreferNoSchedule") => Some(TaintEffect::PreferNoSchedule),
                Some("NoExecute") => Some(TaintEffect::NoExecute),
                _ => None,
            },
            toleration_seconds: t.toleration_seconds,
        })
        .collect();
    add_default_tolerations(&mut tolerations);
    PodTemplate {
        labels: t
            .metadata
            .as_ref()
            .and_then(|m| m.labels.clone())
            .unwrap_or_default(),
        restart_policy: if pod.restart_policy.as_deref() == Some("OnFailure") {
            RestartPolicy::OnFailure
        } else {
            RestartPolicy::Never
        },
        containers: pod.containers.iter().map(|c| c.name.clone()).collect(),
        init_containers: pod
            .init_containers
            .iter()
            .flatten()
            .map(|c| c.name.clone())
            .collect(),
        requests,
        memory_limit,
        termination_grace_period: secs(
            match pod
                .termination_grace_period_seconds
                .unwrap_or(DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS)
            {
                g if g < 0 => 1,
                g => g,
            },
        ),
        priority_class_name: pod.priority_class_name.clone(),
        priority: pod.priority.unwrap_or(0),
        preemption_never: pod.preemption_policy.as_deref() == Some("Never"),
        node_selector: pod.node_selector.clone().unwrap_or_default(),
        required_node_affinity,
        tolerations,
    }
}

/// The DefaultTolerationSeconds admission plugin: unless the pod already tolerates
/// them, add `not-ready` and `unreachable` NoExecute tolerations for 300 s.
fn add_default_tolerations(tolerations: &mut Vec<Toleration>) {
    for key in [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE] {
        let taint = super::Taint {
            key: key.into(),
            value: String::new(),
            effect: TaintEffect::NoExecute,
            time_added: None,
        };
        if !tolerations.iter().any(|t| t.tolerates(&taint)) {
            tolerations.push(Toleration {
                key: key.into(),
                operator: TolerationOperator::Exists,
                value: String::new(),
                effect: Some(TaintEffect::NoExecute),
                toleration_seconds: Some(DEFAULT_TOLERATION_SECONDS),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::KubeVersion;

    fn job(spec: serde_json::Value) -> batch::Job {
        let mut spec = spec;
        spec["template"] = serde_json::json!({"spec": {"restartPolicy": "Never",
            "containers": [{"name": "main", "image": "busybox",
                "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]}});
        serde_json::from_value(serde_json::json!({
            "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": spec
        }))
        .unwrap()
    }

    /// The admission errors of `j`, rendered; empty if admitted.
    fn admission_errors(j: &batch::Job, v: KubeVersion, gates: &FeatureGates) -> Vec<String> {
        match admit_job(j, v, gates) {
            Ok(_) => vec![],
            Err(e) => e.iter().map(|e| e.to_string()).collect(),
        }
    }

    fn admit(spec: serde_json::Value) -> Result<AdmittedJob, Vec<String>> {
        let gates = FeatureGates::defaults_for(KubeVersion::NEWEST);
        admit_job(&job(spec), KubeVersion::NEWEST, &gates)
            .map_err(|e| e.iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn defaults_completions_and_parallelism_to_one_when_both_unset() {
        let a = admit(serde_json::json!({})).unwrap();
        assert_eq!((a.spec.completions, a.spec.parallelism), (Some(1), 1));
        assert_eq!(a.spec.backoff_limit, 6);
        assert_eq!(
            a.spec.pod_replacement_policy,
            Some(PodReplacementPolicy::TerminatingOrFailed)
        );
        assert_eq!(a.spec.template.requests.cpu_milli, 500);
        assert_eq!(a.spec.template.tolerations.len(), 2);
    }

    #[test]
    fn parallelism_without_completions_is_a_work_queue() {
        let a = admit(serde_json::json!({"parallelism": 3})).unwrap();
        assert_eq!((a.spec.completions, a.spec.parallelism), (None, 3));
    }

    #[test]
    fn backoff_limit_defaults_to_max_int32_with_backoff_limit_per_index() {
        let a = admit(
            serde_json::json!({"completions": 2, "completionMode": "Indexed",
            "backoffLimitPerIndex": 1}),
        )
        .unwrap();
        assert_eq!(a.spec.backoff_limit, i32::MAX);
    }

    #[test]
    fn backoff_limit_per_index_requires_indexed_completion_mode() {
        let e = admit(serde_json::json!({"backoffLimitPerIndex": 1})).unwrap_err();
        assert_eq!(
            e,
            vec!["spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode"]
        );
    }

    #[test]
    fn indexed_job_requires_completions() {
        let e =
            admit(serde_json::json!({"parallelism": 2, "completionMode": "Indexed"})).unwrap_err();
        assert_eq!(
            e,
            vec!["spec.completions: Required value: when completion mode is Indexed"]
        );
    }

    #[test]
    fn pod_failure_policy_requires_restart_policy_never_and_sorted_exit_codes() {
        let mut j = job(serde_json::json!({"podFailurePolicy": {"rules": [
            {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [3, 1, 0]}}]}}));
        j.spec
            .as_mut()
            .unwrap()
            .template
            .spec
            .as_mut()
            .unwrap()
            .restart_policy = Some("OnFailure".into());
        let gates = FeatureGates::defaults_for(KubeVersion::NEWEST);
        assert_eq!(
            admission_errors(&j, KubeVersion::NEWEST, &gates),
            vec![
                "spec.podFailurePolicy.rules[0].onExitCodes.values[2]: Invalid value: 0: must not be 0 for the In operator",
                "spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{3, 1, 0}: must be ordered",
                "spec.template.spec.restartPolicy: Invalid value: \"OnFailure\": only \"Never\" is supported when podFailurePolicy is specified",
            ]
        );
    }

    #[test]
    fn gated_fields_are_dropped_when_the_gate_is_off() {
        let mut gates = FeatureGates::defaults_for(KubeVersion::NEWEST);
        gates
            .set(KubeVersion::NEWEST, FeatureGate::JobSuccessPolicy, false)
            .ok();
        let j = job(
            serde_json::json!({"completions": 2, "completionMode": "Indexed",
            "successPolicy": {"rules": [{"succeededCount": 1}]}}),
        );
        let v31 = KubeVersion::new(31).unwrap();
        let mut g31 = FeatureGates::defaults_for(v31);
        g31.set(v31, FeatureGate::JobSuccessPolicy, false).unwrap();
        let a = admit_job(&j, v31, &g31).unwrap();
        assert!(a.spec.success_policy.is_none());
        assert!(a.warnings[0].contains("JobSuccessPolicy"));
    }

    #[test]
    fn defaults_see_a_gated_field_before_prepare_for_create_drops_it() {
        // SetDefaults_Job runs at decoding, before the strategy drops backoffLimitPerIndex.
        let v32 = KubeVersion::new(32).unwrap();
        let mut g = FeatureGates::defaults_for(v32);
        g.set(v32, FeatureGate::JobBackoffLimitPerIndex, false)
            .unwrap();
        let j = job(
            serde_json::json!({"completions": 2, "completionMode": "Indexed",
            "backoffLimitPerIndex": 1}),
        );
        let a = admit_job(&j, v32, &g).unwrap();
        assert_eq!(a.spec.backoff_limit_per_index, None);
        assert_eq!(a.spec.backoff_limit, i32::MAX);
        // A release whose API does not have the field never sees it: backoffLimit is 6.
        let v27 = KubeVersion::new(27).unwrap();
        let a = admit_job(&j, v27, &FeatureGates::defaults_for(v27)).unwrap();
        assert_eq!(a.spec.backoff_limit, 6);
        assert!(
            a.warnings[0].contains("not in the batch/v1 API of 1.27"),
            "{:?}",
            a.warnings
        );
    }

    #[test]
    fn fail_index_rules_are_dropped_with_the_per_index_gate_off_and_unknown_before_1_28() {
        let rules = serde_json::json!({"completions": 2, "completionMode": "Indexed",
            "backoffLimitPerIndex": 1, "podFailurePolicy": {"rules": [
                {"action": "FailIndex", "onExitCodes": {"operator": "In", "values": [42]}},
                {"action": "Ignore", "onExitCodes": {"operator": "In", "values": [3]}}]}});
        let v31 = KubeVersion::new(31).unwrap();
        let mut g = FeatureGates::defaults_for(v31);
        g.set(v31, FeatureGate::JobBackoffLimitPerIndex, false)
            .unwrap();
        let a = admit_job(&job(rules.clone()), v31, &g).unwrap();
        let pfp = a.spec.pod_failure_policy.expect("the Ignore rule stays");
        assert_eq!(pfp.rules.len(), 1);
        let v27 = KubeVersion::new(27).unwrap();
        assert_eq!(
            admission_errors(&job(rules), v27, &FeatureGates::defaults_for(v27)),
            vec![
                "spec.podFailurePolicy.rules[0].action: Unsupported value: \"FailIndex\": supported values: \"Count\", \"FailJob\", \"Ignore\""
            ]
        );
    }

    #[test]
    fn init_containers_restart_only_always_and_regular_containers_not_before_1_35() {
        let tmpl = |init_rp: &str, main_rp: Option<&str>| {
            let mut main = serde_json::json!({"name": "main", "image": "i"});
            if let Some(rp) = main_rp {
                main["restartPolicy"] = rp.into();
            }
            let j: batch::Job = serde_json::from_value(serde_json::json!({
                "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
                "spec": {"template": {"spec": {"restartPolicy": "Never",
                "initContainers": [{"name": "side", "image": "i", "restartPolicy": init_rp}],
                "containers": [main]}}}}))
            .unwrap();
            j
        };
        let errs = |j: &batch::Job, v: u32| {
            let v = KubeVersion::new(v).unwrap();
            admission_errors(j, v, &FeatureGates::defaults_for(v))
        };
        assert!(errs(&tmpl("Always", None), 31).is_empty());
        assert_eq!(
            errs(&tmpl("OnFailure", None), 31),
            vec![
                "spec.template.spec.initContainers[0].restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\""
            ]
        );
        assert_eq!(
            errs(&tmpl("Always", Some("Never")), 34),
            vec![
                "spec.template.spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"
            ]
        );
        // 1.35 (ContainerRestartRules): accepted, with a warning that it is not simulated.
        let v35 = KubeVersion::new(35).unwrap();
        let a = admit_job(
            &tmpl("Always", Some("Never")),
            v35,
            &FeatureGates::defaults_for(v35),
        )
        .unwrap();
        assert!(
            a.warnings.iter().any(|w| w.contains("not simulated")),
            "{:?}",
            a.warnings
        );
    }
}
