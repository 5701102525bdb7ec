//! `attributes` and `excludedAttributes` (RFC 7644 §3.9): which attributes of a resource
//! a response carries.
//!
//! This is one function over the rendered SCIM JSON, and it lives in the gateway on
//! purpose: choosing attributes is presentation of a resource the core has already
//! computed, authorized and versioned, it applies to every resource type alike (Users,
//! Groups, and the mixed results of a root search), and it needs no schema knowledge
//! beyond the two attributes every resource returns always (`schemas`, `id`). Names match
//! ignoring ASCII case (RFC 7643 §2.1) in the three forms of RFC 7644 §3.10: `userName`,
//! `name.givenName` and URN-qualified `urn:…:enterprise:2.0:User:department` (or a whole
//! extension, `urn:…:enterprise:2.0:User`). A name the resource does not have selects
//! nothing. `password` is never rendered, so no projection can bring it back.
//!
//! Without either parameter nothing is rendered twice: callers keep the typed path and
//! only go through `serde_json::Value` when [`Projection::is_all`] is false.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::errors::ApiError;

/// Returned whatever the parameters say: the message structure and `id`, whose
/// `returned` characteristic is `always` (RFC 7643 §3.1, §7).
const ALWAYS: [&str; 2] = ["schemas", "id"];

/// Which attributes of a resource to render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Projection {
    /// The default set: no parameter was given.
    #[default]
    All,
    /// `attributes`: the `always` attributes plus these.
    Only(Vec<AttrName>),
    /// `excludedAttributes`: the default set minus these (never an `always` one).
    Except(Vec<AttrName>),
}

/// One attribute name as written in a parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttrName {
    /// The whole name, for a bare extension URN (`urn:…:enterprise:2.0:User`).
    full: String,
    /// The schema URN of a qualified name (`urn:…:2.0:User` of `urn:…:2.0:User:title`).
    urn: Option<String>,
    /// The attribute and, for `name.givenName`, the sub-attribute.
    path: Vec<String>,
}

impl Projection {
    /// Reads the two parameters, each a comma-separated list (empty entries ignored).
    /// Both at once is 400 `invalidValue`: RFC 7644 §3.9 makes them mutually exclusive.
    pub(crate) fn parse(attributes: &[&str], excluded: &[&str]) -> Result<Self, ApiError> {
        let attributes = names(attributes, "attributes")?;
        let excluded = names(excluded, "excludedAttributes")?;
        match (attributes.is_empty(), excluded.is_empty()) {
            (true, true) => Ok(Projection::All),
            (false, true) => Ok(Projection::Only(attributes)),
            (true, false) => Ok(Projection::Except(excluded)),
            (false, false) => Err(ApiError::invalid_value(
                "attributes and excludedAttributes are mutually exclusive (RFC 7644 §3.9)",
            )),
        }
    }

    /// Whether every default attribute is rendered.
    pub(crate) fn is_all(&self) -> bool {
        matches!(self, Projection::All)
    }

    /// Whether a top-level attribute of the core schema may be rendered; false lets the
    /// caller spare the core work it would take (e.g. the membership lookup of `groups`).
    pub(crate) fn may_return(&self, attr: &str) -> bool {
        let names_it = |n: &AttrName| n.path.first().is_some_and(|a| a.eq_ignore_ascii_case(attr));
        match self {
            Projection::All => true,
            // A qualified name might resolve to the core schema: keep it conservative.
            Projection::Only(names) => names.iter().any(|n| names_it(n) || n.urn.is_some()),
            Projection::Except(names) => !names
                .iter()
                .any(|n| n.urn.is_none() && n.path.len() == 1 && names_it(n)),
        }
    }

