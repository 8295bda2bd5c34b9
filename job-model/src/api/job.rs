//! batch/v1 Job as the simulated API server stores it: defaulted and validated, with
//! typed fields instead of strings where the controller branches on them.

use std::collections::BTreeMap;

use sim_core::{SimDuration, SimTime};

use super::node::Resources;
use super::pod::{NodeSelectorRequirement, Toleration};
use crate::controller::indexed_job_utils::OrderedIntervals;

/// `spec.completionMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionMode {
    /// Every successful pod counts the same.
    NonIndexed,
    /// Each completion index in `[0, completions)` must succeed once.
    Indexed,
}

/// `spec.template.spec.restartPolicy` (Jobs allow only these two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartPolicy {
    /// A failed container fails the pod.
    Never,
    /// The kubelet restarts a failed container in place.
    OnFailure,
}

/// `spec.podReplacementPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodReplacementPolicy {
    /// Replace as soon as a pod is terminating or failed.
    TerminatingOrFailed,
    /// Replace only once a pod has reached phase Failed.
    Failed,
}

/// `status` of a condition or pod-condition pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionStatus {
    /// "True"
    True,
    /// "False"
    False,
    /// "Unknown"
    Unknown,
}

impl ConditionStatus {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionStatus::True => "True",
            ConditionStatus::False => "False",
            ConditionStatus::Unknown => "Unknown",
        }
    }
}

/// `spec.podFailurePolicy.rules[].action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodFailurePolicyAction {
    /// Fail the whole Job.
    FailJob,
    /// Fail the pod's index (needs backoffLimitPerIndex).
    FailIndex,
    /// Do not count the failure.
    Ignore,
    /// Count the failure as usual.
    Count,
}

impl PodFailurePolicyAction {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PodFailurePolicyAction::FailJob => "FailJob",
            PodFailurePolicyAction::FailIndex => "FailIndex",
            PodFailurePolicyAction::Ignore => "Ignore",
            PodFailurePolicyAction::Count => "Count",
        }
    }
}

/// `onExitCodes.operator`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCodesOperator {
    /// Matches when an exit code is in the list.
    In,
    /// Matches when an exit code is not in the list.
    NotIn,
}

/// `spec.podFailurePolicy.rules[].onExitCodes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnExitCodes {
    /// Restricts the rule to one container.
    pub container_name: Option<String>,
    /// In or NotIn.
    pub operator: ExitCodesOperator,
    /// Sorted, distinct exit codes.
    pub values: Vec<i32>,
}

/// `spec.podFailurePolicy.rules[].onPodConditions[]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnPodCondition {
    /// Pod condition type, e.g. DisruptionTarget.
    pub condition_type: String,
    /// Required status (defaults to True).
    pub status: ConditionStatus,
}

/// One rule of a pod failure policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodFailurePolicyRule {
    /// What to do on a match.
    pub action: PodFailurePolicyAction,
    /// Exit-code requirement (exclusive with `on_pod_conditions`).
    pub on_exit_codes: Option<OnExitCodes>,
    /// Pod-condition patterns.
    pub on_pod_conditions: Vec<OnPodCondition>,
}

/// `spec.podFailurePolicy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodFailurePolicy {
    /// Rules, evaluated in order; the first match decides.
    pub rules: Vec<PodFailurePolicyRule>,
}

/// One rule of `spec.successPolicy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuccessPolicyRule {
    /// An interval list such as "0,2-4".
    pub succeeded_indexes: Option<String>,
    /// How many (of those) indexes must succeed.
    pub succeeded_count: Option<i32>,
}

/// `spec.successPolicy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuccessPolicy {
    /// Rules, evaluated in order; the first match decides.
    pub rules: Vec<SuccessPolicyRule>,
}

/// The parts of `spec.template` the simulated cluster acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodTemplate {
    /// Labels of created pods.
    pub labels: BTreeMap<String, String>,
    /// Never or OnFailure.
    pub restart_policy: RestartPolicy,
    /// Names of the app containers; the first one runs the scenario's behaviour.
    pub containers: Vec<String>,
    /// Names of the init containers.
    pub init_containers: Vec<String>,
    /// Effective pod requests: max(sum of app containers, largest init container).
    pub requests: Resources,
    /// Sum of the app containers' memory limits, if every container sets one.
    pub memory_limit: Option<u64>,
    /// terminationGracePeriodSeconds (default 30 s).
    pub termination_grace_period: SimDuration,
    /// priorityClassName, resolved against the scenario's classes.
    pub priority_class_name: Option<String>,
    /// spec.priority as resolved at admission.
    pub priority: i32,
    /// spec.preemptionPolicy is Never (from the PriorityClass): the scheduler never
    /// preempts for these pods.
    pub preemption_never: bool,
    /// nodeSelector.
    pub node_selector: BTreeMap<String, String>,
    /// requiredDuringSchedulingIgnoredDuringExecution: ORed terms of ANDed requirements.
    pub required_node_affinity: Vec<Vec<NodeSelectorRequirement>>,
    /// Tolerations (after admission added the default not-ready/unreachable ones).
    pub tolerations: Vec<Toleration>,
}

