//! Aggregates over one tenant: what the admin console's overview counts, and what a dry
//! run of scoping rules counts.
//!
//! Every statement here is scoped by `tenant_id` and answers with a count or a single
//! row computed by the database over the tenant's index range: no user, group or log
//! entry is loaded to be counted in memory, so the answers stay cheap at 100 000 users.

use diesel::dsl::{count_star, max, sql};
use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::Tx;
use crate::error::{DbResultExt, StorageError};
use crate::filter_sql;
use crate::log::LogRecord;
use crate::query::{GroupPredicate, UserPredicate};
use crate::records::Scope;
use crate::schema::{groups, provisioning_log as log, tokens, users};

/// How many users a tenant has, and how many of them are active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserCounts {
    /// Every user.
    pub users: u64,
    /// Users with `active = true` (absent counts as not active).
    pub active: u64,
}

/// Resources of a tenant in scope today, and how many of them a scoping predicate
/// admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScopeCount {
    /// Resources not marked out of scope.
    pub in_scope: u64,
    /// Those of them that satisfy the predicate (all of them without one).
    pub admitted: u64,
}

impl ScopeCount {
    /// Resources in scope that the predicate would not admit.
    pub fn leaving(&self) -> u64 {
        self.in_scope.saturating_sub(self.admitted)
    }
}

/// How many failed write attempts carried one `scimType`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureCount {
    /// The failure's `scimType`; `None` for failures without one.
    pub scim_type: Option<String>,
    /// How many there were.
    pub count: u64,
}

/// A count as SQL returns it (never negative) as the count it is.
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The rows of `$table` of a tenant not marked out of scope, and how many of them a
/// compiled `$predicate` admits: one shape for users and groups, whose diesel types
/// differ.
macro_rules! count_in_scope {
    ($conn:expr, $table:ident, $tenant_id:expr, $predicate:expr) => {{
        let in_scope = || {
            $table::table
                .filter($table::tenant_id.eq($tenant_id))
                .filter($table::out_of_scope.eq(false))
        };
        let all = in_scope().count().get_result::<i64>($conn).db().map(count)?;
        let admitted = match $predicate {
            Some(condition) => in_scope()
                .filter(condition)
                .count()
                .get_result::<i64>($conn)
                .db()
                .map(count)?,
            None => all,
        };
        Ok(ScopeCount {
            in_scope: all,
            admitted,
        })
    }};
}

impl Tx<'_> {
    /// The tenant's users and active users, from two indexes and never the user rows:
    /// every user is a `count(*)` over the tenant's range of an index (each planner
    /// picks its smallest), and the users not active are the range of
    /// `users_inactive_idx`, an index of those alone. Both in the caller's transaction,
    /// so they describe one moment.
    pub fn count_users(&mut self, tenant_id: &str) -> Result<UserCounts, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "users").entered();
        let users = users::table
            .filter(users::tenant_id.eq(tenant_id))
            .count()
            .get_result::<i64>(self.conn)
            .db()
            .map(count)?;
        // The same text as the partial index's `WHERE`, so that both planners see the
        // index answers it.
        let inactive = users::table
            .filter(users::tenant_id.eq(tenant_id))
            .filter(sql::<Bool>("users.active IS NOT TRUE"))
            .count()
            .get_result::<i64>(self.conn)
            .db()
            .map(count)?;
        Ok(UserCounts {
            users,
            active: users.saturating_sub(inactive),
        })
    }

    /// The tenant's groups: one `count(*)` over its range of the primary key.
    pub fn count_groups(&mut self, tenant_id: &str) -> Result<u64, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "groups").entered();
        groups::table
            .filter(groups::tenant_id.eq(tenant_id))
            .count()
            .get_result::<i64>(self.conn)
            .db()
            .map(count)
    }

    /// The tenant's users in scope, and how many of them satisfy `predicate` (compiled
    /// exactly as a list filter is); without a predicate all of them are admitted and
    /// one statement is enough.
    pub fn count_users_in_scope(
        &mut self,
        tenant_id: &str,
        predicate: Option<&UserPredicate>,
    ) -> Result<ScopeCount, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "users").entered();
        let predicate = predicate.map(filter_sql::compile).transpose()?;
        count_in_scope!(self.conn, users, tenant_id, predicate)
    }

    /// The tenant's groups in scope, and how many of them satisfy `predicate` (see
    /// [`Tx::count_users_in_scope`]).
    pub fn count_groups_in_scope(
        &mut self,
        tenant_id: &str,
        predicate: Option<&GroupPredicate>,
    ) -> Result<ScopeCount, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "groups").entered();
        let predicate = predicate.map(filter_sql::compile_group).transpose()?;
        count_in_scope!(self.conn, groups, tenant_id, predicate)
    }

    /// When a token of the tenant with `scope` was last used (revoked ones included);
    /// `None` when none ever was. One `max` over the tenant's tokens.
    pub fn last_token_use(&mut self, tenant_id: &str, scope: Scope) -> Result<Option<i64>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "tokens").entered();
        tokens::table
            .filter(tokens::tenant_id.eq(tenant_id))
            .filter(tokens::scope.eq(scope.as_str()))
            .select(max(tokens::last_used_us))
            .first::<Option<i64>>(self.conn)
            .db()
    }

    /// The tenant's newest log entry written for a token of the tenant with `scope`.
    /// The key `(tenant_id, at_us, id)` is walked backwards from the newest entry and
    /// the walk stops at the first one that qualifies.
    pub fn newest_log_entry_by_scope(
        &mut self,
        tenant_id: &str,
        scope: Scope,
    ) -> Result<Option<LogRecord>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "provisioning_log").entered();
        let of_scope = tokens::table
            .filter(tokens::tenant_id.eq(tenant_id))
            .filter(tokens::scope.eq(scope.as_str()))
            .select(tokens::id.nullable());
        log::table
            .filter(log::tenant_id.eq(tenant_id))
            .filter(log::token_id.eq_any(of_scope))
            .order((log::at_us.desc(), log::id.desc()))
            .select(LogRecord::as_select())
            .first(self.conn)
            .optional()
            .db()
    }

    /// The tenant's failed write attempts at or after `since_us`, counted per
    /// `scimType`, most frequent first (ties by `scimType`, none first). One grouped
    /// count over a range of `provisioning_log_failures_idx`, which holds the failures
    /// alone.
    pub fn failures_since(&mut self, tenant_id: &str, since_us: i64) -> Result<Vec<FailureCount>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "provisioning_log").entered();
        let rows = log::table
            .filter(log::tenant_id.eq(tenant_id))
            .filter(log::at_us.ge(since_us))
            // The text of `provisioning_log_failures_idx`'s `WHERE`, a literal: a bound
            // value would not tell either planner that the partial index applies.
            .filter(sql::<Bool>("provisioning_log.outcome = 'failure'"))
            .group_by(log::scim_type)
            .select((log::scim_type, count_star()))
            .load::<(Option<String>, i64)>(self.conn)
            .db()?;
        // A handful of groups (one per scimType): ordering them here keeps the
        // statement free of backend differences in ordering by an aggregate or NULLs.
        let mut failures: Vec<FailureCount> = rows
            .into_iter()
            .map(|(scim_type, n)| FailureCount {
                scim_type,
                count: count(n),
            })
            .collect();
        failures.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.scim_type.cmp(&b.scim_type)));
        Ok(failures)
    }
}
