//! The `crm` command line.

fn main() {
    eprintln!("crm: no commands yet");
    std::process::exit(2);
}
