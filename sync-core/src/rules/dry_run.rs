//! A dry run of rules: what replacing a tenant's rules would put out of scope, judged in
//! SQL against the resources stored today, without storing anything.
//!
//! The rules are checked by the same code as when they are set (`admin::check_rules`),
//! so a dry run refuses exactly what SetRules would refuse, with the same `scimType` and
//! detail. Each scoping filter is compiled as a list filter is and counted in the
//! database: no user or group is loaded to be judged in memory.

use idsync_proto::v1 as pb;
use idsync_storage::{ScopeCount, Store};

use super::admin::{TenantRules, check_rules};
use crate::error::CoreResult;

/// What a dry run of a tenant's rules found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DryRun {
    /// Users in scope today, and how many of them the User scoping rule admits.
    pub users: ScopeCount,
    /// Groups in scope today, and how many of them the Group scoping rule admits.
    pub groups: ScopeCount,
}

/// Validates `rules` as `replace_rules` does, then counts the tenant's users and groups
/// in scope today (not marked out of scope) and those of them the new scoping rules
/// would admit. Reads only, in one snapshot: no rule, log entry or feed event is
/// written. A resource type without a rule admits everything. Blocking.
pub fn dry_run_rules(store: &Store, tenant_id: &str, rules: TenantRules) -> CoreResult<DryRun> {
    let checked = check_rules(tenant_id, rules)?;
    Ok(store.read(|tx| {
        Ok(DryRun {
            users: tx.count_users_in_scope(tenant_id, checked.user_scope.as_ref())?,
            groups: tx.count_groups_in_scope(tenant_id, checked.group_scope.as_ref())?,
        })
    })?)
}

impl DryRun {
    /// The proto form.
    pub fn to_proto(&self) -> pb::DryRunRulesResponse {
        let DryRun { users, groups } = self;
        pb::DryRunRulesResponse {
            users_leaving_scope: users.leaving(),
            groups_leaving_scope: groups.leaving(),
            users_in_scope: users.in_scope,
            groups_in_scope: groups.in_scope,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use idsync_storage::records::{CreatePolicy, RuleResource, ScopingRuleRecord, UpdatePolicy, UserRecord};
    use idsync_storage::test_util::TestDb;

    use super::*;
    use crate::rules::admin::{get_rules, replace_rules};

    fn user_rule(filter: &str) -> TenantRules {
        TenantRules {
            scoping: vec![ScopingRuleRecord {
                tenant_id: String::new(),
                resource: RuleResource::User,
                filter: filter.into(),
                create_policy: CreatePolicy::Reject,
                update_policy: UpdatePolicy::Deactivate,
            }],
            matching: None,
        }
    }

    #[test]
    fn a_dry_run_counts_in_sql_and_refuses_what_setting_refuses() {
        let db = TestDb::sqlite();
        let store = db.store();
        let tenant = crate::admin::create_tenant(&store, "contoso", None, false).unwrap();
        for (i, name) in ["ada@contoso.com", "bob@fabrikam.com", "cyd@contoso.com"]
            .iter()
            .enumerate()
        {
            let user = UserRecord {
                tenant_id: tenant.id.clone(),
                id: format!("u{i}"),
                user_name: (*name).into(),
                active: Some(true),
                version: 1,
                ..UserRecord::default()
            };
            store.write(|tx| tx.insert_user(&user)).unwrap();
        }
        let found = dry_run_rules(&store, &tenant.id, user_rule("userName ew \"@contoso.com\"")).unwrap();
        assert_eq!(found.to_proto().users_leaving_scope, 1);
        assert_eq!(found.to_proto().users_in_scope, 3);
        assert_eq!(found.groups, ScopeCount::default());

        let invalid = user_rule("userName ew");
        let dry = dry_run_rules(&store, &tenant.id, invalid.clone()).unwrap_err();
        let set = replace_rules(&store, &tenant.id, invalid).unwrap_err();
        assert_eq!(format!("{dry:?}"), format!("{set:?}"));
        assert_eq!(get_rules(&store, &tenant.id).unwrap(), TenantRules::default());
    }
}
