//! A text field's limit: [`CharCount`] (characters, as providers count them) and [`TextProblem`] (empty, or too long).

use crate::i18n::{Text, Texts};

/// How long a text is against its limit, counted in characters (Unicode
/// scalar values), as the providers count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CharCount {
    /// Characters in the text.
    pub used: usize,
    /// Most characters allowed.
    pub limit: usize,
}

impl CharCount {
    /// Counts `text` against `limit`.
    pub fn of(text: &str, limit: usize) -> Self {
        Self {
            used: text.chars().count(),
            limit,
        }
    }

    /// Characters beyond the limit (0 when within it).
    pub fn over(self) -> usize {
        self.used.saturating_sub(self.limit)
    }
}

/// Why a text cannot be sent as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// Nothing but whitespace.
    Empty,
    /// More characters than the provider takes.
    TooLong {
        /// How many too many.
        over: usize,
    },
}

impl TextProblem {
    /// The problem with `text`, if any, for a field of `limit` characters.
    pub fn of(text: &str, limit: usize) -> Option<Self> {
        if text.trim().is_empty() {
            return Some(Self::Empty);
        }
        match CharCount::of(text, limit).over() {
            0 => None,
            over => Some(Self::TooLong { over }),
        }
    }

    /// The sentence for the person (tracked).
    pub fn message(self, texts: Texts) -> String {
        match self {
            Self::Empty => texts.t(Text::TextEmpty).to_owned(),
            Self::TooLong { over } => texts.tf(Text::TextTooLong, &[("over", &over.to_string())]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyhole_api::NOTIFY_MESSAGE_MAX_CHARS;

    #[test]
    fn the_counter_counts_characters_not_bytes() {
        assert_eq!(
            CharCount::of("", 1000),
            CharCount {
                used: 0,
                limit: 1000
            }
        );
        assert_eq!(CharCount::of("สวัสดี", 1000).used, 6);
        assert_eq!(CharCount::of("你好", 1000).used, 2);
        assert_eq!(CharCount::of("👍🏽", 1000).used, 2);
        assert_eq!(CharCount::of("abc", 2).over(), 1);
        assert_eq!(CharCount::of("ab", 2).over(), 0);
    }

    #[test]
    fn texts_must_say_something_within_the_limit() {
        assert_eq!(TextProblem::of("", 10), Some(TextProblem::Empty));
        assert_eq!(TextProblem::of(" \n\t", 10), Some(TextProblem::Empty));
        assert_eq!(TextProblem::of("hello", 10), None);
        assert_eq!(TextProblem::of(&"字".repeat(10), 10), None);
        assert_eq!(
            TextProblem::of(&"字".repeat(1003), NOTIFY_MESSAGE_MAX_CHARS),
            Some(TextProblem::TooLong { over: 3 })
        );
    }
}
