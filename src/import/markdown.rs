//! The Markdown side: fenced ```` ```mermaid ```` blocks, the line of their fence and the nearest
//! ATX heading above them (headings inside code blocks do not count).

/// One fenced `mermaid` code block.
#[derive(Clone, Debug)]
pub(crate) struct Block<'a> {
    /// 1-based line of the opening fence.
    pub fence_line: usize,
    /// The lines between the fences with their 1-based line numbers.
    pub body: Vec<(usize, &'a str)>,
    /// Text of the nearest heading above the fence.
    pub heading: Option<String>,
}

/// An open code fence: its character, its length and whether it is a `mermaid` block.
struct Fence {
    ch: char,
    len: usize,
    mermaid: bool,
}

/// A line that opens or closes a fence: up to 3 spaces, then 3 or more backticks or tildes.
/// Returns the fence character, its length and the info string after it.
fn fence(line: &str) -> Option<(char, usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let ch = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.chars().take_while(|c| *c == ch).count();
    if len < 3 {
        return None;
    }
    let info = &rest[len * ch.len_utf8()..];
    if ch == '`' && info.contains('`') {
        return None;
    }
    Some((ch, len, info.trim()))
}

/// The text of an ATX heading (`# Title`, `## Title ##`), if `line` is one.
fn heading(line: &str) -> Option<String> {
    let t = line.trim_start_matches(' ');
    if line.len() - t.len() > 3 {
        return None;
    }
    let level = t.chars().take_while(|c| *c == '#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &t[level..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let text = rest.trim().trim_end_matches('#').trim_end();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The lines of `text` as CommonMark ends them: at a line feed, a carriage return and line feed,
/// or a carriage return alone (notes saved with old Mac line endings). No final empty line.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let line = &rest[..end];
        let after = &rest[end..];
        rest = after
            .strip_prefix("\r\n")
            .or_else(|| after.strip_prefix(['\n', '\r']))
            .unwrap_or(after);
        Some(line)
    })
}

/// Every `mermaid` fenced block of `markdown`, in order. A fence left open runs to the end of the
/// file, as CommonMark reads it.
pub(crate) fn mermaid_blocks(markdown: &str) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
    let mut last_heading: Option<String> = None;
    let mut open: Option<(Fence, Block)> = None;
    for (i, line) in lines(markdown).enumerate() {
        let line_no = i + 1;
        if let Some((f, block)) = open.as_mut() {
            let closes = fence(line)
                .is_some_and(|(ch, len, info)| ch == f.ch && len >= f.len && info.is_empty());
            if !closes {
                block.body.push((line_no, line));
                continue;
            }
            if let Some((f, block)) = open.take() {
                if f.mermaid {
                    blocks.push(block);
                }
            }
            continue;
        }
        if let Some((ch, len, info)) = fence(line) {
            let lang = info.split_whitespace().next().unwrap_or("");
            let block = Block {
                fence_line: line_no,
                body: Vec::new(),
                heading: last_heading.clone(),
            };
            let mermaid = lang.eq_ignore_ascii_case("mermaid");
            open = Some((Fence { ch, len, mermaid }, block));
        } else if let Some(h) = heading(line) {
            last_heading = Some(h);
        }
    }
    if let Some((f, block)) = open {
        if f.mermaid {
            blocks.push(block);
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_at_lf_crlf_or_a_lone_cr() {
        let all = |t| lines(t).collect::<Vec<_>>();
        assert_eq!(all("a\nb\r\nc\rd"), ["a", "b", "c", "d"]);
        assert_eq!(all("a\r\r\nb\n"), ["a", "", "b"]);
        assert_eq!(all("\n"), [""]);
        assert!(all("").is_empty());
        // Old Mac notes: the block is found, with the lines numbered as an editor shows them.
        let b = mermaid_blocks("# Notes\r```mermaid\rgraph TD\r  A --> B\r```\r");
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].fence_line, 2);
        assert_eq!(b[0].body, vec![(3, "graph TD"), (4, "  A --> B")]);
        assert_eq!(b[0].heading.as_deref(), Some("Notes"));
    }

    #[test]
    fn blocks_headings_and_fences() {
        let md = "# Notes\n\n## Links\n```mermaid\ngraph TD\n  A --> B\n```\n\n\
                  ````md\n# not a heading\n```mermaid\ngraph TD\n```\n````\n\
                  ~~~mermaid\nsequenceDiagram\n~~~\n";
        let b = mermaid_blocks(md);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].fence_line, 4);
        assert_eq!(b[0].heading.as_deref(), Some("Links"));
        assert_eq!(b[0].body, vec![(5, "graph TD"), (6, "  A --> B")]);
        assert_eq!(b[1].fence_line, 15);
        assert_eq!(b[1].heading.as_deref(), Some("Links"));
    }

    #[test]
    fn heading_forms() {
        assert_eq!(heading("## Title ##").as_deref(), Some("Title"));
        assert_eq!(heading("#NoSpace"), None);
        assert_eq!(heading("    # indented code"), None);
        assert_eq!(heading("### 큐 비교").as_deref(), Some("큐 비교"));
    }

    #[test]
    fn an_open_fence_runs_to_the_end() {
        let b = mermaid_blocks("```mermaid\ngraph LR\nA --> B");
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].body.len(), 2);
    }
}
