//! A seeded generator of customers with labelled duplicates, and the accuracy of a matching
//! run against its labels (cargo feature `testgen`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{RngExt, SeedableRng};

use crate::contact::{Email, Phone, PostalAddress};
use crate::customer::Customer;
use crate::ids::CustomerId;
use crate::vocabulary::PartyKind;

use super::MatchResult;

/// What [`generate_labelled`] makes. Shares are fractions in `[0, 1]`; values outside are
/// clamped and values that are not numbers count as 0.
///
/// ```
/// use crm_core::GeneratorConfig;
/// let config = GeneratorConfig { customers: 1_000, ..GeneratorConfig::default() };
/// assert_eq!(config.seed, 20250101);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GeneratorConfig {
    /// The seed: equal configurations give equal customers.
    pub seed: u64,
    /// How many customer records to make, duplicates included.
    pub customers: usize,
    /// The share of records that are duplicates of another record's person.
    pub duplicate_share: f64,
    /// The share of persons who have a family member in the data: same surname, address and
    /// phone, different first name, e-mail and birthday (hard negatives).
    pub family_share: f64,
    /// The share of persons with Chinese or Japanese names written in CJK characters.
    pub cjk_share: f64,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            seed: 20250101,
            customers: 20_000,
            duplicate_share: 0.05,
            family_share: 0.1,
            cjk_share: 0.15,
        }
    }
}

/// Customers with their ground truth: `person[i]` numbers the real person behind
/// `customers[i]`; records of one person are duplicates of each other.
///
/// ```
/// use crm_core::{GeneratorConfig, generate_labelled};
/// let data = generate_labelled(&GeneratorConfig { customers: 200, ..GeneratorConfig::default() });
/// assert_eq!(data.customers.len(), 200);
/// assert_eq!(data.person.len(), 200);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledCustomers {
    /// The records, in random order, with ids `1..=n`.
    pub customers: Vec<Customer>,
    /// The person behind each record.
    pub person: Vec<u32>,
}

/// Pairwise accuracy of a matching run: the pairs of records put in one group against the
/// pairs of records of one person.
///
/// ```
/// use crm_core::MatchAccuracy;
/// let a = MatchAccuracy { true_pairs: 10, predicted_pairs: 9, correct_pairs: 9, precision: 1.0, recall: 0.9 };
/// assert!(a.recall < a.precision);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MatchAccuracy {
    /// Pairs of records of one person.
    pub true_pairs: u64,
    /// Pairs of records put in one group.
    pub predicted_pairs: u64,
    /// Pairs of records in one group that are of one person.
    pub correct_pairs: u64,
    /// `correct / predicted` (1 when nothing was predicted).
    pub precision: f64,
    /// `correct / true` (1 when there are no duplicates).
    pub recall: f64,
}

fn pairs(k: u64) -> u64 {
    k * k.saturating_sub(1) / 2
}

