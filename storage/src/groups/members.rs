//! Membership statements. Each changes or reads only the rows it names, so adding or
//! removing one member of a group with 100 000 members is one single-row statement, and
//! reading the members (or the groups) of a whole page is one batched query.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;

use super::rows::{MemberRow, NewMember};
use crate::Tx;
use crate::cached::{self, on_backend};
use crate::conn::AnyConnection;
use crate::error::{DbResultExt, StorageError};
use crate::records::{MemberRecord, MemberType, MembershipRecord, ResolvedMember};
use crate::schema::{group_members, groups, users};
use crate::users::BATCH;

impl Tx<'_> {
    /// Which of `ids` name a user or a group of the tenant, with the type of each and
    /// whether a scoping rule marked it out of scope; ids that name neither (including
    /// those of other tenants) are left out. Two statements per 500 ids.
    ///
    /// On PostgreSQL the rows found stay locked `FOR SHARE` until the transaction ends, so
    /// a user or group being added as a member cannot be deleted concurrently (its delete
    /// waits, then removes the new membership row too); on SQLite writers never overlap.
    pub fn resolve_members(&mut self, tenant_id: &str, ids: &[String]) -> Result<Vec<ResolvedMember>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "group_members").entered();
        let resolved = |member_type| {
            move |(id, out_of_scope)| ResolvedMember {
                id,
                member_type,
                out_of_scope,
            }
        };
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BATCH) {
            let users = users::table
                .filter(users::tenant_id.eq(tenant_id))
                .filter(users::id.eq_any(chunk))
                .select((users::id, users::out_of_scope));
            let user_rows: Vec<(String, bool)> = match &mut *self.conn {
                AnyConnection::Sqlite(c) => users.load(c),
                AnyConnection::Postgresql(c) => users.for_share().load(c),
            }
            .db()?;
            found.extend(user_rows.into_iter().map(resolved(MemberType::User)));
            let groups = groups::table
                .filter(groups::tenant_id.eq(tenant_id))
                .filter(groups::id.eq_any(chunk))
                .select((groups::id, groups::out_of_scope));
            let group_rows: Vec<(String, bool)> = match &mut *self.conn {
                AnyConnection::Sqlite(c) => groups.load(c),
                AnyConnection::Postgresql(c) => groups.for_share().load(c),
            }
            .db()?;
            found.extend(group_rows.into_iter().map(resolved(MemberType::Group)));
        }
        Ok(found)
    }

    /// Adds members to a group (types resolved by the caller); members already there
    /// are left as they are. Returns the ids of those added. One statement per 500 members,
    /// whatever the size of the group. Does not touch the group's version.
    ///
    /// The statement is a multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING`.
    /// `MultiConnection` cannot batch inserts, so it is built per backend; and diesel runs a
    /// batch with `ON CONFLICT` (or `INSERT OR IGNORE`) on SQLite as one statement per row,
    /// so there it is written out with bound parameters.
    pub fn add_members(
        &mut self,
        tenant_id: &str,
        group_id: &str,
        members: &[MemberRecord],
    ) -> Result<Vec<String>, StorageError> {
        crate::text::check_member_ids(members)?;
        let _span = crate::trace::db_span!(self.conn, "INSERT", "group_members").entered();
        let mut added = Vec::new();
        for chunk in members.chunks(BATCH) {
            let rows: Vec<NewMember<'_>> = chunk
                .iter()
                .map(|m| NewMember {
                    tenant_id,
                    group_id,
                    member_id: &m.id,
                    member_type: m.member_type.as_str(),
                })
                .collect();
            let ids: Vec<String> = match &mut *self.conn {
                AnyConnection::Sqlite(c) => sqlite_insert_ignoring_duplicates(&rows)
                    .load::<MemberId>(c)
                    .map(|rows| rows.into_iter().map(|r| r.member_id).collect()),
                AnyConnection::Postgresql(c) => diesel::insert_into(group_members::table)
                    .values(&rows)
                    .on_conflict_do_nothing()
                    .returning(group_members::member_id)
                    .get_results(c),
            }
            .db()?;
            added.extend(ids);
        }
        Ok(added)
    }

    /// Removes the named members from a group; ids that are not members are ignored.
    /// Returns those removed. One `DELETE … RETURNING` per 500 ids. Does not touch the
    /// group's version.
    pub fn remove_members(
        &mut self,
        tenant_id: &str,
        group_id: &str,
        ids: &[String],
    ) -> Result<Vec<MemberRecord>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "DELETE", "group_members").entered();
        let mut removed = Vec::new();
        for chunk in ids.chunks(BATCH) {
            let delete = diesel::delete(
                group_members::table
                    .filter(group_members::tenant_id.eq(tenant_id))
                    .filter(group_members::group_id.eq(group_id))
                    .filter(group_members::member_id.eq_any(chunk)),
            )
            .returning((group_members::member_id, group_members::member_type));
            let rows: Vec<(String, String)> = match &mut *self.conn {
                AnyConnection::Sqlite(c) => delete.get_results(c),
                AnyConnection::Postgresql(c) => delete.get_results(c),
            }
            .db()?;
            removed.extend(removed_members(rows)?);
        }
        Ok(removed)
    }

    /// Removes every member of a group; returns those removed.
    pub fn clear_members(&mut self, tenant_id: &str, group_id: &str) -> Result<Vec<MemberRecord>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "DELETE", "group_members").entered();
        let delete = diesel::delete(
            group_members::table
                .filter(group_members::tenant_id.eq(tenant_id))
                .filter(group_members::group_id.eq(group_id)),
        )
        .returning((group_members::member_id, group_members::member_type));
        let rows: Vec<(String, String)> = match &mut *self.conn {
            AnyConnection::Sqlite(c) => delete.get_results(c),
            AnyConnection::Postgresql(c) => delete.get_results(c),
        }
        .db()?;
        removed_members(rows)
    }

    /// The ids of the groups that have `member_id` (a user or a group) as a direct
    /// member, ordered by id.
    pub fn groups_containing(&mut self, tenant_id: &str, member_id: &str) -> Result<Vec<String>, StorageError> {
        group_members::table
            .filter(group_members::tenant_id.eq(tenant_id))
            .filter(group_members::member_id.eq(member_id))
            .order(group_members::group_id)
            .select(group_members::group_id)
            .load(self.conn)
            .db()
    }

    /// The groups each of `user_ids` is a direct member of (the read-only `User.groups`),
    /// ordered by displayName: one query per 500 users. Users in no group are absent.
    pub fn memberships(
        &mut self,
        tenant_id: &str,
        user_ids: &[&str],
    ) -> Result<HashMap<String, Vec<MembershipRecord>>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "group_members").entered();
        let mut by_user: HashMap<String, Vec<MembershipRecord>> = HashMap::new();
        if let [user_id] = user_ids {
            // One user (a read by id): a static statement, cached, instead of an
            // `IN (…)` list that SQLite would prepare again on every call.
            let query = group_members::table
                .inner_join(
                    groups::table.on(groups::tenant_id
                        .eq(group_members::tenant_id)
                        .and(groups::id.eq(group_members::group_id))),
                )
                .filter(group_members::tenant_id.eq(tenant_id))
                .filter(group_members::member_type.eq(MemberType::User.as_str()))
                .filter(group_members::member_id.eq(*user_id))
                .order((groups::display_name_norm, groups::id))
                .select((groups::id, groups::display_name));
            let rows: Vec<(String, String)> = on_backend!(&mut *self.conn, |c| query.load(c)).db()?;
            if !rows.is_empty() {
                let groups = rows
                    .into_iter()
                    .map(|(group_id, display_name)| MembershipRecord { group_id, display_name })
                    .collect();
                by_user.insert((*user_id).to_owned(), groups);
            }
            return Ok(by_user);
        }
        for chunk in user_ids.chunks(BATCH) {
            let rows: Vec<(String, String, String)> = group_members::table
                .inner_join(
                    groups::table.on(groups::tenant_id
                        .eq(group_members::tenant_id)
                        .and(groups::id.eq(group_members::group_id))),
                )
                .filter(group_members::tenant_id.eq(tenant_id))
                .filter(group_members::member_type.eq(MemberType::User.as_str()))
                .filter(group_members::member_id.eq_any(chunk))
                .order((group_members::member_id, groups::display_name_norm, groups::id))
                .select((group_members::member_id, groups::id, groups::display_name))
                .load(self.conn)
                .db()?;
            for (user_id, group_id, display_name) in rows {
                by_user
                    .entry(user_id)
                    .or_default()
                    .push(MembershipRecord { group_id, display_name });
            }
        }
        Ok(by_user)
    }

    /// Takes a user or group that is about to be deleted out of every group it belongs to,
    /// bumping those groups' versions (their member lists change): two statements. Returns
    /// the ids of those groups.
    pub(crate) fn leave_every_group(
        &mut self,
        tenant_id: &str,
        member_id: &str,
        member_type: MemberType,
        now_us: i64,
    ) -> Result<Vec<String>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "DELETE", "group_members").entered();
        let rows = group_members::table
            .filter(group_members::tenant_id.eq(tenant_id))
            .filter(group_members::member_id.eq(member_id))
            .filter(group_members::member_type.eq(member_type.as_str()));
        // Most deleted users are in no group. On SQLite, whose writers run one at a
        // time, one probe of `group_members_member_idx` tells that, and saves the two
        // statements below the temporary B-trees SQLite builds for them (the `IN`
        // subquery and the `RETURNING` rows). On PostgreSQL a membership committed
        // after the probe would escape the delete, so it always runs both.
        if let AnyConnection::Sqlite(c) = &mut *self.conn {
            let member_of_any = diesel::select(diesel::dsl::exists(rows)).get_result::<bool>(c).db()?;
            if !member_of_any {
                return Ok(Vec::new());
            }
        }
        /// Marker of the cached statement below (see `crate::cached`).
        struct TouchGroupsOfMember;
        let touch = cached::update::<TouchGroupsOfMember, _, _, _>(
            groups::table,
            (
                groups::version.eq(groups::version + 1),
                groups::last_modified_us.eq(now_us),
            ),
            groups::tenant_id
                .eq(tenant_id)
                .and(groups::id.eq_any(rows.select(group_members::group_id))),
        );
        on_backend!(&mut *self.conn, |c| touch.execute(c)).db()?;
        let delete = diesel::delete(rows).returning(group_members::group_id);
        let mut groups: Vec<String> = match &mut *self.conn {
            AnyConnection::Sqlite(c) => delete.get_results(c),
            AnyConnection::Postgresql(c) => delete.get_results(c),
        }
        .db()?;
        groups.sort();
        Ok(groups)
    }
}

