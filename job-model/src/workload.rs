//! How containers behave: start-up time, run time, exit codes — scripted runs first,
//! then sampled from keyed streams.
//!
//! Every container run has an identity: for Indexed Jobs (Job, index, n-th run of
//! that index across all its pods); for NonIndexed Jobs (Job, pod ordinal, n-th run of
//! that pod). Its random draws come from the stream of that identity only, so a
//! policy that creates one more pod changes no other run's draws.

use sim_core::{Distribution, SimDuration, StreamKey, name_key, stream, unit_f64};

use crate::controller::indexed_job_utils::OrderedIntervals;

/// How a container run ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerExit {
    /// Exit code (137 when OOM-killed).
    pub exit_code: i32,
    /// Killed by the OOM killer (reason OOMKilled).
    pub oom_killed: bool,
}

impl ContainerExit {
    /// Exit 0.
    pub const SUCCESS: ContainerExit = ContainerExit {
        exit_code: 0,
        oom_killed: false,
    };

    /// Exit 0 and not OOM-killed.
    pub fn is_success(&self) -> bool {
        self.exit_code == 0 && !self.oom_killed
    }
}

/// One entry of `behavior.failures`: with this probability a run fails this way.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureMode {
    /// Chance per run, in [0, 1].
    pub probability: f64,
    /// How the run ends.
    pub exit: ContainerExit,
    /// When, from the container's start; default: a uniform point of the sampled runtime.
    pub after: Option<Distribution>,
}

/// One entry of `behavior.attempts`: a scripted run.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptedRun {
    /// How the run ends.
    pub exit: ContainerExit,
    /// When, from the container's start; default: the sampled runtime.
    pub after: Option<Distribution>,
}

/// Keys of `behavior` that `indexes:` / `pods:` entries may override.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BehaviorOverride {
    /// Start-up delay.
    pub startup: Option<Distribution>,
    /// Run time of a successful run.
    pub runtime: Option<Distribution>,
    /// Failure modes.
    pub failures: Option<Vec<FailureMode>>,
    /// Scripted runs.
    pub attempts: Option<Vec<ScriptedRun>>,
    /// Exit delay after SIGTERM.
    pub termination: Option<TerminationBehavior>,
}

/// How a container reacts to SIGTERM when its pod is deleted.
#[derive(Clone, Debug, PartialEq)]
pub enum TerminationBehavior {
    /// Exits 143 this long after SIGTERM (0 s by default), unless the grace period
    /// runs out first (then it is killed: 137).
    Exits(Distribution),
    /// Ignores SIGTERM: killed with 137 when the grace period ends.
    IgnoresSigterm,
}

impl Default for TerminationBehavior {
    fn default() -> Self {
        TerminationBehavior::Exits(Distribution::Fixed(SimDuration::ZERO))
    }
}

/// The behaviour of a Job's containers.
#[derive(Clone, Debug, PartialEq)]
pub struct Behavior {
    /// Delay between podStartDelay and the container's start (image pull, set-up).
    pub startup: Distribution,
    /// Run time of a successful run.
    pub runtime: Distribution,
    /// Failure modes; one draw per run, the first that fires decides.
    pub failures: Vec<FailureMode>,
    /// Scripted runs, before sampling takes over.
    pub attempts: Vec<ScriptedRun>,
    /// Reaction to SIGTERM.
    pub termination: TerminationBehavior,
    /// Overrides by completion index (Indexed Jobs).
    pub indexes: Vec<(OrderedIntervals, BehaviorOverride)>,
    /// Overrides by pod creation ordinal (NonIndexed Jobs).
    pub pods: Vec<(OrderedIntervals, BehaviorOverride)>,
    /// Peak memory a run uses, bytes: above the pod's memory limit the kernel kills the
    /// container (OOMKilled, exit 137) at a uniform point of the run.
    pub memory_usage: Option<u64>,
}

impl Default for Behavior {
    /// Starts at once, runs 1 minute, exits 0.
    fn default() -> Self {
        Behavior {
            startup: Distribution::Fixed(SimDuration::ZERO),
            runtime: Distribution::Fixed(SimDuration::from_mins(1)),
            failures: Vec::new(),
            attempts: Vec::new(),
            termination: TerminationBehavior::default(),
            indexes: Vec::new(),
            pods: Vec::new(),
            memory_usage: None,
        }
    }
}

/// Which run of which Job this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunIdentity<'a> {
    /// The Job's name.
    pub job: &'a str,
    /// Completion index (Indexed Jobs).
    pub index: Option<u32>,
    /// Creation ordinal of the pod.
    pub ordinal: u32,
    /// Runs of this pod before this one (restarts under OnFailure).
    pub run_in_pod: u32,
    /// Runs of this index before this one, across its pods (Indexed).
    pub run_in_index: u32,
    /// Runs of the Job before this one, across its pods (in start order).
    pub run_in_job: u32,
}

