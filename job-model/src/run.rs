//! One run: what goes in ([`RunSpec`], [`RunOptions`]) and what comes out
//! ([`RunOutcome`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use sim_core::{
    Distribution, RunError, SimConfig, SimDuration, SimTime, Simulation, StreamKey, name_key,
    stream,
};

use crate::api::{JobConditionType, JobSpec, JobStatus, Node, NodeId, Resources, Taint, api_time};
use crate::api_server::ApiServer;
use crate::controller::{ControllerConfig, JobController};
use crate::events::RecordedEvent;
use crate::kubelet::{Kubelet, KubeletConfig};
use crate::metrics::JobLedger;
use crate::version::{FeatureGate, FeatureGates, KubeVersion};
use crate::workload::Behavior;
use crate::world::{Event, World};

/// Latencies and settings of the simulated control plane.
#[derive(Clone, Debug, PartialEq)]
pub struct ControlPlane {
    /// `syncJobBatchPeriod`: a change the Job controller must react to -> its sync.
    pub job_sync_delay: SimDuration,
    /// Pod bound to a node -> containers may start.
    pub pod_start_delay: SimDuration,
    /// Node stops heartbeating -> NotReady.
    pub node_monitor_grace_period: SimDuration,
}

impl ControlPlane {
    /// Upstream defaults for `version`.
    pub fn defaults_for(version: KubeVersion) -> Self {
        ControlPlane {
            job_sync_delay: SimDuration::from_secs(1),
            pod_start_delay: SimDuration::from_secs(2),
            node_monitor_grace_period: SimDuration::from_secs(if version.at_least(32) {
                50
            } else {
                40
            }),
        }
    }
}

/// A pool of identical nodes, `<name>-0` .. `<name>-<count-1>`.
#[derive(Clone, Debug, PartialEq)]
pub struct NodePool {
    /// Pool name.
    pub name: String,
    /// Number of nodes.
    pub count: u32,
    /// Allocatable resources of each node.
    pub capacity: Resources,
    /// Labels of each node.
    pub labels: BTreeMap<String, String>,
    /// Taints of each node.
    pub taints: Vec<Taint>,
    /// Price of one node per hour, for cost reports.
    pub price_per_hour: Option<f64>,
    /// Stochastic failures of each node of the pool.
    pub failures: Option<NodeFailures>,
}

/// `failures:` of a node pool: each node fails after an exponential up-time with mean
/// `mtbf` and stays down for a `downtime` drawn from the distribution, over and over.
/// The draws come from the node's own stream, so every variant sees the same outages.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeFailures {
    /// Mean time between failures (exponential up-times).
    pub mtbf: SimDuration,
    /// How long a failed node stays down.
    pub downtime: Distribution,
}

/// Which nodes a node fault acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeTarget {
    /// One named node (`default-3`).
    Node(String),
    /// `count` nodes of the pool that are up at that time, drawn from the fault's stream.
    Pool {
        /// Pool name.
        pool: String,
        /// How many.
        count: u32,
    },
}

/// An action of the timeline on nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeAction {
    /// The machine stops (no heartbeats, containers gone); back after `duration`, or
    /// never (the cloud provider then deletes the Node object).
    Down {
        /// Which nodes.
        target: NodeTarget,
        /// How long; `None` is for good.
        duration: Option<SimDuration>,
    },
    /// `kubectl drain`: cordon, then evict every pod through the Eviction API.
    Drain {
        /// The node.
        node: String,
    },
    /// The kubelet restarts: running containers survive; its in-memory crash-loop
    /// back-off is forgotten, so crash-looping containers restart at once.
    KubeletRestart {
        /// The node.
        node: String,
    },
    /// An administrator taints the node `node.kubernetes.io/out-of-service:NoExecute`
    /// (non-graceful node shutdown): pods without a matching toleration are evicted,
    /// and PodGC force-deletes the terminating pods of the node while it is NotReady.
    OutOfService {
        /// The node.
        node: String,
    },
    /// Node-pressure eviction: the kubelet evicts every pod on the node (hard
    /// eviction, no grace period): phase Failed, reason Evicted, DisruptionTarget
    /// TerminationByKubelet.
    NodePressure {
        /// The node.
        node: String,
    },
}

/// One timed action on nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeFault {
    /// When, from the start of the run.
    pub at: SimDuration,
    /// What.
    pub action: NodeAction,
}

