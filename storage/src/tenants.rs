//! Tenants: one customer organisation each.

use diesel::prelude::*;

use crate::conn::AnyConnection;
use crate::error::{DbResultExt, StorageError};
use crate::records::TenantRecord;
use crate::schema::tenants;

#[derive(Queryable, Selectable)]
#[diesel(table_name = tenants)]
struct TenantRow {
    id: String,
    name: String,
    public_url: Option<String>,
    operator: bool,
    created_us: i64,
}

impl From<TenantRow> for TenantRecord {
    fn from(r: TenantRow) -> TenantRecord {
        TenantRecord {
            id: r.id,
            name: r.name,
            public_url: r.public_url,
            operator: r.operator,
            created_us: r.created_us,
        }
    }
}

pub(crate) fn create_tenant_in(conn: &mut AnyConnection, t: &TenantRecord) -> Result<(), StorageError> {
    let _span = crate::trace::db_span(conn, "INSERT", "tenants").entered();
    let TenantRecord {
        id,
        name,
        public_url,
        operator,
        created_us,
    } = t;
    diesel::insert_into(tenants::table)
        .values((
            tenants::id.eq(id),
            tenants::name.eq(name),
            tenants::public_url.eq(public_url.as_deref()),
            tenants::operator.eq(operator),
            tenants::created_us.eq(created_us),
        ))
        .execute(conn)
        .db()?;
    Ok(())
}

/// Every tenant, by name.
pub(crate) fn list_tenants_in(conn: &mut AnyConnection) -> Result<Vec<TenantRecord>, StorageError> {
    let _span = crate::trace::db_span(conn, "SELECT", "tenants").entered();
    let rows = tenants::table
        .order(tenants::name)
        .select(TenantRow::as_select())
        .load(conn)
        .db()?;
    Ok(rows.into_iter().map(TenantRecord::from).collect())
}

pub(crate) fn tenant_by_name_in(conn: &mut AnyConnection, name: &str) -> Result<Option<TenantRecord>, StorageError> {
    let _span = crate::trace::db_span(conn, "SELECT", "tenants").entered();
    let row = tenants::table
        .filter(tenants::name.eq(name))
        .select(TenantRow::as_select())
        .first(conn)
        .optional()
        .db()?;
    Ok(row.map(TenantRecord::from))
}

pub(crate) fn tenant_in(conn: &mut AnyConnection, id: &str) -> Result<Option<TenantRecord>, StorageError> {
    let _span = crate::trace::db_span(conn, "SELECT", "tenants").entered();
    let row = tenants::table
        .filter(tenants::id.eq(id))
        .select(TenantRow::as_select())
        .first(conn)
        .optional()
        .db()?;
    Ok(row.map(TenantRecord::from))
}

/// The tenant with this id, its row locked until the transaction ends, so that writes
/// that replace a tenant-wide setting (its rules) run one after the other. SQLite's
/// single writer already serializes them; PostgreSQL needs the row lock.
pub(crate) fn lock_tenant_in(conn: &mut AnyConnection, id: &str) -> Result<Option<TenantRecord>, StorageError> {
    let _span = crate::trace::db_span(conn, "SELECT", "tenants").entered();
    let row = match conn {
        AnyConnection::Postgresql(pg) => tenants::table
            .filter(tenants::id.eq(id))
            .select(TenantRow::as_select())
            .for_update()
            .first(pg)
            .optional(),
        AnyConnection::Sqlite(_) => {
            return tenant_in(conn, id);
        }
    }
    .db()?;
    Ok(row.map(TenantRecord::from))
}

pub(crate) fn count_tenants_in(conn: &mut AnyConnection) -> Result<u64, StorageError> {
    let _span = crate::trace::db_span(conn, "SELECT", "tenants").entered();
    let n = tenants::table.count().get_result::<i64>(conn).db()?;
    Ok(u64::try_from(n).unwrap_or(0))
}
