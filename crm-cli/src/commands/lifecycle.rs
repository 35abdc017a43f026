//! `crm lifecycle validate|dot|mermaid`: state machine definitions checked, and drawn, by
//! `crm-lifecycle`.

use std::path::Path;

use crm_lifecycle::{LoadError, Machine, MachineDefinition, validate};

use crate::cli::{BuiltinMachine, DiagramArgs, LifecycleCommand, MachineSource};
use crate::error::{CliError, CliResult, InputError};
use crate::output::{out, outln, print_json, write_atomic};

/// Line and column (1-based) of a byte offset in a text.
fn line_column(text: &str, offset: usize) -> (u64, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Reads a machine definition (JSON when the file name ends in `.json`, TOML otherwise); a
/// syntax error names the line and column.
pub fn load_definition(path: &Path) -> CliResult<MachineDefinition> {
    let text = crate::input::read_text(path)?;
    if text.trim().is_empty() {
        return Err(
            InputError::file(path, "a state machine definition (TOML or JSON)")
                .with_found("an empty file")
                .into(),
        );
    }
    let json = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let parsed = if json {
        MachineDefinition::from_json(&text)
    } else {
        MachineDefinition::from_toml(&text)
    };
    parsed.map_err(|e| match e {
        LoadError::Toml(err) => {
            let (line, column) = err
                .span()
                .map(|s| line_column(&text, s.start))
                .unwrap_or((1, 1));
            InputError {
                line: Some(line),
                column: Some(column),
                ..InputError::file(
                    path,
                    format!(
                        "a TOML machine definition (name, initial, terminal, [[transition]] from/event/to): {}",
                        err.message()
                    ),
                )
            }
            .into()
        }
        LoadError::Json(err) => InputError {
            line: Some(err.line() as u64),
            column: Some(err.column()),
            ..InputError::file(path, format!("a JSON machine definition: {err}"))
        }
        .into(),
        other => CliError::analysis("state machine", other),
    })
}

fn invalid(path: &Path, findings: Vec<String>) -> CliError {
    CliError::InvalidMachine {
        file: path.to_path_buf(),
        findings,
    }
}

/// A built-in machine.
pub fn builtin(which: BuiltinMachine) -> Machine {
    match which {
        BuiltinMachine::Customer => crm_lifecycle::CUSTOMER_LIFECYCLE.machine(),
        BuiltinMachine::Ticket => crm_lifecycle::TICKET_WORKFLOW.machine(),
        BuiltinMachine::Deal => crm_lifecycle::DEAL_PIPELINE.machine(),
    }
}

fn machine_of(source: &MachineSource) -> CliResult<Machine> {
    match (&source.file, source.builtin) {
        (_, Some(which)) => Ok(builtin(which)),
        (Some(path), None) => {
            let def = load_definition(path)?;
            def.build()
                .map_err(|e| invalid(path, e.findings.iter().map(ToString::to_string).collect()))
        }
        (None, None) => Err(CliError::Usage(
            "give FILE or --builtin customer|ticket|deal".into(),
        )),
    }
}

/// Runs a `crm lifecycle` command.
pub fn run(command: &LifecycleCommand) -> CliResult<()> {
    match command {
        LifecycleCommand::Validate { file, json } => {
            let def = load_definition(file)?;
            let findings: Vec<String> = validate(&def).iter().map(ToString::to_string).collect();
            if *json {
                print_json(&serde_json::json!({
                    "file": file,
                    "valid": findings.is_empty(),
                    "name": def.name,
                    "states": def.state_names().len(),
                    "transitions": def.transitions.len(),
                    "findings": findings,
                }))?;
            }
            if !findings.is_empty() {
                return Err(invalid(file, findings));
            }
            if *json {
                return Ok(());
            }
            outln!(
                "{}: valid state machine {:?} ({} states, {} transitions)",
                file.display(),
                def.name,
                def.state_names().len(),
                def.transitions.len()
            )?;
            Ok(())
        }
        LifecycleCommand::Dot(args) => draw(args, "dot", Machine::to_dot),
        LifecycleCommand::Mermaid(args) => draw(args, "mermaid", Machine::to_mermaid),
    }
}

/// Prints or writes a drawing of a machine.
fn draw(args: &DiagramArgs, format: &str, text_of: impl Fn(&Machine) -> String) -> CliResult<()> {
    let machine = machine_of(&args.source)?;
    let text = text_of(&machine);
    if let Some(path) = &args.output {
        write_atomic(path, text.as_bytes())?;
    }
    if args.json {
        return print_json(&serde_json::json!({
            "name": machine.name(),
            "format": format,
            "text": text,
        }));
    }
    if args.output.is_none() {
        out!("{text}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_to_line_and_column() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("ab\ncd", 99), (2, 3));
    }
}
