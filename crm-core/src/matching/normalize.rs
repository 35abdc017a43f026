//! The comparison keys of one customer, computed once: folded names, e-mail mailboxes and
//! folded addresses.

use deunicode::deunicode_char;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

use crate::contact::{Email, PostalAddress};
use crate::customer::Customer;

use super::config::MatchConfig;

/// The folded, comparable forms of one customer's name, e-mail and address, borrowed from
/// a [`PreparedSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prepared<'a> {
    /// The name's words folded (see [`fold_into`]) in their written order, one space apart.
    pub name_ordered: &'a str,
    /// The same words sorted, one space apart (order-free: `müller anna` = `anna müller`).
    pub name_sorted: &'a str,
    /// The mailbox: the address with its tag cut, domain aliased and dots dropped where the
    /// domain ignores them.
    pub mailbox: Option<&'a str>,
    /// The folded address.
    pub address: Option<PreparedAddress<'a>>,
}

/// An address folded for comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PreparedAddress<'a> {
    /// Street lines folded, abbreviations applied.
    pub street: &'a str,
    /// The street's words that hold digits (house numbers), in order, one space apart.
    pub numbers: &'a str,
    /// The postcode's letters and digits, uppercase.
    pub postcode: Option<&'a str>,
    /// The city, folded.
    pub city: &'a str,
    /// The ISO country code.
    pub country: &'a str,
}

/// A range of [`PreparedSet::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AddressSpans {
    street: Span,
    numbers: Span,
    postcode: Option<Span>,
    city: Span,
    country: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spans {
    name_ordered: Span,
    name_sorted: Span,
    mailbox: Option<Span>,
    address: Option<AddressSpans>,
}

/// The comparison keys of many customers: all their text in one buffer, so preparing a
/// customer allocates nothing once the buffers have grown.
#[derive(Debug, Default)]
pub(crate) struct PreparedSet {
    text: String,
    spans: Vec<Spans>,
}

impl PreparedSet {
    fn str(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or_default()
    }

    /// The keys of the `index`-th customer prepared (`index < len()`).
    pub fn get(&self, index: usize) -> Prepared<'_> {
        let s = &self.spans[index];
        Prepared {
            name_ordered: self.str(s.name_ordered),
            name_sorted: self.str(s.name_sorted),
            mailbox: s.mailbox.map(|m| self.str(m)),
            address: s.address.map(|a| PreparedAddress {
                street: self.str(a.street),
                numbers: self.str(a.numbers),
                postcode: a.postcode.map(|p| self.str(p)),
                city: self.str(a.city),
                country: self.str(a.country),
            }),
        }
    }
}

impl<'a> Prepared<'a> {
    /// The mailbox's local part.
    pub fn mailbox_local(&self) -> Option<&'a str> {
        self.mailbox
            .and_then(|m| m.rsplit_once('@'))
            .map(|(local, _)| local)
    }

    /// The name without spaces, in written order (`annalena` for `Anna-Lena` and
    /// `Annalena`, `obrien` for `O'Brien`).
    pub fn name_compact(&self) -> impl Iterator<Item = u8> + 'a {
        self.name_ordered.bytes().filter(|&b| b != b' ')
    }

    /// The name's words in reversed order without spaces (`wangjianhua` for
    /// `Jianhua Wang`, the order of `王建华`).
    pub fn name_reversed_compact(&self) -> impl Iterator<Item = u8> + 'a {
        self.name_ordered.rsplit(' ').flat_map(str::bytes)
    }

    /// The name's words in sorted order without spaces (`wangjianhua` for `Jianhua Wang`
    /// and `王建华`, whose transliteration is `wang jian hua`).
    pub fn name_sorted_compact(&self) -> impl Iterator<Item = u8> + 'a {
        self.name_sorted.bytes().filter(|&b| b != b' ')
    }
}

/// Folds text for comparison, appending it to `out`: compatibility normalisation (NFKC:
/// full-width letters, ligatures), transliteration to ASCII (`ü` → `u`, `ß` → `ss`, `山田` →
/// `shan tian`, `Ольга` → `ol'ga`), lowercase, and every run of characters that are not
/// letters or digits replaced by one space. Letters without a transliteration are kept,
/// lowercased.
pub(crate) fn fold_into(text: &str, out: &mut String) {
    let start = out.len();
    let mut gap = false;
    if text.is_ascii() {
        for c in text.chars() {
            push_folded(c, &mut gap, start, out);
        }
        return;
    }
    if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        fold_chars(text.chars(), start, out);
    } else {
        fold_chars(text.nfkc(), start, out);
    }
}

fn fold_chars(chars: impl Iterator<Item = char>, start: usize, out: &mut String) {
    let mut gap = false;
    for c in chars {
        if c.is_ascii() {
            push_folded(c, &mut gap, start, out);
        } else if let Some(ascii) = deunicode_char(c) {
            // Transliterations of ideographs end in a space, so each becomes a word.
            if ascii.is_empty() {
                gap = true;
            }
            for t in ascii.chars() {
                push_folded(t, &mut gap, start, out);
            }
        } else {
            push_folded(c, &mut gap, start, out);
        }
    }
}

