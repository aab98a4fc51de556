use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = brokerlab::cli::Cli::parse();
    #[cfg(feature = "app")]
    let app: Option<&dyn Fn(Option<brokerlab::cli::Loaded>) -> ExitCode> =
        Some(&brokerlab::app::run);
    #[cfg(not(feature = "app"))]
    let app: Option<&dyn Fn(Option<brokerlab::cli::Loaded>) -> ExitCode> = None;
    brokerlab::cli::main_with(cli, app)
}
