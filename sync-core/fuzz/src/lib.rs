//! Shared pieces of the sync-core fuzz targets: the invariants they check and the ways
//! they turn bytes into PATCH operations.
//!
//! Targets (in `fuzz_targets/`): `parse_filter` (RFC 7644 §3.4.2.2 filters and their
//! compilation against the User schema), `parse_patch_path` (RFC 7644 §3.5.2 paths and
//! RFC 7643 §2.1 attribute paths) and `patch_user` (whole PATCH requests applied to a
//! User). Every target asserts that nothing panics and that whatever parses prints
//! (`to_string()`, the canonical printer) to text that parses back to the same tree.

use arbitrary::{Result as ArbitraryResult, Unstructured};
use idsync_core::scim::{parse_attr_path, parse_filter, parse_patch_path};
use idsync_proto::v1::{Address, EnterpriseUser, Manager, MultiValue, Name, PatchOperation, User};
use prost_types::value::Kind;
use prost_types::{ListValue, Struct, Value};

/// `parse(print(f)) == f` for a filter that parsed.
pub fn check_filter_round_trip(text: &str) {
    if let Ok(filter) = parse_filter(text) {
        let printed = filter.to_string();
        match parse_filter(&printed) {
            Ok(again) => assert_eq!(again, filter, "{text:?} printed as {printed:?} parses differently"),
            Err(e) => panic!("{text:?} printed as {printed:?}, which does not parse: {e}"),
        }
    }
}

/// `parse(print(p)) == p` for PATCH paths and attribute paths that parsed.
pub fn check_path_round_trip(text: &str) {
    if let Ok(path) = parse_patch_path(text) {
        let printed = path.to_string();
        match parse_patch_path(&printed) {
            Ok(again) => assert_eq!(again, path, "{text:?} printed as {printed:?} parses differently"),
            Err(e) => panic!("{text:?} printed as {printed:?}, which does not parse: {e}"),
        }
    }
    if let Ok(path) = parse_attr_path(text) {
        let printed = path.to_string();
        match parse_attr_path(&printed) {
            Ok(again) => assert_eq!(again, path, "{text:?} printed as {printed:?} parses differently"),
            Err(e) => panic!("{text:?} printed as {printed:?}, which does not parse: {e}"),
        }
    }
}

/// A user with something in every kind of attribute, so that PATCH has things to
/// match, merge, replace and remove.
pub fn rich_user() -> User {
    let mv = |value: &str, kind: &str, primary: bool| MultiValue {
        value: Some(value.into()),
        display: None,
        r#type: Some(kind.into()),
        primary: Some(primary),
        r#ref: None,
    };
    User {
        id: "2819c223".into(),
        external_id: Some("ada".into()),
        user_name: "ada@contoso.com".into(),
        name: Some(Name {
            formatted: Some("Ada Lovelace".into()),
            family_name: Some("Lovelace".into()),
            given_name: Some("Ada".into()),
            ..Name::default()
        }),
        display_name: Some("Ada".into()),
        title: Some("Countess".into()),
        active: Some(true),
        emails: vec![
            mv("ada@contoso.com", "work", true),
            mv("ada@home.example", "home", false),
        ],
        phone_numbers: vec![mv("+1 555 0100", "work", false)],
        roles: vec![mv("admin", "app", false)],
        addresses: vec![Address {
            formatted: Some("1 Main St".into()),
            locality: Some("London".into()),
            country: Some("GB".into()),
            r#type: Some("work".into()),
            primary: Some(true),
            ..Address::default()
        }],
        enterprise: Some(EnterpriseUser {
            department: Some("R&D".into()),
            manager: Some(Manager {
                value: Some("77aa0e10".into()),
                ..Manager::default()
            }),
            ..EnterpriseUser::default()
        }),
        ..User::default()
    }
}

/// A JSON value as the gateway hands it to the core (`google.protobuf.Value`).
pub fn json_to_value(json: &serde_json::Value) -> Value {
    let kind = match json {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(*b),
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Kind::StringValue(s.clone()),
        serde_json::Value::Array(a) => Kind::ListValue(ListValue {
            values: a.iter().map(json_to_value).collect(),
        }),
        serde_json::Value::Object(o) => Kind::StructValue(Struct {
            fields: o.iter().map(|(k, v)| (k.clone(), json_to_value(v))).collect(),
        }),
    };
    Value { kind: Some(kind) }
}

/// The operations of a JSON PATCH document: a `PatchOp` body (`{"Operations": […]}`,
/// key in any case, as the gateway reads it), a bare array of operations, or one
/// operation. Fields of the wrong type are dropped rather than rejected, so that the
/// core sees as many shapes as possible.
pub fn ops_from_json(json: &serde_json::Value) -> Vec<PatchOperation> {
    let operations = match json {
        serde_json::Value::Object(map) => match map.iter().find(|(k, _)| k.eq_ignore_ascii_case("Operations")) {
            Some((_, serde_json::Value::Array(ops))) => ops.iter().collect(),
            Some((_, op)) => vec![op],
            None => vec![json],
        },
        serde_json::Value::Array(ops) => ops.iter().collect(),
        _ => Vec::new(),
    };
    operations.into_iter().filter_map(op_from_json).collect()
}

