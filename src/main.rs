use clap::Parser;
use std::process::ExitCode;

/// One heap for every thread. glibc gives each thread an arena of its own and keeps there what
/// the thread freed: when a variant finished on one thread, its memory stayed resident while the
/// variant on the other thread grew, so a run peaked at the sum of each thread's largest variant
/// (use-cases 1 h x10: 226-236 MB, against 163-167 MB with one heap; README "Performance").
/// The lock costs nothing measurable: the engine allocates a block per 512 messages, not one a
/// message.
#[global_allocator]
static ALLOC: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

fn main() -> ExitCode {
    let cli = brokerlab::cli::Cli::parse();
    #[cfg(feature = "app")]
    let app: Option<&dyn Fn(Option<brokerlab::cli::Loaded>) -> ExitCode> =
        Some(&brokerlab::app::run);
    #[cfg(not(feature = "app"))]
    let app: Option<&dyn Fn(Option<brokerlab::cli::Loaded>) -> ExitCode> = None;
    brokerlab::cli::main_with(cli, app)
}
