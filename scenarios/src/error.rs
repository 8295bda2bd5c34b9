//! Errors that point into the file: `file:line:col: key.path: message`.

use std::fmt;

use crate::yaml::{Location, SourceMap};

/// One problem in a scenario (or a manifest it names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as the user named it (or `<embedded default>`).
    pub file: String,
    /// Where in it, if known.
    pub at: Option<Location>,
    /// The key path inside the file (`jobs.pi.behavior.runtime`), empty for the root.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(at) = self.at {
            write!(f, ":{}:{}", at.line, at.col)?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found; a scenario with any of them is never run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// The problems, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "error: {d}")?;
        }
        Ok(())
    }
}

impl From<Diagnostic> for LoadError {
    fn from(d: Diagnostic) -> Self {
        LoadError {
            diagnostics: vec![d],
        }
    }
}

/// A file being read: its name and where its keys are.
pub(crate) struct Source<'a> {
    pub file: &'a str,
    pub map: &'a SourceMap,
}

impl Source<'_> {
    /// A diagnostic at `path`.
    pub fn at(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: self.file.to_string(),
            at: self.map.locate(path),
            path: path.to_string(),
            message: message.into(),
        }
    }
}
