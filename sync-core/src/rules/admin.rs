//! Reading and replacing a tenant's rules: what the `Admin` RPCs and `idsync rules`
//! call. Blocking: call from a blocking context.

use idsync_proto::v1 as pb;
use idsync_storage::Store;
use idsync_storage::query::{GroupPredicate, UserPredicate};
use idsync_storage::records::{
    CreatePolicy, MatchPolicy, MatchingRuleRecord, RuleResource, ScopingRuleRecord, UpdatePolicy,
};

use super::spec::{
    Compiled, DEFAULT_CREATE_POLICY, DEFAULT_MATCH_POLICY, DEFAULT_UPDATE_POLICY, compile_scoping_filter, matching_rule,
};
use crate::error::{CoreError, CoreResult};

/// A tenant's rules, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TenantRules {
    /// At most one per resource type, User first.
    pub scoping: Vec<ScopingRuleRecord>,
    /// The matching rule; `None`: a create never looks for an existing account.
    pub matching: Option<MatchingRuleRecord>,
}

impl TenantRules {
    /// The scoping rule for `resource`, if any.
    pub fn scoping_for(&self, resource: RuleResource) -> Option<&ScopingRuleRecord> {
        self.scoping.iter().find(|r| r.resource == resource)
    }
}

/// The tenant's rules.
pub fn get_rules(store: &Store, tenant_id: &str) -> CoreResult<TenantRules> {
    Ok(store.read(|tx| {
        Ok(TenantRules {
            scoping: tx.scoping_rules(tenant_id)?,
            matching: tx.matching_rule(tenant_id)?,
        })
    })?)
}

/// A tenant's rules, validated as [`replace_rules`] would store them, with their scoping
/// filters compiled for the resource type each judges.
pub(crate) struct CheckedRules {
    /// The rules as they would be stored (attributes spelled canonically).
    pub(crate) rules: TenantRules,
    /// The User scoping rule's filter, compiled as a list filter is.
    pub(crate) user_scope: Option<UserPredicate>,
    /// The Group scoping rule's filter, likewise.
    pub(crate) group_scope: Option<GroupPredicate>,
}

/// Validates every rule of `rules` for the tenant `tenant_id`: at most one scoping rule
/// per resource type, each filter compiled (`invalidFilter` with its position), the
/// matching attributes known and not repeated. The one check behind both SetRules and
/// DryRunRules, so a dry run refuses exactly what setting would refuse.
pub(crate) fn check_rules(tenant_id: &str, rules: TenantRules) -> CoreResult<CheckedRules> {
    let mut scoping: Vec<ScopingRuleRecord> = Vec::with_capacity(rules.scoping.len());
    let (mut user_scope, mut group_scope) = (None, None);
    for rule in rules.scoping {
        if scoping.iter().any(|r| r.resource == rule.resource) {
            return Err(CoreError::invalid_value(format!(
                "more than one {} scoping rule",
                rule.resource.as_str()
            )));
        }
        match compile_scoping_filter(rule.resource, &rule.filter)? {
            Compiled::User(predicate) => user_scope = Some(predicate),
            Compiled::Group(predicate) => group_scope = Some(predicate),
        }
        scoping.push(ScopingRuleRecord {
            tenant_id: tenant_id.to_owned(),
            ..rule
        });
    }
    scoping.sort_by_key(|r| r.resource != RuleResource::User);
    let matching = rules
        .matching
        .map(|m| matching_rule(tenant_id, &m.attributes, m.policy))
        .transpose()?;
    Ok(CheckedRules {
        rules: TenantRules { scoping, matching },
        user_scope,
        group_scope,
    })
}

/// Validates every rule (`check_rules`), then replaces the tenant's rules with them in
/// one transaction; returns them as stored (attributes spelled canonically). Nothing
/// changes when one is invalid.
pub fn replace_rules(store: &Store, tenant_id: &str, rules: TenantRules) -> CoreResult<TenantRules> {
    let stored = check_rules(tenant_id, rules)?.rules;
    store.write(|tx| -> CoreResult<()> {
        // Locked: two replacements at once would both delete, then both insert.
        if tx.lock_tenant(tenant_id)?.is_none() {
            return Err(CoreError::NotFound("no such tenant".into()));
        }
        for resource in [RuleResource::User, RuleResource::Group] {
            tx.delete_scoping_rule(tenant_id, resource)?;
        }
        for rule in &stored.scoping {
            tx.put_scoping_rule(rule)?;
        }
        match &stored.matching {
            Some(rule) => tx.put_matching_rule(rule)?,
            None => {
                tx.delete_matching_rule(tenant_id)?;
            }
        }
        Ok(())
    })?;
    Ok(stored)
}