    /// Whether `attributes` names `attr.sub` itself (plain or qualified by `urn`): how a
    /// sub-attribute that is `returned: request` (RFC 7643 §7) is asked for. Naming only
    /// `attr` does not count.
    pub(crate) fn requests(&self, urn: &str, attr: &str, sub: &str) -> bool {
        let Projection::Only(names) = self else {
            return false;
        };
        names.iter().any(|n| {
            n.urn.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(urn))
                && matches!(n.path.as_slice(), [a, s] if a.eq_ignore_ascii_case(attr) && s.eq_ignore_ascii_case(sub))
        })
    }

    /// Renders `resource` and applies the projection to it.
    pub(crate) fn render<T: Serialize>(&self, resource: &T) -> Result<Value, ApiError> {
        let mut value = serde_json::to_value(resource).map_err(|error| {
            tracing::error!(%error, "could not render a resource");
            ApiError::internal()
        })?;
        if let Value::Object(object) = &mut value {
            self.apply(object);
        }
        Ok(value)
    }

    /// Applies the projection to a rendered resource in place.
    pub(crate) fn apply(&self, resource: &mut Map<String, Value>) {
        let names = match self {
            Projection::All => return,
            Projection::Only(names) | Projection::Except(names) => names,
        };
        let extensions: Vec<String> = resource
            .iter()
            .filter(|(key, value)| is_urn(key) && value.is_object())
            .map(|(key, _)| key.clone())
            .collect();
        let core_urns: Vec<String> = schema_urns(resource)
            .filter(|urn| !extensions.iter().any(|e| e.eq_ignore_ascii_case(urn)))
            .collect();
        let mut tree = Selection::default();
        for name in names {
            for path in name.resolve(&extensions, &core_urns, resource) {
                tree.insert(&path);
            }
        }
        match self {
            Projection::Only(_) => {
                let mut kept = Map::new();
                for (key, value) in std::mem::take(resource) {
                    let always = ALWAYS.iter().any(|a| a.eq_ignore_ascii_case(&key));
                    let value = if always {
                        Some(value)
                    } else {
                        tree.child(&key).and_then(|s| s.keep(value))
                    };
                    if let Some(value) = value {
                        kept.insert(key, value);
                    }
                }
                *resource = kept;
            }
            _ => {
                resource.retain(|key, value| {
                    ALWAYS.iter().any(|a| a.eq_ignore_ascii_case(key))
                        || tree.child(key).is_none_or(|s| s.drop_from(value))
                });
            }
        }
        // `schemas` names only the schemas whose attributes are present (RFC 7643 §3).
        let present: Vec<String> = resource.keys().filter(|k| is_urn(k)).cloned().collect();
        if let Some(Value::Array(schemas)) = resource.get_mut("schemas") {
            schemas.retain(|urn| {
                urn.as_str().is_none_or(|urn| {
                    core_urns.iter().any(|c| c == urn) || present.iter().any(|p| p.eq_ignore_ascii_case(urn))
                })
            });
        }
    }
}

/// The selected part of a value: all of it, or some of its keys (of every element of a
/// multi-valued attribute).
#[derive(Debug, Default)]
struct Selection {
    whole: bool,
    children: Vec<(String, Selection)>,
}

impl Selection {
    fn insert(&mut self, path: &[String]) {
        let Some((first, rest)) = path.split_first() else {
            self.whole = true;
            return;
        };
        let index = match self.children.iter().position(|(k, _)| k.eq_ignore_ascii_case(first)) {
            Some(index) => index,
            None => {
                self.children.push((first.clone(), Selection::default()));
                self.children.len() - 1
            }
        };
        self.children[index].1.insert(rest);
    }

    fn child(&self, key: &str) -> Option<&Selection> {
        self.children
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, s)| s)
    }

    /// The selected part of `value`, `None` when nothing selected is there.
    fn keep(&self, value: Value) -> Option<Value> {
        if self.whole {
            return Some(value);
        }
        match value {
            Value::Object(object) => {
                let kept: Map<String, Value> = object
                    .into_iter()
                    .filter_map(|(k, v)| Some((k.clone(), self.child(&k)?.keep(v)?)))
                    .collect();
                (!kept.is_empty()).then_some(Value::Object(kept))
            }
            Value::Array(items) => {
                let kept: Vec<Value> = items.into_iter().filter_map(|item| self.keep(item)).collect();
                (!kept.is_empty()).then_some(Value::Array(kept))
            }
            _ => None,
        }
    }

    /// Removes the selected part of `value`; false when nothing of it is left.
    fn drop_from(&self, value: &mut Value) -> bool {
        if self.whole {
            return false;
        }
        match value {
            Value::Object(object) => {
                object.retain(|k, v| self.child(k).is_none_or(|s| s.drop_from(v)));
                !object.is_empty()
            }
            Value::Array(items) => {
                items.retain_mut(|item| self.drop_from(item));
                !items.is_empty()
            }
            _ => true,
        }
    }
}

