//! SCIM JSON on the wire ⇄ `idsync.v1` proto messages.
//!
//! Requests (`user_in`, `patch`, `search_in`) are parsed in two steps: `serde_json` reads
//! the bytes into a `Value` (a syntax error is `invalidSyntax`), then the readers here move
//! the values into proto messages, matching attribute names without regard to ASCII case
//! (RFC 7643 §2.1) and naming the attribute in every `invalidValue`. Responses
//! (`user_out`, `list`, `discovery_out`, `schema_out`) are typed `Serialize` views that
//! borrow from the proto message, so rendering allocates little beyond the output buffer.

pub(crate) mod discovery_out;
#[cfg(test)]
mod discovery_tests;
pub(crate) mod group_in;
pub(crate) mod group_out;
pub(crate) mod list;
pub(crate) mod patch;
mod render;
pub(crate) mod schema_out;
pub(crate) mod search_in;
pub(crate) mod user_in;
pub(crate) mod user_out;

use std::fmt;

use serde_json::{Map, Value};

use crate::errors::ApiError;

pub use idsync_proto::scim::{
    ENTERPRISE_USER_URN, ERROR_URN, GROUP_URN, LIST_RESPONSE_URN, RESOURCE_TYPE_URN, SCHEMA_URN, SEARCH_REQUEST_URN,
    SERVICE_PROVIDER_CONFIG_URN, USER_URN,
};

/// The attribute a value belongs to, for error messages: `name.givenName`, `emails.type`.
#[derive(Clone, Copy)]
pub(crate) struct Attr<'a> {
    parent: Option<&'a str>,
    name: &'a str,
}

impl<'a> Attr<'a> {
    pub(crate) fn top(name: &'a str) -> Self {
        Attr { parent: None, name }
    }

    pub(crate) fn name(self) -> &'a str {
        self.name
    }
}

impl fmt::Display for Attr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parent {
            // Extension attributes are qualified with a colon (RFC 7644 §3.10).
            Some(parent) if parent.starts_with("urn:") => write!(f, "{parent}:{}", self.name),
            Some(parent) => write!(f, "{parent}.{}", self.name),
            None => f.write_str(self.name),
        }
    }
}

/// An attribute's raw value, found by name in a JSON object, with its name for errors.
pub(crate) struct Slot<'a> {
    /// `None` when the key is absent; `Some(Value::Null)` when it is an explicit `null`.
    value: Option<Value>,
    attr: Attr<'a>,
}

/// Takes the values of `names` out of `map`, ignoring ASCII case in keys (RFC 7643 §2.1),
/// in the order of `names`. Other keys are dropped: unknown attributes are ignored.
pub(crate) fn slots<'a, const N: usize>(
    map: Map<String, Value>,
    parent: Option<&'a str>,
    names: [&'a str; N],
) -> [Slot<'a>; N] {
    let mut slots = names.map(|name| Slot {
        value: None,
        attr: Attr { parent, name },
    });
    for (key, value) in map {
        if let Some(i) = names.iter().position(|name| name.eq_ignore_ascii_case(&key)) {
            slots[i].value = Some(value);
        }
    }
    slots
}

impl<'a> Slot<'a> {
    /// A value not taken from a JSON object.
    pub(crate) fn new(value: Value, attr: Attr<'a>) -> Self {
        Slot {
            value: Some(value),
            attr,
        }
    }

    /// The attribute's name, for error messages.
    pub(crate) fn attr(&self) -> Attr<'a> {
        self.attr
    }

    /// The raw JSON value; an absent key reads as `null`.
    pub(crate) fn into_value(self) -> Value {
        self.value.unwrap_or(Value::Null)
    }

    /// The raw JSON value, `None` only when the key was absent.
    pub(crate) fn into_present(self) -> Option<Value> {
        self.value
    }

    /// A string attribute; `null` is "not given".
    pub(crate) fn string(self) -> Result<Option<String>, ApiError> {
        let Slot { value, attr } = self;
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(wrong_type(attr, "a string", &other)),
        }
    }

    /// A boolean attribute. Entra's legacy mode sends `"True"`/`"False"` strings, so
    /// those are read as booleans too (any letter case).
    pub(crate) fn boolean(self) -> Result<Option<bool>, ApiError> {
        let Slot { value, attr } = self;
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(wrong_type(attr, "a boolean", &other)),
        }
    }

    /// A complex attribute; `null` is "not given".
    pub(crate) fn object(self) -> Result<Option<Map<String, Value>>, ApiError> {
        let Slot { value, attr } = self;
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(wrong_type(attr, "an object", &other)),
        }
    }

    /// The elements of a multi-valued attribute, `null` elements dropped; `null` is empty.
    pub(crate) fn array(self) -> Result<Vec<Value>, ApiError> {
        let Slot { value, attr } = self;
        match value {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items.into_iter().filter(|v| !v.is_null()).collect()),
            Some(other) => Err(wrong_type(attr, "an array", &other)),
        }
    }
}

pub(crate) fn wrong_type(attr: Attr<'_>, expected: &str, got: &Value) -> ApiError {
    let got = match got {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    ApiError::invalid_value(format!("attribute '{attr}' must be {expected}, not {got}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::errors::ScimType;

    fn slot(value: serde_json::Value, name: &str) -> Slot<'_> {
        Slot::new(value, Attr::top(name))
    }

    #[test]
    fn booleans_accept_entra_legacy_strings_in_any_case() {
        for (value, expected) in [
            (json!(true), Some(true)),
            (json!(false), Some(false)),
            (json!("True"), Some(true)),
            (json!("FALSE"), Some(false)),
            (json!("false"), Some(false)),
            (json!(null), None),
        ] {
            assert_eq!(slot(value, "active").boolean().unwrap(), expected);
        }
        for bad in [json!("yes"), json!(1), json!(""), json!([true])] {
            let error = slot(bad, "active").boolean().unwrap_err();
            assert_eq!(error.scim_type(), Some(ScimType::InvalidValue));
            assert!(error.detail().contains("'active'"), "{}", error.detail());
        }
    }

    #[test]
    fn a_wrong_type_names_the_attribute_with_its_parent() {
        let error = Slot::new(
            json!(5),
            Attr {
                parent: Some("name"),
                name: "givenName",
            },
        )
        .string()
        .unwrap_err();
        assert_eq!(
            error.detail(),
            "attribute 'name.givenName' must be a string, not a number"
        );
        let error = Slot::new(
            json!(5),
            Attr {
                parent: Some(ENTERPRISE_USER_URN),
                name: "department",
            },
        )
        .string()
        .unwrap_err();
        assert!(
            error.detail().contains("enterprise:2.0:User:department'"),
            "{}",
            error.detail()
        );
    }

    #[test]
    fn slots_match_keys_ignoring_ascii_case_and_tell_absent_from_null() {
        let serde_json::Value::Object(map) = json!({"USERNAME": "a", "Title": null, "extra": 1}) else {
            unreachable!()
        };
        let [user_name, title, locale] = slots(map, None, ["userName", "title", "locale"]);
        assert_eq!(user_name.into_present(), Some(json!("a")));
        assert_eq!(title.into_present(), Some(json!(null)));
        assert_eq!(locale.into_present(), None);
    }
}