fn op_from_json(json: &serde_json::Value) -> Option<PatchOperation> {
    let map = json.as_object()?;
    let field = |name: &str| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v);
    Some(PatchOperation {
        op: field("op").and_then(|v| v.as_str()).unwrap_or_default().to_owned(),
        path: field("path").and_then(|v| v.as_str()).map(str::to_owned),
        value: field("value").map(json_to_value),
    })
}

/// Paths Entra and RFC 7644 use, and a few that must be refused; structured inputs
/// pick from these most of the time so that the fuzzer reaches PATCH semantics
/// rather than stopping at `invalidPath`.
const PATHS: &[&str] = &[
    "userName",
    "active",
    "displayName",
    "externalId",
    "title",
    "password",
    "id",
    "meta",
    "groups",
    "name",
    "name.givenName",
    "name.familyName",
    "name.formatted",
    "emails",
    "emails.value",
    "emails.primary",
    "emails[type eq \"work\"]",
    "emails[type eq \"work\"].value",
    "emails[type eq \"home\"].primary",
    "emails[primary eq true].value",
    "emails[type eq \"work\" and primary eq true].value",
    "emails[value co \"@\"]",
    "emails[not (type eq \"work\")].display",
    "phoneNumbers[type eq \"work\"].value",
    "phoneNumbers[type eq \"mobile\"].value",
    "addresses",
    "addresses[type eq \"work\"].formatted",
    "addresses[type eq \"work\"].streetAddress",
    "addresses[type eq \"home\"].primary",
    "roles",
    "roles[value eq \"admin\"]",
    "entitlements",
    "x509Certificates",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq \"77aa0e10\"]",
    "manager",
    "members",
    "members[value eq \"2819c223\"]",
];

/// Keys of value objects: attribute paths (dotted and URN-qualified, as Entra's
/// path-less `replace` sends them) and sub-attributes of complex and multi-valued ones.
const KEYS: &[&str] = &[
    "userName",
    "active",
    "displayName",
    "name.givenName",
    "name.familyName",
    "givenName",
    "familyName",
    "formatted",
    "streetAddress",
    "locality",
    "value",
    "display",
    "type",
    "primary",
    "$ref",
    "department",
    "manager",
    "employeeNumber",
    "emails",
    "addresses",
    "schemas",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
];

const STRINGS: &[&str] = &[
    "",
    "work",
    "home",
    "True",
    "False",
    "true",
    "2819c223",
    "ada@contoso.com",
];

/// How deep a generated value may nest; deeper is never more interesting for SCIM.
const MAX_VALUE_DEPTH: u32 = 4;

/// Operations derived structurally from bytes that are not JSON.
pub fn ops_from_bytes(u: &mut Unstructured<'_>) -> ArbitraryResult<Vec<PatchOperation>> {
    let count = u.int_in_range(0..=6)?;
    (0..count).map(|_| arbitrary_op(u)).collect()
}

fn arbitrary_op(u: &mut Unstructured<'_>) -> ArbitraryResult<PatchOperation> {
    let op = match u.int_in_range(0..=7)? {
        0 => "add".to_owned(),
        1 => "replace".to_owned(),
        2 => "remove".to_owned(),
        3 => "Add".to_owned(),
        4 => "Replace".to_owned(),
        5 => "Remove".to_owned(),
        6 => "REPLACE".to_owned(),
        _ => u.arbitrary()?,
    };
    let path = match u.int_in_range(0..=9)? {
        0 => None,
        1 => Some(String::new()),
        2 => Some(u.arbitrary()?),
        _ => Some((*u.choose(PATHS)?).to_owned()),
    };
    let value = if u.ratio(1, 8)? {
        None
    } else {
        Some(arbitrary_value(u, 0)?)
    };
    Ok(PatchOperation { op, path, value })
}

fn arbitrary_value(u: &mut Unstructured<'_>, depth: u32) -> ArbitraryResult<Value> {
    let leaf_only = depth >= MAX_VALUE_DEPTH;
    let kind = match u.int_in_range(0..=if leaf_only { 4 } else { 6 })? {
        0 => Kind::NullValue(0),
        1 => Kind::BoolValue(u.arbitrary()?),
        2 => Kind::NumberValue(u.arbitrary()?),
        3 => Kind::StringValue(u.arbitrary()?),
        4 => Kind::StringValue((*u.choose(STRINGS)?).to_owned()),
        5 => {
            let len = u.int_in_range(0..=3)?;
            let values = (0..len)
                .map(|_| arbitrary_value(u, depth + 1))
                .collect::<ArbitraryResult<_>>()?;
            Kind::ListValue(ListValue { values })
        }
        _ => {
            let len = u.int_in_range(0..=4)?;
            let mut fields = std::collections::BTreeMap::new();
            for _ in 0..len {
                let key = if u.ratio(1, 6)? {
                    u.arbitrary()?
                } else {
                    (*u.choose(KEYS)?).to_owned()
                };
                fields.insert(key, arbitrary_value(u, depth + 1)?);
            }
            Kind::StructValue(Struct { fields })
        }
    };
    Ok(Value { kind: Some(kind) })
}
