//! The run loop.

use crate::rng::{Stream, StreamKey, stream};
use crate::{EventQueue, SimDuration, SimTime};

/// A simulated system: reacts to its own events by changing state and scheduling more.
pub trait Model {
    /// What the model schedules. Keep it small and `Copy`-like: it is moved through a heap.
    type Event;
    /// Handles one event at `ctx.now()`.
    fn handle(&mut self, ctx: &mut Context<'_, Self::Event>, event: Self::Event);
}

/// What a handler may do besides changing its model: read the clock, schedule events
/// and open keyed random streams.
pub struct Context<'a, E> {
    now: SimTime,
    seed: u64,
    queue: &'a mut EventQueue<E>,
}

impl<E> Context<'_, E> {
    /// The current instant.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The run seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Schedules `event` at `at`. A time in the past is treated as now (and is a bug in
    /// the model, caught in debug builds).
    pub fn schedule(&mut self, at: SimTime, event: E) {
        debug_assert!(
            at >= self.now,
            "event scheduled in the past: {at} < {}",
            self.now
        );
        self.queue.push(at.max(self.now), event);
    }

    /// Schedules `event` at `at`, before the events scheduled with
    /// [`schedule`](Self::schedule) for that instant (see [`EventQueue::push_early`]).
    pub fn schedule_early(&mut self, at: SimTime, event: E) {
        debug_assert!(at >= self.now);
        self.queue.push_early(at.max(self.now), event);
    }

    /// Schedules `event` after `delay`.
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.queue.push(self.now + delay, event);
    }

    /// The random stream of the entity `key` in this run.
    pub fn stream(&self, key: &StreamKey) -> Stream {
        stream(self.seed, key)
    }
}

/// How a run is set up. There is no run without a seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimConfig {
    /// The run seed every keyed stream derives from.
    pub seed: u64,
    /// The most events one run may process before it stops with
    /// [`RunError::EventBudgetExhausted`].
    pub event_budget: u64,
}

impl SimConfig {
    /// The default budget: far above any sensible scenario, low enough to stop a model
    /// that schedules events forever within minutes.
    pub const DEFAULT_EVENT_BUDGET: u64 = 500_000_000;

    /// A configuration with the given seed and the default event budget.
    pub fn with_seed(seed: u64) -> Self {
        SimConfig {
            seed,
            event_budget: Self::DEFAULT_EVENT_BUDGET,
        }
    }
}

/// Why a run stopped early.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The model kept scheduling events past the budget.
    #[error(
        "event budget of {budget} events exhausted at virtual time {at}: the scenario may loop forever; \
         shorten the horizon or raise the budget"
    )]
    EventBudgetExhausted {
        /// The budget that was set.
        budget: u64,
        /// The virtual time when it ran out.
        at: SimTime,
    },
}

/// Counters of a finished (or paused) run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Events handled so far.
    pub events: u64,
    /// The virtual time reached.
    pub now: SimTime,
}

/// A model, its event queue and its clock.
pub struct Simulation<M: Model> {
    model: M,
    queue: EventQueue<M::Event>,
    now: SimTime,
    config: SimConfig,
    events: u64,
}

impl<M: Model> Simulation<M> {
    /// A simulation of `model` at time zero.
    pub fn new(model: M, config: SimConfig) -> Self {
        Simulation {
            model,
            queue: EventQueue::new(),
            now: SimTime::ZERO,
            config,
            events: 0,
        }
    }

    /// Schedules an event from outside the model (initial events).
    pub fn schedule(&mut self, at: SimTime, event: M::Event) {
        self.queue.push(at.max(self.now), event);
    }

    /// Handles every event due at or before `until`, in `(time, sequence)` order, then
    /// sets the clock to `until` (unless `until` is [`SimTime::MAX`]).
    pub fn run_until(&mut self, until: SimTime) -> Result<RunStats, RunError> {
        while let Some(at) = self.queue.peek_time() {
            if at > until {
                break;
            }
            if self.events >= self.config.event_budget {
                return Err(RunError::EventBudgetExhausted {
                    budget: self.config.event_budget,
                    at,
                });
            }
            let (at, event) = self.queue.pop().expect("peeked");
            self.now = at;
            self.events += 1;
            let mut ctx = Context {
                now: at,
                seed: self.config.seed,
                queue: &mut self.queue,
            };
            self.model.handle(&mut ctx, event);
        }
        if until != SimTime::MAX {
            self.now = self.now.max(until);
        }
        Ok(self.stats())
    }

    /// Runs `f` on the model with a context at the current instant, e.g. to inject an
    /// external action between `run_until` calls.
    pub fn with_context<R>(
        &mut self,
        f: impl FnOnce(&mut M, &mut Context<'_, M::Event>) -> R,
    ) -> R {
        let mut ctx = Context {
            now: self.now,
            seed: self.config.seed,
            queue: &mut self.queue,
        };
        f(&mut self.model, &mut ctx)
    }

    /// The current instant.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// When the next queued event is due.
    pub fn next_event_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// Events handled and time reached.
    pub fn stats(&self) -> RunStats {
        RunStats {
            events: self.events,
            now: self.now,
        }
    }

    /// The run seed.
    pub fn seed(&self) -> u64 {
        self.config.seed
    }

    /// The model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The model, mutably.
    pub fn model_mut(&mut self) -> &mut M {
        &mut self.model
    }

    /// Ends the simulation, returning the model.
    pub fn into_model(self) -> M {
        self.model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reschedules itself forever.
    struct Forever;
    impl Model for Forever {
        type Event = ();
        fn handle(&mut self, ctx: &mut Context<'_, ()>, _: ()) {
            ctx.schedule_in(SimDuration::ZERO, ());
        }
    }

    #[test]
    fn a_runaway_model_stops_with_a_clear_error() {
        let mut sim = Simulation::new(
            Forever,
            SimConfig {
                seed: 1,
                event_budget: 1000,
            },
        );
        sim.schedule(SimTime::ZERO, ());
        let err = sim.run_until(SimTime::from_secs(10)).unwrap_err();
        assert_eq!(
            err,
            RunError::EventBudgetExhausted {
                budget: 1000,
                at: SimTime::ZERO
            }
        );
        assert!(
            err.to_string()
                .contains("event budget of 1000 events exhausted")
        );
    }

    struct Log(Vec<(SimTime, u32)>);
    impl Model for Log {
        type Event = u32;
        fn handle(&mut self, ctx: &mut Context<'_, u32>, e: u32) {
            self.0.push((ctx.now(), e));
        }
    }

    #[test]
    fn run_until_includes_events_at_the_horizon_and_stops_after_it() {
        let mut sim = Simulation::new(Log(vec![]), SimConfig::with_seed(0));
        sim.schedule(SimTime::from_secs(10), 1);
        sim.schedule(SimTime::from_secs(20), 2);
        sim.schedule(SimTime::from_millis(20_001), 3);
        let stats = sim.run_until(SimTime::from_secs(20)).unwrap();
        assert_eq!(stats.events, 2);
        assert_eq!(stats.now, SimTime::from_secs(20));
        assert_eq!(sim.next_event_time(), Some(SimTime::from_millis(20_001)));
    }
}
