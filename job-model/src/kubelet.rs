//! The kubelet: starts bound pods, runs their containers as the workload behaviour
//! says, restarts them under restartPolicy OnFailure with the crash-loop back-off, and
//! stops them gracefully when they are deleted.

use sim_core::{Context, SimDuration, SimTime};

use crate::api::{
    ContainerState, PodId, PodPhase, RestartPolicy, TerminationReason, WaitingReason, api_time,
};
use crate::api_server::ApiServer;
use crate::store::JobId;
use crate::workload::{Behavior, ContainerExit, RunIdentity};
use crate::world::Event;

/// Exit code of a container that exits on SIGTERM (128 + 15).
pub const EXIT_SIGTERM: i32 = 143;
/// Exit code of a container killed with SIGKILL or by the OOM killer (128 + 9).
pub const EXIT_SIGKILL: i32 = 137;

/// How long a container must run after its last restart decision for the kubelet to
/// forget its crash-loop back-off (`maxDuration * 2` for the default 300 s cap).
pub const CRASH_LOOP_EXPIRY: SimDuration = SimDuration::from_secs(600);

/// Kubelet settings shared by every node.
#[derive(Clone, Debug)]
pub struct KubeletConfig {
    /// Pod bound to a node -> containers may start (scenario `podStartDelay`).
    pub pod_start_delay: SimDuration,
    /// Crash-loop back-off: first delay (10 s; 1 s with ReduceDefaultCrashLoopBackOffDecay).
    pub crash_loop_initial: SimDuration,
    /// Crash-loop back-off cap (300 s; 60 s with ReduceDefaultCrashLoopBackOffDecay).
    pub crash_loop_max: SimDuration,
}

/// Per-Job run counters, for the identities of container runs.
#[derive(Clone, Debug, Default)]
struct RunCounters {
    in_job: u32,
    in_index: Vec<u32>,
}

/// The kubelets of all nodes (their state lives on the pods).
#[derive(Debug)]
pub struct Kubelet {
    cfg: KubeletConfig,
    counters: Vec<RunCounters>,
}

type Ctx<'a, 'b> = &'a mut Context<'b, Event>;

impl Kubelet {
    /// Kubelets with `cfg`.
    pub fn new(cfg: KubeletConfig) -> Self {
        Kubelet {
            cfg,
            counters: Vec::new(),
        }
    }

    fn counters(&mut self, job: JobId) -> &mut RunCounters {
        if self.counters.len() <= job.index() {
            self.counters.resize_with(job.index() + 1, Default::default);
        }
        &mut self.counters[job.index()]
    }

