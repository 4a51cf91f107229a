// jemalloc returns freed memory to the system on a timer; glibc's malloc keeps one arena per
// busy thread and let the server's resident size grow by ~10 MiB a minute under load
// (bench/RESULTS.md, soak).
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    catalyst::cli::main()
}
