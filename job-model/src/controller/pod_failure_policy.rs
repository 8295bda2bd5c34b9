//! Pod failure policy (upstream `pod_failure_policy.go`).

use crate::api::{
    ConditionStatus, ContainerState, ExitCodesOperator, OnExitCodes, OnPodCondition, Pod,
    PodFailurePolicy, PodFailurePolicyAction,
};

/// The outcome of matching a failed pod against a policy (upstream's three results).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyMatch {
    /// The FailJob message, when a FailJob rule matched.
    pub fail_job_message: Option<String>,
    /// Whether the failure counts toward the back-off limits.
    pub count_failed: bool,
    /// The action of the matching rule, if one matched.
    pub action: Option<PodFailurePolicyAction>,
}

/// Upstream `matchPodFailurePolicy`. `pod_name` and `namespace` go into the FailJob
/// message; `fail_index_enabled` is the JobBackoffLimitPerIndex gate (a FailIndex
/// rule falls through when it is off).
pub fn match_pod_failure_policy(
    policy: Option<&PodFailurePolicy>,
    pod: &Pod,
    container_name: &str,
    namespace: &str,
    pod_name: &dyn Fn() -> String,
    fail_index_enabled: bool,
) -> PolicyMatch {
    let no_match = PolicyMatch {
        fail_job_message: None,
        count_failed: true,
        action: None,
    };
    let Some(policy) = policy else {
        return no_match;
    };
    for (index, rule) in policy.rules.iter().enumerate() {
        let what = if let Some(req) = &rule.on_exit_codes {
            match match_on_exit_codes(pod, container_name, req) {
                Some(code) => Matched::ExitCode(code),
                None => continue,
            }
        } else {
            match match_on_pod_conditions(pod, &rule.on_pod_conditions) {
                Some(t) => Matched::Condition(t),
                None => continue,
            }
        };
        match rule.action {
            PodFailurePolicyAction::Ignore => {
                return PolicyMatch {
                    fail_job_message: None,
                    count_failed: false,
                    action: Some(rule.action),
                };
            }
            PodFailurePolicyAction::FailIndex => {
                if fail_index_enabled {
                    return PolicyMatch {
                        fail_job_message: None,
                        count_failed: true,
                        action: Some(rule.action),
                    };
                }
            }
            PodFailurePolicyAction::Count => {
                return PolicyMatch {
                    fail_job_message: None,
                    count_failed: true,
                    action: Some(rule.action),
                };
            }
            PodFailurePolicyAction::FailJob => {
                let msg = match what {
                    Matched::ExitCode(code) => format!(
                        "Container {container_name} for pod {namespace}/{} failed with exit code {code} matching FailJob rule at index {index}",
                        pod_name()
                    ),
                    Matched::Condition(t) => format!(
                        "Pod {namespace}/{} has condition {t} matching FailJob rule at index {index}",
                        pod_name()
                    ),
                };
                return PolicyMatch {
                    fail_job_message: Some(msg),
                    count_failed: true,
                    action: Some(rule.action),
                };
            }
        }
    }
    no_match
}

enum Matched {
    ExitCode(i32),
    Condition(&'static str),
}

/// Upstream `matchOnExitCodes`: a terminated container with a non-zero exit code that
/// satisfies the operator. Only the main container is simulated.
fn match_on_exit_codes(pod: &Pod, container_name: &str, req: &OnExitCodes) -> Option<i32> {
    let ContainerState::Terminated { exit_code, .. } = pod.container else {
        return None;
    };
    if req
        .container_name
        .as_deref()
        .is_some_and(|n| n != container_name)
        || exit_code == 0
    {
        return None;
    }
    let listed = req.values.binary_search(&exit_code).is_ok();
    let matches = match req.operator {
        ExitCodesOperator::In => listed,
        ExitCodesOperator::NotIn => !listed,
    };
    matches.then_some(exit_code)
}

/// The pod's conditions as the kubelet and control plane write them, in order: the
/// kubelet's four once the pod is bound, PodScheduled, and DisruptionTarget if set.
pub fn pod_conditions(pod: &Pod) -> impl Iterator<Item = (&'static str, ConditionStatus)> {
    let b = |x: bool| {
        if x {
            ConditionStatus::True
        } else {
            ConditionStatus::False
        }
    };
    let bound = pod.node.is_some();
    let started = pod.bound_at.is_some()
        && !matches!(
            pod.container,
            crate::api::ContainerState::Waiting(crate::api::WaitingReason::ContainerCreating)
        );
    let kubelet = |t: &'static str, status: ConditionStatus| bound.then_some((t, status));
    [
        kubelet("PodReadyToStartContainers", b(started)),
        kubelet("Initialized", b(bound)),
        kubelet("Ready", b(pod.ready)),
        kubelet("ContainersReady", b(pod.ready)),
        Some(("PodScheduled", b(bound))),
        pod.disruption
            .map(|_| ("DisruptionTarget", ConditionStatus::True)),
    ]
    .into_iter()
    .flatten()
}

/// Upstream `matchOnPodConditions`: pod conditions outer, patterns inner.
fn match_on_pod_conditions(pod: &Pod, patterns: &[OnPodCondition]) -> Option<&'static str> {
    pod_conditions(pod).find_map(|(t, status)| {
        patterns
            .iter()
            .any(|p| p.condition_type == t && p.status == status)
            .then_some(t)
    })
}
