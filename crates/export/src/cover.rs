//! A generated cover: the title and the authors on a plain colour field, as SVG.
//!
//! SVG because text in it is drawn by the reading system's own fonts, so titles in any script
//! come out right without shipping fonts; EPUB 3 lists SVG as a core image type. The colour
//! is chosen from the title, so a shelf of covers is not one colour.

use crate::render::escaped;
use sha2::{Digest, Sha256};

pub const WIDTH: u32 = 600;
pub const HEIGHT: u32 = 900;

/// Background and text colours, dark enough for white text at WCAG AA contrast.
const PALETTE: &[&str] = &["#2d4059", "#6a2c70", "#1f5f5b", "#7a3b2e", "#3e3a6d", "#24527a", "#5b3256", "#36503b"];

/// The cover for a title, a byline and a footer line (the fandoms).
pub fn svg(title: &str, byline: &str, footer: &str) -> String {
    let digest = Sha256::digest(title.as_bytes());
    let background = PALETTE[usize::from(digest[0]) % PALETTE.len()];
    let title_lines = lines(title, 16, 6);
    let size = if title_lines.iter().any(|l| l.chars().count() > 12) { 46 } else { 56 };
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" \
         width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\">\n\
         <title>{}</title>\n\
         <rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"{background}\"/>\n\
         <rect x=\"30\" y=\"30\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#ffffff\" stroke-opacity=\"0.6\" stroke-width=\"3\"/>\n",
        escaped(title),
        WIDTH - 60,
        HEIGHT - 60
    );
    let mut y = 260 - (title_lines.len() as u32 * size / 2).min(150);
    for line in &title_lines {
        out.push_str(&text_element(line, y, size, "bold"));
        y += size + size / 4;
    }
    y += 60;
    for line in lines(byline, 26, 3) {
        out.push_str(&text_element(&line, y, 32, "normal"));
        y += 42;
    }
    if let Some(line) = lines(footer, 30, 1).first() {
        out.push_str(&text_element(line, HEIGHT - 80, 26, "normal"));
    }
    out.push_str("</svg>\n");
    out
}

fn text_element(text: &str, y: u32, size: u32, weight: &str) -> String {
    format!(
        "<text x=\"{}\" y=\"{y}\" font-family=\"serif\" font-size=\"{size}\" font-weight=\"{weight}\" fill=\"#ffffff\" \
         text-anchor=\"middle\">{}</text>\n",
        WIDTH / 2,
        escaped(text)
    )
}

/// Breaks text into at most `max_lines` lines of about `width` characters: at spaces, or
/// anywhere for scripts written without them; the last line ends in `…` when text is left.
fn lines(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        // A word longer than a line (or a run of Chinese) is cut into line-sized pieces.
        while word.len() > width {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            lines.push(word.drain(..width).collect());
        }
        let word: String = word.into_iter().collect();
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            let kept: String = last.chars().take(width.saturating_sub(1)).collect();
            *last = format!("{kept}…");
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_wrap_at_spaces_and_long_ones_are_cut() {
        assert_eq!(lines("The Cartographer's Apprentice", 16, 6), vec!["The", "Cartographer's", "Apprentice"]);
        assert_eq!(lines("一二三四五六七八九十一二三四五六七八", 16, 6), vec!["一二三四五六七八九十一二三四五六", "七八"]);
        let long = lines(&"word ".repeat(100), 16, 3);
        assert_eq!(long.len(), 3);
        assert!(long[2].ends_with('…'));
    }

    #[test]
    fn cover_text_is_escaped() {
        let svg = svg("<script>alert(1)</script> & co", "A \"quoted\" author", "<b>Fandom</b>");
        assert!(svg.contains("&lt;b&gt;Fandom&lt;/b&gt;"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("A &quot;quoted&quot; author"));
    }
}
