//! `nx1`: every operation of the Nx1 AI API as a subcommand, generated from `openapi.yaml`
//! over the typed client, plus the short path for the common case, `nx1 jobs status`.

mod rt;

#[allow(
    clippy::all,
    clippy::pedantic,
    unused_imports,
    unreachable_patterns,
    unused_variables
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/cli.rs"));
}

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command};
use nx1_client::{Client, security};
use rt::{Failure, Output, exit};

const AFTER_HELP: &str = "\
Exit codes: 0 success, 1 other failure, 2 usage, 3 credentials missing or refused (401, 403),
4 not found (404), 5 request refused as invalid (400, 422), 6 server error (5xx),
7 no answer (connection, DNS, TLS, time-out).

Output is JSON: pretty on a terminal, one line when piped (or with --compact).";

fn command() -> Command {
    Command::new("nx1")
        .about("The Nx1 AI API from a shell: every operation of openapi.yaml as a subcommand")
        .version(env!("CARGO_PKG_VERSION"))
        .after_help(AFTER_HELP)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("base-url")
                .long("base-url")
                .env("NX1_BASE_URL")
                .global(true)
                .value_name("URL")
                .help("The API's base URL, e.g. https://aiapi.acme.nx1cloud.com"),
        )
        .arg(
            Arg::new("psk")
                .long("psk")
                .env("NX1_PSK")
                .hide_env_values(true)
                .global(true)
                .value_name("KEY")
                .help("A pre-shared key, sent as Authorization-PSK where the spec accepts one"),
        )
        .arg(
            Arg::new("token")
                .long("token")
                .env("NX1_TOKEN")
                .hide_env_values(true)
                .global(true)
                .value_name("TOKEN")
                .help("An OAuth2 access token, sent as Authorization: Bearer"),
        )
        .arg(
            Arg::new("timeout")
                .long("timeout")
                .global(true)
                .value_name("SECS")
                .value_parser(clap::value_parser!(u64))
                .help("The limit for each attempt of a request [default: 15]"),
        )
        .arg(
            Arg::new("compact")
                .long("compact")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("One line of JSON even on a terminal"),
        )
        .subcommand(
            Command::new("jobs")
                .about("AutoML training jobs, the short way")
                .subcommand_required(true)
                .subcommand(
                    Command::new("status")
                        .about("The status of any number of training jobs (batched, in order)")
                        .arg(
                            Arg::new("ids")
                                .value_name("JOB_ID")
                                .required(true)
                                .num_args(1..)
                                .help("Training job ids"),
                        ),
                ),
        )
        .subcommands(generated::operations())
}

fn client(args: &ArgMatches) -> Result<Client, Failure> {
    let base_url = args
        .get_one::<String>("base-url")
        .ok_or_else(|| Failure::usage("no base url: pass --base-url URL or set NX1_BASE_URL"))?;
    let mut builder = Client::builder().base_url(base_url);
    if let Some(psk) = args.get_one::<String>("psk") {
        builder = builder.psk(psk);
    }
    if let Some(token) = args.get_one::<String>("token") {
        builder = builder.bearer_token(token);
    }
    if let Some(seconds) = args.get_one::<u64>("timeout") {
        builder = builder.timeout(Duration::from_secs(*seconds));
    }
    builder
        .build()
        .map_err(|err| Failure::usage(err.to_string()))
}

