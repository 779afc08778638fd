//! One module per subcommand.

mod check;

use crate::Outcome;
use crate::args::{Cli, Command};

pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Check(args) => check::run(&args),
    }
}
