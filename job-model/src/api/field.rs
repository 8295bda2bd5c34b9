//! Field errors in the API server's shape (`k8s.io/apimachinery/pkg/util/validation/field`).

use std::fmt;

/// The offending value, printed the way `field.Error` prints it (strings quoted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadValue {
    /// An integer.
    Int(i64),
    /// A string (printed quoted).
    Str(String),
    /// A boolean.
    Bool(bool),
    /// `null`.
    Null,
    /// Printed as given.
    Raw(String),
    /// Not printed (`field.OmitValueType`): `Invalid value: <detail>`.
    Omitted,
}

impl fmt::Display for BadValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadValue::Int(i) => write!(f, "{i}"),
            BadValue::Str(s) => write!(f, "{s:?}"),
            BadValue::Bool(b) => write!(f, "{b}"),
            BadValue::Null => f.write_str("null"),
            BadValue::Raw(s) => f.write_str(s),
            BadValue::Omitted => Ok(()),
        }
    }
}

impl From<i64> for BadValue {
    fn from(v: i64) -> Self {
        BadValue::Int(v)
    }
}
impl From<i32> for BadValue {
    fn from(v: i32) -> Self {
        BadValue::Int(v.into())
    }
}
impl From<&str> for BadValue {
    fn from(v: &str) -> Self {
        BadValue::Str(v.to_string())
    }
}
impl From<String> for BadValue {
    fn from(v: String) -> Self {
        BadValue::Str(v)
    }
}
impl From<bool> for BadValue {
    fn from(v: bool) -> Self {
        BadValue::Bool(v)
    }
}

/// What kind of validation failure (the `field.ErrorType`s the Job validation uses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldErrorKind {
    /// `Invalid value: <v>: <detail>`
    Invalid(BadValue),
    /// `Required value: <detail>`
    Required,
    /// `Unsupported value: <v>: supported values: "a", "b"`
    NotSupported(BadValue, Vec<&'static str>),
    /// `Duplicate value: <v>`
    Duplicate(BadValue),
    /// `Too many: <n>: must have at most <m> items`
    TooMany(usize, usize),
    /// `Too long: may not be more than <n> bytes`
    TooLong(usize),
    /// `Forbidden: <detail>`
    Forbidden,
}

/// One validation failure at a field path, e.g.
/// `spec.parallelism: Invalid value: -1: must be greater than or equal to 0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field path as the API server writes it (`spec.template.spec.containers[0].name`).
    pub path: String,
    /// The failure.
    pub kind: FieldErrorKind,
    /// Extra explanation.
    pub detail: String,
}

impl FieldError {
    /// `Invalid value`.
    pub fn invalid(
        path: impl Into<String>,
        value: impl Into<BadValue>,
        detail: impl Into<String>,
    ) -> Self {
        FieldError {
            path: path.into(),
            kind: FieldErrorKind::Invalid(value.into()),
            detail: detail.into(),
        }
    }
    /// `Required value`.
    pub fn required(path: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            path: path.into(),
            kind: FieldErrorKind::Required,
            detail: detail.into(),
        }
    }
    /// `Unsupported value`.
    pub fn not_supported(
        path: impl Into<String>,
        value: impl Into<BadValue>,
        supported: &[&'static str],
    ) -> Self {
        FieldError {
            path: path.into(),
            kind: FieldErrorKind::NotSupported(value.into(), supported.to_vec()),
            detail: String::new(),
        }
    }
    /// `Duplicate value`.
    pub fn duplicate(path: impl Into<String>, value: impl Into<BadValue>) -> Self {
        FieldError {
            path: path.into(),
            kind: FieldErrorKind::Duplicate(value.into()),
            detail: String::new(),
        }
    }
    /// `Too many`.
    pub fn too_many(path: impl Into<String>, actual: usize, max: usize) -> Self {
        FieldError {
            path: path.into(),
            kind: FieldErrorKind::TooMany(actual, max),
            detail: String::new(),
        }
    }
    /// `Too long`.
    pub fn too_long(path: impl Into<String>, max: usize) -> Self {
        FieldError {
            path: path.into(),
            kind: FieldErrorKind::TooLong(max),
            detail: String::new(),
        }
    }
    /// `Forbidden`.
    pub fn forbidden(path: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            path: path.into(),
            kind: FieldErrorKind::Forbidden,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path)?;
        match &self.kind {
            FieldErrorKind::Invalid(BadValue::Omitted) => f.write_str("Invalid value")?,
            FieldErrorKind::Invalid(v) => write!(f, "Invalid value: {v}")?,
            FieldErrorKind::Required => f.write_str("Required value")?,
            FieldErrorKind::NotSupported(v, supported) => {
                write!(f, "Unsupported value: {v}")?;
                if !supported.is_empty() {
                    let list: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
                    write!(f, ": supported values: {}", list.join(", "))?;
                }
            }
            FieldErrorKind::Duplicate(v) => write!(f, "Duplicate value: {v}")?,
            FieldErrorKind::TooMany(n, max) => {
                write!(f, "Too many: {n}: must have at most {max} items")?
            }
            FieldErrorKind::TooLong(max) => {
                write!(f, "Too long: may not be more than {max} bytes")?
            }
            FieldErrorKind::Forbidden => f.write_str("Forbidden")?,
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// A field path under construction: `p.child("spec").index(0)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath(String);

impl FieldPath {
    /// The path `root`.
    pub fn new(root: &str) -> Self {
        FieldPath(root.to_string())
    }
    /// `self.name`.
    pub fn child(&self, name: &str) -> Self {
        if self.0.is_empty() {
            FieldPath(name.to_string())
        } else {
            FieldPath(format!("{}.{name}", self.0))
        }
    }
    /// `self[i]`.
    pub fn index(&self, i: usize) -> Self {
        FieldPath(format!("{}[{i}]", self.0))
    }
    /// `self[key]`.
    pub fn key(&self, key: &str) -> Self {
        FieldPath(format!("{}[{key}]", self.0))
    }
    /// The path text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&FieldPath> for String {
    fn from(p: &FieldPath) -> String {
        p.0.clone()
    }
}

impl From<FieldPath> for String {
    fn from(p: FieldPath) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_the_api_server() {
        let e = FieldError::invalid(
            "spec.parallelism",
            -1i64,
            "must be greater than or equal to 0",
        );
        assert_eq!(
            e.to_string(),
            "spec.parallelism: Invalid value: -1: must be greater than or equal to 0"
        );
        let e = FieldError::not_supported(
            "spec.template.spec.restartPolicy",
            "Always",
            &["OnFailure", "Never"],
        );
        assert_eq!(
            e.to_string(),
            "spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""
        );
        let e = FieldError::required("spec.completions", "when completion mode is Indexed");
        assert_eq!(
            e.to_string(),
            "spec.completions: Required value: when completion mode is Indexed"
        );
        assert_eq!(
            FieldError::too_many("spec.podFailurePolicy.rules", 21, 20).to_string(),
            "spec.podFailurePolicy.rules: Too many: 21: must have at most 20 items"
        );
    }
}