    /// The identity the next run of `pod` will have.
    fn next_identity<'a>(&mut self, api: &'a ApiServer, pod: PodId) -> RunIdentity<'a> {
        let p = &api.pods[pod];
        let c = self.counters(p.job);
        let run_in_index = p
            .completion_index
            .map_or(0, |ix| c.in_index.get(ix as usize).copied().unwrap_or(0));
        RunIdentity {
            job: &api.jobs[p.job.index()].name,
            index: p.completion_index,
            ordinal: p.ordinal,
            run_in_pod: p.runs_started,
            run_in_index,
            run_in_job: c.in_job,
        }
    }

    /// A pod was bound to a node: its containers start after podStartDelay + startup.
    pub fn on_pod_bound(
        &mut self,
        api: &mut ApiServer,
        ctx: Ctx<'_, '_>,
        pod: PodId,
        behavior: &Behavior,
    ) {
        // A kubelet that is down does not see the binding until it comes back.
        if api.pods[pod]
            .node
            .is_some_and(|n| !api.nodes[n.0 as usize].kubelet_up)
        {
            return;
        }
        let now = ctx.now();
        let seed = ctx.seed();
        let startup = {
            let id = self.next_identity(api, pod);
            behavior.startup(seed, &id)
        };
        let generation = api.pods[pod].kubelet_generation;
        // The kubelet's first status: Ready=False from now on.
        api.update_pod(pod, |p| p.ready_transition = Some(api_time(now)));
        ctx.schedule(
            now + self.cfg.pod_start_delay + startup,
            Event::ContainerStart { pod, generation },
        );
    }

    /// Starts the next container run of `pod`.
    pub fn start_container(
        &mut self,
        api: &mut ApiServer,
        ctx: Ctx<'_, '_>,
        pod: PodId,
        generation: u32,
        behavior: &Behavior,
    ) {
        if !run_is_current(api, pod, generation) {
            return;
        }
        let now = ctx.now();
        let plan = {
            let id = self.next_identity(api, pod);
            let limit = api.jobs[api.pods[pod].job.index()]
                .spec
                .template
                .memory_limit;
            behavior.plan_run_with_limit(ctx.seed(), &id, limit)
        };
        let (job, index) = (api.pods[pod].job, api.pods[pod].completion_index);
        let c = self.counters(job);
        c.in_job += 1;
        if let Some(ix) = index {
            if c.in_index.len() <= ix as usize {
                c.in_index.resize(ix as usize + 1, 0);
            }
            c.in_index[ix as usize] += 1;
        }
        api.update_pod(pod, |p| {
            p.runs_started += 1;
            p.phase = PodPhase::Running;
            p.container = ContainerState::Running { started_at: now };
            p.ready = true;
            p.ready_transition = Some(api_time(now));
        });
        ctx.schedule(
            now + plan.duration,
            Event::ContainerExit {
                pod,
                generation,
                exit: plan.exit,
            },
        );
    }

    /// The main container exited on its own.
    pub fn container_exited(
        &mut self,
        api: &mut ApiServer,
        ctx: Ctx<'_, '_>,
        pod: PodId,
        generation: u32,
        exit: ContainerExit,
    ) {
        let Some(p) = api.pods.get(pod) else { return };
        if p.kubelet_generation != generation
            || p.phase.is_terminal()
            || !matches!(p.container, ContainerState::Running { .. })
        {
            return;
        }
        let now = ctx.now();
        let deleting = p.deletion_timestamp.is_some();
        let restart = !exit.is_success()
            && !deleting
            && api.jobs[p.job.index()].spec.template.restart_policy == RestartPolicy::OnFailure;
        let reason = if exit.oom_killed {
            TerminationReason::OOMKilled
        } else if exit.exit_code == 0 {
            TerminationReason::Completed
        } else {
            TerminationReason::Error
        };
        let exit_code = if exit.oom_killed {
            EXIT_SIGKILL
        } else {
            exit.exit_code
        };
        let delay = if restart {
            self.crash_loop_delay(api, pod, now)
        } else {
            SimDuration::ZERO
        };
        api.update_pod(pod, |p| {
            p.container = ContainerState::Terminated {
                exit_code,
                reason,
                finished_at: api_time(now),
            };
            p.ready = false;
            p.ready_transition = Some(api_time(now));
            if !restart {
                p.phase = if exit.is_success() {
                    PodPhase::Succeeded
                } else {
                    PodPhase::Failed
                };
            } else if !delay.is_zero() {
                p.container = ContainerState::Waiting(WaitingReason::CrashLoopBackOff);
            }
        });
        if restart {
            ctx.schedule(now + delay, Event::ContainerRestart { pod, generation });
        }
    }

    /// Upstream `flowcontrol.Backoff` as the kubelet uses it for container restarts
    /// (`doBackOff`): no wait for the first restart, then 10 s doubling to 300 s (1 s to
    /// 60 s with ReduceDefaultCrashLoopBackOffDecay); the entry expires once the
    /// container ran for more than 600 s since the last restart decision (twice the
    /// default cap, and KEP-4603's fixed `HasExpiredFunc` with the reduced decay).
    fn crash_loop_delay(&self, api: &mut ApiServer, pod: PodId, finished: SimTime) -> SimDuration {
        let (initial, max) = (self.cfg.crash_loop_initial, self.cfg.crash_loop_max);
        let p = &mut api.pods[pod];
        let (delay, backoff) = match p.crash_backoff {
            Some((backoff, last_update)) if finished - last_update <= CRASH_LOOP_EXPIRY => {
                (backoff, backoff.saturating_mul(2).min(max))
            }
            _ => (SimDuration::ZERO, initial),
        };
        p.crash_backoff = Some((backoff, finished + delay));
        delay
    }

    /// A kubelet that lost its memory (restarted, or its machine came back) restarts a
    /// crash-looping container at once: `doBackOff` finds no entry and `Next` makes a
    /// fresh one, so the following crash waits the initial back-off.
    pub(crate) fn restart_without_memory(&self, pod: &mut crate::api::Pod, now: SimTime) {
        pod.crash_backoff = Some((self.cfg.crash_loop_initial, now));
    }

    /// The back-off elapsed: the container is started again (restartCount + 1).
    pub fn restart_container(
        &mut self,
        api: &mut ApiServer,
        ctx: Ctx<'_, '_>,
        pod: PodId,
        generation: u32,
        behavior: &Behavior,
    ) {
        if !run_is_current(api, pod, generation) {
            return;
        }
        api.update_pod(pod, |p| p.restart_count += 1);
        self.start_container(api, ctx, pod, generation, behavior);
    }

    /// The pod got a deletionTimestamp: SIGTERM now, SIGKILL when the grace period
    /// ends. A container that is not running stops at once.
    pub fn on_pod_deleting(
        &mut self,
        api: &mut ApiServer,
        ctx: Ctx<'_, '_>,
        pod: PodId,
        behavior: &Behavior,
    ) {
        let Some(p) = api.pods.get(pod) else { return };
        if p.node.is_none() || p.phase.is_terminal() {
            return;
        }
        // On a machine that is down nothing terminates the pod until it comes back.
        if p.node.is_some_and(|n| !api.nodes[n.0 as usize].kubelet_up) {
            return;
        }
        let now = ctx.now();
        let grace = p.deletion_grace_period.unwrap_or(SimDuration::ZERO);
        let generation = p.kubelet_generation;
        let (at, exit_code) = match p.container {
            ContainerState::Running { .. } => {
                let id = RunIdentity {
                    job: &api.jobs[p.job.index()].name,
                    index: p.completion_index,
                    ordinal: p.ordinal,
                    run_in_pod: p.runs_started.saturating_sub(1),
                    run_in_index: 0,
                    run_in_job: 0,
                };
                match behavior.termination(ctx.seed(), &id) {
                    Some(d) if d < grace => (now + d, Some(EXIT_SIGTERM)),
                    _ => (now + grace, Some(EXIT_SIGKILL)),
                }
            }
            _ => (now, None),
        };
        ctx.schedule(
            at,
            Event::ContainerKilled {
                pod,
                generation,
                exit_code,
            },
        );
    }

    /// Termination finished: the pod is Failed (unless it already ended).
    pub fn container_killed(
        &mut self,
        api: &mut ApiServer,
        ctx: Ctx<'_, '_>,
        pod: PodId,
        generation: u32,
        exit_code: Option<i32>,
    ) {
        let Some(p) = api.pods.get(pod) else { return };
        if p.kubelet_generation != generation || p.phase.is_terminal() {
            return;
        }
        let now = ctx.now();
        api.update_pod(pod, |p| {
            if let Some(code) = exit_code {
                p.container = ContainerState::Terminated {
                    exit_code: code,
                    reason: TerminationReason::Error,
                    finished_at: api_time(now),
                };
            }
            p.ready = false;
            p.ready_transition = Some(api_time(now));
            p.phase = PodPhase::Failed;
        });
    }
}

/// Whether a timer the kubelet set for `pod` in `generation` still applies: the pod
/// exists, was not restarted under another generation, is not being deleted and has
/// not finished.
fn run_is_current(api: &ApiServer, pod: PodId, generation: u32) -> bool {
    api.pods.get(pod).is_some_and(|p| {
        p.kubelet_generation == generation
            && p.deletion_timestamp.is_none()
            && !p.phase.is_terminal()
    })
}
