//! YAML with locations: parses a document into a `serde_json::Value` plus a
//! [`SourceMap`] from every key path (`jobs.pi.behavior.failures[0].after`) to the line
//! and column where it was written, so any later error can point into the file.
//!
//! Scalars resolve by the YAML 1.2 core schema (`true`, `~`, `0x1F`, `1e3`; quoted
//! scalars are strings). Duplicate keys are errors, as Kubernetes' strict decoding
//! makes them. Anchors and aliases work, and so do merge keys (`<<: *base` or
//! `<<: [*a, *b]`, YAML 1.1's merge type, which Kubernetes users write): the merged
//! mappings' keys are added unless the mapping writes them itself.

use std::collections::BTreeMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::{Map, Number, Value};

/// A position in a file, 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
}

impl Location {
    fn of(span: &Span) -> Self {
        Location {
            line: span.start.line(),
            col: span.start.col() + 1,
        }
    }
}

/// Where every key path of a document was written.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    at: BTreeMap<String, Location>,
}

impl SourceMap {
    /// The location of `path`, or of its nearest written ancestor (a defaulted field
    /// has no location of its own).
    ///
    /// ```
    /// let (_, map) = scenarios::yaml::parse("a:\n  b: 1\n").unwrap();
    /// assert_eq!(map.locate("a.b").unwrap().line, 2);
    /// assert_eq!(map.locate("a.c").unwrap().line, 1);
    /// ```
    pub fn locate(&self, path: &str) -> Option<Location> {
        let mut p = path;
        loop {
            if let Some(l) = self.at.get(p) {
                return Some(*l);
            }
            if p.is_empty() {
                return None;
            }
            p = parent(p);
        }
    }
}

/// `a.b[2]` -> `a.b`, `a.b` -> `a`, `a` -> ``.
pub fn parent(path: &str) -> &str {
    match path.rfind(['.', '[']) {
        Some(i) => &path[..i],
        None => "",
    }
}

/// The last map key of a path: `a.b[2]` -> `b[2]`, `a.b` -> `b`.
pub fn last_segment(path: &str) -> &str {
    match path.rfind('.') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// Appends a map key to a path.
pub fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A syntax error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    /// Where.
    pub at: Location,
    /// The key path, if inside a mapping.
    pub path: String,
    /// What.
    pub message: String,
}

enum Frame {
    Seq(Vec<Value>, String, Option<usize>),
    Map(Map<String, Value>, String, Option<String>, Option<usize>),
}

/// Parses one YAML document (an empty file is `null`).
pub fn parse(text: &str) -> Result<(Value, SourceMap), YamlError> {
    let mut map = SourceMap::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: BTreeMap<usize, Value> = BTreeMap::new();
    let mut root: Option<Value> = None;
    let mut documents = 0;
    let err = |span: &Span, path: &str, message: String| YamlError {
        at: Location::of(span),
        path: path.to_string(),
        message,
    };
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| YamlError {
            at: Location {
                line: e.marker().line(),
                col: e.marker().col() + 1,
            },
            path: String::new(),
            message: e.info().to_string(),
        })?;
        // The path a value arriving now would have, and whether it is a key.
        let (here, is_key) = match stack.last() {
            None => (String::new(), false),
            Some(Frame::Seq(items, p, _)) => (format!("{p}[{}]", items.len()), false),
            Some(Frame::Map(_, p, None, _)) => (p.clone(), true),
            Some(Frame::Map(_, p, Some(k), _)) => (child(p, k), false),
        };
        let value = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => {
                continue;
            }
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(err(
                        &span,
                        "",
                        "expected a single YAML document, found another `---`".into(),
                    ));
                }
                continue;
            }
            Event::SequenceStart(anchor, _) => {
                if is_key {
                    return Err(err(&span, &here, "a mapping key must be a scalar".into()));
                }
                map.at.entry(here.clone()).or_insert(Location::of(&span));
                stack.push(Frame::Seq(Vec::new(), here, nonzero(anchor)));
                continue;
            }
            Event::MappingStart(anchor, _) => {
                if is_key {
                    return Err(err(&span, &here, "a mapping key must be a scalar".into()));
                }
                map.at.entry(here.clone()).or_insert(Location::of(&span));
                stack.push(Frame::Map(Map::new(), here, None, nonzero(anchor)));
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items, _, anchor)) => {
                    remember(&mut anchors, anchor, Value::Array(items))
                }
                _ => unreachable!("parser emits balanced sequence events"),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(mut m, p, _, anchor)) => {
                    if let Some(merged) = m.remove(MERGE_KEY) {
                        let at = map.at.remove(&child(&p, MERGE_KEY));
                        merge_into(&mut m, merged).map_err(|msg| YamlError {
                            at: at.unwrap_or(Location::of(&span)),
                            path: child(&p, MERGE_KEY),
                            message: msg,
                        })?;
                        for k in m.keys() {
                            if let Some(at) = at {
                                map.at.entry(child(&p, k)).or_insert(at);
                            }
                        }
                    }
                    remember(&mut anchors, anchor, Value::Object(m))
                }
                _ => unreachable!("parser emits balanced mapping events"),
            },
            Event::Alias(id) => match anchors.get(&id) {
                Some(v) => v.clone(),
                None => return Err(err(&span, &here, "unknown alias".into())),
            },
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                let v = resolve_scalar(&text, style, tag.as_deref())
                    .map_err(|m| err(&span, &here, m))?;
                if is_key {
                    let key = match v {
                        Value::String(s) => s,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    let Some(Frame::Map(m, p, pending, _)) = stack.last_mut() else {
                        unreachable!()
                    };
                    let path = child(p, &key);
                    if m.contains_key(&key) {
                        let first = map.at.get(&path).copied();
                        let mut msg = format!("duplicate key {key:?}");
                        if let Some(f) = first {
                            msg.push_str(&format!(" (first at line {})", f.line));
                        }
                        return Err(err(&span, &path, msg));
                    }
                    map.at.insert(path, Location::of(&span));
                    *pending = Some(key);
                    continue;
                }
                map.at.entry(here.clone()).or_insert(Location::of(&span));
                remember(&mut anchors, nonzero(anchor), v)
            }
        };
        match stack.last_mut() {
            None => root = Some(value),
            Some(Frame::Seq(items, _, _)) => items.push(value),
            Some(Frame::Map(m, _, pending, _)) => {
                let key = pending.take().expect("a value follows its key");
                m.insert(key, value);
            }
        }
    }
    Ok((root.unwrap_or(Value::Null), map))
}

