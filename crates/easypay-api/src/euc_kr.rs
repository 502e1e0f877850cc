//! KICC counts field lengths in EUC-KR bytes (its legacy charset): ASCII is one byte, a character
//! of KS X 1001 (Hangul syllables, Hanja, common symbols) two. Anything else cannot be sent.

use encoding_rs::EUC_KR;

/// A character that EUC-KR (KS X 1001) cannot represent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unencodable(pub char);

/// The length of `text` in EUC-KR bytes, or the first character EUC-KR cannot represent.
///
/// `encoding_rs` implements the WHATWG "EUC-KR" encoder, which is really CP949 (unified Hangul
/// code). CP949's extension area (lead byte below 0xA1) is not KS X 1001, so it is refused too.
pub fn byte_len(text: &str) -> Result<usize, Unencodable> {
    let mut total = 0;
    let mut buf = [0u8; 4];
    for ch in text.chars() {
        if ch.is_ascii() {
            total += 1;
            continue;
        }
        let (bytes, _, unmappable) = EUC_KR.encode(ch.encode_utf8(&mut buf));
        let in_ks_x_1001 =
            !unmappable && bytes.len() == 2 && bytes.iter().all(|b| (0xA1..=0xFE).contains(b));
        if !in_ks_x_1001 {
            return Err(Unencodable(ch));
        }
        total += 2;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_counts_one_byte_each() {
        assert_eq!(byte_len("Sample Product"), Ok(14));
        assert_eq!(byte_len(""), Ok(0));
    }

    #[test]
    fn hangul_counts_two_bytes_each() {
        assert_eq!(byte_len("홍길동"), Ok(6));
        assert_eq!(byte_len("서울 Korea"), Ok(10));
    }

    #[test]
    fn ks_x_1001_symbols_and_hanja_are_two_bytes() {
        assert_eq!(byte_len("※"), Ok(2));
        assert_eq!(byte_len("漢"), Ok(2));
    }

    #[test]
    fn emoji_and_cp949_extension_syllables_are_refused() {
        assert_eq!(byte_len("ok😀"), Err(Unencodable('😀')));
        // '똠' exists only in CP949's extension area, not in KS X 1001.
        assert_eq!(byte_len("똠"), Err(Unencodable('똠')));
        assert_eq!(byte_len("é"), Err(Unencodable('é')));
    }
}
