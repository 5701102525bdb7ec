use axum::http::StatusCode;
use serde_json::{Value, json};

use super::*;
use crate::errors::ScimType;

const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn user() -> Value {
    json!({
        "schemas": [CORE, ENTERPRISE],
        "id": "u1",
        "externalId": "ext",
        "userName": "ada@contoso.com",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "active": true,
        "emails": [{"value": "ada@contoso.com", "type": "work", "primary": true}, {"type": "home"}],
        ENTERPRISE: {"department": "R&D", "manager": {"value": "m1"}},
        "meta": {"resourceType": "User", "location": "https://x/scim/v2/Users/u1", "version": "W/\"1\""}
    })
}

fn project(attributes: &str, excluded: &str) -> Value {
    let projection = Projection::parse(&[attributes], &[excluded]).unwrap();
    let mut value = user();
    projection.apply(value.as_object_mut().unwrap());
    value
}

fn only(attributes: &str) -> Value {
    project(attributes, "")
}

fn except(excluded: &str) -> Value {
    project("", excluded)
}

#[test]
fn without_parameters_the_resource_is_untouched() {
    let projection = Projection::parse(&[], &[""]).unwrap();
    assert!(projection.is_all());
    assert_eq!(project("", ""), user());
}

#[test]
fn attributes_keep_only_the_named_ones_plus_schemas_and_id() {
    assert_eq!(
        only("userName"),
        json!({"schemas": [CORE], "id": "u1", "userName": "ada@contoso.com"})
    );
    assert_eq!(only("meta.version")["meta"], json!({"version": "W/\"1\""}));
}

#[test]
fn attribute_names_match_in_any_letter_case() {
    assert_eq!(
        only("USERNAME, Name.GivenName"),
        json!({"schemas": [CORE], "id": "u1", "userName": "ada@contoso.com", "name": {"givenName": "Ada"}})
    );
}

#[test]
fn a_sub_attribute_of_a_multi_valued_attribute_is_kept_in_every_element_that_has_it() {
    assert_eq!(only("emails.value")["emails"], json!([{"value": "ada@contoso.com"}]));
    assert_eq!(
        only("emails.type")["emails"],
        json!([{"type": "work"}, {"type": "home"}])
    );
}

#[test]
fn urn_qualified_names_select_inside_their_extension() {
    let department = only(&format!("{ENTERPRISE}:department"));
    assert_eq!(department[ENTERPRISE], json!({"department": "R&D"}));
    assert_eq!(department["schemas"], json!([CORE, ENTERPRISE]));
    let manager = only(&format!("{}:MANAGER.value", ENTERPRISE.to_uppercase()));
    assert_eq!(manager[ENTERPRISE], json!({"manager": {"value": "m1"}}));
    let whole = only(ENTERPRISE);
    assert_eq!(whole[ENTERPRISE], user()[ENTERPRISE]);
    assert_eq!(only(&format!("{CORE}:userName"))["userName"], "ada@contoso.com");
    assert_eq!(
        only(&format!("{CORE}:name.familyName"))["name"],
        json!({"familyName": "Lovelace"})
    );
}

#[test]
fn the_core_schema_urn_selects_every_core_attribute() {
    let core = only(CORE);
    assert!(core.get(ENTERPRISE).is_none());
    assert_eq!(core["schemas"], json!([CORE]));
    assert_eq!(core["name"], user()["name"]);
}

#[test]
fn schemas_drops_an_extension_that_is_no_longer_present() {
    assert_eq!(only("userName")["schemas"], json!([CORE]));
    let without = except(&format!("{ENTERPRISE}:department,{ENTERPRISE}:manager"));
    assert!(without.get(ENTERPRISE).is_none());
    assert_eq!(without["schemas"], json!([CORE]));
}

#[test]
fn excluded_attributes_remove_attributes_and_sub_attributes() {
    let out = except("emails, name.givenName, meta");
    let mut expected = user();
    let object = expected.as_object_mut().unwrap();
    object.remove("emails");
    object.remove("meta");
    object["name"] = json!({"familyName": "Lovelace"});
    assert_eq!(out, expected);
    let no_names = except("name.givenName,name.familyName,emails.type");
    assert!(
        no_names.get("name").is_none(),
        "an emptied complex attribute is left out"
    );
    assert_eq!(
        no_names["emails"],
        json!([{"value": "ada@contoso.com", "primary": true}])
    );
}

#[test]
fn id_and_schemas_cannot_be_excluded() {
    let out = except("id,schemas,ID");
    assert_eq!(out, user());
}

#[test]
fn names_the_resource_does_not_have_select_nothing() {
    assert_eq!(only("shoeSize,password"), json!({"schemas": [CORE], "id": "u1"}));
    assert_eq!(except("members,userName.nope,urn:example:x:1.0:Thing:size"), user());
}

#[test]
fn empty_entries_are_ignored() {
    assert_eq!(only("userName,,  ,"), only("userName"));
}

#[test]
fn both_parameters_at_once_are_invalid_value() {
    let error = Projection::parse(&["userName"], &["emails"]).unwrap_err();
    assert_eq!(
        (error.status(), error.scim_type()),
        (StatusCode::BAD_REQUEST, Some(ScimType::InvalidValue))
    );
    assert!(error.detail().contains("mutually exclusive"), "{}", error.detail());
}

#[test]
fn malformed_names_are_invalid_value_naming_the_parameter() {
    for bad in [
        "name..givenName",
        "a b",
        "1abc",
        "name.givenName.x",
        "urn:",
        "emails[type eq \"work\"]",
        "$refs",
    ] {
        let error = Projection::parse(&[], &[bad]).unwrap_err();
        assert_eq!(error.scim_type(), Some(ScimType::InvalidValue), "{bad}");
        assert!(error.detail().starts_with("excludedAttributes:"), "{}", error.detail());
    }
}

#[test]
fn names_with_multi_byte_characters_are_invalid_value_not_a_panic() {
    // Byte 4 of each falls inside a character: `é`, `ü`, a 4-byte emoji, `€`.
    for bad in ["abcé", "abcé.x", "urnü:x", "u\u{1F600}x", "ab€", "é"] {
        for (attributes, excluded) in [(bad, ""), ("", bad)] {
            let error = Projection::parse(&[attributes], &[excluded]).unwrap_err();
            assert_eq!(error.scim_type(), Some(ScimType::InvalidValue), "{bad}");
        }
    }
}

#[test]
fn may_return_tells_whether_an_attribute_can_survive_the_projection() {
    let parse = |a: &str, e: &str| Projection::parse(&[a], &[e]).unwrap();
    assert!(parse("", "").may_return("groups"));
    assert!(!parse("userName", "").may_return("groups"));
    assert!(parse("Groups.display", "").may_return("groups"));
    assert!(!parse("", "GROUPS").may_return("groups"));
    assert!(parse("", "groups.display").may_return("groups"));
}

#[test]
fn render_serializes_then_projects() {
    let projection = Projection::parse(&["userName"], &[]).unwrap();
    assert_eq!(projection.render(&user()).unwrap()["userName"], "ada@contoso.com");
    assert!(projection.render(&user()).unwrap().get("meta").is_none());
}