/// The one column that the SQLite insert of [`sqlite_insert_ignoring_duplicates`] returns.
#[derive(QueryableByName)]
struct MemberId {
    #[diesel(sql_type = Text)]
    member_id: String,
}

/// `INSERT INTO group_members … VALUES (…), (…) ON CONFLICT DO NOTHING` for SQLite.
fn sqlite_insert_ignoring_duplicates<'a>(
    rows: &[NewMember<'a>],
) -> diesel::query_builder::BoxedSqlQuery<'a, Sqlite, diesel::query_builder::SqlQuery> {
    let values = vec!["(?, ?, ?, ?)"; rows.len()].join(", ");
    let mut query = diesel::sql_query(format!(
        "INSERT INTO group_members (tenant_id, group_id, member_id, member_type) VALUES {values} \
         ON CONFLICT DO NOTHING RETURNING member_id"
    ))
    .into_boxed::<Sqlite>();
    for row in rows {
        query = query
            .bind::<Text, _>(row.tenant_id)
            .bind::<Text, _>(row.group_id)
            .bind::<Text, _>(row.member_id)
            .bind::<Text, _>(row.member_type);
    }
    query
}

/// The members a `DELETE … RETURNING (member_id, member_type)` removed.
fn removed_members(rows: Vec<(String, String)>) -> Result<Vec<MemberRecord>, StorageError> {
    rows.into_iter()
        .map(|(id, member_type)| {
            let member_type = MemberType::parse(&member_type)
                .ok_or_else(|| StorageError::Internal(format!("unknown member type {member_type:?}")))?;
            Ok(MemberRecord {
                id,
                member_type,
                display: None,
            })
        })
        .collect()
}