impl AttrName {
    /// The paths of keys this name selects in `resource` (none when it has no such
    /// attribute).
    fn resolve(&self, extensions: &[String], core_urns: &[String], resource: &Map<String, Value>) -> Vec<Vec<String>> {
        let Some(urn) = &self.urn else {
            return vec![self.path.clone()];
        };
        if let Some(extension) = extensions.iter().find(|e| e.eq_ignore_ascii_case(&self.full)) {
            return vec![vec![extension.clone()]];
        }
        if let Some(extension) = extensions.iter().find(|e| e.eq_ignore_ascii_case(urn)) {
            return vec![
                std::iter::once(extension.clone())
                    .chain(self.path.iter().cloned())
                    .collect(),
            ];
        }
        if core_urns.iter().any(|c| c.eq_ignore_ascii_case(urn)) {
            return vec![self.path.clone()];
        }
        // The core schema's own URN names every attribute of that schema.
        if core_urns.iter().any(|c| c.eq_ignore_ascii_case(&self.full)) {
            return resource
                .keys()
                .filter(|k| !is_urn(k))
                .map(|k| vec![k.clone()])
                .collect();
        }
        Vec::new()
    }
}

/// Whether `key` starts with `urn:` (any case) and has more after it. `get` rather than
/// slicing: byte 4 may fall inside a multi-byte character of a client's name.
fn is_urn(key: &str) -> bool {
    key.len() > 4 && key.get(..4).is_some_and(|scheme| scheme.eq_ignore_ascii_case("urn:"))
}

fn schema_urns(resource: &Map<String, Value>) -> impl Iterator<Item = String> + '_ {
    resource
        .get("schemas")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
}

/// Parses comma-separated names; `parameter` names the parameter in errors.
fn names(lists: &[&str], parameter: &str) -> Result<Vec<AttrName>, ApiError> {
    let mut out = Vec::new();
    for name in lists.iter().flat_map(|list| list.split(',')).map(str::trim) {
        if name.is_empty() {
            continue;
        }
        out.push(parse_name(name).ok_or_else(|| {
            ApiError::invalid_value(format!(
                "{parameter}: {name:?} is not an attribute name (RFC 7644 §3.10)"
            ))
        })?);
    }
    Ok(out)
}

/// `attr`, `attr.sub`, `urn:…:attr[.sub]` or a bare schema URN.
fn parse_name(name: &str) -> Option<AttrName> {
    let (urn, rest) = match is_urn(name) {
        true => {
            let (urn, rest) = name.rsplit_once(':')?;
            (Some(urn.to_string()), rest)
        }
        false => (None, name),
    };
    if urn
        .as_deref()
        .is_some_and(|u| u.len() <= 4 || u.chars().any(char::is_whitespace))
    {
        return None;
    }
    let path: Vec<String> = rest.split('.').map(str::to_owned).collect();
    // A bare URN ends in a version-like segment (`…:2.0:User`): its last part is checked
    // like an attribute name, which `User` is.
    if path.len() > 2 || !path.iter().all(|p| is_attr_name(p)) {
        return None;
    }
    Some(AttrName {
        full: name.to_string(),
        urn,
        path,
    })
}

/// RFC 7643 §2.1 `ATTRNAME = ALPHA *(nameChar)`, plus `$ref`.
fn is_attr_name(s: &str) -> bool {
    let mut chars = s.chars();
    s == "$ref"
        || (chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
}

#[cfg(test)]
#[path = "projection_tests.rs"]
mod tests;
