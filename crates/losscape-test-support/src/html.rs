//! A check that an HTML or SVG document closes every element it opens, in order: used by the
//! tests of the report page, of the figures and of the `losscape report` command, so they all
//! apply one rule.

/// Checks that every element of an HTML/SVG document is closed in order (void elements and
/// self-closing tags aside); returns the problem if not.
pub fn tags_balanced(doc: &str) -> Result<usize, String> {
    const VOID: [&str; 6] = ["meta", "br", "hr", "img", "link", "input"];
    let mut stack: Vec<String> = Vec::new();
    let mut count = 0;
    let mut rest = doc;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').ok_or("unterminated tag")?;
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '/')
            .collect::<String>()
            .to_ascii_lowercase();
        count += 1;
        if tag.ends_with('/') || VOID.contains(&name.as_str()) {
            continue;
        }
        stack.push(name);
    }
    if stack.is_empty() {
        Ok(count)
    } else {
        Err(format!("unclosed: {stack:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::tags_balanced;

    #[test]
    fn the_tag_checker_catches_unbalanced_documents() {
        assert_eq!(
            tags_balanced("<?xml version=\"1.0\"?><svg><path d=\"M0 0\"/><text>a</text></svg>"),
            Ok(3)
        );
        assert_eq!(
            tags_balanced("<p>a<br>b</p>"),
            Ok(2),
            "void elements need no end tag"
        );
        assert!(tags_balanced("<p><b>x</p></b>").is_err(), "crossed");
        assert!(tags_balanced("<section><p>x</p>").is_err(), "unclosed");
        assert!(tags_balanced("<p>x</p></p>").is_err(), "closed twice");
        assert_eq!(tags_balanced("<p><br><x/></p>"), Ok(3), "self-closing tags");
    }
}