/// The tenant's membership rows joined with their members' current names, selected as
/// [`MemberRow`]s; callers narrow them to groups, order and page them.
#[diesel::dsl::auto_type(no_type_alias)]
pub(super) fn named_members<'a>(tenant_id: &'a str) -> _ {
    let user: &'static str = MemberType::User.as_str();
    let group: &'static str = MemberType::Group.as_str();
    group_members::table
        .left_join(
            users::table.on(users::tenant_id
                .eq(group_members::tenant_id)
                .and(users::id.eq(group_members::member_id))
                .and(group_members::member_type.eq(user))),
        )
        .left_join(
            groups::table.on(groups::tenant_id
                .eq(group_members::tenant_id)
                .and(groups::id.eq(group_members::member_id))
                .and(group_members::member_type.eq(group))),
        )
        .filter(group_members::tenant_id.eq(tenant_id))
        .select((
            group_members::group_id,
            group_members::member_id,
            group_members::member_type,
            users::display_name.nullable(),
            users::user_name.nullable(),
            groups::display_name.nullable(),
        ))
}

/// The members of each of `group_ids`, ordered by member id, with their current names:
/// one query per `BATCH` groups. With a `cap`, a group with more members than that is
/// [`StorageError::TooManyMembers`], found by counting before anything is loaded.
/// [`StorageError::TooManyMembers`] for the first of `group_ids` with more than `max`
/// members: one index-only count per batch.
fn refuse_groups_over(
    conn: &mut AnyConnection,
    tenant_id: &str,
    group_ids: &[&str],
    max: usize,
) -> Result<(), StorageError> {
    let counts: Vec<(String, i64)> = group_members::table
        .filter(group_members::tenant_id.eq(tenant_id))
        .filter(group_members::group_id.eq_any(group_ids))
        .group_by(group_members::group_id)
        .select((group_members::group_id, diesel::dsl::count_star()))
        .load(conn)
        .db()?;
    match counts
        .into_iter()
        .find(|(_, n)| usize::try_from(*n).unwrap_or(usize::MAX) > max)
    {
        Some((group_id, members)) => Err(StorageError::TooManyMembers {
            group_id,
            members: u64::try_from(members).unwrap_or(0),
            max,
        }),
        None => Ok(()),
    }
}

pub(super) fn load_named_members(
    conn: &mut AnyConnection,
    tenant_id: &str,
    group_ids: &[&str],
    cap: Option<usize>,
) -> Result<HashMap<String, Vec<MemberRecord>>, StorageError> {
    let _span = crate::trace::db_span!(conn, "SELECT", "group_members").entered();
    let mut by_group: HashMap<String, Vec<MemberRecord>> = HashMap::with_capacity(group_ids.len());
    for chunk in group_ids.chunks(BATCH) {
        if let Some(max) = cap {
            refuse_groups_over(conn, tenant_id, chunk, max)?;
        }
        let rows: Vec<MemberRow> = named_members(tenant_id)
            .filter(group_members::group_id.eq_any(chunk))
            .order((group_members::group_id, group_members::member_id))
            .load(conn)
            .db()?;
        for row in rows {
            let (group_id, member) = row.into_member()?;
            by_group.entry(group_id).or_default().push(member);
        }
    }
    Ok(by_group)
}
