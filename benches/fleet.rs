//! The fleet benchmark: `cargo bench --bench fleet`.
//!
//! Runs scenarios/examples/fleet.yaml (2,000 Indexed Jobs x 50 completions on 200
//! nodes) and prints pods simulated, events, wall time, pods/s, events/s and peak
//! memory. If a Python with SimPy is found (`$SIMPY_PYTHON`, /tmp/simpy/bin/python,
//! python3), it runs ../shared/bench/simpy_fleet.py in the same invocation and prints
//! the ratio of jobsim's pods/s to SimPy's.
//!
//! Both engines run several times, one after the other on the same machine, and the
//! fastest run of each is compared: on a shared machine the fastest run is the one
//! least disturbed by other work, and both engines are treated the same way. Every
//! run's time is printed too.
//!
//! Options (after `--`): `--runs N` (jobsim runs, default 5), `--peer-runs N` (SimPy
//! runs, default 3), `--scenario FILE`, `--seed N`, `--no-peer`.

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

struct Options {
    runs: usize,
    peer_runs: usize,
    scenario: PathBuf,
    seed: Option<u64>,
    peer: bool,
}

fn options(root: &Path) -> Options {
    let mut o = Options {
        runs: 5,
        peer_runs: 3,
        scenario: root.join("scenarios/examples/fleet.yaml"),
        seed: None,
        peer: true,
    };
    let mut args = std::env::args().skip(1);
    let count = |v: Option<String>, default: usize| {
        v.and_then(|v| v.parse().ok()).unwrap_or(default).max(1)
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => o.runs = count(args.next(), 5),
            "--peer-runs" => o.peer_runs = count(args.next(), 3),
            "--scenario" => o.scenario = PathBuf::from(args.next().expect("--scenario FILE")),
            "--seed" => o.seed = args.next().and_then(|v| v.parse().ok()),
            "--no-peer" => o.peer = false,
            "--bench" => {}
            other => eprintln!("ignoring argument {other:?}"),
        }
    }
    o
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = options(root);
    let t0 = Instant::now();
    let s = scenarios::load_file(&o.scenario).unwrap_or_else(|e| panic!("{e}"));
    let load = t0.elapsed();
    let opts = RunOptions {
        seed: sim_core::run_seed(o.seed.unwrap_or(s.seed), 0),
        ..RunOptions::default()
    };
    let mut walls = Vec::new();
    let (mut pods, mut events) = (0, 0);
    for _ in 0..o.runs {
        let t = Instant::now();
        let out = simulate(s.run.clone(), &opts).expect("the fleet runs");
        walls.push(t.elapsed().as_secs_f64());
        pods = out.pods_created();
        events = out.events;
    }
    let wall = walls.iter().copied().fold(f64::INFINITY, f64::min);
    let pods_per_s = pods as f64 / wall;
    println!("jobsim fleet benchmark ({})", o.scenario.display());
    println!("  scenario load      {:>12.3} s", load.as_secs_f64());
    println!(
        "  runs               {:>12} (fastest reported; all: {walls:.3?})",
        o.runs
    );
    println!("  pods simulated     {pods:>12}");
    println!("  events             {events:>12}");
    println!("  wall time          {wall:>12.3} s");
    println!("  pods/s             {pods_per_s:>12.0}");
    println!("  events/s           {:>12.0}", events as f64 / wall);
    match peak_rss_mib() {
        Some(m) => println!("  peak memory (RSS)  {m:>12.1} MiB"),
        None => println!("  peak memory (RSS)  unavailable on this platform"),
    }
    if !o.peer {
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
    let mut best: Option<serde_json::Value> = None;
    let mut peer_walls = Vec::new();
    for _ in 0..o.peer_runs {
        let out = Command::new(&py)
            .arg(&script)
            .output()
            .expect("python runs");
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            println!("SimPy peer: failed: {}", err.trim());
            return;
        }
        let line = String::from_utf8_lossy(&out.stdout);
        let v: serde_json::Value = serde_json::from_str(line.trim()).expect("simpy prints JSON");
        let w = v["wall_s"].as_f64().unwrap_or(f64::INFINITY);
        peer_walls.push(w);
        let best_w = best.as_ref().and_then(|b| b["wall_s"].as_f64());
        if best_w.is_none_or(|b| w < b) {
            best = Some(v);
        }
    }
    let v = best.expect("at least one SimPy run");
    let simpy_pods_s = v["pods_per_s"].as_f64().unwrap_or(f64::NAN);
    println!("SimPy peer ({py} {})", script.display());
    println!("  fastest run: {v}");
    println!(
        "  runs               {:>12} (fastest reported; all: {peer_walls:.3?})",
        o.peer_runs
    );
    println!("  pods simulated     {:>12}", v["pods"]);
    println!("  wall time          {:>12} s", v["wall_s"]);
    println!("  pods/s             {simpy_pods_s:>12.0}");
    println!(
        "ratio jobsim/SimPy pods/s: {:.1}x",
        pods_per_s / simpy_pods_s
    );
}
