//! Decoding of source files whose encoding varies between vintages (UTF-8, with or without BOM,
//! or Windows-1252 / Latin-1 in older national extractions).

/// The encoding found by [`decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1252,
}

/// Decodes bytes as UTF-8 when they are valid UTF-8 (dropping a BOM), else as Windows-1252,
/// which is a superset of Latin-1 for printable text.
pub fn decode(bytes: &[u8]) -> (String, Encoding) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), Encoding::Utf8),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (text.into_owned(), Encoding::Windows1252)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_and_utf8_both_decode_to_the_same_text() {
        let utf8 = "Montluçon".as_bytes();
        let latin1 = b"Montlu\xe7on";
        assert_eq!(decode(utf8), ("Montluçon".to_string(), Encoding::Utf8));
        assert_eq!(decode(latin1), ("Montluçon".to_string(), Encoding::Windows1252));
        assert_eq!(decode(b"\xEF\xBB\xBFabc").0, "abc");
    }
}
