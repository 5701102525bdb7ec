//! The requests Entra sends, as paths and bodies (docs/entra.md, C1–C14): a user of the
//! kpifire mapping, the `userName` match, the legacy (`"Replace"`) PATCH shapes, groups
//! created empty and members added in batches. Pure functions of a user or group number,
//! so every run sends the same bytes.

use serde_json::{Value, json};

/// The PatchOp message schema.
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The core User schema.
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise extension of User.
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core Group schema.
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The Microsoft-private group schema Entra also names on group creates.
const MS_GROUP: &str = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

/// Most members Entra puts in one `Add members` operation.
pub const MEMBERS_PER_PATCH: usize = 100;

/// The UPN of user `n`, its `userName`.
pub fn user_name(n: usize) -> String {
    format!("bench.user{n:07}@contoso.example")
}

/// The `displayName` of group `n`, Entra's matching attribute for groups.
pub fn group_name(n: usize) -> String {
    format!("Bench Group {n:05}")
}

/// `?filter=<attribute> eq "<value>"`, form-encoded as Entra sends it (`+` for spaces).
fn filter_query(attribute: &str, value: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("filter", &format!("{attribute} eq \"{value}\""))
        .finish()
}

/// `POST /Users` of the kpifire mapping plus `emails` and `externalId`.
pub fn create_user(n: usize) -> String {
    json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": format!("0000{n:07}-bench-4000-8000-entra"),
        "userName": user_name(n),
        "active": true,
        "name": {"givenName": format!("Given{n}"), "familyName": format!("Family{n}")},
        "emails": [{"primary": true, "type": "work", "value": user_name(n)}],
        "phoneNumbers": [{"type": "work", "value": format!("+1 555 {:04}", n % 10_000)}],
        ENTERPRISE: {"department": "R&D"},
        "meta": {"resourceType": "User"}
    })
    .to_string()
}

/// The match: `GET /Users?filter=userName+eq+"<UPN>"` (path and query under the base).
pub fn lookup_user(n: usize) -> String {
    format!("/Users?{}", filter_query("userName", &user_name(n)))
}

/// An attribute change in the legacy shape: capitalised `Replace`, a filtered path on
/// the work phone and the URN-qualified enterprise `department`.
pub fn patch_user(n: usize) -> String {
    patch(vec![
        json!({"op": "Replace", "path": "displayName", "value": format!("Bench User {n}")}),
        json!({"op": "Replace", "path": "phoneNumbers[type eq \"work\"].value",
               "value": format!("+1 555 {:04}", (n + 1) % 10_000)}),
        json!({"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "Ops"}),
    ])
}

/// A soft delete in the legacy shape: `active` as the string `"False"`.
pub fn disable_user() -> String {
    patch(vec![json!({"op": "Replace", "path": "active", "value": "False"})])
}

/// A page of users by index: `GET /Users?startIndex=<start>&count=<count>`.
pub fn page_by_index(start_index: usize, count: usize) -> String {
    format!("/Users?startIndex={start_index}&count={count}")
}

/// A page of users by cursor (RFC 9865): `GET /Users?cursor=<cursor>&count=<count>`;
/// an empty cursor is the first page. Cursors are URL-safe as issued.
pub fn page_by_cursor(cursor: &str, count: usize) -> String {
    format!("/Users?cursor={cursor}&count={count}")
}

/// `GET /Users/{id}` or `DELETE /Users/{id}`.
pub fn user_path(id: &str) -> String {
    format!("/Users/{id}")
}

/// The group match: `GET /Groups?excludedAttributes=members&filter=displayName+eq+"…"`.
pub fn lookup_group(n: usize) -> String {
    format!(
        "/Groups?excludedAttributes=members&{}",
        filter_query("displayName", &group_name(n))
    )
}

/// `POST /Groups`: created empty, as Entra always does.
pub fn create_group(n: usize) -> String {
    json!({
        "schemas": [GROUP, MS_GROUP],
        "displayName": group_name(n),
        "meta": {"resourceType": "Group"}
    })
    .to_string()
}

/// `PATCH /Groups/{id}` or any other request on one group.
pub fn group_path(id: &str) -> String {
    format!("/Groups/{id}")
}

/// `Add members` with the given user ids (at most [`MEMBERS_PER_PATCH`] by Entra's habit).
pub fn add_members<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let members: Vec<Value> = ids.into_iter().map(|id| json!({"value": id})).collect();
    patch(vec![json!({"op": "Add", "path": "members", "value": members})])
}

fn patch(operations: Vec<Value>) -> String {
    json!({"schemas": [PATCH_OP], "Operations": operations}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Value {
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{body} is not JSON: {e}"))
    }

    #[test]
    fn lookups_are_form_encoded_like_entras() {
        assert_eq!(
            lookup_user(7),
            "/Users?filter=userName+eq+%22bench.user0000007%40contoso.example%22"
        );
        assert_eq!(
            lookup_group(3),
            "/Groups?excludedAttributes=members&filter=displayName+eq+%22Bench+Group+00003%22"
        );
    }

    #[test]
    fn a_create_carries_the_kpifire_attributes() {
        let user = parse(&create_user(42));
        assert_eq!(user["userName"], "bench.user0000042@contoso.example");
        assert_eq!(user["active"], true);
        assert_eq!(user["name"]["familyName"], "Family42");
        assert_eq!(user["emails"][0]["type"], "work");
        assert_eq!(user["phoneNumbers"][0]["value"], "+1 555 0042");
        assert_eq!(user[ENTERPRISE]["department"], "R&D");
        assert!(user["externalId"].is_string());
    }

    #[test]
    fn patches_use_the_legacy_capitalised_shape() {
        let update = parse(&patch_user(1));
        let ops = update["Operations"].as_array().map(Vec::len);
        assert_eq!(ops, Some(3));
        assert_eq!(update["Operations"][0]["op"], "Replace");
        assert_eq!(update["Operations"][1]["path"], "phoneNumbers[type eq \"work\"].value");
        let disable = parse(&disable_user());
        assert_eq!(disable["Operations"][0]["value"], "False");
    }

    #[test]
    fn members_are_added_by_id() {
        let body = parse(&add_members(["a", "b"]));
        assert_eq!(body["Operations"][0]["op"], "Add");
        assert_eq!(body["Operations"][0]["value"][1]["value"], "b");
        assert_eq!(parse(&create_group(1))["displayName"], "Bench Group 00001");
    }
}
