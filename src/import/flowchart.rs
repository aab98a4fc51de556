//! A Mermaid flowchart (`graph` / `flowchart`), the subset study notes use: subgraphs, nodes
//! with a label in any of the classic shapes, links (plain, thick, dotted, both ways, with a
//! circle or cross for a head, invisible) with or without text, chains and `&`.
//!
//! ```text
//!   S1[Front] & S2 --> Q[(Queue)] -->|logs| M1((Metrics))      one line
//!   '--group--'    '-link-'  '-node-'  '-link, label-'  '--node---'
//! ```
//!
//! Styling statements (`style`, `classDef`, `class`, `linkStyle`, `click`, `direction`, a
//! node's `:::class`) and accessibility text (`accTitle`, `accDescr`) draw nothing a scenario
//! needs: they are counted and skipped. Anything else is an error at its
//! line and column in the Markdown file.

use super::markdown::Block;
use super::ImportError;
use std::collections::HashMap;

/// A 1-based position in the Markdown file (column in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub id: String,
    /// The last label given to the node (Mermaid keeps the last one).
    pub label: Option<String>,
    /// The first subgraph that mentions the node.
    pub subgraph: Option<usize>,
    /// Drawn as a cylinder (`[(...)]`), as a queue or a log is drawn.
    pub cylinder: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Subgraph {
    pub id: String,
    pub label: String,
    pub parent: Option<usize>,
    pub pos: Pos,
}

impl Subgraph {
    /// Its label or id names a messaging system: a link to it goes to the system, not to each
    /// node inside.
    pub(crate) fn is_system(&self) -> bool {
        super::names::system_in(&self.label)
            .or_else(|| super::names::system_in(&self.id))
            .is_some()
    }
}

/// One end of a link: a node, or a subgraph named by its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    Node(usize),
    Subgraph(usize),
}

#[derive(Clone, Debug)]
pub(crate) struct Edge {
    pub from: End,
    pub to: End,
    /// The link text, `-- text -->` or `-->|text|`.
    pub label: Option<String>,
    /// A link without an arrow head (`---`), read from left to right.
    pub open: bool,
    pub pos: Pos,
}

#[derive(Clone, Debug)]
pub(crate) struct Flowchart {
    /// `graph TD`, `flowchart LR`, `graph`.
    pub kind: String,
    pub header: Pos,
    pub nodes: Vec<Node>,
    pub subgraphs: Vec<Subgraph>,
    pub edges: Vec<Edge>,
    /// Styling statements skipped.
    pub ignored: usize,
}

impl Flowchart {
    /// Subgraph `s` and those around it, innermost first (a parent is declared before its
    /// child, so the chain ends).
    pub(crate) fn enclosing(&self, s: Option<usize>) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(s, |&i| self.subgraphs[i].parent.filter(|&p| p < i))
    }
}

/// The first meaningful line of a block: its line, column, first word and the line itself.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header<'a> {
    pub line: usize,
    pub col: usize,
    pub word: &'a str,
    pub text: &'a str,
}

/// The diagram type line of a block, after blank lines, `%%` comments and YAML front matter.
pub(crate) fn header<'a>(block: &Block<'a>) -> Option<Header<'a>> {
    let mut in_front_matter = false;
    let mut seen = false;
    for (&(line, text), &skipped) in block.body.iter().zip(&block.skipped) {
        let t = text.trim();
        if t.is_empty() || t.starts_with("%%") {
            continue;
        }
        if t == "---" && (!seen || in_front_matter) {
            in_front_matter = !in_front_matter;
            seen = true;
            continue;
        }
        seen = true;
        if in_front_matter {
            continue;
        }
        let col = skipped + text.chars().take_while(|c| c.is_whitespace()).count() + 1;
        let word = t
            .split(|c: char| c.is_whitespace() || c == ';')
            .next()
            .unwrap_or("");
        return Some(Header {
            line,
            col,
            word,
            text,
        });
    }
    None
}

/// `graph` and `flowchart` blocks are imported; other Mermaid diagrams are skipped.
pub(crate) fn is_flowchart(word: &str) -> bool {
    word == "graph" || word == "flowchart"
}