/// Appends one character of folded text: letters and digits lowercased, anything else
/// remembered as a gap that becomes one space before the next letter or digit.
fn push_folded(c: char, gap: &mut bool, start: usize, out: &mut String) {
    if c.is_alphanumeric() {
        if *gap && out.len() > start {
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
pub(crate) fn mailbox(email: &Email, config: &MatchConfig, out: &mut String) {
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
    if rules.dot_insensitive_domains.iter().any(|d| d == domain) && local.bytes().any(|b| b != b'.')
    {
        out.extend(local.chars().filter(|&c| c != '.'));
    } else {
        out.push_str(local);
    }
    out.push('@');
    out.push_str(domain);
}

/// Computes comparison keys into a [`PreparedSet`].
#[derive(Debug)]
pub(crate) struct Preparer<'c> {
    config: &'c MatchConfig,
    set: PreparedSet,
    scratch: String,
    words: Vec<(usize, usize)>,
}

impl<'c> Preparer<'c> {
    pub fn new(config: &'c MatchConfig) -> Self {
        Preparer {
            config,
            set: PreparedSet::default(),
            scratch: String::new(),
            words: Vec::new(),
        }
    }

    /// Reserves room for `customers` more customers.
    pub fn reserve(&mut self, customers: usize) {
        self.set.spans.reserve(customers);
        self.set.text.reserve(customers.saturating_mul(96));
    }

    /// The keys prepared so far.
    pub fn finish(self) -> PreparedSet {
        self.set
    }

    fn span_from(&self, start: usize) -> Span {
        Span {
            start,
            end: self.set.text.len(),
        }
    }

    /// Prepares the next customer.
    pub fn push(&mut self, customer: &Customer) {
        let start = self.set.text.len();
        fold_into(customer.name.expose(), &mut self.set.text);
        let name_ordered = self.span_from(start);
        // The same words, sorted.
        self.words.clear();
        let mut at = start;
        for word in self.set.text[start..].split(' ') {
            if !word.is_empty() {
                self.words.push((at, at + word.len()));
            }
            at += word.len() + 1;
        }
        let text = &self.set.text;
        self.words
            .sort_unstable_by(|x, y| text[x.0..x.1].cmp(&text[y.0..y.1]));
        let sorted_start = self.set.text.len();
        for (n, &(a, b)) in self.words.iter().enumerate() {
            if n > 0 {
                self.set.text.push(' ');
            }
            self.set.text.extend_from_within(a..b);
        }
        let name_sorted = self.span_from(sorted_start);
        let mailbox = customer.email.as_ref().map(|e| {
            let start = self.set.text.len();
            mailbox(e, self.config, &mut self.set.text);
            self.span_from(start)
        });
        let address = customer.address.as_ref().map(|a| self.address(a));
        self.set.spans.push(Spans {
            name_ordered,
            name_sorted,
            mailbox,
            address,
        });
    }

    fn address(&mut self, address: &PostalAddress) -> AddressSpans {
        self.scratch.clear();
        for line in address.lines() {
            if !self.scratch.is_empty() {
                self.scratch.push(' ');
            }
            fold_into(line, &mut self.scratch);
        }
        let start = self.set.text.len();
        for word in self.scratch.split(' ').filter(|w| !w.is_empty()) {
            if self.set.text.len() > start {
                self.set.text.push(' ');
            }
            abbreviate(word, self.config, &mut self.set.text);
        }
        let street = self.span_from(start);
        let start = self.set.text.len();
        for word in self.scratch.split(' ') {
            if word.bytes().any(|b| b.is_ascii_digit()) {
                if self.set.text.len() > start {
                    self.set.text.push(' ');
                }
                self.set.text.push_str(word);
            }
        }
        let numbers = self.span_from(start);
        let start = self.set.text.len();
        fold_into(address.city(), &mut self.set.text);
        let city = self.span_from(start);
        let postcode = address.postal_code().and_then(|p| {
            let start = self.set.text.len();
            self.set.text.extend(
                p.chars()
                    .filter(|c| c.is_alphanumeric())
                    .flat_map(char::to_uppercase),
            );
            let span = self.span_from(start);
            (span.end > span.start).then_some(span)
        });
        let start = self.set.text.len();
        self.set.text.push_str(address.country());
        let country = self.span_from(start);
        AddressSpans {
            street,
            numbers,
            postcode,
            city,
            country,
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
        let mut out = String::from("kept ");
        fold_into(s, &mut out);
        out.split_off(5)
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
        let m = |s: &str| {
            let mut out = String::new();
            mailbox(&Email::parse(s).unwrap(), &config, &mut out);
            out
        };
        assert_eq!(m("A.Da+News@GoogleMail.com"), "ada@gmail.com");
        assert_eq!(m("a.da+news@example.org"), "a.da@example.org");
        assert_eq!(m("+only@example.org"), "+only@example.org");
    }

    #[test]
    fn street_abbreviations_apply_to_word_endings() {
        let config = MatchConfig::default();
        let mut p = Preparer::new(&config);
        let t = chrono::Utc::now();
        let kind = crate::vocabulary::PartyKind::Person;
        let mut a = Customer::new(1.into(), kind, "A", t).unwrap();
        let mut b = Customer::new(2.into(), kind, "B", t).unwrap();
        a.address =
            PostalAddress::new(["Hauptstraße 5"], "München", Some("80 331"), None, "DE").ok();
        b.address = PostalAddress::new(["Hauptstr. 5"], "Muenchen", Some("80331"), None, "de").ok();
        p.push(&a);
        p.push(&b);
        let set = p.finish();
        let (a, b) = (set.get(0).address.unwrap(), set.get(1).address.unwrap());
        assert_eq!(a.street, b.street);
        assert_eq!(a.street, "hauptstr 5");
        assert_eq!(a.numbers, "5");
        assert_eq!(a.postcode, Some("80331"));
        assert_eq!(a.postcode, b.postcode);
        assert_eq!((a.country, b.country), ("DE", "DE"));
        assert_eq!(set.get(0).name_ordered, "a");
    }
}