/// Refuses before sending when the operation needs credentials and none that it accepts
/// were given: the server's bare 401 would say less.
fn check_credentials(operation: &str, args: &ArgMatches) -> Result<(), Failure> {
    let Some(alternatives) = security::requirements(operation) else {
        return Ok(());
    };
    let have = |scheme: Option<security::Scheme>| match scheme {
        Some(security::Scheme::ApiKeyHeader(_)) => args.contains_id("psk"),
        Some(security::Scheme::HttpBearer | security::Scheme::OAuth2) => args.contains_id("token"),
        _ => false,
    };
    let met = alternatives.is_empty()
        || alternatives
            .iter()
            .any(|alternative| alternative.iter().all(|name| have(security::scheme(name))));
    if met {
        return Ok(());
    }
    let wanted: Vec<&str> = alternatives
        .iter()
        .flat_map(|alternative| alternative.iter())
        .filter_map(|name| match security::scheme(name)? {
            security::Scheme::ApiKeyHeader(_) => Some("a PSK (--psk or NX1_PSK)"),
            security::Scheme::HttpBearer | security::Scheme::OAuth2 => {
                Some("a token (--token or NX1_TOKEN)")
            }
            _ => None,
        })
        .fold(Vec::new(), |mut seen, wanted| {
            if !seen.contains(&wanted) {
                seen.push(wanted);
            }
            seen
        });
    Err(Failure::auth(format!(
        "{} needs credentials: give {}",
        operation.replace('_', "-"),
        if wanted.is_empty() {
            "ones this command line cannot send".to_owned()
        } else {
            wanted.join(" or ")
        }
    )))
}

async fn run(matches: &ArgMatches) -> Result<Output, Failure> {
    let (name, args) = matches
        .subcommand()
        .ok_or_else(|| Failure::usage("no operation given; run `nx1 --help`"))?;
    if name == "jobs" {
        let Some(("status", args)) = args.subcommand() else {
            return Err(Failure::usage("`nx1 jobs` takes `status`"));
        };
        check_credentials("get_training_job_statuses", args)?;
        let ids: Vec<uuid::Uuid> = rt::many(args, "ids")?;
        let items = client(args)?
            .training_job_statuses(&ids)
            .await
            .map_err(Failure::call)?;
        return rt::json(&items);
    }
    check_credentials(&name.replace('-', "_"), args)?;
    generated::call(&client(args)?, name, args).await
}

/// Prints the answer; a streamed one item by item as it arrives, one JSON per line when
/// piped. Returns the failure that ended a stream, if one did.
async fn print(output: Output, compact: bool) -> std::io::Result<Option<Failure>> {
    let pretty = !compact && std::io::stdout().is_terminal();
    let write_json = |value: &serde_json::Value| -> std::io::Result<()> {
        let mut stdout = std::io::stdout().lock();
        if pretty {
            serde_json::to_writer_pretty(&mut stdout, value)?;
        } else {
            serde_json::to_writer(&mut stdout, value)?;
        }
        writeln!(stdout)?;
        stdout.flush()
    };
    match output {
        Output::Json(value) => write_json(&value)?,
        Output::Bytes(bytes) => std::io::stdout().lock().write_all(&bytes)?,
        Output::Nothing => {}
        Output::Stream(mut items) => {
            let mut failed = None;
            while let Some(item) = futures::StreamExt::next(&mut items).await {
                match item {
                    Ok(value) => write_json(&value)?,
                    // An item that does not decode is reported and the stream goes on;
                    // the command still fails at the end.
                    Err(failure) => {
                        eprintln!("error: {}", failure.message);
                        failed = Some(failure);
                    }
                }
            }
            return Ok(failed);
        }
    }
    Ok(None)
}

#[tokio::main]
async fn main() -> ExitCode {
    let matches = match command().try_get_matches() {
        Ok(matches) => matches,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { exit::USAGE } else { 0 });
        }
    };
    let compact = matches.get_flag("compact");
    match run(&matches).await {
        Ok(output) => match print(output, compact).await {
            Ok(None) => ExitCode::SUCCESS,
            Ok(Some(failure)) => failure.exit_code(),
            // A closed pipe (`nx1 … | head`) is not a failure of the call.
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: cannot write the answer: {err}");
                ExitCode::from(exit::OTHER)
            }
        },
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            failure.exit_code()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        // clap checks names, ids and positions of every subcommand here.
        super::command().debug_assert();
    }
}
