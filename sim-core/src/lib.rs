//! The generic kernel of jobsim. It knows nothing of Kubernetes.
//!
//! # Guarantees
//!
//! * **Time** is an integer number of milliseconds ([`SimTime`], [`SimDuration`]). No wall
//!   clock is read anywhere in a run.
//! * **Ordering**: the [`EventQueue`] delivers events by time; events due at the same
//!   instant are delivered in the order they were scheduled (FIFO), because every event
//!   carries a monotonically increasing sequence number and the queue orders by
//!   `(time, sequence)`.
//! * **Cancellation** is lazy: a [`TimerSlot`] hands out tokens; re-arming or cancelling
//!   the slot makes every earlier token stale, and the owner drops stale firings when they
//!   pop. A rescheduled timer therefore never leaves live work behind.
//! * **Randomness** is keyed by entity, not by draw order: [`stream`] derives an
//!   independent ChaCha8 generator from `(run seed, key)` with a documented,
//!   platform-independent mix. Adding an entity never shifts another entity's draws.
//! * **Distributions** ([`Distribution`]) sample with pure-Rust `libm`, so the same seed
//!   gives the same bits on every platform.
//! * **Runs end**: [`Simulation::run_until`] stops at a horizon, and an event budget turns
//!   a runaway model into an error instead of an endless loop.
//!
//! ```
//! use sim_core::{Context, Model, SimDuration, SimTime, Simulation, SimConfig};
//!
//! /// Counts down, one tick per second.
//! struct Countdown { left: u32, fired_at: Vec<SimTime> }
//!
//! impl Model for Countdown {
//!     type Event = ();
//!     fn handle(&mut self, ctx: &mut Context<'_, ()>, _event: ()) {
//!         self.fired_at.push(ctx.now());
//!         self.left -= 1;
//!         if self.left > 0 {
//!             ctx.schedule_in(SimDuration::from_secs(1), ());
//!         }
//!     }
//! }
//!
//! let mut sim = Simulation::new(Countdown { left: 3, fired_at: vec![] }, SimConfig::with_seed(7));
//! sim.schedule(SimTime::ZERO, ());
//! sim.run_until(SimTime::from_secs(60)).unwrap();
//! let times: Vec<String> = sim.model().fired_at.iter().map(|t| t.to_string()).collect();
//! assert_eq!(times, ["0s", "1s", "2s"]);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod dist;
mod queue;
mod rng;
mod sim;
mod time;

pub use dist::{Distribution, DistributionError};
pub use queue::{EventQueue, TimerSlot, TimerToken};
pub use rng::{Stream, StreamKey, name_key, run_seed, stream, unit_f64};
pub use sim::{Context, Model, RunError, RunStats, SimConfig, Simulation};
pub use time::{ParseDurationError, SimDuration, SimTime};