/// Measures a matching run against the labels; records the labels do not know are counted
/// as persons of their own.
///
/// ```
/// use crm_core::{GeneratorConfig, MatchConfig, evaluate_matching, generate_labelled, match_customers};
/// let data = generate_labelled(&GeneratorConfig { customers: 2_000, ..GeneratorConfig::default() });
/// let result = match_customers(&data.customers, &MatchConfig::default())?;
/// let accuracy = evaluate_matching(&result, &data);
/// assert!(accuracy.true_pairs > 50);
/// assert!(accuracy.precision > 0.9 && accuracy.recall > 0.9);
/// # Ok::<(), crm_core::MatchError>(())
/// ```
pub fn evaluate_matching(result: &MatchResult, labelled: &LabelledCustomers) -> MatchAccuracy {
    let person: HashMap<&CustomerId, u32> = labelled
        .customers
        .iter()
        .map(|c| &c.id)
        .zip(labelled.person.iter().copied())
        .collect();
    let mut sizes: HashMap<u32, u64> = HashMap::new();
    for &p in &labelled.person {
        *sizes.entry(p).or_default() += 1;
    }
    let true_pairs = sizes.values().map(|&k| pairs(k)).sum();
    let mut predicted_pairs = 0;
    let mut correct_pairs = 0;
    for group in &result.groups {
        predicted_pairs += pairs(group.members.len() as u64);
        let mut by_person: HashMap<Option<u32>, u64> = HashMap::new();
        for (n, id) in group.members.iter().enumerate() {
            // Unknown records are persons of their own.
            let key = person.get(id).copied();
            let key = key.or(Some(u32::MAX - n as u32));
            *by_person.entry(key).or_default() += 1;
        }
        correct_pairs += by_person.values().map(|&k| pairs(k)).sum::<u64>();
    }
    let ratio = |num: u64, den: u64| {
        if den == 0 {
            1.0
        } else {
            num as f64 / den as f64
        }
    };
    MatchAccuracy {
        true_pairs,
        predicted_pairs,
        correct_pairs,
        precision: ratio(correct_pairs, predicted_pairs),
        recall: ratio(correct_pairs, true_pairs),
    }
}

const FIRST: &[&str] = &[
    "Anna",
    "Peter",
    "Thomas",
    "Julia",
    "Michael",
    "Laura",
    "Stefan",
    "Sophie",
    "Lukas",
    "Zoë",
    "Jürgen",
    "Søren",
    "Chloé",
    "José",
    "François",
    "Łukasz",
    "Elena",
    "Marco",
    "Giulia",
    "James",
    "Emily",
    "Oliver",
    "Charlotte",
    "William",
    "Olivia",
    "Henry",
    "Amelia",
    "Jack",
    "Isabella",
    "Noah",
    "Liam",
    "Ava",
    "Ethan",
    "Mia",
    "Lucas",
    "Harper",
    "Mateo",
    "Camila",
    "Hugo",
    "Inès",
    "Björn",
    "Astrid",
    "Ingrid",
    "Nils",
    "Dmitri",
    "Katarzyna",
    "Piotr",
    "Hannah",
    "David",
    "Sarah",
    "Daniel",
    "Rachel",
    "Samuel",
    "Leah",
    "Benjamin",
    "Nora",
    "Felix",
    "Greta",
    "Jonathan",
    "Matthias",
    "Victoria",
    "Sebastian",
    "Friederike",
    "Alexander",
    "Margarete",
    "Theodor",
    "Konstantin",
    "Elisabeth",
];

const LAST: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Schäfer",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "García",
    "Miller",
    "Davis",
    "Rodríguez",
    "Martínez",
    "Hernández",
    "López",
    "González",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Martin",
    "Jackson",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Laurent",
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Nowak",
    "Kowalski",
    "Wiśniewski",
    "Novák",
    "Andersson",
    "Johansson",
    "Nielsen",
    "Jensen",
    "Hansen",
    "O'Brien",
    "Murphy",
    "Kelly",
    "Nguyễn",
    "Trần",
    "Kim",
    "Park",
    "Lee",
    "Zimmermann",
    "Krüger",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Krause",
    "Lehmann",
    "Köhler",
];

