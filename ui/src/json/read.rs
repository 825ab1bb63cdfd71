//! [`Reader`]: a serde `Deserializer` over JSON text, for the shapes of `keyhole-api` (objects, arrays, strings, integers, booleans, null).
//!
//! Numbers are integers only: the contract never sends a float (money and
//! quota are strings), and a float parser is what this module keeps out of
//! the bundle. A float is read past, not into, when nothing wants it (an
//! unknown field).
//!
//! The helpers are `#[inline(never)]`: the `Deserializer` methods are
//! compiled once per type read, and each copy should call one shared
//! string or number reader rather than carry its own.

use super::Error;

mod deserializer;

/// Deepest nesting read: the contract nests four levels; this only keeps a
/// hostile text from exhausting the stack.
const MAX_DEPTH: u32 = 64;

/// JSON text being read, and where.
pub(super) struct Reader<'a> {
    text: &'a [u8],
    at: usize,
    depth: u32,
}

/// A number as JSON wrote it: non-negative or negative.
enum Integer {
    Unsigned(u64),
    Signed(i64),
}

impl<'a> Reader<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            at: 0,
            depth: 0,
        }
    }

    /// Only whitespace may follow the value.
    #[inline(never)]
    pub(super) fn end(&mut self) -> Result<(), Error> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(Error::SYNTAX),
        }
    }

    /// The next byte that is not whitespace, not consumed.
    #[inline(never)]
    fn peek(&mut self) -> Option<u8> {
        while let Some(&byte) = self.text.get(self.at) {
            if !matches!(byte, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(byte);
            }
            self.at += 1;
        }
        None
    }

    /// Consumes `byte`, after whitespace.
    #[inline(never)]
    fn eat(&mut self, byte: u8) -> Result<(), Error> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Error::SYNTAX)
        }
    }

    /// Consumes the literal `true`, `false` or `null`.
    #[inline(never)]
    fn word(&mut self, word: &[u8]) -> Result<(), Error> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(Error::SYNTAX)
        }
    }

    #[inline(never)]
    fn boolean(&mut self) -> Result<bool, Error> {
        if self.peek() == Some(b't') {
            self.word(b"true").map(|()| true)
        } else {
            self.word(b"false").map(|()| false)
        }
    }

    /// One string, escapes resolved. A lone surrogate (`\ud800`) becomes
    /// U+FFFD, as the browser's strings do when they reach Rust.
    #[inline(never)]
    fn string(&mut self) -> Result<String, Error> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or control byte:
            // all ASCII, so the run ends on a character boundary.
            let start = self.at;
            while let Some(&byte) = self.text.get(self.at) {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.at += 1;
            }
            let run = std::str::from_utf8(&self.text[start..self.at]).map_err(|_| Error::SYNTAX)?;
            out.push_str(run);
            let byte = *self.text.get(self.at).ok_or(Error::SYNTAX)?;
            self.at += 1;
            match byte {
                b'"' => return Ok(out),
                b'\\' => out.push(self.escape()?),
                _ => return Err(Error::SYNTAX),
            }
        }
    }

    /// The character of one escape, after its backslash.
    #[inline(never)]
    fn escape(&mut self) -> Result<char, Error> {
        let byte = *self.text.get(self.at).ok_or(Error::SYNTAX)?;
        self.at += 1;
        Ok(match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                if (0xD800..0xDC00).contains(&first) && self.text[self.at..].starts_with(b"\\u") {
                    let before = self.at;
                    self.at += 2;
                    let second = self.hex4()?;
                    if (0xDC00..0xE000).contains(&second) {
                        let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        return Ok(char::from_u32(code).unwrap_or('\u{FFFD}'));
                    }
                    // Not a pair: the second escape is read on its own.
                    self.at = before;
                }
                char::from_u32(first).unwrap_or('\u{FFFD}')
            }
            _ => return Err(Error::SYNTAX),
        })
    }

    #[inline(never)]
    fn hex4(&mut self) -> Result<u32, Error> {
        let digits = self.text.get(self.at..self.at + 4).ok_or(Error::SYNTAX)?;
        self.at += 4;
        digits.iter().try_fold(0, |code, &digit| {
            let value = char::from(digit).to_digit(16).ok_or(Error::SYNTAX)?;
            Ok(code * 16 + value)
        })
    }

    /// One integer; a fraction or an exponent is [`Error::FLOAT`].
    #[inline(never)]
    fn integer(&mut self) -> Result<Integer, Error> {
        self.peek();
        let negative = self.text.get(self.at) == Some(&b'-');
        if negative {
            self.at += 1;
        }
        let start = self.at;
        let mut magnitude: u64 = 0;
        while let Some(&byte) = self.text.get(self.at) {
            if !byte.is_ascii_digit() {
                if matches!(byte, b'.' | b'e' | b'E') {
                    return Err(Error::FLOAT);
                }
                break;
            }
            magnitude = magnitude
                .checked_mul(10)
                .and_then(|m| m.checked_add(u64::from(byte - b'0')))
                .ok_or(Error::RANGE)?;
            self.at += 1;
        }
        if self.at == start {
            return Err(Error::SYNTAX);
        }
        if !negative {
            return Ok(Integer::Unsigned(magnitude));
        }
        // `i64::MIN` has no positive twin: negate in i128.
        i64::try_from(-i128::from(magnitude))
            .map(Integer::Signed)
            .map_err(|_| Error::RANGE)
    }

    /// Reads past one value of any kind, floats included, keeping nothing.
    #[inline(never)]
    fn skip(&mut self) -> Result<(), Error> {
        match self.peek().ok_or(Error::SYNTAX)? {
            b'"' => self.string().map(drop),
            b'{' => self.nested(b'{', b'}', |reader| {
                reader.string()?;
                reader.eat(b':')?;
                reader.skip()
            }),
            b'[' => self.nested(b'[', b']', Reader::skip),
            b't' | b'f' => self.boolean().map(drop),
            b'n' => self.word(b"null"),
            _ => {
                let start = self.at;
                while let Some(byte) = self.text.get(self.at) {
                    if !matches!(byte, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                        break;
                    }
                    self.at += 1;
                }
                if self.at == start {
                    Err(Error::SYNTAX)
                } else {
                    Ok(())
                }
            }
        }
    }

    /// An object or array read past with `item` for each member.
    fn nested(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.enter()?;
        self.eat(open)?;
        let mut first = true;
        while !self.next_member(close, &mut first)? {
            item(self)?;
        }
        self.depth -= 1;
        Ok(())
    }

    #[inline(never)]
    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(Error::SYNTAX)
        } else {
            Ok(())
        }
    }

    /// Before each member of an object or array: true (and `close`
    /// consumed) at its end; otherwise consumes the `,` between members.
    #[inline(never)]
    fn next_member(&mut self, close: u8, first: &mut bool) -> Result<bool, Error> {
        if self.peek() == Some(close) {
            self.at += 1;
            return Ok(true);
        }
        if !std::mem::replace(first, false) {
            self.eat(b',')?;
        }
        Ok(false)
    }
}
