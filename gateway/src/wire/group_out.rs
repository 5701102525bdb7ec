//! Proto `Group` → SCIM Group JSON (RFC 7643 §4.2).
//!
//! `members` is `[]` for a group without members, and absent — no key at all — when the
//! request excluded it (Entra treats a `members` key it did not ask for as an
//! incompatible answer: docs/entra.md, C10). A member's `$ref` is its location under the
//! public base URL. A member's `display` is `returned: request`: rendered only when the
//! request's `attributes` names `members.display` (RFC 7643 §8.7.1 gives members only
//! `value`, `$ref` and `type`, and clients compare what they sent with what they read).

use idsync_proto::v1::{Group, Member};
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

use super::GROUP_URN;
use super::render::{MetaOut, text};

/// A borrowed SCIM view of a proto `Group`, ready to serialize.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GroupOut<'a> {
    schemas: [&'static str; 1],
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<&'a str>,
    display_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<MembersOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<MetaOut<'a>>,
}

impl<'a> GroupOut<'a> {
    /// Renders `group`; `base_url` is the SCIM base (`<public_url>/scim/v2`);
    /// `member_display` renders each member's `display`.
    pub(crate) fn new(group: &'a Group, base_url: &'a str, member_display: bool) -> Self {
        let Group {
            id,
            external_id,
            display_name,
            members,
            members_excluded,
            meta,
        } = group;
        GroupOut {
            schemas: [GROUP_URN],
            id,
            external_id: text(external_id),
            display_name,
            members: (!members_excluded).then_some(MembersOut {
                members,
                base_url,
                member_display,
            }),
            meta: meta.as_ref().map(|meta| MetaOut::new(meta, base_url, "Groups", id)),
        }
    }

    /// `meta.location`, when the group has metadata.
    pub(crate) fn location(&self) -> Option<String> {
        self.meta.as_ref().map(MetaOut::location)
    }

    /// The resource version for the `ETag` header, when the group has metadata.
    pub(crate) fn version(&self) -> Option<i64> {
        self.meta.as_ref().map(MetaOut::version)
    }
}

/// The member list, rendered element by element.
struct MembersOut<'a> {
    members: &'a [Member],
    base_url: &'a str,
    member_display: bool,
}

impl Serialize for MembersOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.members.len()))?;
        for member in self.members {
            seq.serialize_element(&MemberOut::new(member, self.base_url, self.member_display))?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct MemberOut<'a> {
    value: &'a str,
    #[serde(rename = "$ref", skip_serializing_if = "Option::is_none")]
    reference: Option<MemberRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
}

impl<'a> MemberOut<'a> {
    fn new(member: &'a Member, base_url: &'a str, with_display: bool) -> Self {
        let Member {
            value,
            r#ref,
            display,
            r#type,
        } = member;
        let kind = text(r#type);
        let reference = match (text(r#ref), kind) {
            (Some(given), _) => Some(MemberRef::Given(given)),
            (None, Some("User")) => Some(MemberRef::Location(base_url, "Users", value)),
            (None, Some("Group")) => Some(MemberRef::Location(base_url, "Groups", value)),
            (None, _) => None,
        };
        MemberOut {
            value,
            reference,
            display: text(display).filter(|_| with_display),
            kind,
        }
    }
}

/// A member's `$ref`: as the core gave it, or `<base_url>/<endpoint>/<id>`.
enum MemberRef<'a> {
    Given(&'a str),
    Location(&'a str, &'static str, &'a str),
}

impl Serialize for MemberRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            MemberRef::Given(given) => serializer.serialize_str(given),
            MemberRef::Location(base_url, endpoint, id) => {
                serializer.collect_str(&format_args!("{base_url}/{endpoint}/{id}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use idsync_proto::v1::Meta;
    use prost_types::Timestamp;
    use serde_json::json;

    use super::*;

    const BASE: &str = "https://app.example.com/scim/v2";

    fn render(group: &Group) -> serde_json::Value {
        serde_json::to_value(GroupOut::new(group, BASE, true)).unwrap()
    }

    fn engineering(members: Vec<Member>, members_excluded: bool) -> Group {
        Group {
            id: "9a1b7c44".into(),
            external_id: None,
            display_name: "Engineering".into(),
            members,
            members_excluded,
            meta: Some(Meta {
                resource_type: "Group".into(),
                created: Some(Timestamp {
                    seconds: 1_735_689_600,
                    nanos: 0,
                }),
                last_modified: Some(Timestamp {
                    seconds: 1_735_689_600,
                    nanos: 0,
                }),
                version: 1,
            }),
        }
    }

    /// docs/entra.md, C12: the answer to a create — `members: []`, `meta`, no nulls.
    #[test]
    fn a_created_group_renders_with_an_empty_member_list() {
        assert_eq!(
            render(&engineering(vec![], false)),
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "id": "9a1b7c44",
                "displayName": "Engineering",
                "members": [],
                "meta": {
                    "resourceType": "Group",
                    "created": "2025-01-01T00:00:00Z",
                    "lastModified": "2025-01-01T00:00:00Z",
                    "location": "https://app.example.com/scim/v2/Groups/9a1b7c44",
                    "version": "W/\"1\""
                }
            })
        );
    }

    #[test]
    fn excluded_members_leave_no_members_key_at_all() {
        let body = render(&engineering(vec![], true));
        assert!(body.get("members").is_none(), "{body}");
        assert_eq!(body["displayName"], "Engineering");
    }

    #[test]
    fn members_carry_their_type_name_and_location() {
        let member = |value: &str, kind: &str, display: Option<&str>| Member {
            value: value.into(),
            r#ref: None,
            display: display.map(Into::into),
            r#type: Some(kind.into()),
        };
        let group = engineering(
            vec![
                member("2819c223", "User", Some("Ada")),
                member("77aa0e10", "Group", None),
            ],
            false,
        );
        assert_eq!(
            render(&group)["members"],
            json!([
                {"value": "2819c223", "$ref": "https://app.example.com/scim/v2/Users/2819c223",
                 "display": "Ada", "type": "User"},
                {"value": "77aa0e10", "$ref": "https://app.example.com/scim/v2/Groups/77aa0e10",
                 "type": "Group"}
            ])
        );
    }
}
