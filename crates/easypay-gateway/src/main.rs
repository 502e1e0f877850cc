fn main() -> std::process::ExitCode {
    easypay_gateway::cli::main()
}
