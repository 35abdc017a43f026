//! The comparison keys of one customer, computed once: folded names, e-mail mailboxes and
//! folded addresses.

use deunicode::deunicode_char;
use unicode_normalization::UnicodeNormalization;

use crate::contact::{Email, PostalAddress};
use crate::customer::Customer;

use super::config::MatchConfig;

/// The folded, comparable forms of one customer's name, e-mail and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prepared {
    /// The name's words folded (see [`fold_into`]) in their written order, one space apart.
    pub name_ordered: Box<str>,
    /// The same words sorted, one space apart (order-free: `müller anna` = `anna müller`).
    pub name_sorted: Box<str>,
    /// The mailbox: the address with its tag cut, domain aliased and dots dropped where the
    /// domain ignores them.
    pub mailbox: Option<Box<str>>,
    /// The folded address.
    pub address: Option<PreparedAddress>,
}

/// An address folded for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PreparedAddress {
    /// Street lines folded, abbreviations applied.
    pub street: Box<str>,
    /// The street's words that hold digits (house numbers), in order, one space apart.
    pub numbers: Box<str>,
    /// The postcode's letters and digits, uppercase.
    pub postcode: Option<Box<str>>,
    /// The city, folded.
    pub city: Box<str>,
    /// The ISO country code.
    pub country: Box<str>,
}

impl Prepared {
    /// The mailbox's local part.
    pub fn mailbox_local(&self) -> Option<&str> {
        self.mailbox
            .as_deref()
            .and_then(|m| m.rsplit_once('@'))
            .map(|(local, _)| local)
    }

    /// The name without spaces, in written order (`annalena` for `Anna-Lena` and
    /// `Annalena`, `obrien` for `O'Brien`).
    pub fn name_compact(&self) -> impl Iterator<Item = u8> + '_ {
        self.name_ordered.bytes().filter(|&b| b != b' ')
    }

    /// The name's words in reversed order without spaces (`wangjianhua` for
    /// `Jianhua Wang`, the order of `王建华`).
    pub fn name_reversed_compact(&self) -> impl Iterator<Item = u8> + '_ {
        self.name_ordered.rsplit(' ').flat_map(str::bytes)
    }

    /// The name's words in sorted order without spaces (`wangxiuying` for `Xiuying Wang`
    /// and `王秀英`, whose transliteration is `wang xiu ying`).
    pub fn name_sorted_compact(&self) -> impl Iterator<Item = u8> + '_ {
        self.name_sorted.bytes().filter(|&b| b != b' ')
    }
}

/// Folds text for comparison into `out`: compatibility normalisation (NFKC: full-width
/// letters, ligatures), transliteration to ASCII (`ü` → `u`, `ß` → `ss`, `山田` →
/// `shan tian`, `Ольга` → `ol'ga`), lowercase, and every run of characters that are not
/// letters or digits replaced by one space. Letters without a transliteration are kept,
/// lowercased.
pub(crate) fn fold_into(text: &str, out: &mut String) {
    out.clear();
    let mut gap = false;
    if text.is_ascii() {
        for c in text.chars() {
            push_folded(c, &mut gap, out);
        }
        return;
    }
    for c in text.nfkc() {
        if c.is_ascii() {
            push_folded(c, &mut gap, out);
        } else if let Some(ascii) = deunicode_char(c) {
            // Transliterations of ideographs end in a space, so each becomes a word.
            if ascii.is_empty() {
                gap = true;
            }
            for t in ascii.chars() {
                push_folded(t, &mut gap, out);
            }
        } else {
            push_folded(c, &mut gap, out);
        }
    }
}

/// Appends one character of folded text: letters and digits lowercased, anything else
/// remembered as a gap that becomes one space before the next letter or digit.
fn push_folded(c: char, gap: &mut bool, out: &mut String) {
    if c.is_alphanumeric() {
        if *gap && !out.is_empty() {
            out.push(' ');
        }
        *gap = false;
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    } else {
        *gap = true;
    }
}

/// Reduces an address to its mailbox according to the rules (see
/// [`EmailRules`](crate::EmailRules)).
pub(crate) fn mailbox(email: &Email, config: &MatchConfig) -> String {
    let rules = &config.email;
    let domain = email.domain();
    let domain = rules
        .domain_aliases
        .get(domain)
        .map_or(domain, String::as_str);
    let mut local = email.local_part();
    if let Some(sep) = rules.subaddress_separator
        && let Some((head, _)) = local.split_once(sep)
        && !head.is_empty()
    {
        local = head;
    }
    let mut out = String::with_capacity(local.len() + 1 + domain.len());
    if rules.dot_insensitive_domains.iter().any(|d| d == domain) && local.bytes().any(|b| b != b'.')
    {
        out.extend(local.chars().filter(|&c| c != '.'));
    } else {
        out.push_str(local);
    }
    out.push('@');
    out.push_str(domain);
    out
}

