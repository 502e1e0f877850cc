//! A start that fails on what it checks first (its listen address, where a new card key file
//! would go) leaves nothing behind: no database file, no key file.

use easypay_gateway::app;
use easypay_gateway::config::Config;

/// The names of what is in `dir`.
fn contents(dir: &tempfile::TempDir) -> Vec<String> {
    std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn sqlite_in(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("easypay.db").display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_on_a_taken_port_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // The card key file left to its default, beside the database.
    let config = Config::new(taken.local_addr().unwrap(), sqlite_in(&dir));
    let error = app::start(config).await.err().expect("the start fails");
    assert!(
        format!("{error:#}").contains("cannot listen on"),
        "{error:#}"
    );
    assert_eq!(contents(&dir), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_key_file_in_a_missing_directory_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new("127.0.0.1:0".parse().unwrap(), sqlite_in(&dir));
    config.card_key_file = Some(dir.path().join("missing").join("card.key"));
    let error = app::start(config).await.err().expect("the start fails");
    let message = format!("{error:#}");
    assert!(
        message.contains("--card-key-file: cannot create the card key file")
            && message.contains("does not exist"),
        "{message}"
    );
    assert_eq!(contents(&dir), Vec::<String>::new());
}
