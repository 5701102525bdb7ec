//! The rules form: the tenant's `Rules` as fields, and the fields as typed read back
//! into `Rules`. The form only checks what its own controls can get wrong (a policy
//! value); filters and matching attributes are judged by the core, the one authority.

use idsync_proto::v1::{CreatePolicy, MatchPolicy, MatchingRule, RuleResource, Rules, ScopingRule, UpdatePolicy};
use maud::{Markup, html};
use serde::Deserialize;

use crate::console::page;
use crate::console::session::Signed;

/// The form as sent (and as shown). Policies are the CLI's words (`accept-disabled`).
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub(crate) struct RulesForm {
    pub(crate) user_filter: String,
    pub(crate) user_create_policy: String,
    pub(crate) user_update_policy: String,
    pub(crate) group_filter: String,
    pub(crate) group_create_policy: String,
    pub(crate) group_update_policy: String,
    /// One attribute per line, or comma-separated.
    pub(crate) matching_attributes: String,
    /// `none` (no matching rule), `adopt` or `conflict`.
    pub(crate) match_policy: String,
    /// Which button sent the form: `dry-run` or `save`.
    pub(crate) action: String,
}

const CREATE_POLICIES: [(&str, &str); 2] = [
    ("reject", "Refuse it (400 invalidValue)"),
    ("accept-disabled", "Store it disabled, marked out of scope"),
];
const UPDATE_POLICIES: [(&str, &str); 3] = [
    ("deactivate", "Deactivate it, marked out of scope"),
    ("delete", "Delete it"),
    ("reject", "Refuse the update (400 invalidValue)"),
];
const MATCH_POLICIES: [(&str, &str); 3] = [
    ("none", "No matching rule: a duplicate userName is 409 uniqueness"),
    ("adopt", "Adopt the existing account"),
    ("conflict", "Refuse the create (409 uniqueness)"),
];

impl RulesForm {
    /// The form showing `rules` as stored.
    pub(crate) fn from_rules(rules: &Rules) -> RulesForm {
        let mut form = RulesForm {
            user_create_policy: "reject".into(),
            user_update_policy: "deactivate".into(),
            group_create_policy: "reject".into(),
            group_update_policy: "deactivate".into(),
            match_policy: "none".into(),
            ..RulesForm::default()
        };
        for rule in &rules.scoping {
            let (filter, create, update) = match rule.resource() {
                RuleResource::User => (
                    &mut form.user_filter,
                    &mut form.user_create_policy,
                    &mut form.user_update_policy,
                ),
                RuleResource::Group => (
                    &mut form.group_filter,
                    &mut form.group_create_policy,
                    &mut form.group_update_policy,
                ),
                // The core stores no such rule; there is no field to show it in.
                RuleResource::Unspecified => continue,
            };
            *filter = rule.filter.clone();
            *create = create_word(rule.create_policy()).to_owned();
            *update = update_word(rule.update_policy()).to_owned();
        }
        if let Some(MatchingRule { attributes, policy }) = &rules.matching {
            form.matching_attributes = attributes.join("\n");
            form.match_policy = match MatchPolicy::try_from(*policy).unwrap_or(MatchPolicy::Unspecified) {
                MatchPolicy::Adopt => "adopt",
                MatchPolicy::Conflict | MatchPolicy::Unspecified => "conflict",
            }
            .to_owned();
        }
        form
    }

    /// The rules the form describes, or what is wrong with its controls. An empty
    /// filter is no rule for that resource.
    pub(crate) fn rules(&self) -> Result<Rules, Vec<String>> {
        let mut problems = Vec::new();
        let mut scoping = Vec::new();
        for (resource, label, filter, create, update) in [
            (
                RuleResource::User,
                "users",
                &self.user_filter,
                &self.user_create_policy,
                &self.user_update_policy,
            ),
            (
                RuleResource::Group,
                "groups",
                &self.group_filter,
                &self.group_create_policy,
                &self.group_update_policy,
            ),
        ] {
            let filter = filter.trim();
            if filter.is_empty() {
                continue;
            }
            let create_policy = match create.as_str() {
                "" | "reject" => CreatePolicy::Reject,
                "accept-disabled" => CreatePolicy::AcceptDisabled,
                other => {
                    problems.push(format!("The create policy for {label} cannot be {other:?}."));
                    CreatePolicy::Unspecified
                }
            };
            let update_policy = match update.as_str() {
                "" | "deactivate" => UpdatePolicy::Deactivate,
                "delete" => UpdatePolicy::Delete,
                "reject" => UpdatePolicy::Reject,
                other => {
                    problems.push(format!("The update policy for {label} cannot be {other:?}."));
                    UpdatePolicy::Unspecified
                }
            };
            scoping.push(ScopingRule {
                resource: resource as i32,
                filter: filter.to_owned(),
                create_policy: create_policy as i32,
                update_policy: update_policy as i32,
            });
        }
        let attributes: Vec<String> = self
            .matching_attributes
            .split(['\n', ','])
            .map(str::trim)
            .filter(|attribute| !attribute.is_empty())
            .map(str::to_owned)
            .collect();
        let matching = match self.match_policy.as_str() {
            "" | "none" if attributes.is_empty() => None,
            "" | "none" => {
                problems.push("Choose what a match leads to, or clear the matching attributes.".to_owned());
                None
            }
            "adopt" => Some(MatchPolicy::Adopt),
            "conflict" => Some(MatchPolicy::Conflict),
            other => {
                problems.push(format!("The match policy cannot be {other:?}."));
                None
            }
        }
        .map(|policy| MatchingRule {
            attributes,
            policy: policy as i32,
        });
        if problems.is_empty() {
            Ok(Rules { scoping, matching })
        } else {
            Err(problems)
        }
    }

