//! Recipe parsing: any text either loads or fails with located problems; what loads saves and
//! loads back to the same spec, and flattens to wire parameters and a CLI line without panicking.

#![no_main]

use std::path::Path;

use ecsimg::spec::{parse_recipe, to_cli, to_params, to_recipe, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let path = Path::new("fuzz.toml");
    match parse_recipe(text, path) {
        Ok(spec) => {
            let saved = to_recipe(&spec);
            let again = parse_recipe(&saved, path)
                .unwrap_or_else(|e| panic!("a saved recipe does not load: {e}\n{saved}"));
            assert_eq!(again, spec, "load → save → load changed the spec\n{saved}");
            assert_eq!(to_recipe(&again), saved, "saving is not stable");
            let _ = to_params(&spec);
            let _ = to_cli(&spec);
            let _ = validate(&spec);
        }
        Err(e) => {
            assert!(!e.problems.is_empty(), "an error without problems");
            let _ = e.to_string();
        }
    }
});