/// Computes comparison keys; holds the scratch buffers reused from customer to customer.
#[derive(Debug)]
pub(crate) struct Preparer<'c> {
    config: &'c MatchConfig,
    scratch: String,
    words: String,
}

impl<'c> Preparer<'c> {
    pub fn new(config: &'c MatchConfig) -> Self {
        Preparer {
            config,
            scratch: String::new(),
            words: String::new(),
        }
    }

    pub fn prepare(&mut self, customer: &Customer) -> Prepared {
        fold_into(customer.name.expose(), &mut self.scratch);
        let name_ordered: Box<str> = self.scratch.as_str().into();
        let mut words: Vec<&str> = name_ordered.split(' ').filter(|w| !w.is_empty()).collect();
        words.sort_unstable();
        let name_sorted: Box<str> = words.join(" ").into();
        let mailbox = customer
            .email
            .as_ref()
            .map(|e| mailbox(e, self.config).into_boxed_str());
        let address = customer.address.as_ref().map(|a| self.address(a));
        Prepared {
            name_ordered,
            name_sorted,
            mailbox,
            address,
        }
    }

    fn address(&mut self, address: &PostalAddress) -> PreparedAddress {
        self.words.clear();
        for line in address.lines() {
            fold_into(line, &mut self.scratch);
            if !self.scratch.is_empty() {
                if !self.words.is_empty() {
                    self.words.push(' ');
                }
                self.words.push_str(&self.scratch);
            }
        }
        let mut street = String::with_capacity(self.words.len());
        let mut numbers = String::new();
        for word in self.words.split(' ') {
            if !street.is_empty() {
                street.push(' ');
            }
            abbreviate(word, self.config, &mut street);
            if word.bytes().any(|b| b.is_ascii_digit()) {
                if !numbers.is_empty() {
                    numbers.push(' ');
                }
                numbers.push_str(word);
            }
        }
        fold_into(address.city(), &mut self.scratch);
        let city: Box<str> = self.scratch.as_str().into();
        let postcode = address.postal_code().and_then(|p| {
            let code: String = p
                .chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_uppercase)
                .collect();
            (!code.is_empty()).then(|| code.into_boxed_str())
        });
        PreparedAddress {
            street: street.into(),
            numbers: numbers.into(),
            postcode,
            city,
            country: address.country().into(),
        }
    }
}

/// Appends `word` to `out` with the first matching street abbreviation applied.
fn abbreviate(word: &str, config: &MatchConfig, out: &mut String) {
    for (long, short) in &config.street_abbreviations {
        if !long.is_empty()
            && let Some(head) = word.strip_suffix(long.as_str())
        {
            out.push_str(head);
            out.push_str(short);
            return;
        }
    }
    out.push_str(word);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(s: &str) -> String {
        let mut out = String::new();
        fold_into(s, &mut out);
        out
    }

    #[test]
    fn folding_transliterates_and_splits_words() {
        assert_eq!(fold("Zoë  Ångström"), "zoe angstrom");
        assert_eq!(fold("O'Brien-Smith"), "o brien smith");
        assert_eq!(fold("ＴＡＲＯ"), "taro");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("山田太郎"), fold("山田 太郎"));
        assert_eq!(fold("山田太郎").split(' ').count(), 4);
        assert_eq!(fold("王伟"), "wang wei");
        assert_eq!(fold("--"), "");
    }

    #[test]
    fn mailboxes_follow_the_rules() {
        let config = MatchConfig::default();
        let m = |s: &str| mailbox(&Email::parse(s).unwrap(), &config);
        assert_eq!(m("A.Da+News@GoogleMail.com"), "ada@gmail.com");
        assert_eq!(m("a.da+news@example.org"), "a.da@example.org");
        assert_eq!(m("+only@example.org"), "+only@example.org");
    }

    #[test]
    fn street_abbreviations_apply_to_word_endings() {
        let config = MatchConfig::default();
        let mut p = Preparer::new(&config);
        let a =
            PostalAddress::new(["Hauptstraße 5"], "München", Some("80 331"), None, "DE").unwrap();
        let b = PostalAddress::new(["Hauptstr. 5"], "Muenchen", Some("80331"), None, "de").unwrap();
        let (a, b) = (p.address(&a), p.address(&b));
        assert_eq!(a.street, b.street);
        assert_eq!(&*a.street, "hauptstr 5");
        assert_eq!(&*a.numbers, "5");
        assert_eq!(a.postcode, b.postcode);
    }
}
