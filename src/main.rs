//! The `jobsim` command line: parses arguments, calls the crates, prints, and exits
//! with a stable code (0 ok, 1 expectation missed, 2 bad input, 3 internal error).
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use scenarios::runner::RunRequest;
use scenarios::{LoadError, Scenario};

/// Exit code when an expectation was missed.
const EXIT_MISSED: u8 = 1;
/// Exit code for bad input: an unreadable or invalid scenario, a bad argument.
const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for a bug in jobsim (a checked invariant broke).
const EXIT_INTERNAL: u8 = 3;

#[derive(Parser)]
#[command(
    name = "jobsim",
    version,
    about = "A deterministic discrete-event simulator of Kubernetes batch/v1 Jobs",
    long_about = "A deterministic discrete-event simulator of Kubernetes batch/v1 Jobs.\n\n\
        It runs a scenario (a cluster, real Job manifests, how their containers behave) on a \
        virtual clock through a model of the upstream Job controller, scheduler and kubelets, \
        and reports completion times, retries and wasted pod-seconds. The same scenario and \
        seed always give byte-identical output.\n\n\
        With no command, `jobsim` runs the embedded default scenario.",
    after_help = "Examples:\n  \
        jobsim                                     run the embedded default scenario\n  \
        jobsim run scenarios/examples/fleet.yaml   run a scenario file\n  \
        jobsim run my.yaml --seed 7 --json > out.json\n  \
        jobsim validate scenarios/examples/*.yaml  check files without running them\n  \
        jobsim check tests/conformance/*.yaml      run scenarios and check their expectations\n\n\
        Exit codes: 0 ok, 1 an expectation was missed, 2 bad input, 3 internal error."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate one run of a scenario and print a per-Job table (or JSON).
    #[command(after_help = "Examples:\n  \
        jobsim run                                       the embedded default scenario\n  \
        jobsim run scenarios/examples/fleet.yaml --json  one JSON document on stdout\n  \
        jobsim run my.yaml --seed 7                      another base seed")]
    Run(RunArgs),
    /// Run scenarios and check their `expect:` entries; exit 1 if any is missed.
    #[command(after_help = "Examples:\n  \
        jobsim check tests/conformance/*.yaml\n  \
        jobsim check tests/conformance        every scenario file in the directory\n\n\
        Prints one line per expectation: `ok` or `MISSED` with what was expected and what \
        happened. Exit code 1 if any expectation was missed, 2 if a file is invalid.")]
    Check {
        /// Scenario files, or directories of them.
        #[arg(required = true, value_name = "SCENARIO")]
        files: Vec<PathBuf>,
    },
    /// Check scenario files (the scenario's keys and its Job manifests) without running.
    #[command(after_help = "Examples:\n  \
        jobsim validate scenarios/examples/*.yaml\n\n\
        Every problem is printed as file:line:column: key.path: message; exit code 2 if any.")]
    Validate {
        /// Scenario files, or directories of them.
        #[arg(required = true, value_name = "SCENARIO")]
        files: Vec<PathBuf>,
    },
}

#[derive(Args, Default)]
struct RunArgs {
    /// Scenario file; the embedded default scenario if omitted.
    #[arg(value_name = "SCENARIO")]
    scenario: Option<PathBuf>,
    /// Base seed, instead of the scenario's `seed`.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Variant to run (default: the first).
    #[arg(long, value_name = "V")]
    variant: Option<String>,
    /// Print one JSON document (schemaVersion 1, see reports/src/lib.rs) instead of the table.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => run(RunArgs::default()),
        Some(Command::Run(args)) => run(args),
        Some(Command::Validate { files }) => validate(&files),
        Some(Command::Check { files }) => check(&files),
    }
}

fn load(path: Option<&PathBuf>) -> Result<Scenario, LoadError> {
    match path {
        Some(p) => scenarios::load_file(p),
        None => scenarios::embedded("default"),
    }
}

fn print_warnings(s: &Scenario) {
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
}

fn run(args: RunArgs) -> ExitCode {
    let scenario = match load(args.scenario.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    print_warnings(&scenario);
    let variants = scenario.variants();
    let variant = match args.variant {
        None => variants[0].clone(),
        Some(v) if variants.contains(&v) => v,
        Some(v) => {
            eprintln!(
                "error: no variant {v:?} in scenario {:?}; its variants: {}",
                scenario.name,
                variants.join(", ")
            );
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let req = RunRequest {
        variant: variant.clone(),
        seed: args.seed.unwrap_or(scenario.seed),
        run: 0,
    };
    let (seed, run) = (req.seed, req.run);
    let run_seed = sim_core::run_seed(seed, run);
    let outcome = match scenarios::runner::run(&scenario, &req) {
        Ok(o) => o,
        Err(job_model::SimError::Budget(e)) => {
            eprintln!("error: {}: {e}", scenario.file);
            return ExitCode::from(EXIT_BAD_INPUT);
        }
        Err(e) => {
            eprintln!("internal error: {e} (please report it with the scenario file)");
            return ExitCode::from(EXIT_INTERNAL);
        }
    };
    let spec = scenario
        .variant_run(&variant)
        .expect("the variant was checked above");
    let meta = reports::RunMeta {
        scenario: scenario.name.clone(),
        kubernetes: spec.version.to_string(),
        other_variants: variants
            .iter()
            .filter(|v| **v != variant)
            .cloned()
            .collect(),
        variant,
        seed,
        run,
        run_seed,
        horizon: spec.horizon,
        pools: spec
            .node_pools
            .iter()
            .map(|p| reports::PoolMeta {
                name: p.name.clone(),
                nodes: u64::from(p.count),
                cpu_milli: p.capacity.cpu_milli,
                price_per_hour: p.price_per_hour,
            })
            .collect(),
    };
    if args.json {
        let doc = reports::run_json(&meta, &outcome);
        let text = serde_json::to_string_pretty(&doc).expect("a JSON value serializes");
        println!("{text}");
    } else {
        print!("{}", reports::run_table(&meta, &outcome));
    }
    ExitCode::SUCCESS
}

/// The scenario files named on the command line: a directory stands for its own
/// `*.yaml`, `*.yml` and `*.json` files (not those of its subdirectories, which hold
/// manifests in the examples' layout), in name order. `None` after saying why not.
fn scenario_files(args: &[PathBuf]) -> Option<Vec<PathBuf>> {
    match expand_scenario_dirs(args) {
        Ok(files) => Some(files),
        Err(e) => {
            eprintln!("{e}");
            None
        }
    }
}

fn expand_scenario_dirs(args: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for a in args {
        if !a.is_dir() {
            out.push(a.clone());
            continue;
        }
        let entries = std::fs::read_dir(a).map_err(|e| format!("error: {}: {e}", a.display()))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.extension()
                        .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
            })
            .collect();
        if found.is_empty() {
            return Err(format!(
                "error: {}: a directory with no scenario files (*.yaml, *.yml, *.json)",
                a.display()
            ));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

fn validate(args: &[PathBuf]) -> ExitCode {
    let Some(files) = scenario_files(args) else {
        return ExitCode::from(EXIT_BAD_INPUT);
    };
    let mut bad = false;
    for f in &files {
        match scenarios::load_file(f) {
            Ok(s) => {
                print_warnings(&s);
                println!(
                    "{}: ok (scenario {:?}, Kubernetes {}, {} jobs, {} node pools)",
                    f.display(),
                    s.name,
                    s.run.version,
                    s.run.jobs.len(),
                    s.run.node_pools.len()
                );
            }
            Err(e) => {
                eprintln!("{e}");
                bad = true;
            }
        }
    }
    if bad {
        ExitCode::from(EXIT_BAD_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}

fn check(args: &[PathBuf]) -> ExitCode {
    let Some(files) = scenario_files(args) else {
        return ExitCode::from(EXIT_BAD_INPUT);
    };
    let (mut bad, mut missed, mut total) = (false, 0usize, 0usize);
    for f in &files {
        let scenario = match scenarios::load_file(f) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{e}");
                bad = true;
                continue;
            }
        };
        print_warnings(&scenario);
        if scenario.expectations.is_empty() {
            println!("{}: no expectations", f.display());
            continue;
        }
        let checks = match scenarios::runner::check(&scenario) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {}: {e}", f.display());
                bad = true;
                continue;
            }
        };
        for vc in checks {
            for r in vc.results {
                total += 1;
                let place = match r.at_location {
                    Some(l) => format!("{}:{}", f.display(), l.line),
                    None => f.display().to_string(),
                };
                let head = format!(
                    "{place}: expect[{}] {} ({})",
                    r.index, r.subject, vc.variant
                );
                if r.ok() {
                    println!("ok      {head}: {}", r.checked.join("; "));
                } else {
                    missed += 1;
                    println!("MISSED  {head}: {}", r.misses.join("; "));
                }
            }
        }
    }
    println!(
        "{total} expectations: {} ok, {missed} missed",
        total - missed
    );
    if bad {
        ExitCode::from(EXIT_BAD_INPUT)
    } else if missed > 0 {
        ExitCode::from(EXIT_MISSED)
    } else {
        ExitCode::SUCCESS
    }
}
