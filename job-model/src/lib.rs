//! The Kubernetes world of jobsim, on top of sim-core: API objects, the Job controller
//! (a close model of upstream `pkg/controller/job`), the scheduler, kubelets, and the
//! per-run metrics. It knows nothing of files: [`run::simulate`] takes a validated
//! [`run::RunSpec`] and returns a [`run::RunOutcome`].
//!
//! Components talk the way Kubernetes components do: every write goes through the
//! [`api_server::ApiServer`], which keeps the indexes current and emits watch events;
//! the [`world::World`] delivers those to the watching components after each handler.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod api_server;
pub mod controller;
pub mod events;
pub mod garbage_collector;
pub mod kubelet;
pub mod metrics;
pub mod no_execute_tainter;
pub mod node_index;
pub mod node_lifecycle;
pub mod run;
pub mod scheduler;
pub mod store;
pub mod version;
pub mod workload;
pub mod world;

#[cfg(test)]
mod test_support;

pub use run::{RunOptions, RunOutcome, RunSpec, SimError, simulate};