/// When instances of a Job are created.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// Once.
    At(SimDuration),
    /// `count` instances, the first at 0, then every `every`.
    Every {
        /// Interval.
        every: SimDuration,
        /// Instances.
        count: u32,
    },
    /// `count` instances with exponential gaps at `per_hour` (the first after one gap).
    Poisson {
        /// Rate.
        per_hour: f64,
        /// Instances.
        count: u32,
    },
}

impl Arrivals {
    /// How many instances.
    pub fn count(&self) -> u32 {
        match self {
            Arrivals::At(_) => 1,
            Arrivals::Every { count, .. } | Arrivals::Poisson { count, .. } => *count,
        }
    }
}

/// A Job of the scenario: its defaulted spec, arrivals and container behaviour.
#[derive(Clone, Debug, PartialEq)]
pub struct JobTemplate {
    /// The Job's name (instances of multiple arrivals get `-<i>` appended).
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// The spec as the API server stored it.
    pub spec: JobSpec,
    /// Arrivals.
    pub arrivals: Arrivals,
    /// Container behaviour.
    pub behavior: Behavior,
}

impl JobTemplate {
    /// The instance names, in arrival order.
    pub fn instance_names(&self) -> Vec<String> {
        match self.arrivals.count() {
            1 => vec![self.name.clone()],
            n => (0..n).map(|i| format!("{}-{i}", self.name)).collect(),
        }
    }
}

/// An action on a Job through the API, from the scenario's `faults:` timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobAction {
    /// `spec.suspend = true`.
    Suspend,
    /// `spec.suspend = false`.
    Resume,
    /// New parallelism and/or completions (elastic Indexed Jobs change both).
    Scale {
        /// spec.parallelism.
        parallelism: Option<i32>,
        /// spec.completions.
        completions: Option<i32>,
    },
    /// `kubectl delete job` (background propagation).
    Delete,
    /// `kubectl delete pod` of `count` of the Job's active pods, chosen from the stream
    /// keyed by the fault's position in the timeline.
    DeletePods {
        /// How many.
        count: u32,
    },
    /// API-initiated eviction (`kubectl drain` uses it) of `count` active pods: each
    /// gets the DisruptionTarget condition (reason EvictionByEvictionAPI) and is
    /// deleted with its grace period. No PodDisruptionBudget is modelled.
    Evict {
        /// How many.
        count: u32,
    },
    /// Scheduler preemption of `count` active pods: DisruptionTarget
    /// (PreemptionByScheduler) and a graceful DELETE, as for a higher-priority pod.
    Preempt {
        /// How many.
        count: u32,
    },
}

/// One timed action on a Job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobFault {
    /// When, from the start of the run.
    pub at: SimDuration,
    /// The Job instance's name. If it does not exist at that time, nothing happens.
    pub job: String,
    /// What.
    pub action: JobAction,
}

/// Everything a run needs, already validated.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSpec {
    /// Scenario name.
    pub scenario: String,
    /// Simulated release.
    pub version: KubeVersion,
    /// Gates in force.
    pub gates: FeatureGates,
    /// Control-plane latencies.
    pub control_plane: ControlPlane,
    /// The run stops here.
    pub horizon: SimDuration,
    /// Node pools, in scenario order.
    pub node_pools: Vec<NodePool>,
    /// Jobs, in scenario order.
    pub jobs: Vec<JobTemplate>,
    /// Actions on Jobs, in timeline order.
    pub job_faults: Vec<JobFault>,
    /// Actions on nodes, in timeline order.
    pub node_faults: Vec<NodeFault>,
}

/// Per-run options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// The run seed.
    pub seed: u64,
    /// Instants at which to snapshot every Job's status (after all events there).
    pub observe_at: Vec<SimTime>,
    /// Event budget (0: the default).
    pub event_budget: u64,
}

/// Why a run could not produce an outcome.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The event budget ran out.
    #[error(transparent)]
    Budget(#[from] RunError),
    /// A checked invariant broke (a bug in jobsim).
    #[error("internal invariant violated: {0}")]
    Invariant(String),
}

/// How a Job ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Complete=True.
    Complete,
    /// Failed=True with this reason.
    Failed(String),
    /// Neither at the horizon.
    Unfinished,
    /// Deleted before it finished.
    Deleted,
}

