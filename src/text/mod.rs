//! Text helpers shared by the CLI, the wizard and the parsers: escaping what came from outside
//! ([`escaping`]), fitting text to display columns ([`layout`]), and naming a place in a file
//! ([`position`]).

mod escaping;
mod layout;
mod position;

pub use escaping::{escape, escape_in_place, escape_lines, is_unsafe, printable};
pub use layout::{ellipsize, skip_columns, wrap};
pub use position::line_column;
