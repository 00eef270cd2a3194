//! IAM's `*` (any run, possibly empty) and `?` (exactly one character)
//! matching, in linear memory and O(pattern × text) time at worst.

/// One element of a pattern once policy variables are expanded: a variable's
/// value (and `${*}`, `${?}`) is literal even when it contains `*` or `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Char(char),
    AnyRun,
    AnyOne,
}

/// A pattern read straight from text, with `*` and `?` as wildcards.
pub fn pattern(text: &str) -> Vec<Piece> {
    text.chars()
        .map(|c| match c {
            '*' => Piece::AnyRun,
            '?' => Piece::AnyOne,
            c => Piece::Char(c),
        })
        .collect()
}

/// Whether `text` matches `pattern`; `ignore_case` folds both sides with
/// Unicode lowercasing, character by character.
pub fn matches(pattern: &[Piece], text: &str, ignore_case: bool) -> bool {
    let text: Vec<char> = if ignore_case {
        text.chars().flat_map(char::to_lowercase).collect()
    } else {
        text.chars().collect()
    };
    let mut folded = Vec::new();
    let pattern = if ignore_case {
        for piece in pattern {
            match piece {
                Piece::Char(c) => folded.extend(c.to_lowercase().map(Piece::Char)),
                other => folded.push(other.clone()),
            }
        }
        &folded[..]
    } else {
        pattern
    };
    // The classic greedy algorithm: remember the last `*` and the text
    // position it was tried at; on a mismatch let that `*` eat one more.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Piece::AnyRun) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Piece::AnyOne) => {
                p += 1;
                t += 1;
            }
            Some(Piece::Char(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|piece| *piece == Piece::AnyRun)
}

/// The pattern as plain text, wildcards written as `*` and `?` (for the
/// exact-match operators, where they are not special).
pub fn literal(pattern: &[Piece]) -> String {
    pattern
        .iter()
        .map(|p| match p {
            Piece::Char(c) => *c,
            Piece::AnyRun => '*',
            Piece::AnyOne => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        matches(&pattern(p), t, false)
    }

    #[test]
    fn wildcards() {
        assert!(m("*", ""));
        assert!(m("dynamodb:*", "dynamodb:GetItem"));
        assert!(m("dynamodb:Get*", "dynamodb:GetItem"));
        assert!(!m("dynamodb:Get*", "dynamodb:PutItem"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*a*b*c*", "xxaxxbxxcxx"));
        assert!(!m("*a*b*c", "xxaxxbxxcxx"));
        assert!(!m("abc", "ABC"));
        assert!(matches(&pattern("dynamodb:getitem"), "dynamodb:GetItem", true));
    }
}
