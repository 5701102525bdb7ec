//! Builders shared by the core's unit tests.

#![allow(clippy::unwrap_used)]

use idsync_proto::v1::PatchOperation;
use prost_types::value::Kind;
use prost_types::{ListValue, Struct, Value};

use idsync_storage::{StorageError, Store};

use crate::error::{CoreError, ScimType};

/// Holds a read connection of `store` (with a pool of one, the only one) on a thread of
/// its own until the returned sender sends; join the handle afterwards.
pub(crate) fn hold_a_reader(
    store: &Store,
) -> (
    std::sync::mpsc::Sender<()>,
    std::thread::JoinHandle<Result<(), StorageError>>,
) {
    let store = store.clone();
    let (held, release) = (std::sync::mpsc::channel::<()>(), std::sync::mpsc::channel::<()>());
    let holder = std::thread::spawn(move || {
        store.read(|_| {
            held.0.send(()).unwrap();
            release.1.recv().unwrap();
            Ok(())
        })
    });
    held.1.recv().unwrap();
    (release.0, holder)
}

/// A JSON value as the `google.protobuf.Value` the gateway sends.
pub(crate) fn value(v: serde_json::Value) -> Value {
    let kind = match v {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(b),
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap()),
        serde_json::Value::String(s) => Kind::StringValue(s),
        serde_json::Value::Array(a) => Kind::ListValue(ListValue {
            values: a.into_iter().map(value).collect(),
        }),
        serde_json::Value::Object(o) => Kind::StructValue(Struct {
            fields: o.into_iter().map(|(k, v)| (k, value(v))).collect(),
        }),
    };
    Value { kind: Some(kind) }
}

/// One PATCH operation.
pub(crate) fn op(op: &str, path: Option<&str>, v: Option<serde_json::Value>) -> PatchOperation {
    PatchOperation {
        op: op.into(),
        path: path.map(Into::into),
        value: v.map(value),
    }
}

/// The `scimType` of a 400; panics on any other error.
pub(crate) fn scim_type(e: CoreError) -> ScimType {
    match e {
        CoreError::Invalid { scim_type, .. } => scim_type,
        CoreError::OutOfScope(_) => ScimType::InvalidValue,
        other => panic!("expected a 400, got {other:?}"),
    }
}

/// A core on a fresh SQLite database with one tenant, and a `scim` caller of that tenant.
pub(crate) async fn tenant_core() -> (crate::Core, crate::auth::Caller, idsync_storage::test_util::TestDb) {
    let db = idsync_storage::test_util::TestDb::sqlite();
    let store = db.store();
    let core = crate::Core::new(store.clone(), crate::CoreSettings::default());
    let tenant = tokio::task::spawn_blocking(move || crate::admin::create_tenant(&store, "tested", None, false))
        .await
        .unwrap()
        .unwrap();
    let caller = crate::auth::Caller {
        tenant_id: tenant.id,
        token_id: "test-token".into(),
        scope: idsync_storage::records::Scope::Scim,
        request_id: None,
        trace_id: None,
    };
    (core, caller, db)
}
