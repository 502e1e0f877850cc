//! The SQLite database file: made before SQLite opens it, readable by its owner only, and errors
//! that say which file or directory is at fault. It holds merchants' secret keys and webhook
//! secrets, so no other user of the machine may read it.

use std::io::ErrorKind;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Makes a missing database file, mode 0600 (SQLite gives its `-wal` and `-shm` files the
/// database file's mode), or warns when an existing one is open to other users.
pub fn prepare(path: &Path) -> anyhow::Result<()> {
    match std::fs::metadata(path) {
        Ok(metadata) => {
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(
                    path = %path.display(),
                    "the SQLite database {} can be read by other users (mode {mode:o}), and it \
                     holds merchants' secret keys: chmod 600 {0} (and its -wal and -shm files)",
                    path.display()
                );
            }
            Ok(())
        }
        Err(error) if error.kind() == ErrorKind::NotFound => create(path),
        Err(error) => Err(anyhow::Error::new(error).context(format!(
            "cannot open the SQLite database {}",
            path.display()
        ))),
    }
}

fn create(path: &Path) -> anyhow::Result<()> {
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !directory.is_dir() {
        anyhow::bail!(
            "cannot create the SQLite database {}: the directory {} does not exist",
            path.display(),
            directory.display()
        );
    }
    // Said in the log: a database that went missing is not recreated silently.
    tracing::info!(path = %path.display(), "creating a new, empty SQLite database");
    // An empty file is an empty SQLite database.
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(_) => Ok(()),
        // Another process made it meanwhile: it is opened as it is.
        Err(error) if error.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(error) if error.kind() == ErrorKind::PermissionDenied => anyhow::bail!(
            "cannot create the SQLite database {}: the directory {} is not writable by this user",
            path.display(),
            directory.display()
        ),
        Err(error) => Err(anyhow::Error::new(error).context(format!(
            "cannot create the SQLite database {}",
            path.display()
        ))),
    }
}

/// What to check when SQLite cannot open or write the file (`SQLITE_CANTOPEN`, `SQLITE_READONLY`
/// and its extended codes), whose own messages name neither the file nor its directory.
pub fn hint_for(path: &Path, error: &sqlx::Error) -> Option<String> {
    let code = error.as_database_error()?.code()?;
    let code: i32 = code.parse().ok()?;
    // The primary result code is the low byte of an extended one.
    if !matches!(code & 0xff, 8 | 14) {
        return None;
    }
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Some(format!(
        "SQLite must write {} and create {name}-wal and {name}-shm beside it: check that this \
         user can write to the file and to its directory {}",
        path.display(),
        directory.display(),
        name = path.display(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_database_file_is_its_owners_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("easypay.db");
        prepare(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // An existing file is left as it is.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        prepare(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
    }

    #[test]
    fn a_database_in_a_missing_directory_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("easypay.db");
        let error = prepare(&path).unwrap_err().to_string();
        assert!(error.contains("does not exist"), "{error}");
    }
}
