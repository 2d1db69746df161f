//! `mosaico`: the command line of a Mosaico node.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
