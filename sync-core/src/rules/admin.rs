//! Reading and replacing a tenant's rules: what the `Admin` RPCs and `idsync rules`
//! call. Blocking: call from a blocking context.

use idsync_proto::v1 as pb;
use idsync_storage::Store;
use idsync_storage::records::{
    CreatePolicy, MatchPolicy, MatchingRuleRecord, RuleResource, ScopingRuleRecord, UpdatePolicy,
};

use super::spec::{
    DEFAULT_CREATE_POLICY, DEFAULT_MATCH_POLICY, DEFAULT_UPDATE_POLICY, matching_rule, validate_scoping_rule,
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

/// Validates every rule, then replaces the tenant's rules with them in one transaction;
/// returns them as stored (attributes spelled canonically). Nothing changes when one is
/// invalid.
pub fn replace_rules(store: &Store, tenant_id: &str, rules: TenantRules) -> CoreResult<TenantRules> {
    let mut seen = Vec::new();
    let mut scoping = Vec::with_capacity(rules.scoping.len());
    for rule in rules.scoping {
        if seen.contains(&rule.resource) {
            return Err(CoreError::invalid_value(format!(
                "more than one {} scoping rule",
                rule.resource.as_str()
            )));
        }
        seen.push(rule.resource);
        validate_scoping_rule(&rule)?;
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
    let stored = TenantRules { scoping, matching };
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