impl RunIdentity<'_> {
    /// The stream key of this run's draws.
    fn key(&self, domain: &str) -> StreamKey {
        match self.index {
            Some(ix) => StreamKey::new(
                domain,
                [
                    name_key(self.job),
                    u64::from(ix),
                    u64::from(self.run_in_index),
                ],
            ),
            None => StreamKey::new(
                domain,
                [
                    name_key(self.job),
                    u64::from(self.ordinal) | 1 << 40,
                    u64::from(self.run_in_pod),
                ],
            ),
        }
    }
}

/// A decided container run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunPlan {
    /// From container start to exit.
    pub duration: SimDuration,
    /// How it ends.
    pub exit: ContainerExit,
}

impl Behavior {
    fn override_for(
        &self,
        id: &RunIdentity<'_>,
    ) -> (Option<&BehaviorOverride>, Option<&BehaviorOverride>) {
        let by_index = id.index.and_then(|ix| {
            self.indexes
                .iter()
                .find(|(set, _)| set.has(ix))
                .map(|(_, o)| o)
        });
        let by_pod = self
            .pods
            .iter()
            .find(|(set, _)| set.has(id.ordinal))
            .map(|(_, o)| o);
        (by_index, by_pod)
    }

    fn pick<'a, T>(
        &'a self,
        id: &RunIdentity<'_>,
        base: &'a T,
        f: impl Fn(&'a BehaviorOverride) -> Option<&'a T>,
    ) -> &'a T {
        let (ix, pod) = self.override_for(id);
        ix.and_then(&f).or_else(|| pod.and_then(&f)).unwrap_or(base)
    }

    /// The start-up delay of the pod whose first run is `id`.
    pub fn startup(&self, seed: u64, id: &RunIdentity<'_>) -> SimDuration {
        match self.pick(id, &self.startup, |o| o.startup.as_ref()) {
            // A fixed delay draws nothing: no stream to set up.
            Distribution::Fixed(d) => *d,
            d => d.sample(&mut stream(seed, &id.key("pod-startup"))),
        }
    }

    /// The reaction of the run's container to SIGTERM.
    pub fn termination(&self, seed: u64, id: &RunIdentity<'_>) -> Option<SimDuration> {
        match self.pick(id, &self.termination, |o| o.termination.as_ref()) {
            TerminationBehavior::IgnoresSigterm => None,
            TerminationBehavior::Exits(Distribution::Fixed(d)) => Some(*d),
            TerminationBehavior::Exits(d) => Some(d.sample(&mut stream(seed, &id.key("sigterm")))),
        }
    }

    /// Decides the run `id`, then applies the OOM killer when the run's memory use
    /// exceeds `memory_limit`.
    pub fn plan_run_with_limit(
        &self,
        seed: u64,
        id: &RunIdentity<'_>,
        memory_limit: Option<u64>,
    ) -> RunPlan {
        let plan = self.plan_run(seed, id);
        match (self.memory_usage, memory_limit) {
            (Some(usage), Some(limit)) if usage > limit => {
                let mut rng = stream(seed, &id.key("oom"));
                let at = Distribution::Uniform {
                    low: SimDuration::ZERO,
                    high: plan.duration,
                }
                .sample(&mut rng);
                RunPlan {
                    duration: at,
                    exit: ContainerExit {
                        exit_code: 137,
                        oom_killed: true,
                    },
                }
            }
            _ => plan,
        }
    }

    /// Decides the run `id`: a scripted attempt if one applies, else sampled.
    pub fn plan_run(&self, seed: u64, id: &RunIdentity<'_>) -> RunPlan {
        let mut rng = stream(seed, &id.key("container-run"));
        // Fixed draw order: failure lottery, runtime, then the failure's `after`.
        let lottery = unit_f64(&mut rng);
        let runtime = self
            .pick(id, &self.runtime, |o| o.runtime.as_ref())
            .sample(&mut rng);
        if let Some(script) = self.scripted(id) {
            let duration = script
                .after
                .as_ref()
                .map_or(runtime, |a| a.sample(&mut rng));
            return RunPlan {
                duration,
                exit: script.exit,
            };
        }
        let failures = self.pick(id, &self.failures, |o| o.failures.as_ref());
        let mut cumulative = 0.0;
        for f in failures {
            cumulative += f.probability;
            if lottery < cumulative {
                let duration = match &f.after {
                    Some(a) => a.sample(&mut rng),
                    None => Distribution::Uniform {
                        low: SimDuration::ZERO,
                        high: runtime,
                    }
                    .sample(&mut rng),
                };
                return RunPlan {
                    duration,
                    exit: f.exit,
                };
            }
        }
        RunPlan {
            duration: runtime,
            exit: ContainerExit::SUCCESS,
        }
    }

    /// The scripted attempt for `id`, if any: an override's own attempts count runs
    /// of its index (or pod); the top-level attempts count runs of the index for
    /// Indexed Jobs and runs of the Job for NonIndexed Jobs.
    fn scripted(&self, id: &RunIdentity<'_>) -> Option<&ScriptedRun> {
        let (by_index, by_pod) = self.override_for(id);
        if let Some(a) = by_index.and_then(|o| o.attempts.as_ref()) {
            return a.get(id.run_in_index as usize);
        }
        if let Some(a) = by_pod.and_then(|o| o.attempts.as_ref()) {
            return a.get(id.run_in_pod as usize);
        }
        let n = if id.index.is_some() {
            id.run_in_index
        } else {
            id.run_in_job
        };
        self.attempts.get(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(
        index: Option<u32>,
        ordinal: u32,
        run_in_pod: u32,
        run_in_index: u32,
        run_in_job: u32,
    ) -> RunIdentity<'static> {
        RunIdentity {
            job: "pi",
            index,
            ordinal,
            run_in_pod,
            run_in_index,
            run_in_job,
        }
    }

    #[test]
    fn scripted_attempts_run_in_order_then_sampling_takes_over() {
        let b = Behavior {
            attempts: vec![
                ScriptedRun {
                    exit: ContainerExit {
                        exit_code: 1,
                        oom_killed: false,
                    },
                    after: Some(Distribution::Fixed(SimDuration::from_secs(30))),
                },
                ScriptedRun {
                    exit: ContainerExit::SUCCESS,
                    after: Some(Distribution::Fixed(SimDuration::from_secs(60))),
                },
            ],
            ..Behavior::default()
        };
        let p0 = b.plan_run(1, &id(None, 0, 0, 0, 0));
        assert_eq!((p0.exit.exit_code, p0.duration.as_secs()), (1, 30));
        let p1 = b.plan_run(1, &id(None, 1, 0, 0, 1));
        assert_eq!((p1.exit.exit_code, p1.duration.as_secs()), (0, 60));
        let p2 = b.plan_run(1, &id(None, 2, 0, 0, 2));
        assert_eq!(
            (p2.exit.exit_code, p2.duration.as_secs()),
            (0, 60),
            "default runtime 1m after the script"
        );
    }

    #[test]
    fn index_overrides_apply_to_their_indexes_only() {
        let b = Behavior {
            indexes: vec![(
                OrderedIntervals::parse("0,2-4", 10),
                BehaviorOverride {
                    attempts: Some(vec![ScriptedRun {
                        exit: ContainerExit {
                            exit_code: 42,
                            oom_killed: false,
                        },
                        after: None,
                    }]),
                    ..Default::default()
                },
            )],
            ..Behavior::default()
        };
        assert_eq!(b.plan_run(1, &id(Some(3), 5, 0, 0, 5)).exit.exit_code, 42);
        assert_eq!(b.plan_run(1, &id(Some(1), 1, 0, 0, 1)).exit.exit_code, 0);
        assert_eq!(
            b.plan_run(1, &id(Some(3), 9, 0, 1, 9)).exit.exit_code,
            0,
            "second run of the index"
        );
    }

    #[test]
    fn failure_probability_is_respected_and_draws_are_keyed() {
        let b = Behavior {
            runtime: Distribution::lognormal(SimDuration::from_secs(120), 0.5).unwrap(),
            failures: vec![FailureMode {
                probability: 0.25,
                exit: ContainerExit {
                    exit_code: 1,
                    oom_killed: false,
                },
                after: None,
            }],
            ..Behavior::default()
        };
        let n = 4000;
        let failed = (0..n)
            .filter(|&i| !b.plan_run(9, &id(Some(i), i, 0, 0, i)).exit.is_success())
            .count();
        assert!((900..1100).contains(&failed), "{failed}");
        // The same identity gives the same plan, whatever else was drawn before.
        let a = b.plan_run(9, &id(Some(7), 70, 0, 2, 70));
        let _ = b.plan_run(9, &id(Some(8), 71, 0, 0, 71));
        assert_eq!(a, b.plan_run(9, &id(Some(7), 70, 0, 2, 70)));
    }

    #[test]
    fn a_failure_happens_within_the_sampled_runtime_by_default() {
        let b = Behavior {
            runtime: Distribution::Fixed(SimDuration::from_secs(100)),
            failures: vec![FailureMode {
                probability: 1.0,
                exit: ContainerExit {
                    exit_code: 3,
                    oom_killed: false,
                },
                after: None,
            }],
            ..Behavior::default()
        };
        for i in 0..200 {
            let p = b.plan_run(5, &id(Some(i), i, 0, 0, i));
            assert_eq!(p.exit.exit_code, 3);
            assert!(p.duration <= SimDuration::from_secs(100));
        }
    }
}
