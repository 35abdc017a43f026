//! Drawing machines: Graphviz DOT and Mermaid `stateDiagram-v2`.

use std::fmt::Write;

use crate::machine::Machine;

/// Quotes a string for DOT (double quotes, backslashes and newlines escaped).
fn dot_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Makes a label safe for Mermaid (which has no escape for `"` or `:` inside labels).
fn mermaid_label(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => '\'',
            ':' | '\n' | ';' => ' ',
            _ => c,
        })
        .collect()
}

fn edge_label(event: &str, guard: Option<&str>) -> String {
    match guard {
        Some(g) => format!("{event} [{g}]"),
        None => event.to_string(),
    }
}

impl Machine {
    /// The machine as a Graphviz DOT digraph.
    ///
    /// Both exports list the states in index order and the transitions in definition order, so
    /// the text is stable and diff-friendly. The initial state is marked by an arrow from a start
    /// point, terminal states by a double border (DOT) or an arrow to the end point (Mermaid), and
    /// guarded transitions carry their guard as `event [guard]`.
    ///
    /// ```
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// let m = TICKET_WORKFLOW.machine();
    /// let dot = m.to_dot();
    /// assert!(dot.starts_with("digraph \"ticket\" {"));
    /// assert!(dot.contains("\"solved\" -> \"open\" [label=\"reopen\"];"));
    /// let mermaid = m.to_mermaid();
    /// assert!(mermaid.starts_with("stateDiagram-v2\n"));
    /// assert!(mermaid.contains("[*] --> s0"));
    /// ```
    ///
    /// ```
    /// use crm_lifecycle::DEAL_PIPELINE;
    /// let dot = DEAL_PIPELINE.machine().to_dot();
    /// assert!(dot.contains("\"won\" [shape=doublecircle];"));
    /// assert!(dot.contains("__start -> \"qualification\";"));
    /// assert!(dot.trim_end().ends_with('}'));
    /// ```
    pub fn to_dot(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(out, "digraph {} {{", dot_quote(self.name()));
        let _ = writeln!(out, "  rankdir=LR;");
        let _ = writeln!(out, "  node [shape=circle];");
        let _ = writeln!(out, "  __start [shape=point];");
        for (i, state) in self.states().enumerate() {
            let shape = if self.terminal_flags()[i] {
                "doublecircle"
            } else {
                "circle"
            };
            let _ = writeln!(out, "  {} [shape={shape}];", dot_quote(state));
        }
        let _ = writeln!(out, "  __start -> {};", dot_quote(self.initial()));
        for t in &self.definition().transitions {
            let _ = writeln!(
                out,
                "  {} -> {} [label={}];",
                dot_quote(&t.from),
                dot_quote(&t.to),
                dot_quote(&edge_label(&t.event, t.guard.as_deref()))
            );
        }
        out.push_str("}\n");
        out
    }

    /// The machine as a Mermaid `stateDiagram-v2`. States get ids `s0, s1, …` with their
    /// names as descriptions, so any state name is safe.
    ///
    /// ```
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// let text = TICKET_WORKFLOW.machine().to_mermaid();
    /// assert!(text.contains("state \"on_hold\" as s3"));
    /// assert!(text.contains("s4 --> s1 : reopen"));
    /// assert!(text.contains("s5 --> [*]"));
    /// ```
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("stateDiagram-v2\n");
        for (i, state) in self.states().enumerate() {
            let _ = writeln!(out, "    state \"{}\" as s{i}", mermaid_label(state));
        }
        let _ = writeln!(out, "    [*] --> s{}", self.initial_id().index());
        for t in &self.definition().transitions {
            let (Some(from), Some(to)) = (self.state_id(&t.from), self.state_id(&t.to)) else {
                continue;
            };
            let _ = writeln!(
                out,
                "    s{} --> s{} : {}",
                from.index(),
                to.index(),
                mermaid_label(&edge_label(&t.event, t.guard.as_deref()))
            );
        }
        for (i, terminal) in self.terminal_flags().iter().enumerate() {
            if *terminal {
                let _ = writeln!(out, "    s{i} --> [*]");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::definition::{MachineDefinition, TransitionDef};

    #[test]
    fn names_are_escaped() {
        let m = MachineDefinition::new("q\"m", "a \"x\"")
            .with_terminal("b:c")
            .with_transition(TransitionDef::new("a \"x\"", "go\\", "b:c").with_guard("g"))
            .build()
            .unwrap();
        let dot = m.to_dot();
        assert!(dot.starts_with("digraph \"q\\\"m\" {"), "{dot}");
        assert!(
            dot.contains("\"a \\\"x\\\"\" -> \"b:c\" [label=\"go\\\\ [g]\"];"),
            "{dot}"
        );
        let mermaid = m.to_mermaid();
        assert_eq!(
            mermaid,
            "stateDiagram-v2\n    state \"a 'x'\" as s0\n    state \"b c\" as s1\n    [*] --> s0\n    s0 --> s1 : go\\ [g]\n    s1 --> [*]\n"
        );
    }

    #[test]
    fn every_transition_is_drawn() {
        let m = crate::TICKET_WORKFLOW.machine();
        let dot = m.to_dot();
        let mermaid = m.to_mermaid();
        let n = m.definition().transitions.len();
        assert_eq!(dot.matches(" [label=").count(), n);
        assert_eq!(mermaid.matches(" : ").count(), n);
    }
}