const DIRECTIONS: [&str; 5] = ["TD", "TB", "LR", "RL", "BT"];
const STYLING: [&str; 6] = [
    "style",
    "classDef",
    "class",
    "linkStyle",
    "click",
    "direction",
];

/// Parse the flowchart of `block`, whose header `h` is a `graph` or `flowchart` line.
/// Links one diagram may draw (`A & B --> C & D` draws four): study notes draw tens; a
/// scenario of thousands of drawn links is not what an import is for, and mapping it takes long.
pub const MAX_LINKS: usize = 10_000;

pub(crate) fn parse(file: &str, block: &Block, h: &Header) -> Result<Flowchart, ImportError> {
    let mut p = Parser {
        file,
        chart: Flowchart {
            kind: String::new(),
            header: Pos {
                line: h.line,
                col: h.col,
            },
            nodes: Vec::new(),
            subgraphs: Vec::new(),
            edges: Vec::new(),
            ignored: 0,
        },
        ids: HashMap::new(),
        sub_ids: HashMap::new(),
        node_subs: 0,
        node_pos: Vec::new(),
        stack: Vec::new(),
        raw_edges: Vec::new(),
        in_description: None,
    };
    let lines = block.body.iter().zip(&block.skipped);
    for (&(line, text), &skipped) in lines.filter(|((l, _), _)| *l >= h.line) {
        if p.in_description.is_some() {
            // `accDescr { ... }` over several lines: up to the closing brace.
            if text.contains('}') {
                p.in_description = None;
            }
            continue;
        }
        let mut cur = Cursor::new(line, text, skipped);
        if line == h.line {
            p.chart.kind = p.header_line(&mut cur)?;
        }
        p.statements(&mut cur)?;
    }
    if let Some(at) = p.in_description {
        let message = "this `accDescr {` is not closed: add `}` after the description";
        return Err(error(file, at, message));
    }
    if let Some(&open) = p.stack.last() {
        let s = &p.chart.subgraphs[open];
        return Err(error(
            file,
            s.pos,
            format!(
                "subgraph {:?} is not closed: add `end` after its last line",
                s.id
            ),
        ));
    }
    p.finish()
}

pub(crate) fn error(file: &str, pos: Pos, message: impl Into<String>) -> ImportError {
    ImportError {
        file: file.to_owned(),
        line: pos.line,
        col: pos.col,
        message: message.into(),
        whole_file: false,
    }
}

/// A link as written, before its ends are told apart as nodes or subgraphs.
struct RawEdge {
    from: String,
    to: String,
    label: Option<String>,
    open: bool,
    pos: Pos,
}

struct Parser<'a> {
    file: &'a str,
    chart: Flowchart,
    ids: HashMap<String, usize>,
    /// Each subgraph id, to its first subgraph.
    sub_ids: HashMap<String, usize>,
    /// Entries of `chart.nodes` whose id names a subgraph (not nodes: dropped at the end).
    node_subs: usize,
    /// Where each entry of `chart.nodes` first appears.
    node_pos: Vec<Pos>,
    /// Subgraphs open at this line, innermost last.
    stack: Vec<usize>,
    raw_edges: Vec<RawEdge>,
    /// Inside an `accDescr { ... }` that goes on past its line: where it opened.
    in_description: Option<Pos>,
}

/// What follows a node: a link's arrow and its text, if any.
struct Arrow {
    label: Option<String>,
    open: bool,
    /// `~~~`: places its ends side by side and draws nothing.
    invisible: bool,
}

