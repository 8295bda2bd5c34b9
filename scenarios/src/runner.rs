//! Running a loaded scenario: one run of one variant, and `check` (every variant's
//! run 0 against the scenario's `expect:` entries).

use job_model::run::RunOutcome;
use job_model::{RunOptions, SimError, simulate};

use crate::Scenario;
use crate::expect::{ExpectResult, evaluate};

/// Which run to simulate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunRequest {
    /// The variant.
    pub variant: String,
    /// Base seed (the scenario's unless overridden).
    pub seed: u64,
    /// Run index; its seed is `sim_core::run_seed(seed, run)`.
    pub run: u64,
}

/// Simulates one run, snapshotting every instant an expectation looks at.
pub fn run(s: &Scenario, req: &RunRequest) -> Result<RunOutcome, SimError> {
    let mut observe_at: Vec<_> = s
        .expectations
        .iter()
        .filter(|e| e.variant.as_ref().is_none_or(|v| *v == req.variant))
        .filter_map(|e| e.at)
        .collect();
    observe_at.sort_unstable();
    observe_at.dedup();
    let opts = RunOptions {
        seed: sim_core::run_seed(req.seed, req.run),
        observe_at,
        ..RunOptions::default()
    };
    let spec = s.variant_run(&req.variant).unwrap_or_else(|| {
        panic!(
            "no variant {:?}: callers pick from Scenario::variants",
            req.variant
        )
    });
    simulate(spec.clone(), &opts)
}

/// The verdicts of one variant's run.
#[derive(Clone, Debug)]
pub struct VariantCheck {
    /// The variant.
    pub variant: String,
    /// One verdict per expectation that applies to it, in file order.
    pub results: Vec<ExpectResult>,
}

/// Runs run 0 of every variant and checks the expectations that apply to it.
pub fn check(s: &Scenario) -> Result<Vec<VariantCheck>, SimError> {
    let mut out = Vec::new();
    for variant in s.variants() {
        let req = RunRequest {
            variant: variant.clone(),
            seed: s.seed,
            run: 0,
        };
        let outcome = run(s, &req)?;
        let results = s
            .expectations
            .iter()
            .filter(|e| e.variant.as_ref().is_none_or(|v| *v == variant))
            .map(|e| evaluate(e, &outcome))
            .collect();
        out.push(VariantCheck { variant, results });
    }
    Ok(out)
}