/// Chinese surnames and given names with their pinyin.
const ZH_LAST: &[(&str, &str)] = &[
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("罗", "luo"),
    ("高", "gao"),
];
const ZH_FIRST: &[(&str, &str)] = &[
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("秀英", "xiuying"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀兰", "xiulan"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("桂英", "guiying"),
    ("建华", "jianhua"),
    ("志强", "zhiqiang"),
    ("海燕", "haiyan"),
    ("俊杰", "junjie"),
    ("子涵", "zihan"),
    ("雨桐", "yutong"),
    ("浩然", "haoran"),
];
/// Japanese surnames and given names with their romaji.
const JA_LAST: &[(&str, &str)] = &[
    ("佐藤", "sato"),
    ("鈴木", "suzuki"),
    ("高橋", "takahashi"),
    ("田中", "tanaka"),
    ("伊藤", "ito"),
    ("渡辺", "watanabe"),
    ("山本", "yamamoto"),
    ("中村", "nakamura"),
    ("小林", "kobayashi"),
    ("加藤", "kato"),
    ("吉田", "yoshida"),
    ("山田", "yamada"),
    ("佐々木", "sasaki"),
    ("山口", "yamaguchi"),
    ("松本", "matsumoto"),
];
const JA_FIRST: &[(&str, &str)] = &[
    ("太郎", "taro"),
    ("花子", "hanako"),
    ("翔", "sho"),
    ("陽菜", "hina"),
    ("大翔", "hiroto"),
    ("結衣", "yui"),
    ("蓮", "ren"),
    ("美咲", "misaki"),
    ("健太", "kenta"),
    ("優子", "yuko"),
    ("拓也", "takuya"),
    ("愛", "ai"),
    ("直樹", "naoki"),
    ("恵", "megumi"),
    ("誠", "makoto"),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Country {
    De,
    Us,
    Cn,
    Jp,
}

impl Country {
    fn code(self) -> &'static str {
        match self {
            Country::De => "DE",
            Country::Us => "US",
            Country::Cn => "CN",
            Country::Jp => "JP",
        }
    }
}

const DE_STREETS: &[&str] = &[
    "Hauptstraße",
    "Bahnhofstraße",
    "Gartenweg",
    "Schulstraße",
    "Lindenallee",
    "Dorfstraße",
    "Bergstraße",
    "Kirchplatz",
    "Goethestraße",
    "Am Markt",
    "Waldweg",
    "Rosenstraße",
];
const DE_CITIES: &[&str] = &[
    "Berlin",
    "München",
    "Köln",
    "Hamburg",
    "Düsseldorf",
    "Leipzig",
];
const US_STREETS: &[&str] = &[
    "Main Street",
    "Oak Avenue",
    "Maple Road",
    "Park Lane",
    "Elm Street",
    "Washington Boulevard",
    "Cedar Drive",
    "Lake Place",
    "Pine Street",
    "Sunset Boulevard",
];
const US_CITIES: &[&str] = &[
    "New York", "Chicago", "Boston", "Seattle", "Austin", "Denver",
];
const CN_STREETS: &[&str] = &[
    "Nanjing Road",
    "Huaihai Road",
    "Changan Avenue",
    "Renmin Road",
];
const CN_CITIES: &[&str] = &["Shanghai", "Beijing", "Shenzhen", "Hangzhou"];
const JP_STREETS: &[&str] = &["Marunouchi", "Ginza", "Shibuya", "Umeda", "Sakae"];
const JP_CITIES: &[&str] = &["Tokyo", "Osaka", "Nagoya", "Yokohama"];

const DOMAINS: &[&str] = &[
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "icloud.com",
    "web.de",
    "gmx.de",
    "proton.me",
    "example.org",
];

#[derive(Clone)]
struct Address {
    number: u32,
    street: &'static str,
    postcode: String,
    city: &'static str,
    country: Country,
}

#[derive(Clone)]
struct PhoneNumber {
    country: Country,
    /// National significant number groups (without trunk prefix).
    groups: Vec<String>,
}

#[derive(Clone)]
struct Person {
    /// The names as written natively and in Latin letters (lowercase ASCII).
    first: &'static str,
    last: &'static str,
    first_latin: String,
    last_latin: String,
    /// Names written in CJK characters: family name first, often without a space.
    cjk: bool,
    email: Option<String>,
    phone: Option<PhoneNumber>,
    address: Option<Address>,
    birthday: Option<NaiveDate>,
    created: DateTime<Utc>,
}

struct Generator {
    rng: StdRng,
    mailboxes: HashSet<String>,
    phones: HashSet<String>,
}

fn latin(s: &str) -> String {
    deunicode::deunicode(s)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn share(x: f64) -> f64 {
    if x.is_finite() {
        x.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

impl Generator {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(share(p))
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        // Every pool above is non-empty.
        *items.choose(&mut self.rng).unwrap_or(&items[0])
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
            .collect()
    }

    fn person(&mut self, cjk_share: f64) -> Person {
        let (first, last, first_latin, last_latin, cjk, country) = if self.chance(cjk_share) {
            let chinese = self.chance(0.6);
            let (lasts, firsts, country) = if chinese {
                (ZH_LAST, ZH_FIRST, Country::Cn)
            } else {
                (JA_LAST, JA_FIRST, Country::Jp)
            };
            let (l, ll) = self.pick(lasts);
            let (f, fl) = self.pick(firsts);
            (f, l, fl.to_string(), ll.to_string(), true, country)
        } else {
            let f = self.pick(FIRST);
            let l = self.pick(LAST);
            let country = if self.chance(0.5) {
                Country::De
            } else {
                Country::Us
            };
            (f, l, latin(f), latin(l), false, country)
        };
        let email = self
            .chance(0.9)
            .then(|| self.new_email(&first_latin, &last_latin));
        let phone = if self.chance(0.8) {
            self.new_phone(country)
        } else {
            None
        };
        let address = self.chance(0.85).then(|| self.new_address(country));
        let birthday = if self.chance(0.4) {
            NaiveDate::from_ymd_opt(
                self.rng.random_range(1940..2006),
                self.rng.random_range(1..13),
                self.rng.random_range(1..29),
            )
        } else {
            None
        };
        let created = Utc
            .with_ymd_and_hms(2015, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
            + Duration::minutes(self.rng.random_range(0..8 * 365 * 24 * 60));
        Person {
            first,
            last,
            first_latin,
            last_latin,
            cjk,
            email,
            phone,
            address,
            birthday,
            created,
        }
    }

    /// A new e-mail address no other person has (by mailbox).
    fn new_email(&mut self, first: &str, last: &str) -> String {
        let domain = self.pick(DOMAINS);
        let initial = &first[..first.char_indices().nth(1).map_or(first.len(), |(i, _)| i)];
        let base = match self.rng.random_range(0..5) {
            0 => format!("{first}.{last}"),
            1 => format!("{first}{last}"),
            2 => format!("{initial}.{last}"),
            3 => format!("{first}_{last}"),
            _ => format!("{last}.{first}"),
        };
        let mut local = if self.chance(0.6) {
            format!("{base}{}", self.rng.random_range(1..100))
        } else {
            base.clone()
        };
        for _ in 0..100 {
            let mailbox = format!("{}@{domain}", local.replace('.', ""));
            if self.mailboxes.insert(mailbox) {
                break;
            }
            local = format!("{base}{}", self.rng.random_range(1..100_000));
        }
        format!("{local}@{domain}")
    }

    /// A new valid phone number no other household has.
    fn new_phone(&mut self, country: Country) -> Option<PhoneNumber> {
        for _ in 0..50 {
            let groups = match country {
                Country::De => {
                    if self.chance(0.5) {
                        let prefix = self.pick(&["151", "152", "160", "170", "176"]);
                        vec![prefix.to_string(), self.digits(4), self.digits(4)]
                    } else {
                        let area = self.pick(&["30", "40", "89", "221", "211"]);
                        let first = self.rng.random_range(2..10u8).to_string();
                        vec![area.to_string(), first + &self.digits(6)]
                    }
                }
                Country::Us => {
                    let area = self.pick(&["212", "312", "617", "206", "512", "303"]);
                    let exchange = self.rng.random_range(200..1000u32).to_string();
                    vec![area.to_string(), exchange, self.digits(4)]
                }
                Country::Cn => {
                    let prefix = self.pick(&["138", "139", "186", "135"]);
                    vec![prefix.to_string(), self.digits(4), self.digits(4)]
                }
                Country::Jp => {
                    let prefix = self.pick(&["90", "80", "70"]);
                    vec![prefix.to_string(), self.digits(4), self.digits(4)]
                }
            };
            let number = PhoneNumber { country, groups };
            if let Ok(phone) = Phone::parse(&international(&number), None)
                && self.phones.insert(phone.as_str().to_string())
            {
                return Some(number);
            }
        }
        None
    }

    fn new_address(&mut self, country: Country) -> Address {
        let (streets, cities) = match country {
            Country::De => (DE_STREETS, DE_CITIES),
            Country::Us => (US_STREETS, US_CITIES),
            Country::Cn => (CN_STREETS, CN_CITIES),
            Country::Jp => (JP_STREETS, JP_CITIES),
        };
        let postcode = match country {
            Country::De | Country::Us => self.rng.random_range(10_000..100_000u32).to_string(),
            Country::Cn => self.rng.random_range(100_000..900_000u32).to_string(),
            Country::Jp => format!("{}-{}", self.rng.random_range(100..1000u32), self.digits(4)),
        };
        Address {
            number: self.rng.random_range(1..200),
            street: self.pick(streets),
            postcode,
            city: self.pick(cities),
            country,
        }
    }

    /// A family member: same surname, address and phone; own first name, e-mail, birthday.
    fn family_member(&mut self, of: &Person) -> Person {
        let mut member = self.person(if of.cjk { 1.0 } else { 0.0 });
        member.last = of.last;
        member.last_latin = of.last_latin.clone();
        if member.first == of.first {
            // Same first name too: a namesake in one home is left to the review band.
            let pool: Vec<&'static str> = if of.cjk {
                ZH_FIRST.iter().map(|p| p.0).collect()
            } else {
                FIRST.to_vec()
            };
            let others: Vec<&'static str> = pool.into_iter().filter(|&f| f != of.first).collect();
            member.first = self.pick(&others);
            member.first_latin = latin(member.first);
        }
        member.email = self
            .chance(0.7)
            .then(|| self.new_email(&member.first_latin, &member.last_latin));
        member.phone = of.phone.clone();
        member.address = of.address.clone();
        member
    }

    fn name(&mut self, p: &Person, duplicate: bool) -> String {
        if p.cjk {
            let latin_script = duplicate && self.chance(0.1);
            if latin_script {
                // Written in pinyin or romaji by the person themself.
                let cap = |s: &str| {
                    let mut c = s.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                };
                return if self.chance(0.5) {
                    format!("{} {}", cap(&p.first_latin), cap(&p.last_latin))
                } else {
                    format!("{} {}", cap(&p.last_latin), cap(&p.first_latin))
                };
            }
            let space = if self.chance(0.5) { " " } else { "" };
            return if duplicate && self.chance(0.15) {
                format!("{}{space}{}", p.first, p.last)
            } else {
                format!("{}{space}{}", p.last, p.first)
            };
        }
        let (mut first, mut last) = (p.first.to_string(), p.last.to_string());
        if duplicate && self.chance(0.25) {
            let target = if self.chance(0.5) {
                &mut first
            } else {
                &mut last
            };
            *target = self.typo(target);
        }
        if duplicate && self.chance(0.15) {
            first = deunicode::deunicode(&first);
            last = deunicode::deunicode(&last);
        }
        let name = if duplicate && self.chance(0.25) {
            if self.chance(0.5) {
                format!("{last}, {first}")
            } else {
                format!("{last} {first}")
            }
        } else {
            format!("{first} {last}")
        };
        if duplicate && self.chance(0.1) {
            name.to_uppercase()
        } else {
            name
        }
    }

    /// One typing error after the first letter: a wrong, missing, extra or swapped letter.
    fn typo(&mut self, word: &str) -> String {
        let mut chars: Vec<char> = word.chars().collect();
        if chars.len() < 4 {
            return word.to_string();
        }
        let at = self.rng.random_range(1..chars.len() - 1);
        let letter = char::from(b'a' + self.rng.random_range(0..26u8));
        match self.rng.random_range(0..4) {
            0 => chars[at] = letter,
            1 => {
                chars.remove(at);
            }
            2 => chars.insert(at, letter),
            _ => chars.swap(at, at + 1),
        }
        chars.into_iter().collect()
    }

    fn email_variant(&mut self, email: &str) -> String {
        let Some((local, domain)) = email.rsplit_once('@') else {
            return email.to_string();
        };
        match self.rng.random_range(0..4) {
            0 => email.to_uppercase(),
            1 => format!("{local}+{}@{domain}", self.pick(&["shop", "news", "promo"])),
            2 if domain == "gmail.com" => {
                let plain: String = local.chars().filter(|&c| c != '.').collect();
                let at = self.rng.random_range(1..plain.len().max(2));
                let at = plain.char_indices().nth(at).map_or(plain.len(), |(i, _)| i);
                let domain = if self.chance(0.3) {
                    "googlemail.com"
                } else {
                    domain
                };
                format!("{}.{}@{domain}", &plain[..at], &plain[at..])
            }
            _ => email.to_string(),
        }
    }

    fn phone_text(&mut self, number: &PhoneNumber) -> (String, Option<&'static str>) {
        let g = &number.groups;
        let region = Some(number.country.code());
        match self.rng.random_range(0..4) {
            0 => (international(number), None),
            1 => match number.country {
                Country::Us => (format!("({}) {}-{}", g[0], g[1], g[2..].concat()), region),
                Country::Cn => (g.concat(), region),
                _ => (format!("0{} {}", g[0], g[1..].concat()), region),
            },
            2 => (
                format!("00{} {}", calling_code(number.country), g.join("-")),
                None,
            ),
            _ => (
                format!("+{}{}", calling_code(number.country), g.concat()),
                None,
            ),
        }
    }

    fn street_text(&mut self, address: &Address, duplicate: bool) -> String {
        let mut street = address.street.to_string();
        if duplicate && self.chance(0.4) {
            for (long, short) in [
                ("straße", "str."),
                ("Street", "St."),
                ("Avenue", "Ave"),
                ("Road", "Rd."),
                ("Boulevard", "Blvd"),
                ("Drive", "Dr."),
                ("Lane", "Ln"),
                ("Place", "Pl."),
            ] {
                street = street.replace(long, short);
            }
        }
        let line = match address.country {
            Country::De => format!("{street} {}", address.number),
            _ => format!("{} {street}", address.number),
        };
        if duplicate && self.chance(0.1) {
            line.to_uppercase()
        } else {
            line
        }
    }

    /// One record of a person; a duplicate varies the spelling and leaves fields out.
    fn record(&mut self, p: &Person, duplicate: bool) -> Option<Customer> {
        let name = self.name(p, duplicate);
        let created = if duplicate {
            p.created + Duration::days(self.rng.random_range(1..1500))
        } else {
            p.created
        };
        let mut c = Customer::new(CustomerId::from(0), PartyKind::Person, &name, created).ok()?;
        c.email = match &p.email {
            Some(e) if duplicate => {
                let roll = self.rng.random_range(0..100);
                if roll < 10 {
                    None
                } else if roll < 15 {
                    Email::parse(&self.new_email(&p.first_latin, &p.last_latin)).ok()
                } else {
                    Email::parse(&self.email_variant(e)).ok()
                }
            }
            Some(e) => Email::parse(e).ok(),
            None => None,
        };
        c.phone = match &p.phone {
            Some(number) => {
                let roll = self.rng.random_range(0..100);
                if duplicate && roll < 15 {
                    None
                } else if duplicate && roll < 20 {
                    self.new_phone(number.country)
                        .and_then(|n| Phone::parse(&international(&n), None).ok())
                } else {
                    let (text, region) = self.phone_text(number);
                    Phone::parse(&text, region)
                        .or_else(|_| Phone::parse(&international(number), None))
                        .ok()
                }
            }
            None => None,
        };
        let address = match &p.address {
            Some(a) if duplicate => {
                let roll = self.rng.random_range(0..100);
                if roll < 15 {
                    None
                } else if roll < 20 {
                    Some(self.new_address(a.country))
                } else {
                    Some(a.clone())
                }
            }
            other => other.clone(),
        };
        c.address = address.and_then(|a| {
            let line = self.street_text(&a, duplicate);
            PostalAddress::new([line], a.city, Some(&a.postcode), None, a.country.code()).ok()
        });
        c.birthday = if duplicate && self.chance(0.3) {
            None
        } else {
            p.birthday
        };
        Some(c)
    }
}

fn calling_code(country: Country) -> &'static str {
    match country {
        Country::De => "49",
        Country::Us => "1",
        Country::Cn => "86",
        Country::Jp => "81",
    }
}

fn international(number: &PhoneNumber) -> String {
    format!(
        "+{} {}",
        calling_code(number.country),
        number.groups.join(" ")
    )
}

/// Generates customers with labelled duplicates (see [`GeneratorConfig`]).
///
/// Persons are drawn with western names (with diacritics) or Chinese and Japanese names in
/// CJK characters, e-mail addresses at common providers, valid phone numbers and addresses
/// in Germany, the USA, China and Japan, and sometimes a birthday. Duplicates of a person
/// come with typos, swapped name order, stripped diacritics, upper case, CJK names with or
/// without the space (or in Latin letters), e-mail variants (`+tags`, dots and
/// `googlemail.com` at Gmail, upper case) or a new address, phone numbers spelled
/// nationally or internationally or changed, abbreviated streets, a move, and missing
/// fields. Family members share a surname, an address and a phone with the person they
/// belong to. Equal configurations give equal data.
///
/// ```
/// use crm_core::{GeneratorConfig, generate_labelled};
/// let config = GeneratorConfig { customers: 500, ..GeneratorConfig::default() };
/// let a = generate_labelled(&config);
/// assert_eq!(a, generate_labelled(&config));
/// let persons: std::collections::HashSet<u32> = a.person.iter().copied().collect();
/// assert!(persons.len() < 500); // some records are duplicates
/// ```
pub fn generate_labelled(config: &GeneratorConfig) -> LabelledCustomers {
    let mut g = Generator {
        rng: StdRng::seed_from_u64(config.seed),
        mailboxes: HashSet::new(),
        phones: HashSet::new(),
    };
    let total = config.customers;
    let duplicates = ((total as f64) * share(config.duplicate_share)).round() as usize;
    let originals = total - duplicates.min(total);
    let mut persons: Vec<Person> = Vec::with_capacity(originals);
    while persons.len() < originals {
        let p = g.person(config.cjk_share);
        if persons.len() + 1 < originals && g.chance(config.family_share) {
            let member = g.family_member(&p);
            persons.push(p);
            persons.push(member);
        } else {
            persons.push(p);
        }
    }
    let mut records: Vec<(Customer, u32)> = Vec::with_capacity(total);
    for (i, p) in persons.iter().enumerate() {
        if let Some(c) = g.record(p, false) {
            records.push((c, i as u32));
        }
    }
    let mut attempts = 0;
    while records.len() < total && !persons.is_empty() && attempts < 10 * total {
        attempts += 1;
        let i = g.rng.random_range(0..persons.len());
        if let Some(c) = g.record(&persons[i], true) {
            records.push((c, i as u32));
        }
    }
    records.shuffle(&mut g.rng);
    let (customers, person) = records
        .into_iter()
        .zip(1i64..)
        .map(|((mut c, p), id)| {
            c.id = CustomerId::from(id);
            (c, p)
        })
        .unzip();
    LabelledCustomers { customers, person }
}
