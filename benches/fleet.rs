//! The fleet benchmark: `cargo bench --bench fleet`.
//!
//! Runs scenarios/examples/fleet.yaml (2,000 Indexed Jobs x 50 completions on 200
//! nodes) and prints pods simulated, events, wall time, pods/s, events/s and peak
//! memory. If a Python with SimPy is found (`$SIMPY_PYTHON`, /tmp/simpy/bin/python,
//! python3), it runs ../shared/bench/simpy_fleet.py in the same invocation and prints
//! the ratio of jobsim's pods/s to SimPy's.
//!
//! Options (after `--`): `--runs N` (default 3; the median run is reported),
//! `--scenario FILE`, `--seed N`, `--no-peer`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use job_model::{RunOptions, simulate};

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn find_simpy() -> Option<String> {
    let mut candidates = Vec::new();
    if let Ok(p) = std::env::var("SIMPY_PYTHON") {
        candidates.push(p);
    }
    candidates.push("/tmp/simpy/bin/python".into());
    candidates.push("python3".into());
    candidates.into_iter().find(|py| {
        Command::new(py)
            .args(["-c", "import simpy"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut runs = 3usize;
    let mut scenario = root.join("scenarios/examples/fleet.yaml");
    let mut seed: Option<u64> = None;
    let mut peer = true;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(3).max(1),
            "--scenario" => scenario = PathBuf::from(args.next().expect("--scenario FILE")),
            "--seed" => seed = args.next().and_then(|v| v.parse().ok()),
            "--no-peer" => peer = false,
            "--bench" => {}
            other => eprintln!("ignoring argument {other:?}"),
        }
    }
    let t0 = Instant::now();
    let s = scenarios::load_file(&scenario).unwrap_or_else(|e| panic!("{e}"));
    let load = t0.elapsed();
    let opts = RunOptions {
        seed: sim_core::run_seed(seed.unwrap_or(s.seed), 0),
        ..RunOptions::default()
    };
    let mut samples = Vec::new();
    let mut pods = 0;
    let mut events = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let out = simulate(s.run.clone(), &opts).expect("the fleet runs");
        let wall = t.elapsed().as_secs_f64();
        pods = out.pods_created();
        events = out.events;
        samples.push(wall);
    }
    samples.sort_by(f64::total_cmp);
    let wall = samples[samples.len() / 2];
    let pods_per_s = pods as f64 / wall;
    println!("jobsim fleet benchmark ({})", scenario.display());
    println!("  scenario load      {:>12.3} s", load.as_secs_f64());
    println!("  runs               {runs:>12} (median reported; all: {samples:.3?})");
    println!("  pods simulated     {pods:>12}");
    println!("  events             {events:>12}");
    println!("  wall time          {wall:>12.3} s");
    println!("  pods/s             {pods_per_s:>12.0}");
    println!("  events/s           {:>12.0}", events as f64 / wall);
    match peak_rss_mib() {
        Some(m) => println!("  peak memory (RSS)  {m:>12.1} MiB"),
        None => println!("  peak memory (RSS)  unavailable on this platform"),
    }
    if !peer {
        return;
    }
    let script = root.join("../shared/bench/simpy_fleet.py");
    let Some(py) = find_simpy() else {
        println!("SimPy peer: skipped (no python with simpy; set SIMPY_PYTHON)");
        return;
    };
    if !script.exists() {
        println!("SimPy peer: skipped ({} not found)", script.display());
        return;
    }
    let out = Command::new(&py)
        .arg(&script)
        .output()
        .expect("python runs");
    if !out.status.success() {
        println!(
            "SimPy peer: failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return;
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim()).expect("simpy prints JSON");
    let simpy_pods_s = v["pods_per_s"].as_f64().unwrap_or(f64::NAN);
    println!("SimPy peer ({py} {})", script.display());
    println!("  {}", line.trim());
    println!("  pods simulated     {:>12}", v["pods"]);
    println!("  wall time          {:>12} s", v["wall_s"]);
    println!("  pods/s             {simpy_pods_s:>12.0}");
    println!(
        "ratio jobsim/SimPy pods/s: {:.1}x",
        pods_per_s / simpy_pods_s
    );
}
