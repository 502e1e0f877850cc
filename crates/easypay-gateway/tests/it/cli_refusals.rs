//! CLI arguments refused with an error that names the rule, before anything changes.

use std::process::Command;

use crate::helpers::{spawn_app, Backend, MALL_ID};
use crate::process::{easypay, stdout};

const EASYPAY: &str = env!("CARGO_BIN_EXE_easypay");

fn refusal(output: &std::process::Output) -> String {
    assert!(!output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blank_merchant_name_is_refused() {
    let app = spawn_app(Backend::Sqlite).await;
    let db = app.database_url.as_str();
    for blank in ["", "   "] {
        let added = refusal(&easypay(
            &["merchant", "add", "T0000090", "--name", blank],
            db,
        ));
        assert!(
            added.contains("--name: must not be empty or only spaces"),
            "{blank:?}: {added}"
        );
        let updated = refusal(&easypay(
            &["merchant", "update", MALL_ID, "--name", blank],
            db,
        ));
        assert!(
            updated.contains("--name: must not be empty or only spaces"),
            "{blank:?}: {updated}"
        );
    }
    let listed = stdout(&easypay(&["merchant", "list"], db));
    assert!(!listed.contains("T0000090"), "{listed}");
    let shown = stdout(&easypay(&["merchant", "show", MALL_ID], db));
    assert!(
        shown.contains("name:          EasyPay Sandbox Merchant"),
        "{shown}"
    );
}

/// `--mall-id` without `--failed`, or nothing at all: the error says which forms are valid.
#[test]
fn resend_names_its_valid_forms() {
    let forms = "use `easypay notifications resend <ID>` or \
                 `easypay notifications resend --failed [--mall-id <MALL_ID>]`";
    for (args, rule) in [
        (
            &["--mall-id", "T5102001"][..],
            "--mall-id: only narrows --failed; ",
        ),
        (&[][..], "nothing to resend: "),
    ] {
        let output = Command::new(EASYPAY)
            .args(["notifications", "resend"])
            .args(args)
            .args(["--database-url", "sqlite:///nonexistent/none.db"])
            .output()
            .unwrap();
        let stderr = refusal(&output);
        assert!(
            stderr.contains(&format!("{rule}{forms}")),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("no database"), "checked first: {stderr}");
    }
}

/// The administration commands on a PostgreSQL database the gateway never served (a mistyped
/// database name) refuse, as they do for a SQLite path, and create no tables there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_of_an_empty_postgres_database_is_refused() {
    let Some(crate::helpers::Backend::Postgres { admin_url }) = Backend::postgres() else {
        return;
    };
    let empty = crate::helpers::fresh_postgres_database(&admin_url).await;
    for args in [
        &["merchant", "list"][..],
        &["merchant", "add", "T0000091"][..],
        &["notifications", "list", "--status", "failed"][..],
    ] {
        let refused = refusal(&easypay(args, &empty));
        assert!(
            refused.contains("no easypay tables in the database at")
                && refused.contains("`easypay serve` creates them"),
            "{args:?}: {refused}"
        );
    }
    let mut connection = <sqlx::AnyConnection as sqlx::Connection>::connect(&empty)
        .await
        .unwrap();
    let (tables,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&mut connection)
    .await
    .unwrap();
    assert_eq!(tables, 0);
}
