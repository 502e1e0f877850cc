//! The schema's migrations: `migrations/`, shared by SQLite and PostgreSQL, then on PostgreSQL
//! `migrations-postgres/`, changes only PostgreSQL makes (numbered from 1001, so that they never
//! meet a shared one). Both are recorded in the same `_sqlx_migrations` table.

use futures_util::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, Migrator};

use super::Backend;

static SHARED: Migrator = sqlx::migrate!("./migrations");
static POSTGRES_ONLY: Migrator = sqlx::migrate!("./migrations-postgres");

/// Applies every migration of `backend` that the database has not had yet.
pub async fn run(
    pool: &sqlx::AnyPool,
    backend: Backend,
) -> Result<(), sqlx::migrate::MigrateError> {
    let own = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(&POSTGRES_ONLY),
    };
    let migrations = SHARED
        .iter()
        .chain(own.into_iter().flat_map(Migrator::iter))
        .cloned()
        .collect();
    Migrator::new(Listed(migrations)).await?.run(pool).await
}

/// Migrations already read, as a source for [`Migrator::new`].
#[derive(Debug)]
struct Listed(Vec<Migration>);

impl MigrationSource<'static> for Listed {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move { Ok(self.0) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_only_versions_never_meet_shared_ones() {
        let highest_shared = SHARED.iter().map(|m| m.version).max().unwrap();
        assert!(
            highest_shared < 1001,
            "shared migrations reached {highest_shared}"
        );
        assert!(POSTGRES_ONLY.iter().all(|m| m.version >= 1001));
    }
}
