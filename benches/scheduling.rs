//! Scheduling at scale: `cargo bench --bench scheduling`.
//!
//! The same 100,000 pods (1,000 Indexed Jobs x 100 completions, lognormal 2m runs) on
//! the fleet's 200 nodes of 16 CPUs (3,200 pod slots), once with parallelism 5 (about
//! 1,800 pods pending at a time) and once with parallelism 23 (about 19,800 pending).
//! The scheduler keeps pending pods in per-class queues retried only against nodes
//! that changed, so the second run should be nearly as fast as the first: the bench
//! prints both speeds and their ratio (fastest of `--runs N`, default 3).

use std::time::Instant;

use job_model::{RunOptions, simulate};

fn scenario(parallelism: u32) -> String {
    format!(
        "name: scheduling-{parallelism}
kubernetes: \"1.31\"
horizon: 48h
cluster:
  nodePools:
    worker: {{count: 200, capacity: {{cpu: \"16\", memory: 64Gi}}}}
jobs:
  batch:
    arrivals: {{every: 0s, count: 1000}}
    job:
      apiVersion: batch/v1
      kind: Job
      spec:
        completionMode: Indexed
        completions: 100
        parallelism: {parallelism}
        template:
          spec:
            restartPolicy: Never
            containers: [{{name: w, image: w, resources: {{requests: {{cpu: \"1\", memory: 1Gi}}}}}}]
    behavior:
      runtime: {{lognormal: {{median: 2m, sigma: 0.5}}}}
"
    )
}

fn main() {
    let mut runs = 3usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--runs" {
            runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
        }
    }
    let mut speeds = Vec::new();
    for (parallelism, label) in [(5u32, "~1,800 pending"), (23, "~19,800 pending")] {
        let s = scenarios::load_str(&scenario(parallelism), "<scheduling bench>", None)
            .unwrap_or_else(|e| panic!("{e}"));
        let opts = RunOptions {
            seed: sim_core::run_seed(1, 0),
            ..RunOptions::default()
        };
        let mut best = f64::INFINITY;
        let mut pods = 0;
        let mut attempts = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let out = simulate(s.run.clone(), &opts).expect("runs");
            best = best.min(t.elapsed().as_secs_f64());
            pods = out.pods_created();
            attempts = out.scheduler_attempts;
        }
        let pods_per_s = pods as f64 / best;
        println!(
            "parallelism {parallelism:>2} ({label}): {pods} pods, {attempts} scheduling attempts, {best:.3} s, {pods_per_s:.0} pods/s"
        );
        speeds.push(pods_per_s);
    }
    println!(
        "speed with ~19,800 pending / speed with ~1,800 pending: {:.2}",
        speeds[1] / speeds[0]
    );
}
