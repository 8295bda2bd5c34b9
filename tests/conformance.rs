//! Every scenario under tests/conformance/ (one behaviour each) and tests/blind/
//! (written from upstream semantics without reading jobsim) passes `jobsim check`: the
//! same loading, simulation and expectation code the CLI runs.

use std::path::{Path, PathBuf};

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
        .collect();
    files.sort();
    files
}

fn conformance_files() -> Vec<PathBuf> {
    yaml_files("tests/conformance")
}

/// Runs `check` on a file: its misses, each as one line.
fn misses(f: &Path) -> Result<(usize, Vec<String>), String> {
    let name = f.file_name().unwrap().to_string_lossy().to_string();
    let s = scenarios::load_file(f).map_err(|e| format!("{name}: does not load:\n{e}"))?;
    if s.expectations.is_empty() {
        return Err(format!("{name}: has no expectations"));
    }
    let checks = scenarios::runner::check(&s).map_err(|e| format!("{name}: run failed: {e}"))?;
    let mut checked = 0;
    let mut out = Vec::new();
    for vc in checks {
        for r in vc.results {
            checked += 1;
            if !r.ok() {
                out.push(format!(
                    "{name}: expect[{}] {} ({}): {}",
                    r.index,
                    r.subject,
                    vc.variant,
                    r.misses.join("; ")
                ));
            }
        }
    }
    Ok((checked, out))
}

#[test]
fn every_blind_case_meets_its_expectations() {
    // Every folder of tests/blind but validation/ (run by tests/cli.rs).
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/blind");
    let mut areas: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir() && e.file_name() != "validation")
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    areas.sort();
    assert!(areas.len() >= 18, "only {} blind areas", areas.len());
    let mut files = Vec::new();
    for area in &areas {
        files.extend(yaml_files(&format!("tests/blind/{area}")));
    }
    assert!(files.len() >= 250, "only {} blind cases", files.len());
    let mut failures = Vec::new();
    let mut checked = 0;
    for f in &files {
        match misses(f) {
            Ok((n, m)) => {
                checked += n;
                failures.extend(m);
            }
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "{} misses in {} files ({checked} expectations checked):\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn every_conformance_scenario_meets_its_expectations() {
    let files = conformance_files();
    assert!(
        files.len() >= 120,
        "only {} conformance scenarios",
        files.len()
    );
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut legacy = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        match scenarios::load_file(f) {
            Ok(s) => {
                legacy += usize::from(s.run.version.minor() == 21);
                if s.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
                    failures.push(format!(
                        "{name}: names no upstream test or document section"
                    ));
                }
            }
            Err(e) => {
                failures.push(format!("{name}: does not load:\n{e}"));
                continue;
            }
        }
        match misses(f) {
            Ok((n, m)) => {
                checked += n;
                failures.extend(m);
            }
            Err(e) => failures.push(e),
        }
    }
    assert!(legacy >= 15, "only {legacy} scenarios on the 1.21 profile");
    assert!(
        failures.is_empty(),
        "{} of {} files failed ({checked} expectations checked):\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn every_conformance_scenario_is_listed_in_docs_semantics() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/semantics.md"))
            .expect("docs/semantics.md exists");
    let missing: Vec<String> = conformance_files()
        .iter()
        .map(|f| f.file_stem().unwrap().to_string_lossy().to_string())
        .filter(|name| !doc.contains(name.as_str()))
        .collect();
    assert!(missing.is_empty(), "not in docs/semantics.md: {missing:?}");
}