impl Outcome {
    /// "Complete", "Failed", "Unfinished", "Deleted".
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Complete => "Complete",
            Outcome::Failed(_) => "Failed",
            Outcome::Unfinished => "Unfinished",
            Outcome::Deleted => "Deleted",
        }
    }
}

/// What happened to one Job.
#[derive(Clone, Debug)]
pub struct JobResult {
    /// Instance name.
    pub name: String,
    /// Index of its template in [`RunSpec::jobs`].
    pub template: usize,
    /// Creation time.
    pub created_at: SimTime,
    /// When it left the store, if it did.
    pub removed_at: Option<SimTime>,
    /// Its spec at the end.
    pub spec: Arc<JobSpec>,
    /// Its status at the end (or when it was deleted).
    pub status: JobStatus,
    /// The outcome.
    pub outcome: Outcome,
    /// Pod-time accounting.
    pub ledger: JobLedger,
}

impl JobResult {
    fn since_creation(&self, t: SimTime) -> SimDuration {
        t - api_time(self.created_at)
    }

    /// Terminal condition time minus creation (Complete or Failed).
    pub fn completion_time(&self) -> Option<SimDuration> {
        let c = self
            .status
            .true_condition(JobConditionType::Complete)
            .or_else(|| self.status.true_condition(JobConditionType::Failed))?;
        Some(self.since_creation(c.last_transition_time))
    }

    /// Time to the interim condition (SuccessCriteriaMet / FailureTarget), or to the
    /// terminal one when no interim condition was used.
    pub fn interim_time(&self) -> Option<SimDuration> {
        let c = self
            .status
            .true_condition(JobConditionType::SuccessCriteriaMet)
            .or_else(|| self.status.true_condition(JobConditionType::FailureTarget))?;
        Some(self.since_creation(c.last_transition_time))
    }
}

/// A snapshot of every Job at one instant.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The instant.
    pub at: SimTime,
    /// Status by Job row; `None` if not created yet or already deleted.
    pub jobs: Vec<Option<JobStatus>>,
    /// Each Job created by then as a result at that instant: outcome so far and pod
    /// time counted up to the instant (pods still bound count until it).
    pub results: Vec<JobResult>,
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    /// The run seed.
    pub seed: u64,
    /// Where the run stopped.
    pub end: SimTime,
    /// Events handled.
    pub events: u64,
    /// Jobs, in creation order.
    pub jobs: Vec<JobResult>,
    /// Kubernetes events, in the order recorded.
    pub k8s_events: Vec<RecordedEvent>,
    /// Snapshots at the requested instants.
    pub snapshots: Vec<Snapshot>,
    /// Scheduling attempts.
    pub scheduler_attempts: u64,
    /// Node outages and recoveries, in order (node names in `node_names`).
    pub node_events: Vec<crate::node_lifecycle::NodeEvent>,
    /// Node names by node id.
    pub node_names: Vec<String>,
    /// CPU requested by bound pods (millicores) from each instant it changed.
    pub cpu_in_use: Vec<(SimTime, u64)>,
}

impl RunOutcome {
    /// Pods created in the run.
    pub fn pods_created(&self) -> u64 {
        self.jobs
            .iter()
            .map(|j| j.ledger.pod_creations.len() as u64)
            .sum()
    }
}

/// An instance of a Job template and when it is created.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Arrival {
    pub template: usize,
    pub name: String,
    pub at: SimTime,
}

/// The arrival times of every Job instance, in creation order. Poisson gaps come from
/// the stream keyed by the Job's name, so adding a Job changes no other Job's arrivals.
fn expand_arrivals(spec: &RunSpec, seed: u64) -> Vec<Arrival> {
    let mut out = Vec::new();
    for (template, t) in spec.jobs.iter().enumerate() {
        let names = t.instance_names();
        match &t.arrivals {
            Arrivals::At(d) => out.push(Arrival {
                template,
                name: names[0].clone(),
                at: SimTime::ZERO + *d,
            }),
            Arrivals::Every { every, .. } => {
                for (i, name) in names.into_iter().enumerate() {
                    out.push(Arrival {
                        template,
                        name,
                        at: SimTime::ZERO + every.saturating_mul(i as u64),
                    });
                }
            }
            Arrivals::Poisson { per_hour, .. } => {
                let mean =
                    SimDuration::from_millis((3_600_000.0 / per_hour).round().max(1.0) as u64);
                let gap = Distribution::Exponential { mean };
                let mut rng = stream(
                    seed,
                    &StreamKey::new("job-arrivals", [name_key(&t.name), 0, 0]),
                );
                let mut at = SimTime::ZERO;
                for name in names {
                    at += gap.sample(&mut rng);
                    out.push(Arrival { template, name, at });
                }
            }
        }
    }
    out.sort_by_key(|a| a.at);
    out
}

