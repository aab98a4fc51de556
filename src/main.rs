use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = brokerlab::cli::Cli::parse();
    brokerlab::cli::main_with(cli, None)
}
