//! Rules as an admin writes them: validation and defaults, before anything is stored.

use idsync_storage::query::{GroupPredicate, MultiValuedAttr, UserPredicate};
use idsync_storage::records::{
    CreatePolicy, MatchPolicy, MatchingRuleRecord, RuleResource, ScopingRuleRecord, UpdatePolicy, UserRecord,
};

use crate::error::{CoreError, CoreResult, ScimType};
use crate::groups::filter::compile_group_filter;
use crate::scim::FilterLimits;
use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::path::AttrPath;
use crate::users::filter::{compile_parsed_user_filter, compile_user_filter};

/// A scoping filter compiled for its resource type.
#[derive(Debug, Clone)]
pub(crate) enum Compiled {
    /// Over users.
    User(UserPredicate),
    /// Over groups.
    Group(GroupPredicate),
}

/// Compiles a scoping rule's filter with the list filters' grammar and schema. A syntax
/// error names its position (`… at character N`); an empty filter is refused (clear
/// the rule instead).
pub(crate) fn compile_scoping_filter(resource: RuleResource, filter: &str) -> CoreResult<Compiled> {
    if filter.trim().is_empty() {
        return Err(CoreError::invalid(
            ScimType::InvalidFilter,
            format!("the {} scoping rule needs a filter", resource.as_str()),
        ));
    }
    let compiled = match resource {
        RuleResource::User => compile_user_filter(filter, &FilterLimits::DEFAULT).map(Compiled::User),
        RuleResource::Group => compile_group_filter(filter, &FilterLimits::DEFAULT).map(Compiled::Group),
    };
    compiled.map_err(|e| match e {
        CoreError::Invalid { scim_type, detail } => CoreError::invalid(
            scim_type,
            format!("invalid {} scoping filter `{filter}`: {detail}", resource.as_str()),
        ),
        other => other,
    })
}

/// Validates a scoping rule before it is stored.
pub fn validate_scoping_rule(rule: &ScopingRuleRecord) -> CoreResult<()> {
    compile_scoping_filter(rule.resource, &rule.filter).map(|_| ())
}

/// An attribute a matching rule may compare, with the schema's case rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchAttribute {
    /// `externalId` (caseExact).
    ExternalId,
    /// `userName` (case-insensitive).
    UserName,
    /// `emails[primary eq true].value` (case-insensitive).
    PrimaryEmail,
    /// `emails[type eq "work"].value` (case-insensitive).
    WorkEmail,
}

/// The attributes of a matching rule that names none: `externalId`, then `userName`.
pub const DEFAULT_MATCH_ATTRIBUTES: [MatchAttribute; 2] = [MatchAttribute::ExternalId, MatchAttribute::UserName];

const MATCH_ATTRIBUTES: [MatchAttribute; 4] = [
    MatchAttribute::ExternalId,
    MatchAttribute::UserName,
    MatchAttribute::PrimaryEmail,
    MatchAttribute::WorkEmail,
];

impl MatchAttribute {
    /// The canonical spelling, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchAttribute::ExternalId => "externalId",
            MatchAttribute::UserName => "userName",
            MatchAttribute::PrimaryEmail => "emails[primary eq true].value",
            MatchAttribute::WorkEmail => "emails[type eq \"work\"].value",
        }
    }

    /// Parses a spelling; attribute names ignore case (RFC 7643 §2.1), blanks are
    /// ignored, the value in `type eq "work"` is exact.
    pub fn parse(text: &str) -> CoreResult<MatchAttribute> {
        let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        MATCH_ATTRIBUTES
            .into_iter()
            .find(|a| {
                let key = a.as_str().replace(' ', "");
                squeezed.eq_ignore_ascii_case(&key) && (!key.contains('"') || squeezed.contains("\"work\""))
            })
            .ok_or_else(|| {
                CoreError::invalid_value(format!(
                    "{text:?} cannot be a matching attribute; use {}",
                    MATCH_ATTRIBUTES.map(MatchAttribute::as_str).join(", ")
                ))
            })
    }

    /// The incoming user's value of this attribute, if it has one.
    pub(crate) fn value_of(self, user: &UserRecord) -> Option<&str> {
        let email = |pick: &dyn Fn(&idsync_storage::records::ChildValue) -> bool| {
            user.children
                .iter()
                .filter(|(attr, _)| *attr == MultiValuedAttr::Emails)
                .map(|(_, c)| c)
                .find(|c| pick(c))
                .and_then(|c| c.value.as_deref())
        };
        match self {
            MatchAttribute::ExternalId => user.external_id.as_deref(),
            MatchAttribute::UserName => Some(user.user_name.as_str()),
            MatchAttribute::PrimaryEmail => email(&|c| c.primary == Some(true)),
            MatchAttribute::WorkEmail => email(&|c| c.type_.as_deref() == Some("work")),
        }
        .filter(|v| !v.is_empty())
    }

    /// `attribute eq value` as a storage predicate, compiled from a filter tree so the
    /// schema decides case sensitivity exactly as for a list filter.
    pub(crate) fn predicate(self, value: &str) -> CoreResult<UserPredicate> {
        let eq = |attr: &str| Filter::eq_str(AttrPath::new(attr), value);
        let filter = match self {
            MatchAttribute::ExternalId => eq("externalId"),
            MatchAttribute::UserName => eq("userName"),
            MatchAttribute::PrimaryEmail => Filter::value_path(
                AttrPath::new("emails"),
                Filter::and(
                    Filter::compare(AttrPath::new("primary"), CompareOp::Eq, CompValue::Bool(true)),
                    eq("value"),
                ),
            ),
            MatchAttribute::WorkEmail => Filter::value_path(
                AttrPath::new("emails"),
                Filter::and(Filter::eq_str(AttrPath::new("type"), "work"), eq("value")),
            ),
        };
        compile_parsed_user_filter(&filter)
    }
}

/// Parses a matching rule's attribute list: empty means the default; no repeats.
pub fn parse_match_attributes(names: &[String]) -> CoreResult<Vec<MatchAttribute>> {
    if names.iter().all(|n| n.trim().is_empty()) {
        return Ok(DEFAULT_MATCH_ATTRIBUTES.to_vec());
    }
    let mut out: Vec<MatchAttribute> = Vec::with_capacity(names.len());
    for name in names {
        let attribute = MatchAttribute::parse(name)?;
        if out.contains(&attribute) {
            return Err(CoreError::invalid_value(format!(
                "matching attribute {} is listed twice",
                attribute.as_str()
            )));
        }
        out.push(attribute);
    }
    Ok(out)
}

/// A matching rule with its attributes validated and spelled canonically.
pub fn matching_rule(tenant_id: &str, names: &[String], policy: MatchPolicy) -> CoreResult<MatchingRuleRecord> {
    Ok(MatchingRuleRecord {
        tenant_id: tenant_id.to_owned(),
        attributes: parse_match_attributes(names)?
            .into_iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
        policy,
    })
}

/// The policies a rule gets when the admin names none: reject creates, deactivate on
/// update, answer a match with a conflict.
pub const DEFAULT_CREATE_POLICY: CreatePolicy = CreatePolicy::Reject;
/// See [`DEFAULT_CREATE_POLICY`].
pub const DEFAULT_UPDATE_POLICY: UpdatePolicy = UpdatePolicy::Deactivate;
/// See [`DEFAULT_CREATE_POLICY`].
pub const DEFAULT_MATCH_POLICY: MatchPolicy = MatchPolicy::Conflict;
