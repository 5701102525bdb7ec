//! A tenant's rules, compiled once and kept between writes.
//!
//! A write needs the tenant's scoping rule (every write) and matching rule (user
//! creates). Reading both rows and parsing the scoping filter on every write costs more
//! than the write's own statements, and the rules change rarely: an admin sets them.
//!
//! **Invalidation, on every replica.** Each replica (each [`crate::Core`]) keeps its own
//! copy, so the copy must never outlive a change made through another core on the same
//! database. The database keeps a stamp per tenant, `tenants.rules_version`, that every
//! statement setting or clearing a rule moves on in the same transaction (storage's
//! `Tx::rules_version`). A write reads the stamp inside its own transaction — one
//! primary-key lookup, instead of the rule rows — and uses its copy only when it was
//! compiled at that stamp; otherwise it reads the rules, compiles them and keeps them.
//! The stamp is read *before* the rules, so a copy is never older than its stamp: if
//! rules change between the two reads, the copy holds the newer rules under the older
//! stamp, and the next write, seeing the newer stamp, reads them once more. A write
//! therefore applies the rules as its transaction sees them, exactly as when it read the
//! rows itself; no timer, no message between replicas.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use idsync_storage::Tx;
use idsync_storage::query::{GroupPredicate, UserPredicate};
use idsync_storage::records::{MatchPolicy, RuleResource, ScopingRuleRecord};

use super::spec::{Compiled, MatchAttribute, compile_scoping_filter, parse_match_attributes};
use crate::error::{CoreError, CoreResult};

/// The compiled rules of each tenant this core has written to, with their stamps.
#[derive(Debug, Default)]
pub(crate) struct RulesCache {
    tenants: Mutex<HashMap<String, Arc<TenantRules>>>,
}

/// One tenant's rules, compiled, as of the stamp `version`.
#[derive(Debug, Default)]
pub(crate) struct TenantRules {
    version: i64,
    /// The User scoping rule and its filter as a predicate.
    pub(crate) user_scope: Option<(ScopingRuleRecord, UserPredicate)>,
    /// The Group scoping rule and its filter as a predicate.
    pub(crate) group_scope: Option<(ScopingRuleRecord, GroupPredicate)>,
    /// The matching rule: its attributes in order, and its policy.
    pub(crate) matching: Option<(Vec<MatchAttribute>, MatchPolicy)>,
}

impl RulesCache {
    /// The rules of `tenant_id` as the transaction `tx` sees them: the kept copy when
    /// the stamp has not moved since it was compiled, else freshly read and compiled.
    pub(crate) fn rules(&self, tx: &mut Tx<'_>, tenant_id: &str) -> CoreResult<Arc<TenantRules>> {
        let Some(version) = tx.rules_version(tenant_id)? else {
            // No such tenant (deleted under the write): no rules, nothing to keep.
            self.tenants().remove(tenant_id);
            return Ok(Arc::new(TenantRules::default()));
        };
        if let Some(kept) = self.tenants().get(tenant_id).filter(|r| r.version == version) {
            return Ok(kept.clone());
        }
        let fresh = Arc::new(TenantRules::read(tx, tenant_id, version)?);
        let mut tenants = self.tenants();
        // Two writes may compile at once; keep the copy of the later stamp.
        if tenants.get(tenant_id).is_none_or(|kept| kept.version <= version) {
            tenants.insert(tenant_id.to_owned(), fresh.clone());
        }
        Ok(fresh)
    }

    fn tenants(&self) -> MutexGuard<'_, HashMap<String, Arc<TenantRules>>> {
        // The map holds no invariant a panicking holder could break halfway.
        self.tenants.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl TenantRules {
    /// Reads and compiles the tenant's rules (read after the stamp `version`).
    fn read(tx: &mut Tx<'_>, tenant_id: &str, version: i64) -> CoreResult<TenantRules> {
        let mut rules = TenantRules {
            version,
            ..TenantRules::default()
        };
        for rule in tx.scoping_rules(tenant_id)? {
            // Validated when set; failing now means the schema changed under a stored rule.
            let compiled = compile_scoping_filter(rule.resource, &rule.filter)
                .map_err(|e| CoreError::Internal(format!("stored scoping rule no longer compiles: {e}")))?;
            match (rule.resource, compiled) {
                (RuleResource::User, Compiled::User(predicate)) => rules.user_scope = Some((rule, predicate)),
                (RuleResource::Group, Compiled::Group(predicate)) => rules.group_scope = Some((rule, predicate)),
                (resource, _) => {
                    return Err(CoreError::Internal(format!(
                        "the {} scoping rule compiled for another resource type",
                        resource.as_str()
                    )));
                }
            }
        }
        if let Some(rule) = tx.matching_rule(tenant_id)? {
            let attributes = parse_match_attributes(&rule.attributes)
                .map_err(|e| CoreError::Internal(format!("stored matching rule no longer parses: {e}")))?;
            rules.matching = Some((attributes, rule.policy));
        }
        Ok(rules)
    }
}
