fn main() -> std::process::ExitCode {
    catalyst::cli::main()
}
