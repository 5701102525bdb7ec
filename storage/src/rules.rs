//! Scoping and matching rules of a tenant, and the statements that apply them to the
//! row a write has just produced, inside that write's transaction.
//!
//! The rules are stored as the core validated them: a scoping rule's filter is SCIM text
//! (the core compiles it into a [`UserPredicate`] or [`GroupPredicate`] before it asks
//! anything here), a matching rule's attributes are names the core checked. This module
//! knows neither grammar.

use diesel::prelude::*;

use crate::cached;
use crate::conn::{AnyConnection, MultiBackend};
use crate::error::{DbResultExt, StorageError};
use crate::feed::{join_names, split_names};
use crate::filter_sql;
use crate::query::{GroupPredicate, UserPredicate};
use crate::schema::{groups, tenant_matching_rules, tenant_rules, tenants, users};
use crate::store::Tx;

/// The resource type a scoping rule applies to; stored as `User` or `Group`.
pub type RuleResource = crate::records::ResourceType;

/// What happens to a create whose resource is out of scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CreatePolicy {
    /// Refuse it; nothing is stored.
    Reject,
    /// Store it disabled (users: `active=false`) and marked out of scope.
    AcceptDisabled,
}

/// What happens when an update moves an existing resource out of scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpdatePolicy {
    /// Keep it, disabled (users: `active=false`) and marked out of scope.
    Deactivate,
    /// Delete it in the same transaction.
    Delete,
    /// Refuse the update; nothing changes.
    Reject,
}

/// What happens when a create matches an account this connection does not own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchPolicy {
    /// Link the account to the connection and overwrite it with the request.
    Adopt,
    /// Refuse the create as a uniqueness conflict.
    Conflict,
}

macro_rules! spelled {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The stored (and CLI) spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }

            /// Parses the stored spelling.
            pub fn parse(s: &str) -> Option<$ty> {
                match s { $($text => Some($ty::$variant),)+ _ => None }
            }
        }
    };
}

spelled!(CreatePolicy { Reject => "reject", AcceptDisabled => "accept-disabled" });
spelled!(UpdatePolicy { Deactivate => "deactivate", Delete => "delete", Reject => "reject" });
spelled!(MatchPolicy { Adopt => "adopt", Conflict => "conflict" });

/// A scoping rule: the SCIM filter a resource of `resource` must satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopingRuleRecord {
    /// The tenant it belongs to.
    pub tenant_id: String,
    /// The resource type it judges.
    pub resource: RuleResource,
    /// SCIM filter text, validated by the core when it was set.
    pub filter: String,
    /// For creates out of scope.
    pub create_policy: CreatePolicy,
    /// For updates that leave scope.
    pub update_policy: UpdatePolicy,
}

/// A tenant's matching rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchingRuleRecord {
    /// The tenant it belongs to.
    pub tenant_id: String,
    /// Attribute names, in the order they are tried (validated by the core).
    pub attributes: Vec<String>,
    /// What a single match leads to.
    pub policy: MatchPolicy,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = tenant_rules)]
struct ScopingRow {
    tenant_id: String,
    resource_type: String,
    filter: String,
    create_policy: String,
    update_policy: String,
}

impl ScopingRow {
    fn into_record(self) -> Result<ScopingRuleRecord, StorageError> {
        let bad = |what: &str, v: &str| StorageError::Internal(format!("unknown {what} {v:?} in tenant_rules"));
        Ok(ScopingRuleRecord {
            resource: RuleResource::parse(&self.resource_type)
                .ok_or_else(|| bad("resource type", &self.resource_type))?,
            create_policy: CreatePolicy::parse(&self.create_policy)
                .ok_or_else(|| bad("create policy", &self.create_policy))?,
            update_policy: UpdatePolicy::parse(&self.update_policy)
                .ok_or_else(|| bad("update policy", &self.update_policy))?,
            tenant_id: self.tenant_id,
            filter: self.filter,
        })
    }
}