/// Runs one simulation of `spec`.
pub fn simulate(spec: Arc<RunSpec>, opts: &RunOptions) -> Result<RunOutcome, SimError> {
    let nodes = build_nodes(&spec);
    let mut api = ApiServer::new(
        nodes,
        spec.gates.enabled(FeatureGate::JobTrackingWithFinalizers),
    );
    api.terminating_allowance = spec.version.at_least(28);
    let controller = JobController::new(ControllerConfig {
        version: spec.version,
        gates: spec.gates,
        sync_batch_period: spec.control_plane.job_sync_delay,
    });
    let reduced = spec
        .gates
        .enabled(FeatureGate::ReduceDefaultCrashLoopBackOffDecay);
    let kubelet = Kubelet::new(KubeletConfig {
        pod_start_delay: spec.control_plane.pod_start_delay,
        crash_loop_initial: SimDuration::from_secs(if reduced { 1 } else { 10 }),
        crash_loop_max: SimDuration::from_secs(if reduced { 60 } else { 300 }),
    });
    let arrivals = expand_arrivals(&spec, opts.seed);
    let horizon = SimTime::ZERO + spec.horizon;
    let times: Vec<SimTime> = arrivals.iter().map(|a| a.at).collect();
    let world = World::new(Arc::clone(&spec), api, controller, kubelet, arrivals);
    let budget = if opts.event_budget == 0 {
        SimConfig::DEFAULT_EVENT_BUDGET
    } else {
        opts.event_budget
    };
    let mut sim = Simulation::new(
        world,
        SimConfig {
            seed: opts.seed,
            event_budget: budget,
        },
    );
    for (i, at) in times.into_iter().enumerate() {
        if at <= horizon {
            sim.schedule(at, Event::JobArrival(i as u32));
        }
    }
    for (i, f) in spec.job_faults.iter().enumerate() {
        let at = SimTime::ZERO + f.at;
        if at <= horizon {
            sim.schedule(at, Event::JobFault(i as u32));
        }
    }
    for (i, f) in spec.node_faults.iter().enumerate() {
        let at = SimTime::ZERO + f.at;
        if at <= horizon {
            sim.schedule(at, Event::NodeFault(i as u32));
        }
    }
    for (at, node, down_for) in node_outages(&spec, opts.seed, horizon) {
        sim.schedule(
            at,
            Event::NodeDown {
                node,
                down_ms: down_for.as_millis(),
            },
        );
    }
    let mut observe = opts.observe_at.clone();
    observe.sort_unstable();
    observe.dedup();
    let mut snapshots = Vec::with_capacity(observe.len());
    for at in observe.into_iter().filter(|&t| t <= horizon) {
        sim.run_until(at)?;
        let world = sim.model();
        let api = &world.api;
        let jobs = api
            .jobs
            .iter()
            .map(|j| j.removed_at.is_none().then(|| j.status.clone()))
            .collect();
        let mut ledger = api.ledger.clone();
        for (_, pod) in api.pods.iter() {
            ledger.pod_gone(pod, at);
        }
        let results = job_results(api, ledger.jobs().to_vec(), &world.job_template);
        snapshots.push(Snapshot { at, jobs, results });
    }
    let stats = sim.run_until(horizon)?;
    let world = sim.into_model();
    finish(world, opts.seed, stats.events, horizon, snapshots)
}

