//! Builders for the crate's own tests.

use std::collections::BTreeMap;
use std::sync::Arc;

use sim_core::{Distribution, SimDuration};

use crate::api::{
    CompletionMode, JobSpec, PodReplacementPolicy, PodTemplate, Resources, RestartPolicy,
};
use crate::run::{Arrivals, ControlPlane, JobTemplate, NodePool, RunSpec};
use crate::version::{FeatureGates, KubeVersion};
use crate::workload::{Behavior, ContainerExit, ScriptedRun};

pub fn spec(parallelism: i32, completions: Option<i32>, mode: CompletionMode) -> JobSpec {
    JobSpec {
        parallelism,
        completions,
        active_deadline_seconds: None,
        backoff_limit: 6,
        backoff_limit_per_index: None,
        max_failed_indexes: None,
        pod_failure_policy: None,
        success_policy: None,
        completion_mode: mode,
        suspend: false,
        pod_replacement_policy: Some(PodReplacementPolicy::TerminatingOrFailed),
        ttl_seconds_after_finished: None,
        managed_by: None,
        template: PodTemplate {
            labels: BTreeMap::new(),
            restart_policy: RestartPolicy::Never,
            containers: vec!["main".into()],
            init_containers: vec![],
            requests: Resources {
                cpu_milli: 1000,
                memory: 1 << 30,
                pods: 0,
            },
            memory_limit: None,
            termination_grace_period: SimDuration::from_secs(30),
            priority_class_name: None,
            priority: 0,
            preemption_never: false,
            node_selector: BTreeMap::new(),
            required_node_affinity: vec![],
            tolerations: vec![],
        },
    }
}

pub fn fixed(secs: u64) -> Distribution {
    Distribution::Fixed(SimDuration::from_secs(secs))
}

pub fn attempts(runs: &[(i32, u64)]) -> Vec<ScriptedRun> {
    runs.iter()
        .map(|&(code, after)| ScriptedRun {
            exit: ContainerExit {
                exit_code: code,
                oom_killed: false,
            },
            after: Some(fixed(after)),
        })
        .collect()
}

pub fn run_spec(jobs: Vec<(JobSpec, Behavior)>, nodes: u32) -> Arc<RunSpec> {
    let version = KubeVersion::NEWEST;
    Arc::new(RunSpec {
        scenario: "test".into(),
        version,
        gates: FeatureGates::defaults_for(version),
        control_plane: ControlPlane::defaults_for(version),
        horizon: SimDuration::from_hours(10),
        node_pools: vec![NodePool {
            name: "node".into(),
            count: nodes,
            capacity: Resources {
                cpu_milli: 8000,
                memory: 32 << 30,
                pods: 110,
            },
            labels: BTreeMap::new(),
            taints: vec![],
            price_per_hour: None,
            failures: None,
        }],
        jobs: jobs
            .into_iter()
            .enumerate()
            .map(|(i, (spec, behavior))| JobTemplate {
                name: format!("job{i}"),
                namespace: "default".into(),
                spec,
                arrivals: Arrivals::At(SimDuration::ZERO),
                behavior,
            })
            .collect(),
        job_faults: vec![],
        node_faults: vec![],
    })
}
