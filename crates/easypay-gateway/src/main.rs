// mimalloc: under load glibc's malloc and free (often of memory another thread allocated) took
// ~13 % of the gateway's CPU; see docs/performance.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    easypay_gateway::cli::main()
}