    /// The form's markup, showing these values.
    pub(crate) fn markup(&self, signed: &Signed) -> Markup {
        html! {
            form method="post" action="/admin/rules" {
                (page::csrf_field(signed))
                (scoping_fieldset("user", "Users", &self.user_filter, &self.user_create_policy, &self.user_update_policy))
                (scoping_fieldset("group", "Groups", &self.group_filter, &self.group_create_policy, &self.group_update_policy))
                fieldset {
                    legend { "Matching rule" }
                    label for="matching_attributes" { "Attributes tried in order" }
                    textarea #matching_attributes name="matching_attributes" aria-describedby="matching_attributes_hint" {
                        (self.matching_attributes)
                    }
                    p.hint #matching_attributes_hint {
                        "One per line or comma-separated: " code { "externalId" } ", " code { "userName" } ", "
                        code { "emails[primary eq true].value" } ", " code { "emails[type eq \"work\"].value" }
                        ". Empty with a policy: externalId, then userName."
                    }
                    label for="match_policy" { "When a created user matches an account this connection did not create" }
                    (select("match_policy", &MATCH_POLICIES, &self.match_policy))
                }
                div.actions {
                    // First, so that Enter in a field runs the harmless one.
                    button.secondary type="submit" name="action" value="dry-run" data-testid="dry-run" { "Dry run" }
                    button type="submit" name="action" value="save" data-testid="save-rules" { "Save rules" }
                }
            }
        }
    }
}

fn scoping_fieldset(prefix: &str, legend: &str, filter: &str, create: &str, update: &str) -> Markup {
    let (filter_id, hint_id) = (format!("{prefix}_filter"), format!("{prefix}_filter_hint"));
    let (create_id, update_id) = (format!("{prefix}_create_policy"), format!("{prefix}_update_policy"));
    let noun = legend.to_lowercase();
    let example = if prefix == "group" {
        r#"displayName sw "Sales""#
    } else {
        r#"userName ew "@contoso.com""#
    };
    html! {
        fieldset {
            legend { (legend) ": scoping rule" }
            label for=(filter_id) { "Filter" }
            input id=(filter_id) type="text" name=(filter_id) value=(filter) autocomplete="off" spellcheck="false"
                aria-describedby=(hint_id);
            p.hint id=(hint_id) {
                "A SCIM filter the " (noun) " must satisfy, e.g. " code { (example) }
                ". Empty: no rule, every one is in scope."
            }
            label for=(create_id) { "When a created resource is out of scope" }
            (select(&create_id, &CREATE_POLICIES, create))
            label for=(update_id) { "When an update moves a resource out of scope" }
            (select(&update_id, &UPDATE_POLICIES, update))
        }
    }
}

fn select(name: &str, choices: &[(&str, &str)], current: &str) -> Markup {
    html! {
        select id=(name) name=(name) {
            @for (value, label) in choices {
                option value=(value) selected[*value == current] { (label) }
            }
        }
    }
}

fn create_word(policy: CreatePolicy) -> &'static str {
    match policy {
        CreatePolicy::Unspecified | CreatePolicy::Reject => "reject",
        CreatePolicy::AcceptDisabled => "accept-disabled",
    }
}

fn update_word(policy: UpdatePolicy) -> &'static str {
    match policy {
        UpdatePolicy::Unspecified | UpdatePolicy::Deactivate => "deactivate",
        UpdatePolicy::Delete => "delete",
        UpdatePolicy::Reject => "reject",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            scoping: vec![ScopingRule {
                resource: RuleResource::Group as i32,
                filter: "displayName sw \"Eng\"".into(),
                create_policy: CreatePolicy::AcceptDisabled as i32,
                update_policy: UpdatePolicy::Delete as i32,
            }],
            matching: Some(MatchingRule {
                attributes: vec!["externalId".into(), "emails[type eq \"work\"].value".into()],
                policy: MatchPolicy::Adopt as i32,
            }),
        }
    }

    #[test]
    fn stored_rules_round_trip_through_the_form() {
        let form = RulesForm::from_rules(&rules());
        assert_eq!(form.user_filter, "");
        assert_eq!(form.group_create_policy, "accept-disabled");
        assert_eq!(form.rules().unwrap(), rules());
        assert_eq!(
            RulesForm::from_rules(&Rules::default()).rules().unwrap(),
            Rules::default()
        );
    }

    #[test]
    fn attributes_may_be_comma_separated_or_one_per_line() {
        let form = RulesForm {
            matching_attributes: " externalId,\r\nuserName ,, \n".into(),
            match_policy: "conflict".into(),
            ..RulesForm::default()
        };
        let matching = form.rules().unwrap().matching.unwrap();
        assert_eq!(matching.attributes, ["externalId", "userName"]);
        assert_eq!(matching.policy, MatchPolicy::Conflict as i32);
    }

    #[test]
    fn unknown_policies_and_attributes_without_a_policy_are_refused() {
        let form = RulesForm {
            user_filter: "active eq true".into(),
            user_create_policy: "shrug".into(),
            matching_attributes: "userName".into(),
            match_policy: "none".into(),
            ..RulesForm::default()
        };
        assert_eq!(form.rules().unwrap_err().len(), 2);
    }
}
