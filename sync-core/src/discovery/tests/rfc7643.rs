//! The attribute characteristics of RFC 7643 §8.7.1's schema representations (User,
//! Group, enterprise User), descriptions left out, values as the RFC prints them.

use serde_json::{Value, json};

fn s(name: &str) -> Value {
    json!({"name": name, "type": "string", "multiValued": false, "required": false, "caseExact": false,
           "mutability": "readWrite", "returned": "default", "uniqueness": "none"})
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(base), Value::Object(extra)) = (&mut base, extra) {
        base.extend(extra);
    }
    base
}

fn primary() -> Value {
    json!({"name": "primary", "type": "boolean", "multiValued": false, "required": false,
           "mutability": "readWrite", "returned": "default"})
}

fn multi(name: &str, subs: Vec<Value>) -> Value {
    json!({"name": name, "type": "complex", "multiValued": true, "required": false, "subAttributes": subs,
           "mutability": "readWrite", "returned": "default"})
}

const NAME_PARTS: [&str; 6] = [
    "formatted",
    "familyName",
    "givenName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
];

/// `urn:ietf:params:scim:schemas:core:2.0:User`.
pub fn user() -> Vec<Value> {
    let typed = |values: Value| with(s("type"), json!({"canonicalValues": values}));
    let read_only = |v: Value| with(v, json!({"mutability": "readOnly"}));
    vec![
        with(s("userName"), json!({"required": true, "uniqueness": "server"})),
        with(
            json!({"name": "name", "type": "complex", "multiValued": false, "required": false,
                   "mutability": "readWrite", "returned": "default", "uniqueness": "none"}),
            json!({"subAttributes": NAME_PARTS.iter().map(|n| s(n)).collect::<Vec<_>>()}),
        ),
        s("displayName"),
        s("nickName"),
        with(
            s("profileUrl"),
            json!({"type": "reference", "referenceTypes": ["external"]}),
        ),
        s("title"),
        s("userType"),
        s("preferredLanguage"),
        s("locale"),
        s("timezone"),
        json!({"name": "active", "type": "boolean", "multiValued": false, "required": false,
               "mutability": "readWrite", "returned": "default"}),
        with(s("password"), json!({"mutability": "writeOnly", "returned": "never"})),
        multi(
            "emails",
            vec![
                s("value"),
                s("display"),
                typed(json!(["work", "home", "other"])),
                primary(),
            ],
        ),
        multi(
            "phoneNumbers",
            vec![
                s("value"),
                s("display"),
                typed(json!(["work", "home", "mobile", "fax", "pager", "other"])),
                primary(),
            ],
        ),
        multi(
            "ims",
            vec![
                s("value"),
                s("display"),
                typed(json!(["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"])),
                primary(),
            ],
        ),
        multi(
            "photos",
            vec![
                with(s("value"), json!({"type": "reference", "referenceTypes": ["external"]})),
                s("display"),
                typed(json!(["photo", "thumbnail"])),
                primary(),
            ],
        ),
        multi(
            "addresses",
            vec![
                s("formatted"),
                s("streetAddress"),
                s("locality"),
                s("region"),
                s("postalCode"),
                s("country"),
                typed(json!(["work", "home", "other"])),
            ],
        ),
        with(
            multi(
                "groups",
                vec![
                    read_only(s("value")),
                    read_only(with(
                        s("$ref"),
                        json!({"type": "reference", "referenceTypes": ["User", "Group"]}),
                    )),
                    read_only(s("display")),
                    read_only(typed(json!(["direct", "indirect"]))),
                ],
            ),
            json!({"mutability": "readOnly"}),
        ),
        multi("entitlements", vec![s("value"), s("display"), s("type"), primary()]),
        multi("roles", vec![s("value"), s("display"), typed(json!([])), primary()]),
        multi(
            "x509Certificates",
            vec![
                with(s("value"), json!({"type": "binary"})),
                s("display"),
                typed(json!([])),
                primary(),
            ],
        ),
    ]
}

/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
pub fn enterprise() -> Vec<Value> {
    vec![
        s("employeeNumber"),
        s("costCenter"),
        s("organization"),
        s("division"),
        s("department"),
        json!({"name": "manager", "type": "complex", "multiValued": false, "required": false,
        "mutability": "readWrite", "returned": "default", "subAttributes": [
            s("value"),
            with(s("$ref"), json!({"type": "reference", "referenceTypes": ["User"]})),
            with(s("displayName"), json!({"mutability": "readOnly"})),
        ]}),
    ]
}

/// `urn:ietf:params:scim:schemas:core:2.0:Group`.
pub fn group() -> Vec<Value> {
    let immutable = |v: Value| with(v, json!({"mutability": "immutable"}));
    vec![
        s("displayName"),
        json!({"name": "members", "type": "complex", "multiValued": true, "required": false,
        "mutability": "readWrite", "returned": "default", "subAttributes": [
            immutable(s("value")),
            immutable(with(s("$ref"), json!({"type": "reference", "referenceTypes": ["User", "Group"]}))),
            immutable(with(s("type"), json!({"canonicalValues": ["User", "Group"]}))),
        ]}),
    ]
}
