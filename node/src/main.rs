//! `mosaico`: the command line of a Mosaico node.

mod cli;

// glibc's malloc keeps memory freed by one thread in that thread's arena: after the start-up
// index rebuild and a burst of requests, more than half of a 100k-record node's resident memory
// was free but never returned. jemalloc's background thread hands freed pages back within
// seconds (docs/benchmarks.md, "API under load").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
