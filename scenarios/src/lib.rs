//! The scenario file (SCENARIOS.md): loading it with locations, validating it — the
//! scenario's own keys and the batch/v1 Job manifests it names, as the API server
//! would — and turning it into the [`job_model::RunSpec`] of a run.
//!
//! ```
//! let s = scenarios::embedded("default").unwrap();
//! assert_eq!(s.name, "default");
//! assert!(s.run.jobs.len() >= 3);
//! ```
#![forbid(unsafe_code)]

pub mod error;
pub mod expect;
mod load;
pub mod runner;
pub mod schema;
pub mod yaml;

pub use error::{Diagnostic, LoadError};
pub use load::{
    DEFAULT_HORIZON, DEFAULT_MAX_PODS, DEFAULT_RUNS, DEFAULT_RUNTIME, DEFAULT_SEED,
    FINALIZER_TRACKING_FROM, Scenario, load_file, load_str,
};

/// Scenarios compiled into the binary: (name, file name, text).
pub const EMBEDDED: &[(&str, &str, &str)] = &[
    (
        "default",
        "scenarios/examples/default.yaml",
        include_str!("../examples/default.yaml"),
    ),
    (
        "fleet",
        "scenarios/examples/fleet.yaml",
        include_str!("../examples/fleet.yaml"),
    ),
];

/// Loads an embedded scenario by name.
pub fn embedded(name: &str) -> Result<Scenario, LoadError> {
    let (_, file, text) = EMBEDDED
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| Diagnostic {
            file: format!("<embedded {name}>"),
            at: None,
            path: String::new(),
            message: "no such embedded scenario".into(),
        })?;
    load_str(text, &format!("<embedded {file}>"), None)
}
