//! Layered configuration: defaults, then a TOML file (`--config FILE` / `EASYPAY_CONFIG`), then
//! environment variables, then flags.
//!
//! The file's keys are the flags' names (`addr = "0.0.0.0:8080"`, `database-url = "…"`,
//! `notify-allow = ["10.0.0.0/8"]`, `no-sandbox = true`). A value from the file is used only where
//! neither a flag nor an environment variable set one (clap's `ArgMatches::value_source` says
//! which): it is handed to clap as if it were a flag, so it goes through the same parsers and is
//! refused with the same messages.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Command, CommandFactory, FromArgMatches};

/// Arguments that are not settings.
const NOT_SETTINGS: [&str; 3] = ["help", "version", "config"];
/// Settings printed masked by `easypay config`.
const SECRETS: [&str; 1] = ["card-key"];

/// The command line after layering.
pub struct Layered<T> {
    pub cli: T,
    pub matches: ArgMatches,
    pub file: Option<PathBuf>,
    /// Ids of the settings whose value came from the file.
    pub from_file: BTreeSet<String>,
}

/// The matches and the `Command` of the subcommand that runs (the deepest one).
fn leaf<'a>(matches: &'a ArgMatches, command: &'a Command) -> (&'a ArgMatches, &'a Command) {
    match matches.subcommand() {
        Some((name, sub)) => match command.find_subcommand(name) {
            Some(subcommand) => leaf(sub, subcommand),
            None => (matches, command),
        },
        None => (matches, command),
    }
}

fn setting_names(command: &Command) -> impl Iterator<Item = (&str, &clap::Arg)> {
    command
        .get_arguments()
        .filter(|arg| !NOT_SETTINGS.contains(&arg.get_id().as_str()))
        .filter_map(|arg| arg.get_long().map(|long| (long, arg)))
}

/// Parses `argv` with the TOML file's values slotted in between the defaults and the environment.
pub fn parse<T: CommandFactory + FromArgMatches>(
    argv: Vec<OsString>,
) -> anyhow::Result<Layered<T>> {
    let mut command = T::command();
    command.build();
    let first = command
        .clone()
        .try_get_matches_from(&argv)
        .unwrap_or_else(|error| error.exit());
    let (leaf_matches, leaf_command) = leaf(&first, &command);
    let file = leaf_matches
        .try_get_one::<PathBuf>("config")
        .ok()
        .flatten()
        .cloned();
    let mut injected = Vec::new();
    let mut from_file = BTreeSet::new();
    if let Some(path) = &file {
        let table = read(path)?;
        // Every key must be a setting of `serve` (the command that has them all) or a global one.
        let serve = command.find_subcommand("serve").expect("serve exists");
        for (key, value) in &table {
            if setting_names(serve).all(|(long, _)| long != key) {
                bail!(
                    "{}: unknown setting {key:?} (the keys are the flags of `easypay serve`, e.g. addr, database-url)",
                    path.display()
                );
            }
            let Some((_, arg)) = setting_names(leaf_command).find(|(long, _)| long == key) else {
                continue; // a serve setting this command does not use
            };
            let id = arg.get_id().as_str();
            let source = leaf_matches.value_source(id);
            if matches!(
                source,
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            ) {
                continue;
            }
            injected.extend(as_flags(path, key, arg, value)?);
            from_file.insert(id.to_owned());
        }
    }
    let matches = if injected.is_empty() {
        first
    } else {
        let mut argv = argv;
        argv.extend(injected);
        command
            .try_get_matches_from(&argv)
            .unwrap_or_else(|error| error.exit())
    };
    let cli = T::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    Ok(Layered {
        cli,
        matches,
        file,
        from_file,
    })
}

fn read(path: &Path) -> anyhow::Result<toml::Table> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))
}

