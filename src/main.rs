use clap::Parser;
use std::process::ExitCode;

/// jemalloc on Linux, built to hand pages back to the system about a second after they are
/// free (`.cargo/config.toml`): a variant that finishes gives its memory back, for the variants
/// still under way on any thread. glibc kept it in the arena of the thread that had
/// run it, so a run peaked near the sum of each thread's largest variant (README
/// "Performance").
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = brokerlab::cli::Cli::parse();
    #[cfg(feature = "app")]
    let app: Option<
        &dyn Fn(Option<brokerlab::cli::Loaded>, Option<std::path::PathBuf>) -> ExitCode,
    > = Some(&brokerlab::app::run);
    #[cfg(not(feature = "app"))]
    let app: Option<
        &dyn Fn(Option<brokerlab::cli::Loaded>, Option<std::path::PathBuf>) -> ExitCode,
    > = None;
    brokerlab::cli::main_with(cli, app)
}
