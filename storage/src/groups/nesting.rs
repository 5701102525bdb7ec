//! Nesting groups in groups without closing a cycle: which ids name groups, a per-tenant
//! lock that serializes the writes that nest, and the reachability test they run under
//! it.

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::Tx;
use crate::conn::AnyConnection;
use crate::error::{DbResultExt, StorageError};
use crate::records::MemberType;
use crate::schema::{group_members, groups};
use crate::users::BATCH;

/// The advisory-lock class of group nesting (the object is the tenant id's hash).
const NESTING_LOCK_CLASS: i32 = 0x1d5c;

impl Tx<'_> {
    /// Which of `ids` name a group of the tenant (a plain read: no row locks), one query
    /// per 500 ids.
    pub fn groups_among(&mut self, tenant_id: &str, ids: &[String]) -> Result<Vec<String>, StorageError> {
        let mut found = Vec::new();
        for chunk in ids.chunks(BATCH) {
            let ids: Vec<String> = groups::table
                .filter(groups::tenant_id.eq(tenant_id))
                .filter(groups::id.eq_any(chunk))
                .select(groups::id)
                .load(self.conn)
                .db()?;
            found.extend(ids);
        }
        Ok(found)
    }

    /// Serializes, per tenant, the writes that nest groups in groups, until this
    /// transaction ends: a write that checks for cycles then sees every nesting committed
    /// before it (PostgreSQL: a transaction-scoped advisory lock; SQLite has one writer
    /// anyway). Take it before locking any row, so it cannot join a lock cycle.
    pub fn lock_group_nesting(&mut self, tenant_id: &str) -> Result<(), StorageError> {
        if let AnyConnection::Postgresql(c) = &mut *self.conn {
            diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                .bind::<diesel::sql_types::Integer, _>(NESTING_LOCK_CLASS)
                .bind::<Text, _>(tenant_id)
                .execute(c)
                .db()?;
        }
        Ok(())
    }

    /// Whether `target` is one of the groups `roots` or nested in one of them at any
    /// depth: adding any of `roots` to `target` would close a cycle. One query per level
    /// of nesting (per 500 groups of that level). Each group is visited once, so a cycle
    /// already stored cannot make it loop.
    pub fn reaches(&mut self, tenant_id: &str, roots: &[String], target: &str) -> Result<bool, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "group_members").entered();
        let mut seen: std::collections::HashSet<String> = roots.iter().cloned().collect();
        let mut level: Vec<String> = roots.to_vec();
        while !level.is_empty() {
            if level.iter().any(|id| id == target) {
                return Ok(true);
            }
            let mut next = Vec::new();
            for chunk in level.chunks(BATCH) {
                let nested: Vec<String> = group_members::table
                    .filter(group_members::tenant_id.eq(tenant_id))
                    .filter(group_members::group_id.eq_any(chunk))
                    .filter(group_members::member_type.eq(MemberType::Group.as_str()))
                    .select(group_members::member_id)
                    .load(self.conn)
                    .db()?;
                next.extend(nested.into_iter().filter(|id| seen.insert(id.clone())));
            }
            level = next;
        }
        Ok(false)
    }
}
