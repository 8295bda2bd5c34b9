//! The Kubernetes objects of the simulated cluster, batch/v1 validation and defaulting.
//!
//! The simulator keeps its own compact object model (typed enums, integers) rather
//! than k8s-openapi's string-typed structs: the controller branches on these fields on
//! every sync. [`manifest`] turns a real batch/v1 manifest into it, after
//! [`validation`] has checked it the way the API server would.

pub mod field;
mod job;
pub mod manifest;
mod node;
mod pod;
mod quantity;
pub mod validation;

pub use field::{BadValue, FieldError, FieldErrorKind, FieldPath};
pub use job::*;
pub use node::{Node, NodeId, Resources};
pub use pod::*;
pub use quantity::{Quantity, QuantityError};

use sim_core::{SimDuration, SimTime};

/// A Job object.
#[derive(Clone, Debug)]
pub struct Job {
    /// metadata.name.
    pub name: String,
    /// metadata.namespace.
    pub namespace: String,
    /// metadata.uid (creation order).
    pub uid: u64,
    /// metadata.creationTimestamp (exact).
    pub creation_timestamp: SimTime,
    /// metadata.deletionTimestamp.
    pub deletion_timestamp: Option<SimTime>,
    /// When the object left the store.
    pub removed_at: Option<SimTime>,
    /// metadata.generation (bumped on spec changes).
    pub generation: i64,
    /// spec, defaulted (shared, so a sync can hold it while the store changes).
    pub spec: std::sync::Arc<JobSpec>,
    /// status.
    pub status: JobStatus,
}

/// An instant as the API stores it: `metav1.Time` keeps whole seconds (its protobuf
/// encoding drops the nanoseconds), so every timestamp a controller reads back from the
/// API — finishedAt, lastTransitionTime, startTime, deletionTimestamp — is truncated.
///
/// ```
/// use job_model::api::api_time;
/// use sim_core::SimTime;
/// assert_eq!(api_time(SimTime::from_millis(12_700)), SimTime::from_secs(12));
/// ```
pub fn api_time(t: SimTime) -> SimTime {
    SimTime::from_millis(t.as_millis() / 1000 * 1000)
}

/// Whole seconds of a `*Seconds` API field.
pub fn secs(s: i64) -> SimDuration {
    SimDuration::from_secs(s.max(0) as u64)
}
