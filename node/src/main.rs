//! `mosaico`: the command line of a Mosaico node.

mod cli;
mod demo;

fn main() -> std::process::ExitCode {
    cli::main()
}
