//! The `cnmm` binary: a thin shell over the library crates.

fn main() {
    std::process::exit(cnmm::run());
}