const MERGE_KEY: &str = "<<";

/// YAML 1.1 merge: the keys of `merged` (a mapping, or a list of mappings where the
/// earlier wins) that `m` does not have.
fn merge_into(m: &mut Map<String, Value>, merged: Value) -> Result<(), String> {
    let sources = match merged {
        Value::Object(o) => vec![o],
        Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                Value::Object(o) => Ok(o),
                _ => Err(()),
            })
            .collect::<Result<Vec<_>, ()>>()
            .map_err(|()| "a merge key `<<` takes a mapping or a list of mappings".to_string())?,
        _ => return Err("a merge key `<<` takes a mapping or a list of mappings".into()),
    };
    for o in sources {
        for (k, v) in o {
            m.entry(k).or_insert(v);
        }
    }
    Ok(())
}

fn nonzero(anchor: usize) -> Option<usize> {
    (anchor != 0).then_some(anchor)
}

fn remember(anchors: &mut BTreeMap<usize, Value>, anchor: Option<usize>, v: Value) -> Value {
    if let Some(a) = anchor {
        anchors.insert(a, v.clone());
    }
    v
}

/// The YAML 1.2 core schema.
fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&str>) -> Result<Value, String> {
    match tag {
        Some("tag:yaml.org,2002:str") | Some("!!str") => return Ok(Value::String(text.into())),
        Some(t) if !t.is_empty() && !t.starts_with("tag:yaml.org,2002:") && t != "!" => {
            return Err(format!("unsupported YAML tag {t:?}"));
        }
        _ => {}
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.into()));
    }
    Ok(match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => {
            if let Some(n) = parse_int(text) {
                Value::Number(n)
            } else if let Some(f) = parse_float(text) {
                match Number::from_f64(f) {
                    Some(n) => Value::Number(n),
                    None => Value::String(text.into()),
                }
            } else {
                Value::String(text.into())
            }
        }
    })
}

fn parse_int(t: &str) -> Option<Number> {
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (radix, body) = if let Some(h) = digits.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = digits.strip_prefix("0o") {
        (8, o)
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i128::from_str_radix(body, radix).ok()?;
    let v = if neg { -v } else { v };
    if let Ok(u) = u64::try_from(v) {
        Some(Number::from(u))
    } else {
        i64::try_from(v).ok().map(Number::from)
    }
}

fn parse_float(t: &str) -> Option<f64> {
    let body = t.trim_start_matches(['-', '+']);
    let numeric = body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && body.chars().any(|c| c.is_ascii_digit())
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'));
    if numeric { t.parse().ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_nested_keys_and_sequence_items() {
        let text = "a:\n  b:\n    - x: 1\n    - y: \"2\"\n";
        let (v, map) = parse(text).unwrap();
        assert_eq!(v["a"]["b"][1]["y"], Value::String("2".into()));
        assert_eq!(map.locate("a.b[1].y"), Some(Location { line: 4, col: 7 }));
        assert_eq!(map.locate("a.b[0]").unwrap().line, 3);
    }

    #[test]
    fn resolves_core_schema_scalars() {
        let (v, _) = parse("[1, -2, 0x10, 1.5, true, ~, '3', 1.31, 5m]").unwrap();
        assert_eq!(
            v,
            serde_json::json!([1, -2, 16, 1.5, true, null, "3", 1.31, "5m"])
        );
    }

    #[test]
    fn rejects_duplicate_keys_with_both_lines() {
        let e = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(e.at.line, 3);
        assert_eq!(e.path, "a");
        assert!(e.message.contains("first at line 1"), "{}", e.message);
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.at.line >= 1, "{e:?}");
    }

    #[test]
    fn merge_keys_add_the_keys_a_mapping_does_not_write() {
        let text = "base: &b {x: 1, y: 2}\nother: &o {z: 3, x: 9}\nm:\n  <<: [*b, *o]\n  y: 5\n";
        let (v, map) = parse(text).unwrap();
        assert_eq!(v["m"], serde_json::json!({"x": 1, "y": 5, "z": 3}));
        assert_eq!(map.locate("m.x").unwrap().line, 4);
        assert_eq!(map.locate("m.y").unwrap().line, 5);
        let e = parse("m:\n  <<: 3\n").unwrap_err();
        assert!(e.message.contains("merge key"), "{}", e.message);
        assert_eq!(e.at.line, 2);
    }

    #[test]
    fn aliases_copy_the_anchored_value() {
        let (v, _) = parse("a: &x {k: 1}\nb: *x\n").unwrap();
        assert_eq!(v["b"]["k"], 1);
    }
}