impl Parser<'_> {
    fn err(&self, cur: &Cursor, col: usize, message: impl Into<String>) -> ImportError {
        error(
            self.file,
            Pos {
                line: cur.line,
                col,
            },
            message,
        )
    }

    /// `graph TD` (direction optional): returns the kind.
    fn header_line(&mut self, cur: &mut Cursor) -> Result<String, ImportError> {
        cur.skip_ws();
        let word = cur.ident();
        cur.skip_ws();
        let col = cur.col();
        let dir = cur.ident();
        if dir.is_empty() {
            return Ok(word);
        }
        if !DIRECTIONS.contains(&dir.as_str()) {
            return Err(self.err(
                cur,
                col,
                format!("unknown direction `{dir}`: one of TD, TB, LR, RL, BT"),
            ));
        }
        Ok(format!("{word} {dir}"))
    }

    /// The statements of one line, separated by `;`, up to a `%%` comment.
    fn statements(&mut self, cur: &mut Cursor) -> Result<(), ImportError> {
        loop {
            cur.skip_ws();
            if cur.at_comment_or_end() {
                return Ok(());
            }
            if cur.eat(";") {
                continue;
            }
            self.statement(cur)?;
            cur.skip_ws();
            if cur.at_comment_or_end() {
                return Ok(());
            }
            if !cur.eat(";") {
                return Err(cur.unexpected(self.file));
            }
        }
    }

    fn statement(&mut self, cur: &mut Cursor) -> Result<(), ImportError> {
        let start = cur.i;
        let col = cur.col();
        let word = cur.ident();
        let alone = cur.peek().is_none_or(|c| c.is_whitespace() || c == ';');
        match word.as_str() {
            // Accessibility text: a title or description for screen readers, drawn nowhere.
            "accTitle" | "accDescr" if cur.next_after_ws(|c| c == ':' || c == '{') => {
                cur.skip_ws();
                if cur.eat("{") && !cur.chars[cur.i..].contains(&'}') {
                    self.in_description = Some(Pos {
                        line: cur.line,
                        col,
                    });
                }
                cur.i = cur.chars.len();
                self.chart.ignored += 1;
                Ok(())
            }
            "subgraph" if alone => self.subgraph(cur, col),
            "end" if alone => match self.stack.pop() {
                Some(_) => Ok(()),
                None => Err(self.err(cur, col, "`end` without an open `subgraph`")),
            },
            w if alone && STYLING.contains(&w) => {
                cur.skip_statement();
                self.chart.ignored += 1;
                Ok(())
            }
            _ => {
                cur.i = start;
                self.chain(cur)
            }
        }
    }

    /// `subgraph Name`, `subgraph id [Label]`, `subgraph "Label"`.
    fn subgraph(&mut self, cur: &mut Cursor, kw_col: usize) -> Result<(), ImportError> {
        cur.skip_ws();
        let col = cur.col();
        if cur.at_comment_or_end() || cur.peek() == Some(';') {
            return Err(self.err(
                cur,
                col,
                "a subgraph needs a name: `subgraph Name` or `subgraph id [Label]`",
            ));
        }
        let (id, label) = if cur.peek() == Some('"') {
            let text = cur.quoted(self.file)?;
            (text.clone(), text)
        } else {
            let start = cur.i;
            let id = cur.ident();
            cur.skip_ws();
            if !id.is_empty() && cur.peek() == Some('[') {
                let open = cur.col();
                cur.i += 1;
                let label = self.label(cur, "]", open, false)?;
                (id, label)
            } else {
                cur.i = start;
                let text = clean(&cur.rest_of_statement());
                (text.clone(), text)
            }
        };
        let parent = self.stack.last().copied();
        if !self.sub_ids.contains_key(&id) {
            self.sub_ids.insert(id.clone(), self.chart.subgraphs.len());
            self.node_subs += usize::from(self.ids.contains_key(&id));
        }
        self.chart.subgraphs.push(Subgraph {
            id,
            label,
            parent,
            pos: Pos {
                line: cur.line,
                col: kw_col,
            },
        });
        self.stack.push(self.chart.subgraphs.len() - 1);
        Ok(())
    }

    /// `group (arrow group)*`: every node of a group links to every node of the next.
    fn chain(&mut self, cur: &mut Cursor) -> Result<(), ImportError> {
        let mut left = self.group(cur)?;
        loop {
            cur.skip_ws();
            let col = cur.col();
            let Some(arrow) = self.arrow(cur)? else {
                return Ok(());
            };
            cur.skip_ws();
            let right = self.group(cur)?;
            let drawn = if arrow.invisible {
                0
            } else {
                left.len() * right.len()
            };
            if self.raw_edges.len() + drawn > MAX_LINKS {
                let message = format!(
                    "more than {MAX_LINKS} links in one diagram (this one draws {drawn} links \
                     more); the limit is {MAX_LINKS}"
                );
                return Err(self.err(cur, col, message));
            }
            for a in left.iter().filter(|_| !arrow.invisible) {
                for b in &right {
                    self.raw_edges.push(RawEdge {
                        from: a.clone(),
                        to: b.clone(),
                        label: arrow.label.clone(),
                        open: arrow.open,
                        pos: Pos {
                            line: cur.line,
                            col,
                        },
                    });
                }
            }
            left = right;
        }
    }

    /// `node (& node)*`.
    fn group(&mut self, cur: &mut Cursor) -> Result<Vec<String>, ImportError> {
        let mut ids = vec![self.node(cur)?];
        loop {
            let save = cur.i;
            cur.skip_ws();
            if !cur.eat("&") {
                cur.i = save;
                return Ok(ids);
            }
            cur.skip_ws();
            ids.push(self.node(cur)?);
        }
    }

    /// `ID`, `ID[label]`, `ID(label)`, `ID((label))`, `ID[(label)]`.
    fn node(&mut self, cur: &mut Cursor) -> Result<String, ImportError> {
        let col = cur.col();
        let id = cur.ident();
        if id.is_empty() {
            return Err(match cur.peek() {
                None => self.err(cur, col, "a node id is missing at the end of the line"),
                Some(c) => self.err(cur, col, format!("expected a node id, found `{c}`")),
            });
        }
        let cylinder = cur.starts("[(");
        let label = self.shape(cur)?;
        // Ids that name subgraphs are not nodes: they are told apart at the end, where the
        // limit is checked exactly (an id linked to before its subgraph is declared looks like
        // a node until then). While reading, twice the limit stops a diagram that is far over.
        let is_new = !self.ids.contains_key(&id);
        let is_sub = self.sub_ids.contains_key(&id);
        let nodes = self.chart.nodes.len() - self.node_subs;
        if is_new && !is_sub && nodes >= 2 * crate::scenario::LIMITS.nodes {
            let limit = crate::scenario::LIMITS.nodes;
            let message =
                format!("more than {limit} nodes in one diagram; a scenario has at most {limit}");
            return Err(self.err(cur, col, message));
        }
        self.node_subs += usize::from(is_new && is_sub);
        let subgraph = self.stack.last().copied();
        if is_new {
            self.node_pos.push(Pos {
                line: cur.line,
                col,
            });
        }
        let ix = *self.ids.entry(id.clone()).or_insert_with(|| {
            self.chart.nodes.push(Node {
                id: id.clone(),
                label: None,
                subgraph: None,
                cylinder: false,
            });
            self.chart.nodes.len() - 1
        });
        let node = &mut self.chart.nodes[ix];
        if label.is_some() {
            node.label = label;
            node.cylinder = cylinder;
        }
        if node.subgraph.is_none() {
            node.subgraph = subgraph;
        }
        Ok(id)
    }

    /// The label of the shape right after a node id, if any, and a `:::class` after it.
    /// Every shape of Mermaid's classic syntax: the shape draws nothing a scenario needs.
    fn shape(&mut self, cur: &mut Cursor) -> Result<Option<String>, ImportError> {
        let col = cur.col();
        if cur.starts("@{") {
            return Err(self.err(
                cur,
                col,
                "unsupported node syntax `@{`: use ID[label] or another classic shape",
            ));
        }
        // Longest first: `(((` before `((` before `(`.
        const SHAPES: [(&str, &str); 12] = [
            ("(((", ")))"),
            ("((", "))"),
            ("([", "])"),
            ("(", ")"),
            ("[(", ")]"),
            ("[[", "]]"),
            ("[/", "]"),
            ("[\\", "]"),
            ("[", "]"),
            ("{{", "}}"),
            ("{", "}"),
            (">", "]"),
        ];
        let mut label = None;
        if let Some(&(open, close)) = SHAPES.iter().find(|(open, _)| cur.starts(open)) {
            cur.eat(open);
            let slanted = open.starts_with("[/") || open.starts_with("[\\");
            label = Some(self.label(cur, close, col, slanted)?);
        }
        if cur.eat(":::") {
            // A class for its style: nothing to simulate.
            cur.ident();
        }
        Ok(label)
    }

    /// A label up to `close`, quoted or not; `open_col` is where its opening bracket stands.
    /// A `slanted` one (`[/text/]`, `[/text\\]`, ...) ends in `/` or `\\` before `close`.
    fn label(
        &self,
        cur: &mut Cursor,
        close: &str,
        open_col: usize,
        slanted: bool,
    ) -> Result<String, ImportError> {
        let text = if cur.peek() == Some('"') {
            let t = cur.quoted(self.file)?;
            cur.skip_ws();
            if slanted && !cur.eat("/") {
                cur.eat("\\");
            }
            if !cur.eat(close) {
                return Err(self.err(
                    cur,
                    cur.col(),
                    format!("expected `{close}` after the quoted label"),
                ));
            }
            t
        } else {
            let Some(t) = cur.until(close) else {
                return Err(self.err(
                    cur,
                    open_col,
                    format!("this bracket is not closed: expected `{close}` on the same line"),
                ));
            };
            if slanted {
                t.strip_suffix(['/', '\\']).map_or(t.clone(), str::to_owned)
            } else {
                t
            }
        };
        let text = clean(&text);
        if text.is_empty() {
            return Err(self.err(cur, open_col, "empty label"));
        }
        Ok(text)
    }

    /// `-->`, `---`, `==>` (longer ones too), `-- text -->`, dotted `-.->` and `-. text .->`,
    /// circle and cross ends (`--o`, `--x`, read as arrows), both ways (`<-->`, read from left
    /// to right as `---` is) and the invisible `~~~`; each maybe followed by `|text|`.
    fn arrow(&mut self, cur: &mut Cursor) -> Result<Option<Arrow>, ImportError> {
        let col = cur.col();
        if cur.peek() == Some('~') {
            let run = cur.run('~');
            if run < 3 {
                return Err(cur.unexpected(self.file));
            }
            cur.i += run;
            return Ok(Some(Arrow {
                label: None,
                open: true,
                invisible: true,
            }));
        }
        // Both ways: the `<` drawn, then the link as one way; read as a link without a head.
        let both = cur.peek() == Some('<') && matches!(cur.peek_at(1), Some('-' | '=' | '.'));
        if both {
            cur.i += 1;
        }
        let Some(ch) = cur.peek().filter(|c| *c == '-' || *c == '=') else {
            if both {
                return Err(cur.unexpected(self.file));
            }
            return Ok(None);
        };
        let mut arrow = if ch == '-' && cur.peek_at(1) == Some('.') {
            self.dotted(cur, col)?
        } else {
            let run = cur.run(ch);
            if run < 2 {
                return Err(cur.unexpected(self.file));
            }
            let end = cur.peek_at(run);
            // `--o B`, `--x B`: a circle or a cross for a head (not `--oops-->`, a text).
            let tip = matches!(end, Some('o' | 'x'))
                && cur
                    .peek_at(run + 1)
                    .is_none_or(|c| !c.is_alphanumeric() && c != '_');
            if end == Some('>') || tip {
                cur.i += run + 1;
                Arrow {
                    label: None,
                    open: false,
                    invisible: false,
                }
            } else if run >= 3 {
                cur.i += run;
                Arrow {
                    label: None,
                    open: true,
                    invisible: false,
                }
            } else {
                cur.i += 2;
                self.text_link(cur, ch, col)?
            }
        };
        arrow.open |= both;
        let save = cur.i;
        cur.skip_ws();
        if cur.eat("|") {
            // Quoted, the text may hold a `|`.
            let text = if cur.peek() == Some('"') {
                let t = cur.quoted(self.file)?;
                cur.skip_ws();
                cur.eat("|").then_some(t)
            } else {
                cur.until("|")
            };
            let Some(text) = text else {
                return Err(self.err(cur, cur.col() - 1, "link text `|...` is not closed by `|`"));
            };
            let text = clean(text.trim().trim_matches('"'));
            arrow.label = (!text.is_empty()).then_some(text);
        } else {
            cur.i = save;
        }
        Ok(Some(arrow))
    }

    /// A dotted link from its `-.`: `-.-`, `-.->`, `-..->`, or `-. text .->` / `-. text .-`.
    fn dotted(&self, cur: &mut Cursor, col: usize) -> Result<Arrow, ImportError> {
        cur.i += 1;
        let dots = cur.run('.');
        if cur.peek_at(dots) == Some('-') {
            cur.i += dots + 1;
            let open = !cur.eat(">");
            return Ok(Arrow {
                label: None,
                open,
                invisible: false,
            });
        }
        // A text, then `.-` or `.->`.
        cur.i += 1;
        let from = cur.i;
        while cur.peek().is_some() && !cur.starts(".-") {
            cur.i += 1;
        }
        if cur.peek().is_none() {
            return Err(self.err(
                cur,
                col,
                "link text after `-.` needs a dotted end: `-. text .->`",
            ));
        }
        let text = clean(&cur.chars[from..cur.i].iter().collect::<String>());
        cur.i += 2;
        let open = !cur.eat(">");
        Ok(Arrow {
            label: (!text.is_empty()).then_some(text),
            open,
            invisible: false,
        })
    }

    /// The rest of `-- text -->` (or `-- text ---`, `== text ==>`) after its first two characters.
    fn text_link(&self, cur: &mut Cursor, ch: char, col: usize) -> Result<Arrow, ImportError> {
        let ends = [format!("{ch}{ch}>"), format!("{ch}{ch}{ch}")];
        let from = cur.i;
        while cur.peek().is_some() && !ends.iter().any(|e| cur.starts(e)) {
            cur.i += 1;
        }
        if cur.peek().is_none() {
            return Err(self.err(
                cur,
                col,
                format!("link text after `{ch}{ch}` needs an arrow end: `{ch}{ch} text {ch}{ch}>`"),
            ));
        }
        let text = clean(&cur.chars[from..cur.i].iter().collect::<String>());
        let run = cur.run(ch);
        let open = cur.peek_at(run) != Some('>');
        cur.i += run + usize::from(!open);
        Ok(Arrow {
            label: (!text.is_empty()).then_some(text),
            open,
            invisible: false,
        })
    }

    /// Tell subgraph ends from node ends: an id that names a subgraph is the subgraph.
    fn finish(mut self) -> Result<Flowchart, ImportError> {
        let sub_of = |id: &str| self.sub_ids.get(id).copied();
        let keep: Vec<bool> = self
            .chart
            .nodes
            .iter()
            .map(|n| sub_of(&n.id).is_none())
            .collect();
        let limit = crate::scenario::LIMITS.nodes;
        let mut new_index = HashMap::new();
        let mut nodes = Vec::new();
        for ((n, k), &pos) in self.chart.nodes.iter().zip(&keep).zip(&self.node_pos) {
            if !*k {
                continue;
            }
            if nodes.len() == limit {
                let message = format!(
                    "more than {limit} nodes in one diagram; a scenario has at most {limit}"
                );
                return Err(error(self.file, pos, message));
            }
            new_index.insert(n.id.clone(), nodes.len());
            nodes.push(n.clone());
        }
        let end = |id: &str| match sub_of(id) {
            Some(s) => End::Subgraph(s),
            None => End::Node(new_index.get(id).copied().unwrap_or(0)),
        };
        let edges: Vec<Edge> = self
            .raw_edges
            .iter()
            .map(|e| Edge {
                from: end(&e.from),
                to: end(&e.to),
                label: e.label.clone(),
                open: e.open,
                pos: e.pos,
            })
            .collect();
        self.chart.nodes = nodes;
        self.chart.edges = edges;
        self.expanded_links()?;
        Ok(self.chart)
    }

    /// A link to or from a subgraph that is no messaging system stands for one link per node in
    /// it (the mapping expands it): the links a diagram stands for are counted against
    /// [`MAX_LINKS`] here, so that a few lines between two large subgraphs cannot draw millions.
    fn expanded_links(&self) -> Result<(), ImportError> {
        let subs = &self.chart.subgraphs;
        let mut size = vec![0usize; subs.len()];
        for n in &self.chart.nodes {
            for i in self.chart.enclosing(n.subgraph) {
                size[i] += 1;
            }
        }
        let width = |end: End| match end {
            End::Subgraph(s) if !subs[s].is_system() => size[s].max(1),
            _ => 1,
        };
        let mut total = 0usize;
        for e in &self.chart.edges {
            total = total.saturating_add(width(e.from).saturating_mul(width(e.to)));
            if total > MAX_LINKS {
                let message = format!(
                    "the links drawn stand for more than {MAX_LINKS} links (a link to or from a \
                     subgraph that is no messaging system stands for one per node in it); the \
                     limit is {MAX_LINKS}"
                );
                return Err(error(self.file, e.pos, message));
            }
        }
        Ok(())
    }
}

