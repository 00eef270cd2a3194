//! IAM's `*` (any run, possibly empty) and `?` (exactly one character)
//! matching, in linear memory and O(pattern × text) time at worst.

/// One element of a pattern once policy variables are expanded: a variable's
/// value (and `${*}`, `${?}`) is literal even when it contains `*` or `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
                other => folded.push(*other),
            }
        }
        &folded[..]
    } else {
        pattern
    };
    greedy_match(pattern, &text, |piece| *piece, |piece, c| *piece == Piece::Char(*c))
}

/// Whether `text` matches the pattern written as `pattern_text` (`*` and `?`
/// as wildcards), as `matches(&pattern(pattern_text), text, ignore_case)`
/// says but without building either side when both are ASCII: policies'
/// actions and resources are, and they are matched on every request.
pub fn matches_text(pattern_text: &str, text: &str, ignore_case: bool) -> bool {
    if !(pattern_text.is_ascii() && text.is_ascii()) {
        return matches(&pattern(pattern_text), text, ignore_case);
    }
    let piece = |b: &u8| match b {
        b'*' => Piece::AnyRun,
        b'?' => Piece::AnyOne,
        b => Piece::Char(char::from(*b)),
    };
    let same = |p: &u8, t: &u8| if ignore_case { p.eq_ignore_ascii_case(t) } else { p == t };
    greedy_match(pattern_text.as_bytes(), text.as_bytes(), piece, same)
}

/// The classic greedy algorithm: remember the last `*` and the text
/// position it was tried at; on a mismatch let that `*` eat one more.
/// `kind` says what a pattern element is; literals are compared with
/// `same`.
fn greedy_match<P, T>(pattern: &[P], text: &[T], kind: impl Fn(&P) -> Piece, same: impl Fn(&P, &T) -> bool) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p).map(|piece| (piece, kind(piece))) {
            Some((_, Piece::AnyRun)) => {
                star = Some((p, t));
                p += 1;
            }
            Some((_, Piece::AnyOne)) => {
                p += 1;
                t += 1;
            }
            Some((piece, Piece::Char(_))) if same(piece, &text[t]) => {
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
    pattern[p..].iter().all(|piece| kind(piece) == Piece::AnyRun)
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

    #[test]
    fn text_patterns_match_as_built_patterns() {
        let cases = [
            ("*", ""),
            ("dynamodb:Get*", "dynamodb:GetItem"),
            ("DynamoDB:get*", "dynamodb:GetItem"),
            ("dynamodb:Get*", "dynamodb:PutItem"),
            ("a?c", "abc"),
            ("a?c", "ac"),
            ("*a*b*c*", "xxaxxbxxcxx"),
            ("*a*b*c", "xxaxxbxxcxx"),
            ("abc", "ABC"),
            ("table/Straße*", "table/STRASSE-1"),
            ("table/é?", "table/ÉX"),
            ("table/*", "table/ü"),
        ];
        for (p, t) in cases {
            for ignore_case in [false, true] {
                assert_eq!(
                    matches_text(p, t, ignore_case),
                    matches(&pattern(p), t, ignore_case),
                    "{p} {t} {ignore_case}"
                );
            }
        }
    }
}