/// The defaulted spec of a Job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSpec {
    /// Maximum pods running at once.
    pub parallelism: i32,
    /// Successes needed; `None` is a work queue.
    pub completions: Option<i32>,
    /// Deadline for the Job as a whole, from startTime.
    pub active_deadline_seconds: Option<i64>,
    /// Failures tolerated before the Job fails.
    pub backoff_limit: i32,
    /// Retries per index (Indexed).
    pub backoff_limit_per_index: Option<i32>,
    /// Failed indexes tolerated (with backoffLimitPerIndex).
    pub max_failed_indexes: Option<i32>,
    /// Rules on pod failures.
    pub pod_failure_policy: Option<PodFailurePolicy>,
    /// Early success rules (Indexed).
    pub success_policy: Option<SuccessPolicy>,
    /// NonIndexed or Indexed.
    pub completion_mode: CompletionMode,
    /// Whether the controller may run pods.
    pub suspend: bool,
    /// When to replace pods; `None` when the gate is off.
    pub pod_replacement_policy: Option<PodReplacementPolicy>,
    /// Delete the Job this long after it finished.
    pub ttl_seconds_after_finished: Option<i32>,
    /// A controller other than the built-in one manages the Job.
    pub managed_by: Option<String>,
    /// The pod template.
    pub template: PodTemplate,
}

/// Job condition types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JobConditionType {
    /// Suspended.
    Suspended,
    /// Complete (terminal).
    Complete,
    /// Failed (terminal).
    Failed,
    /// FailureTarget (interim, v1.31+).
    FailureTarget,
    /// SuccessCriteriaMet (interim, v1.31+).
    SuccessCriteriaMet,
}

impl JobConditionType {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JobConditionType::Suspended => "Suspended",
            JobConditionType::Complete => "Complete",
            JobConditionType::Failed => "Failed",
            JobConditionType::FailureTarget => "FailureTarget",
            JobConditionType::SuccessCriteriaMet => "SuccessCriteriaMet",
        }
    }

    /// Parses the API spelling.
    pub fn parse(s: &str) -> Option<Self> {
        [
            JobConditionType::Suspended,
            JobConditionType::Complete,
            JobConditionType::Failed,
            JobConditionType::FailureTarget,
            JobConditionType::SuccessCriteriaMet,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// Reasons the controller writes on conditions and events (batch/v1 constants).
pub mod reasons {
    /// Job failed: too many pod failures.
    pub const BACKOFF_LIMIT_EXCEEDED: &str = "BackoffLimitExceeded";
    /// Job failed: activeDeadlineSeconds.
    pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";
    /// Job failed: a FailJob rule matched.
    pub const POD_FAILURE_POLICY: &str = "PodFailurePolicy";
    /// Job failed: more failed indexes than maxFailedIndexes.
    pub const MAX_FAILED_INDEXES_EXCEEDED: &str = "MaxFailedIndexesExceeded";
    /// Job failed: all indexes finished, some failed.
    pub const FAILED_INDEXES: &str = "FailedIndexes";
    /// Job succeeded: a success policy rule matched.
    pub const SUCCESS_POLICY: &str = "SuccessPolicy";
    /// Job succeeded: completions reached (v1.31+ with JobSuccessPolicy).
    pub const COMPLETIONS_REACHED: &str = "CompletionsReached";
    /// Suspended=True.
    pub const JOB_SUSPENDED: &str = "JobSuspended";
    /// Suspended=False.
    pub const JOB_RESUMED: &str = "JobResumed";
}

/// One entry of `status.conditions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobCondition {
    /// Type.
    pub condition_type: JobConditionType,
    /// Status.
    pub status: ConditionStatus,
    /// Reason (may be empty).
    pub reason: String,
    /// Message (may be empty).
    pub message: String,
    /// lastProbeTime.
    pub last_probe_time: SimTime,
    /// lastTransitionTime.
    pub last_transition_time: SimTime,
}

/// `status` of a Job.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobStatus {
    /// Conditions, in the order they were added.
    pub conditions: Vec<JobCondition>,
    /// When the Job (last) started.
    pub start_time: Option<SimTime>,
    /// When the Job completed.
    pub completion_time: Option<SimTime>,
    /// Pods not terminating and not finished.
    pub active: i32,
    /// Active pods with Ready=True (None before JobReadyPods).
    pub ready: Option<i32>,
    /// Pods terminating (None unless JobPodReplacementPolicy).
    pub terminating: Option<i32>,
    /// Succeeded pods (Indexed: completed indexes).
    pub succeeded: i32,
    /// Failed pods counted toward backoffLimit.
    pub failed: i32,
    /// Indexes that succeeded (Indexed).
    pub completed_indexes: OrderedIntervals,
    /// Indexes that failed (with backoffLimitPerIndex).
    pub failed_indexes: Option<OrderedIntervals>,
}

impl JobStatus {
    /// The condition of `t` with status True, if any.
    pub fn true_condition(&self, t: JobConditionType) -> Option<&JobCondition> {
        self.conditions
            .iter()
            .find(|c| c.condition_type == t && c.status == ConditionStatus::True)
    }

    /// The condition of type `t`, whatever its status.
    pub fn condition(&self, t: JobConditionType) -> Option<&JobCondition> {
        self.conditions.iter().find(|c| c.condition_type == t)
    }

    /// Complete=True or Failed=True.
    pub fn is_finished(&self) -> bool {
        self.true_condition(JobConditionType::Complete).is_some()
            || self.true_condition(JobConditionType::Failed).is_some()
    }
}