/// A label as shown: `<br>` as a space, whitespace collapsed, `#quot;` as `"`.
fn clean(s: &str) -> String {
    let s = s
        .replace("<br/>", " ")
        .replace("<br />", " ")
        .replace("<br>", " ")
        .replace("#quot;", "\"");
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One line's characters and a position in them.
struct Cursor {
    chars: Vec<char>,
    i: usize,
    line: usize,
    /// Characters of the file's line before `chars` (a blockquote's `>` markers).
    skipped: usize,
}

impl Cursor {
    fn new(line: usize, text: &str, skipped: usize) -> Cursor {
        Cursor {
            chars: text.chars().collect(),
            i: 0,
            line,
            skipped,
        }
    }
    fn col(&self) -> usize {
        self.skipped + self.i + 1
    }
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }
    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).copied()
    }
    fn starts(&self, s: &str) -> bool {
        let n = s.chars().count();
        self.chars
            .get(self.i..self.i + n)
            .is_some_and(|w| w.iter().copied().eq(s.chars()))
    }
    fn eat(&mut self, s: &str) -> bool {
        let ok = self.starts(s);
        if ok {
            self.i += s.chars().count();
        }
        ok
    }
    /// How many `ch` in a row from here.
    fn run(&self, ch: char) -> usize {
        self.chars[self.i..]
            .iter()
            .take_while(|c| **c == ch)
            .count()
    }
    /// Whether the first character after any whitespace is one `f` takes (the cursor stays).
    fn next_after_ws(&self, f: impl Fn(char) -> bool) -> bool {
        self.chars[self.i..]
            .iter()
            .find(|c| !c.is_whitespace())
            .is_some_and(|&c| f(c))
    }
    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
    }
    fn at_comment_or_end(&self) -> bool {
        self.peek().is_none() || self.starts("%%")
    }
    /// A node or subgraph id: letters (any script), digits, `_`, and `-` between two of them.
    fn ident(&mut self) -> String {
        let start = self.i;
        while let Some(c) = self.peek() {
            let inner_dash =
                c == '-' && self.i > start && self.peek_at(1).is_some_and(char::is_alphanumeric);
            if !(c.is_alphanumeric() || c == '_' || inner_dash) {
                break;
            }
            self.i += 1;
        }
        self.chars[start..self.i].iter().collect()
    }
    /// Text up to `close` (which is consumed), on this line.
    fn until(&mut self, close: &str) -> Option<String> {
        let start = self.i;
        while self.peek().is_some() {
            if self.starts(close) {
                let text = self.chars[start..self.i].iter().collect();
                self.i += close.chars().count();
                return Some(text);
            }
            self.i += 1;
        }
        self.i = start;
        None
    }
    /// A `"..."` string at the cursor.
    fn quoted(&mut self, file: &str) -> Result<String, ImportError> {
        let col = self.col();
        self.i += 1;
        self.until("\"").ok_or_else(|| {
            error(
                file,
                Pos {
                    line: self.line,
                    col,
                },
                "this quote is not closed on its line",
            )
        })
    }
    fn rest_of_statement(&mut self) -> String {
        let start = self.i;
        self.skip_statement();
        self.chars[start..self.i].iter().collect()
    }
    /// To the `;` or `%%` that ends the statement, past any inside quotes (`click A href
    /// "http://x/a;b"`).
    fn skip_statement(&mut self) {
        let mut quoted = false;
        while let Some(c) = self.peek() {
            if !quoted && (c == ';' || self.starts("%%")) {
                break;
            }
            quoted ^= c == '"';
            self.i += 1;
        }
    }
    fn unexpected(&self, file: &str) -> ImportError {
        let pos = Pos {
            line: self.line,
            col: self.col(),
        };
        match self.peek() {
            Some(c) => error(
                file,
                pos,
                format!(
                    "unexpected `{c}`: expected a link (-->, ---, ==>), `&`, `;` or the end of the line"
                ),
            ),
            None => error(file, pos, "unexpected end of the line"),
        }
    }
}