/// The stochastic outages of every node of pools with `failures`, up to the horizon:
/// (start, node, duration), drawn from the stream keyed by (pool, node ordinal).
fn node_outages(
    spec: &RunSpec,
    seed: u64,
    horizon: SimTime,
) -> Vec<(SimTime, NodeId, SimDuration)> {
    let mut out = Vec::new();
    let mut first = 0u32;
    for p in &spec.node_pools {
        if let Some(f) = &p.failures {
            let up = Distribution::Exponential { mean: f.mtbf };
            for i in 0..p.count {
                let mut rng = stream(
                    seed,
                    &StreamKey::new("node-failures", [name_key(&p.name), u64::from(i), 0]),
                );
                let mut t = SimTime::ZERO;
                loop {
                    t += up.sample(&mut rng);
                    if t > horizon {
                        break;
                    }
                    let down = f.downtime.sample(&mut rng).max(SimDuration::from_millis(1));
                    out.push((t, NodeId(first + i), down));
                    t += down;
                }
            }
        }
        first += p.count;
    }
    out
}

fn build_nodes(spec: &RunSpec) -> Vec<Node> {
    let mut nodes = Vec::new();
    for (pool, p) in spec.node_pools.iter().enumerate() {
        for i in 0..p.count {
            let name = format!("{}-{i}", p.name);
            let mut labels = p.labels.clone();
            labels.insert("kubernetes.io/hostname".to_string(), name.clone());
            labels.insert("jobsim.dev/pool".to_string(), p.name.clone());
            nodes.push(Node {
                name,
                pool,
                labels,
                allocatable: p.capacity,
                allocated: Resources::default(),
                unschedulable: false,
                taints: p.taints.clone(),
                ready: true,
                exists: true,
                kubelet_up: true,
                epoch: 0,
            });
        }
    }
    nodes
}

fn finish(
    world: World,
    seed: u64,
    events: u64,
    horizon: SimTime,
    snapshots: Vec<Snapshot>,
) -> Result<RunOutcome, SimError> {
    let World {
        mut api,
        job_template,
        scheduler,
        node_events,
        ..
    } = world;
    let node_names = api.nodes.iter().map(|n| n.name.clone()).collect();
    {
        let ApiServer { pods, ledger, .. } = &mut api;
        for (_, pod) in pods.iter() {
            ledger.pod_gone(pod, horizon);
        }
    }
    api.ledger.check_invariant().map_err(SimError::Invariant)?;
    let jobs = job_results(&api, api.ledger.jobs().to_vec(), &job_template);
    Ok(RunOutcome {
        seed,
        end: horizon,
        events,
        jobs,
        k8s_events: api.recorder.into_events(),
        snapshots,
        scheduler_attempts: scheduler.attempts,
        node_events,
        node_names,
        cpu_in_use: std::mem::take(&mut api.cpu_in_use),
    })
}

/// Every Job as a result: the outcome its status shows and its pod-time ledger.
fn job_results(api: &ApiServer, ledgers: Vec<JobLedger>, job_template: &[usize]) -> Vec<JobResult> {
    api.jobs
        .iter()
        .zip(ledgers)
        .zip(job_template.iter().copied())
        .map(|((j, ledger), template)| {
            let outcome = if let Some(c) = j.status.true_condition(JobConditionType::Failed) {
                Outcome::Failed(c.reason.clone())
            } else if j
                .status
                .true_condition(JobConditionType::Complete)
                .is_some()
            {
                Outcome::Complete
            } else if j.removed_at.is_some() {
                Outcome::Deleted
            } else {
                Outcome::Unfinished
            };
            JobResult {
                name: j.name.clone(),
                template,
                created_at: j.creation_timestamp,
                removed_at: j.removed_at,
                spec: Arc::clone(&j.spec),
                status: j.status.clone(),
                outcome,
                ledger,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CompletionMode;
    use crate::test_support::*;

    #[test]
    fn smoke_a_failing_then_succeeding_job() {
        let b = Behavior {
            attempts: attempts(&[(1, 30), (1, 30), (0, 60)]),
            ..Behavior::default()
        };
        let spec = run_spec(vec![(spec(1, Some(1), CompletionMode::NonIndexed), b)], 1);
        let out = simulate(
            spec,
            &RunOptions {
                seed: 1,
                ..Default::default()
            },
        )
        .unwrap();
        let j = &out.jobs[0];
        println!("{:?}", j.outcome);
        println!("{:?}", j.status);
        println!("created at {:?}", j.ledger.pod_creations);
        for e in &out.k8s_events {
            println!("{} {} {}", e.time, e.reason, e.message_text(&j.name));
        }
        assert_eq!(j.outcome, Outcome::Complete);
    }
}
