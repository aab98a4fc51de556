//! The Markdown side: fenced ```` ```mermaid ```` blocks, the line of their fence and the nearest
//! ATX heading above them (headings inside code blocks do not count).

/// One fenced `mermaid` code block.
#[derive(Clone, Debug)]
pub(crate) struct Block<'a> {
    /// 1-based line of the opening fence.
    pub fence_line: usize,
    /// The lines between the fences with their 1-based line numbers, each without the `>`
    /// markers of the blockquote the block sits in.
    pub body: Vec<(usize, &'a str)>,
    /// For each line of `body`, the characters its `>` markers took: added to a column so that
    /// it is the file's.
    pub skipped: Vec<usize>,
    /// Text of the nearest heading above the fence.
    pub heading: Option<String>,
}

/// An open code fence: its character, its length, whether it is a `mermaid` block, how far its
/// closing fence may be indented and in how many blockquotes it sits.
struct Fence {
    ch: char,
    len: usize,
    mermaid: bool,
    close_indent: usize,
    quotes: usize,
}

/// A line that opens or closes a fence: up to `max_indent` spaces, then 3 or more backticks or
/// tildes. Returns the fence character, its length, the info string after it and the indent.
fn fence(line: &str, max_indent: usize) -> Option<(char, usize, &str, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > max_indent {
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
    Some((ch, len, info.trim(), indent))
}

/// `line` without the `>` markers (each with up to 3 spaces before it and one after) of at most
/// `depth` blockquotes: the rest, how many it took off and the characters they took.
fn unquote(line: &str, depth: usize) -> (&str, usize, usize) {
    let mut rest = line;
    let mut taken = 0;
    while taken < depth {
        let t = rest.trim_start_matches(' ');
        if rest.len() - t.len() > 3 {
            break;
        }
        let Some(after) = t.strip_prefix('>') else {
            break;
        };
        rest = after.strip_prefix(' ').unwrap_or(after);
        taken += 1;
    }
    (rest, taken, line[..line.len() - rest.len()].chars().count())
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
    // A closing run of `#` counts only after a space (`## C#` is about C#).
    let text = rest.trim();
    let bare = text.trim_end_matches('#');
    let text = if bare.is_empty() || bare.ends_with([' ', '\t']) {
        bare.trim_end()
    } else {
        text
    };
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

/// A list item's marker (`- `, `* `, `+ `, `1. `, `1) `) at the start of `line`: the column its
/// content starts at (from 0) and the content.
fn list_item(line: &str) -> Option<(usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    let marker = match rest.as_bytes().get(digits) {
        Some(b'-' | b'*' | b'+') if digits == 0 => 1,
        Some(b'.' | b')') if (1..=9).contains(&digits) => digits + 1,
        _ => return None,
    };
    let after = &rest[marker..];
    let spaces = after.len() - after.trim_start_matches(' ').len();
    if spaces == 0 && !after.is_empty() {
        return None;
    }
    // Five spaces or more after the marker: one of them, then an indented code block.
    let spaces = if spaces > 4 { 1 } else { spaces.max(1) };
    let content = after.get(spaces..).unwrap_or("");
    Some((indent + marker + spaces, content))
}

/// Every `mermaid` fenced block of `markdown`, in order, as CommonMark finds them: also in a
/// blockquote (`> ```mermaid`, ended with the blockquote) and in a list item (on the marker's
/// line, or indented as the item's content is). A fence left open runs to the end of the file.
pub(crate) fn mermaid_blocks(markdown: &str) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
    let mut last_heading: Option<String> = None;
    let mut open: Option<(Fence, Block)> = None;
    // The column the content of the list item last seen starts at, while the list goes on.
    let mut item: Option<usize> = None;
    for (i, raw) in lines(markdown).enumerate() {
        let line_no = i + 1;
        if let Some((f, block)) = open.as_mut() {
            let (line, taken, skipped) = unquote(raw, f.quotes);
            if taken == f.quotes {
                let closes = fence(line, f.close_indent).is_some_and(|(ch, len, info, _)| {
                    ch == f.ch && len >= f.len && info.is_empty()
                });
                if !closes {
                    block.body.push((line_no, line));
                    block.skipped.push(skipped);
                    continue;
                }
            }
            // Closed by its fence, or by the end of its blockquote (this line is read anew).
            let ended_by_quote = taken < f.quotes;
            if let Some((f, block)) = open.take() {
                if f.mermaid {
                    blocks.push(block);
                }
            }
            if !ended_by_quote {
                continue;
            }
        }
        let (line, quotes, _) = unquote(raw, usize::MAX);
        let indent = line.len() - line.trim_start_matches(' ').len();
        let (text, max_indent) = match list_item(line) {
            Some((col, content)) => {
                item = Some(col);
                (content, 3)
            }
            None => {
                if !line.trim().is_empty() && item.is_some_and(|col| indent < col) {
                    item = None;
                }
                (line, item.map_or(3, |col| col + 3))
            }
        };
        if let Some((ch, len, info, at)) = fence(text, max_indent) {
            let block = Block {
                fence_line: line_no,
                body: Vec::new(),
                skipped: Vec::new(),
                heading: last_heading.clone(),
            };
            let lang = info.split_whitespace().next().unwrap_or("");
            let f = Fence {
                ch,
                len,
                mermaid: lang.eq_ignore_ascii_case("mermaid"),
                // Inside a list item the closing fence is indented as the item's content.
                close_indent: item.map_or(3, |col| col.max(at) + 3),
                quotes,
            };
            open = Some((f, block));
        } else if let Some(h) = heading(text) {
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
    fn a_closing_run_of_hashes_counts_only_after_a_space() {
        assert_eq!(heading("## Notes on C#").as_deref(), Some("Notes on C#"));
        assert_eq!(heading("## Notes ##").as_deref(), Some("Notes"));
        assert_eq!(heading("# #").as_deref(), None);
    }

    #[test]
    fn fences_in_list_items_and_blockquotes_are_found() {
        // A nested list item's fence, indented 4 spaces, and its closing fence likewise.
        let listed =
            "- Designs\n  - Central log\n\n    ```mermaid\n    graph LR\n    A --> B\n    ```\n";
        let b = mermaid_blocks(listed);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].body, vec![(5, "    graph LR"), (6, "    A --> B")]);
        // In a blockquote (nested twice): the markers are taken off, their width kept.
        let quoted = "> Note:\n> > ```mermaid\n> > graph LR\n> >   A --> B\n> > ```\n> after\n";
        let b = mermaid_blocks(quoted);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].body, vec![(3, "graph LR"), (4, "  A --> B")]);
        assert_eq!(b[0].skipped, vec![4, 4]);
        // An indented code block stays a code block, even one that shows a mermaid fence.
        let code = "    ```mermaid\n    graph LR\n    ```\n";
        assert!(mermaid_blocks(code).is_empty());
        // A fence on a list marker's line ("- ```mermaid", "1. ```mermaid"), then one at the
        // top level: both found (the item's closing fence opened a block that hid the second).
        let good = "```mermaid\ngraph LR\n  C --> D\n```\n";
        for marker in ["- ", "1. "] {
            let pad = " ".repeat(marker.len());
            let md = format!(
                "{marker}```mermaid\n{pad}graph LR\n{pad}  A --> B\n{pad}```\n\n## Second\n\n{good}"
            );
            let b = mermaid_blocks(&md);
            assert_eq!(b.len(), 2, "{md}");
            assert_eq!(b[0].body.len(), 2, "{md}");
            assert_eq!(b[1].heading.as_deref(), Some("Second"));
        }
        // A blockquote's fence left open ends with the blockquote: what follows is read.
        let md =
            format!("> ```mermaid\n> graph LR\n>   A --> B\n\nSome text.\n\n## Second\n\n{good}");
        let b = mermaid_blocks(&md);
        assert_eq!(b.len(), 2, "{md}");
        assert_eq!(b[0].body, vec![(2, "graph LR"), (3, "  A --> B")]);
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
