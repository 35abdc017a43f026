//! The vocabulary of evidence: what comparing one field of two customers can show.

macro_rules! outcomes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal ),* $(,)?) => {
        /// The outcome of comparing one field of two customers: a piece of evidence.
        ///
        /// A field missing on either side gives no outcome (and no weight). Names and street
        /// lines are compared after folding: compatibility normalisation (NFKC),
        /// transliteration to ASCII, lowercase, punctuation dropped.
        ///
        /// With serde an outcome is its `snake_case` name, as returned by
        /// [`Outcome::name`].
        ///
        /// ```
        /// use crm_core::Outcome;
        /// assert_eq!(Outcome::EmailSameMailbox.name(), "email_same_mailbox");
        /// assert_eq!(Outcome::ALL.len(), 16);
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
        pub enum Outcome {
            $( $(#[$doc])* $variant, )*
        }

        impl Outcome {
            /// Every outcome, in field order.
            pub const ALL: [Outcome; Outcome::COUNT] = [ $( Outcome::$variant, )* ];
            pub(crate) const COUNT: usize = [ $( $name, )* ].len();

            /// The outcome's stable `snake_case` name (also its field in
            /// [`Likelihoods`](crate::Likelihoods)).
            ///
            /// ```
            /// use crm_core::Outcome;
            /// assert_eq!(Outcome::NameSimilar.name(), "name_similar");
            /// ```
            pub fn name(self) -> &'static str {
                match self { $( Outcome::$variant => $name, )* }
            }
        }
    };
}

outcomes! {
    /// The two normalised e-mail addresses are identical.
    EmailSame = "email_same",
    /// The addresses differ but reach the same mailbox: equal after cutting `+tags`,
    /// aliasing domains (`googlemail.com`) and dropping dots where the provider ignores them
    /// (`gmail.com`); see [`EmailRules`](crate::EmailRules).
    EmailSameMailbox = "email_same_mailbox",
    /// Different mailboxes with the same local part at different domains
    /// (`ada.byron@x.org`, `ada.byron@y.com`).
    EmailSameLocalPart = "email_same_local_part",
    /// Different e-mail addresses.
    EmailDifferent = "email_different",
    /// The same phone number (E.164, so every national and international spelling of one
    /// number is the same).
    PhoneSame = "phone_same",
    /// Different phone numbers.
    PhoneDifferent = "phone_different",
    /// The same name after folding, in any word order and with or without the spaces and
    /// punctuation between words (`Müller, Anna` = `anna muller`; `山田太郎` = `山田 太郎`;
    /// `Jianhua Wang` = `王建华`, as the ideographs are read `wang jian hua`).
    NameSame = "name_same",
    /// Names whose similarity is at least [`MatchConfig::name_similarity`](crate::MatchConfig::name_similarity): a typo, a
    /// missing or swapped letter. Words are paired one to one, most similar first
    /// (Jaro-Winkler; words of fewer than four letters are similar only when equal); the
    /// similarity is that of the least similar pair, scaled by the
    /// share of words that found a partner. So word order does not matter, and one
    /// different first name beside the same surname, or a word on one side only (a middle
    /// name, a second character of a CJK given name), makes the names different.
    NameSimilar = "name_similar",
    /// Names less similar than that.
    NameDifferent = "name_different",
    /// The same folded street (abbreviations applied) in the same country and postcode
    /// (the same city when a postcode is missing).
    AddressSame = "address_same",
    /// The same house numbers, country and postcode (or city), and street lines whose
    /// Jaro-Winkler similarity is at least [`MatchConfig::address_similarity`](crate::MatchConfig::address_similarity).
    AddressSimilar = "address_similar",
    /// Any other pair of addresses.
    AddressDifferent = "address_different",
    /// The same date of birth or founding.
    BirthdaySame = "birthday_same",
    /// Different dates of birth or founding.
    BirthdayDifferent = "birthday_different",
    /// The same organization account.
    AccountSame = "account_same",
    /// Different organization accounts.
    AccountDifferent = "account_different",
}