/// The flags a file value stands for: `--key=value`, one per array item, or a bare `--key`.
fn as_flags(
    path: &Path,
    key: &str,
    arg: &clap::Arg,
    value: &toml::Value,
) -> anyhow::Result<Vec<OsString>> {
    let scalar = |value: &toml::Value| -> anyhow::Result<String> {
        match value {
            toml::Value::String(text) => Ok(text.clone()),
            toml::Value::Integer(number) => Ok(number.to_string()),
            toml::Value::Float(number) => Ok(number.to_string()),
            toml::Value::Boolean(flag) => Ok(flag.to_string()),
            _ => bail!(
                "{}: {key} must be a string, a number or a boolean",
                path.display()
            ),
        }
    };
    if matches!(arg.get_action(), ArgAction::SetTrue) {
        return match value {
            toml::Value::Boolean(true) => Ok(vec![format!("--{key}").into()]),
            toml::Value::Boolean(false) => Ok(Vec::new()),
            _ => bail!("{}: {key} must be true or false", path.display()),
        };
    }
    let values = match value {
        toml::Value::Array(items) => items.iter().map(scalar).collect::<Result<Vec<_>, _>>()?,
        other => vec![scalar(other)?],
    };
    Ok(values
        .into_iter()
        .map(|value| OsString::from(format!("--{key}={value}")))
        .collect())
}

/// `easypay config`: every setting of the command, its effective value (secrets masked) and
/// where it came from, as TOML that can be saved as a config file.
pub fn describe<T: CommandFactory>(layered: &Layered<T>) -> String {
    let mut command = T::command();
    command.build();
    let (leaf_matches, leaf_command) = leaf(&layered.matches, &command);
    let leaf_name = leaf_command.get_name();
    let mut lines = vec![
        format!("# Effective configuration of `easypay serve` (as `easypay {leaf_name}` sees it):"),
        "# defaults < config file < environment < flags. Secrets are masked.".to_owned(),
        format!(
            "# config file: {}",
            layered
                .file
                .as_ref()
                .map_or("none".to_owned(), |path| path.display().to_string())
        ),
    ];
    let mut rows = Vec::new();
    for (key, arg) in setting_names(leaf_command) {
        let id = arg.get_id().as_str();
        let source = if layered.from_file.contains(id) {
            "config file".to_owned()
        } else {
            match leaf_matches.value_source(id) {
                Some(ValueSource::CommandLine) => "flag".to_owned(),
                Some(ValueSource::EnvVariable) => "environment".to_owned(),
                Some(ValueSource::DefaultValue) => "default".to_owned(),
                _ => "not set".to_owned(),
            }
        };
        // A switch shows what it was read as (`EASYPAY_NO_SANDBOX=yes` is `true`).
        let switch = match leaf_matches.try_get_one::<bool>(id) {
            Ok(Some(on)) if leaf_matches.value_source(id) != Some(ValueSource::DefaultValue) => {
                Some(on.to_string())
            }
            _ => None,
        };
        let raw: Vec<String> = match switch {
            Some(on) => vec![on],
            None => leaf_matches
                .get_raw(id)
                .map(|values| {
                    values
                        .map(|value| value.to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default(),
        };
        let is_secret = SECRETS.contains(&key);
        let line = if raw.is_empty() {
            format!("# {key} =")
        } else if is_secret {
            format!("{key} = \"********\"")
        } else {
            let shown: Vec<String> = raw
                .iter()
                .map(|value| {
                    if key == "database-url" {
                        crate::store::redact(value)
                    } else {
                        value.clone()
                    }
                })
                .map(|value| toml_value(&value))
                .collect();
            if key == "notify-allow" {
                format!("{key} = [{}]", shown.join(", "))
            } else {
                format!("{key} = {}", shown.join(", "))
            }
        };
        rows.push((line, source));
    }
    let width = rows.iter().map(|(line, _)| line.len()).max().unwrap_or(0);
    for (line, source) in rows {
        lines.push(format!("{line:<width$}  # {source}"));
    }
    lines.join("\n") + "\n"
}

/// A value as TOML: numbers and booleans bare, everything else a quoted string.
fn toml_value(raw: &str) -> String {
    if raw == "true"
        || raw == "false"
        || (!raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()))
    {
        raw.to_owned()
    } else {
        toml::Value::String(raw.to_owned()).to_string()
    }
}
