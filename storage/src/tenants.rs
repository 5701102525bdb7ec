//! Tenants: one customer organisation each.

use diesel::prelude::*;

use crate::conn::AnyConnection;
use crate::error::{DbResultExt, StorageError};
use crate::records::TenantRecord;
use crate::schema::tenants;
use crate::{Store, Tx};

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

impl Tx<'_> {
    /// Creates a tenant. [`StorageError::Conflict`] (`tenants.name` or `tenants.id`)
    /// when the name or id is taken.
    pub fn create_tenant(&mut self, tenant: &TenantRecord) -> Result<(), StorageError> {
        let _span = crate::trace::db_span!(self.conn, "INSERT", "tenants").entered();
        let TenantRecord {
            id,
            name,
            public_url,
            operator,
            created_us,
        } = tenant;
        diesel::insert_into(tenants::table)
            .values((
                tenants::id.eq(id),
                tenants::name.eq(name),
                tenants::public_url.eq(public_url.as_deref()),
                tenants::operator.eq(operator),
                tenants::created_us.eq(created_us),
            ))
            .execute(self.conn)
            .db()?;
        Ok(())
    }

    /// Every tenant, ordered by name.
    pub fn list_tenants(&mut self) -> Result<Vec<TenantRecord>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "tenants").entered();
        let rows = tenants::table
            .order(tenants::name)
            .select(TenantRow::as_select())
            .load(self.conn)
            .db()?;
        Ok(rows.into_iter().map(TenantRecord::from).collect())
    }

    /// The tenant with this exact name.
    pub fn tenant_by_name(&mut self, name: &str) -> Result<Option<TenantRecord>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "tenants").entered();
        let row = tenants::table
            .filter(tenants::name.eq(name))
            .select(TenantRow::as_select())
            .first(self.conn)
            .optional()
            .db()?;
        Ok(row.map(TenantRecord::from))
    }

    /// The tenant with this id.
    pub fn tenant(&mut self, id: &str) -> Result<Option<TenantRecord>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "tenants").entered();
        let row = tenants::table
            .filter(tenants::id.eq(id))
            .select(TenantRow::as_select())
            .first(self.conn)
            .optional()
            .db()?;
        Ok(row.map(TenantRecord::from))
    }

    /// The tenant with this id, its row locked until this transaction ends: concurrent
    /// writers of tenant-wide settings (rules) wait for each other instead of colliding.
    ///
    /// SQLite's single writer already serializes them; PostgreSQL needs the row lock.
    pub fn lock_tenant(&mut self, id: &str) -> Result<Option<TenantRecord>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "tenants").entered();
        let row = match &mut *self.conn {
            AnyConnection::Postgresql(pg) => tenants::table
                .filter(tenants::id.eq(id))
                .select(TenantRow::as_select())
                .for_update()
                .first(pg)
                .optional(),
            AnyConnection::Sqlite(_) => {
                return self.tenant(id);
            }
        }
        .db()?;
        Ok(row.map(TenantRecord::from))
    }

    /// The id of every tenant: what retention walks, one tenant at a time.
    pub(crate) fn tenant_ids(&mut self) -> Result<Vec<String>, StorageError> {
        tenants::table.select(tenants::id).load(self.conn).db()
    }

    /// How many tenants exist.
    pub fn count_tenants(&mut self) -> Result<u64, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "tenants").entered();
        let n = tenants::table.count().get_result::<i64>(self.conn).db()?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

impl Store {
    /// See [`Tx::create_tenant`].
    pub fn create_tenant(&self, tenant: &TenantRecord) -> Result<(), StorageError> {
        self.write(|tx| tx.create_tenant(tenant))
    }

    /// See [`Tx::list_tenants`].
    pub fn list_tenants(&self) -> Result<Vec<TenantRecord>, StorageError> {
        self.read(|tx| tx.list_tenants())
    }

    /// See [`Tx::tenant_by_name`].
    pub fn tenant_by_name(&self, name: &str) -> Result<Option<TenantRecord>, StorageError> {
        self.read(|tx| tx.tenant_by_name(name))
    }

    /// See [`Tx::tenant`].
    pub fn tenant(&self, id: &str) -> Result<Option<TenantRecord>, StorageError> {
        self.read(|tx| tx.tenant(id))
    }

    /// See [`Tx::count_tenants`].
    pub fn count_tenants(&self) -> Result<u64, StorageError> {
        self.read(|tx| tx.count_tenants())
    }
}