/// Users not linked to the connection `token`: linked means adopted by it, or created
/// by it and adopted by nobody.
fn not_linked_to(token: &str) -> filter_sql::Cond<users::table> {
    let token = token.to_owned();
    Box::new(
        users::adopted_by_token
            .is_not_null()
            .and(users::adopted_by_token.ne(token.clone()).assume_not_null())
            .or(users::adopted_by_token.is_null().and(
                users::created_by_token
                    .is_null()
                    .or(users::created_by_token.ne(token).assume_not_null()),
            )),
    )
}

/// Marker of the cached statement that bumps `tenants.rules_version`.
struct BumpRulesVersion;

/// Marks the tenant's rules as changed: every statement below that sets or clears a rule
/// calls it, in its transaction, so that no core (here or on another replica) keeps
/// using rules it compiled before (see [`Tx::rules_version`]).
fn bump_rules_version(tx: &mut Tx<'_>, tenant_id: &str) -> Result<(), StorageError> {
    cached::update::<BumpRulesVersion, _, _, _>(
        tenants::table,
        tenants::rules_version.eq(tenants::rules_version + 1),
        tenants::id.eq(tenant_id),
    )
    .execute(tx.conn)
    .db()?;
    Ok(())
}

impl Tx<'_> {
    /// The stamp of the tenant's rules (`None`: no such tenant). Every statement that
    /// sets or clears one of its rules moves it on in the same transaction, so rules
    /// compiled after reading stamp `v` are current for as long as the stamp still
    /// reads `v`: read the stamp first, then the rules, and a copy can only be newer
    /// than its stamp, never older. One primary-key lookup, cheaper than the rules.
    pub fn rules_version(&mut self, tenant_id: &str) -> Result<Option<i64>, StorageError> {
        tenants::table
            .filter(tenants::id.eq(tenant_id))
            .select(tenants::rules_version)
            .first::<i64>(self.conn)
            .optional()
            .db()
    }

    /// The tenant's scoping rules, User before Group.
    pub fn scoping_rules(&mut self, tenant_id: &str) -> Result<Vec<ScopingRuleRecord>, StorageError> {
        let rows = tenant_rules::table
            .filter(tenant_rules::tenant_id.eq(tenant_id))
            .order(tenant_rules::resource_type.desc())
            .select(ScopingRow::as_select())
            .load(self.conn)
            .db()?;
        rows.into_iter().map(ScopingRow::into_record).collect()
    }

    /// The tenant's scoping rule for one resource type, if it has one.
    pub fn scoping_rule(
        &mut self,
        tenant_id: &str,
        resource: RuleResource,
    ) -> Result<Option<ScopingRuleRecord>, StorageError> {
        let row = tenant_rules::table
            .filter(tenant_rules::tenant_id.eq(tenant_id))
            .filter(tenant_rules::resource_type.eq(resource.as_str()))
            .select(ScopingRow::as_select())
            .first(self.conn)
            .optional()
            .db()?;
        row.map(ScopingRow::into_record).transpose()
    }

    /// Sets (or replaces) the tenant's scoping rule for `rule.resource`.
    /// [`StorageError::NotFound`] when the tenant does not exist.
    pub fn put_scoping_rule(&mut self, rule: &ScopingRuleRecord) -> Result<(), StorageError> {
        self.delete_scoping_rule(&rule.tenant_id, rule.resource)?;
        bump_rules_version(self, &rule.tenant_id)?;
        diesel::insert_into(tenant_rules::table)
            .values((
                tenant_rules::tenant_id.eq(&rule.tenant_id),
                tenant_rules::resource_type.eq(rule.resource.as_str()),
                tenant_rules::filter.eq(&rule.filter),
                tenant_rules::create_policy.eq(rule.create_policy.as_str()),
                tenant_rules::update_policy.eq(rule.update_policy.as_str()),
            ))
            .execute(self.conn)
            .db()?;
        Ok(())
    }

    /// Removes the tenant's scoping rule for `resource`; true when there was one.
    pub fn delete_scoping_rule(&mut self, tenant_id: &str, resource: RuleResource) -> Result<bool, StorageError> {
        let n = diesel::delete(
            tenant_rules::table
                .filter(tenant_rules::tenant_id.eq(tenant_id))
                .filter(tenant_rules::resource_type.eq(resource.as_str())),
        )
        .execute(self.conn)
        .db()?;
        bump_rules_version(self, tenant_id)?;
        Ok(n > 0)
    }

    /// The tenant's matching rule, if it has one.
    pub fn matching_rule(&mut self, tenant_id: &str) -> Result<Option<MatchingRuleRecord>, StorageError> {
        let row = tenant_matching_rules::table
            .filter(tenant_matching_rules::tenant_id.eq(tenant_id))
            .select((tenant_matching_rules::attributes, tenant_matching_rules::policy))
            .first::<(String, String)>(self.conn)
            .optional()
            .db()?;
        let Some((attributes, policy)) = row else {
            return Ok(None);
        };
        Ok(Some(MatchingRuleRecord {
            tenant_id: tenant_id.to_owned(),
            // Stored as the feed stores attribute names: comma-joined (commas cannot occur
            // in the attribute names the core accepts).
            attributes: split_names(&attributes),
            policy: MatchPolicy::parse(&policy)
                .ok_or_else(|| StorageError::Internal(format!("unknown match policy {policy:?}")))?,
        }))
    }

    /// Sets (or replaces) the tenant's matching rule.
    pub fn put_matching_rule(&mut self, rule: &MatchingRuleRecord) -> Result<(), StorageError> {
        self.delete_matching_rule(&rule.tenant_id)?;
        bump_rules_version(self, &rule.tenant_id)?;
        diesel::insert_into(tenant_matching_rules::table)
            .values((
                tenant_matching_rules::tenant_id.eq(&rule.tenant_id),
                tenant_matching_rules::attributes.eq(join_names(&rule.attributes)),
                tenant_matching_rules::policy.eq(rule.policy.as_str()),
            ))
            .execute(self.conn)
            .db()?;
        Ok(())
    }

    /// Removes the tenant's matching rule; true when there was one.
    pub fn delete_matching_rule(&mut self, tenant_id: &str) -> Result<bool, StorageError> {
        let n = diesel::delete(tenant_matching_rules::table.filter(tenant_matching_rules::tenant_id.eq(tenant_id)))
            .execute(self.conn)
            .db()?;
        bump_rules_version(self, tenant_id)?;
        Ok(n > 0)
    }

    /// Whether the stored user `(tenant_id, id)` satisfies `predicate`: one
    /// `SELECT 1 … WHERE tenant_id = ? AND id = ? AND <predicate>`, compiled exactly as
    /// a list filter is, so a rule and a query can never disagree.
    pub fn user_satisfies(
        &mut self,
        tenant_id: &str,
        id: &str,
        predicate: &UserPredicate,
    ) -> Result<bool, StorageError> {
        let found = users::table
            .into_boxed::<MultiBackend>()
            .filter(users::tenant_id.eq(tenant_id.to_owned()))
            .filter(users::id.eq(id.to_owned()))
            .filter(filter_sql::compile(predicate)?)
            .select(users::id)
            .first::<String>(self.conn)
            .optional()
            .db()?;
        Ok(found.is_some())
    }

    /// Whether the stored group `(tenant_id, id)` satisfies `predicate` (see
    /// [`Tx::user_satisfies`]).
    pub fn group_satisfies(
        &mut self,
        tenant_id: &str,
        id: &str,
        predicate: &GroupPredicate,
    ) -> Result<bool, StorageError> {
        let found = groups::table
            .into_boxed::<MultiBackend>()
            .filter(groups::tenant_id.eq(tenant_id.to_owned()))
            .filter(groups::id.eq(id.to_owned()))
            .filter(filter_sql::compile_group(predicate)?)
            .select(groups::id)
            .first::<String>(self.conn)
            .optional()
            .db()?;
        Ok(found.is_some())
    }

    /// Sets a user's scope marker and `active` without a new version: the caller does
    /// this inside the write that produced the version.
    pub fn set_user_scope(
        &mut self,
        tenant_id: &str,
        id: &str,
        out_of_scope: bool,
        active: bool,
    ) -> Result<(), StorageError> {
        /// Marker of the cached statement below.
        struct SetUserScope;
        cached::update::<SetUserScope, _, _, _>(
            users::table,
            (users::out_of_scope.eq(out_of_scope), users::active.eq(Some(active))),
            users::tenant_id.eq(tenant_id).and(users::id.eq(id)),
        )
        .execute(self.conn)
        .db()?;
        Ok(())
    }

    /// Sets a group's scope marker without a new version (see [`Tx::set_user_scope`]).
    pub fn set_group_scope(&mut self, tenant_id: &str, id: &str, out_of_scope: bool) -> Result<(), StorageError> {
        diesel::update(
            groups::table
                .filter(groups::tenant_id.eq(tenant_id))
                .filter(groups::id.eq(id)),
        )
        .set(groups::out_of_scope.eq(out_of_scope))
        .execute(self.conn)
        .db()?;
        Ok(())
    }

    /// Whether a group is marked out of scope; `None` when it does not exist.
    pub fn group_out_of_scope(&mut self, tenant_id: &str, id: &str) -> Result<Option<bool>, StorageError> {
        groups::table
            .filter(groups::tenant_id.eq(tenant_id))
            .filter(groups::id.eq(id))
            .select(groups::out_of_scope)
            .first::<bool>(self.conn)
            .optional()
            .db()
    }

    /// Holds, until the transaction ends, a lock on each of `identities` (the values a
    /// matching rule compares, e.g. `externalId=ext-7`) of the tenant: two creates of the
    /// same identity through two replicas then look for candidates one after the other,
    /// so the second finds (and adopts, or refuses) what the first stored, instead of
    /// both finding nothing and storing two accounts. PostgreSQL: transaction-scoped
    /// advisory locks, taken in sorted order so two writers cannot deadlock on them;
    /// SQLite has one writer anyway.
    pub fn lock_identities(&mut self, tenant_id: &str, identities: &[String]) -> Result<(), StorageError> {
        const IDENTITY_LOCK_CLASS: i32 = 0x1d5d;
        let AnyConnection::Postgresql(c) = &mut *self.conn else {
            return Ok(());
        };
        let mut keys: Vec<String> = identities.iter().map(|i| format!("{tenant_id}\u{1f}{i}")).collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                .bind::<diesel::sql_types::Integer, _>(IDENTITY_LOCK_CLASS)
                .bind::<diesel::sql_types::Text, _>(key)
                .execute(c)
                .db()?;
        }
        Ok(())
    }

    /// The ids of up to `limit` users of the tenant that satisfy `predicate` and are not
    /// linked to the connection `token` (see [`crate::records::UserRecord`]), oldest
    /// first: the candidates of a matching rule.
    pub fn unlinked_users(
        &mut self,
        tenant_id: &str,
        predicate: &UserPredicate,
        token: &str,
        limit: i64,
    ) -> Result<Vec<String>, StorageError> {
        users::table
            .into_boxed::<MultiBackend>()
            .filter(users::tenant_id.eq(tenant_id.to_owned()))
            .filter(filter_sql::compile(predicate)?)
            .filter(not_linked_to(token))
            .order((users::created_us.asc(), users::id.asc()))
            .limit(limit)
            .select(users::id)
            .load::<String>(self.conn)
            .db()
    }
}