/// The proto form of a tenant's rules.
pub fn rules_to_proto(rules: &TenantRules) -> pb::Rules {
    pb::Rules {
        scoping: rules
            .scoping
            .iter()
            .map(|r| pb::ScopingRule {
                resource: match r.resource {
                    RuleResource::User => pb::RuleResource::User,
                    RuleResource::Group => pb::RuleResource::Group,
                } as i32,
                filter: r.filter.clone(),
                create_policy: match r.create_policy {
                    CreatePolicy::Reject => pb::CreatePolicy::Reject,
                    CreatePolicy::AcceptDisabled => pb::CreatePolicy::AcceptDisabled,
                } as i32,
                update_policy: match r.update_policy {
                    UpdatePolicy::Deactivate => pb::UpdatePolicy::Deactivate,
                    UpdatePolicy::Delete => pb::UpdatePolicy::Delete,
                    UpdatePolicy::Reject => pb::UpdatePolicy::Reject,
                } as i32,
            })
            .collect(),
        matching: rules.matching.as_ref().map(|m| pb::MatchingRule {
            attributes: m.attributes.clone(),
            policy: match m.policy {
                MatchPolicy::Adopt => pb::MatchPolicy::Adopt,
                MatchPolicy::Conflict => pb::MatchPolicy::Conflict,
            } as i32,
        }),
    }
}

/// A tenant's rules from their proto form; unspecified policies take the defaults
/// (reject, deactivate, conflict). The tenant id is filled in by [`replace_rules`].
pub fn rules_from_proto(rules: pb::Rules) -> CoreResult<TenantRules> {
    let pb::Rules { scoping, matching } = rules;
    let scoping = scoping
        .into_iter()
        .map(|rule| {
            let pb::ScopingRule {
                resource,
                filter,
                create_policy,
                update_policy,
            } = rule;
            Ok(ScopingRuleRecord {
                tenant_id: String::new(),
                resource: match pb::RuleResource::try_from(resource) {
                    Ok(pb::RuleResource::User) => RuleResource::User,
                    Ok(pb::RuleResource::Group) => RuleResource::Group,
                    _ => {
                        return Err(CoreError::invalid_value(
                            "a scoping rule's resource must be USER or GROUP",
                        ));
                    }
                },
                filter,
                create_policy: match pb::CreatePolicy::try_from(create_policy) {
                    Ok(pb::CreatePolicy::Unspecified) => DEFAULT_CREATE_POLICY,
                    Ok(pb::CreatePolicy::Reject) => CreatePolicy::Reject,
                    Ok(pb::CreatePolicy::AcceptDisabled) => CreatePolicy::AcceptDisabled,
                    Err(_) => return Err(CoreError::invalid_value("unknown create policy")),
                },
                update_policy: match pb::UpdatePolicy::try_from(update_policy) {
                    Ok(pb::UpdatePolicy::Unspecified) => DEFAULT_UPDATE_POLICY,
                    Ok(pb::UpdatePolicy::Deactivate) => UpdatePolicy::Deactivate,
                    Ok(pb::UpdatePolicy::Delete) => UpdatePolicy::Delete,
                    Ok(pb::UpdatePolicy::Reject) => UpdatePolicy::Reject,
                    Err(_) => return Err(CoreError::invalid_value("unknown update policy")),
                },
            })
        })
        .collect::<CoreResult<Vec<_>>>()?;
    let matching = matching
        .map(|m| {
            let pb::MatchingRule { attributes, policy } = m;
            Ok(MatchingRuleRecord {
                tenant_id: String::new(),
                attributes,
                policy: match pb::MatchPolicy::try_from(policy) {
                    Ok(pb::MatchPolicy::Unspecified) => DEFAULT_MATCH_POLICY,
                    Ok(pb::MatchPolicy::Adopt) => MatchPolicy::Adopt,
                    Ok(pb::MatchPolicy::Conflict) => MatchPolicy::Conflict,
                    Err(_) => return Err(CoreError::invalid_value("unknown match policy")),
                },
            })
        })
        .transpose()?;
    Ok(TenantRules { scoping, matching })
}
