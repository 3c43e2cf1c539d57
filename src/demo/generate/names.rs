//! Names, emails and phones: English-style and international company names (some needing
//! CSV quoting), accounts-payable addresses on `.example` domains, fictional phone numbers.

use super::currencies::Market;
use super::customers::{Region, draw_region};
use super::rng::Rng;

#[rustfmt::skip]
const ADJECTIVES: [&str; 40] = [
    "Blue", "Northern", "Silver", "Bright", "Summit", "Harbor", "Granite", "Maple", "Cedar",
    "Golden", "Pacific", "Atlantic", "Evergreen", "Redwood", "Crescent", "Pioneer", "Liberty",
    "Sterling", "Prairie", "Coastal", "Iron", "Swift", "Clearwater", "Union", "Lakeside",
    "Highland", "Riverside", "Oakmont", "Pinecrest", "Sunrise", "Falcon", "Beacon", "Keystone",
    "Horizon", "Copper", "Orchard", "Meridian", "Vertex", "Canyon", "Willow",
];

#[rustfmt::skip]
const NOUNS: [&str; 40] = [
    "Logistics", "Analytics", "Foods", "Dynamics", "Systems", "Labs", "Media", "Health", "Robotics",
    "Freight", "Software", "Textiles", "Energy", "Partners", "Outfitters", "Supply", "Foundry",
    "Networks", "Studios", "Pharma", "Brewing", "Hospitality", "Consulting", "Manufacturing",
    "Motors", "Farms", "Imaging", "Security", "Ventures", "Works", "Data", "Learning", "Optics",
    "Packaging", "Builders", "Marine", "Aerospace", "Kitchens", "Apparel", "Devices",
];

#[rustfmt::skip]
const SURNAMES: [&str; 24] = [
    "Smith", "Johnson", "Patel", "Nguyen", "Garcia", "Kowalski", "O'Brien", "Schmidt", "Rossi",
    "Tanaka", "Okafor", "Haddad", "Lindqvist", "Moreau", "Dubois", "Fischer", "Silva", "Kim",
    "Novak", "Andersen", "Murphy", "Chen", "Whitaker", "Brennan",
];

/// A family of international company names: one of each part, joined by `separator` (none
/// in CJK names), billed in `currency` where the market has it, located in `region` if given.
struct NameFamily {
    first: &'static [&'static str],
    second: &'static [&'static str],
    suffix: &'static [&'static str],
    separator: &'static str,
    currency: Option<&'static str>,
    region: Option<Region>,
}

impl NameFamily {
    fn draw(&self, rng: &mut Rng) -> String {
        let parts = [
            rng.pick(self.first),
            rng.pick(self.second),
            rng.pick(self.suffix),
        ];
        let parts: Vec<&str> = parts.into_iter().filter(|part| !part.is_empty()).collect();
        parts.join(self.separator)
    }
}

/// Names with accents, CJK, Hangul and emoji (and an apostrophe or two).
const NAME_FAMILIES: [NameFamily; 7] = [
    NameFamily {
        first: &["Müller", "Schäfer", "Köhler", "Weiß", "Groß", "Jäger"],
        second: &[
            "Feinkost",
            "Maschinenbau",
            "Präzisionstechnik",
            "Logistik",
            "Bäckerei",
        ],
        suffix: &["GmbH", "AG", "GmbH & Co. KG"],
        separator: " ",
        currency: Some("EUR"),
        region: Some(Region::Emea),
    },
    NameFamily {
        first: &[
            "Café Lumière",
            "Château",
            "Élan",
            "Crème de la Crème",
            "Forêt d'Or",
        ],
        second: &["Conseil", "Pâtisserie", "Énergie", "Systèmes", "Hôtellerie"],
        suffix: &["SARL", "SAS", "S.A."],
        separator: " ",
        currency: Some("EUR"),
        region: Some(Region::Emea),
    },
    NameFamily {
        first: &[
            "Søndergaard",
            "Åkesson",
            "Dvořák",
            "Łukasiewicz",
            "Núñez",
            "Gonçalves",
        ],
        second: &[
            "Logistics",
            "Bygg",
            "Hudba",
            "Handel",
            "Exportaciones",
            "Comércio",
        ],
        suffix: &["ApS", "AB", "s.r.o.", "Sp. z o.o.", "S.L.", "Ltda"],
        separator: " ",
        currency: Some("EUR"),
        region: Some(Region::Emea),
    },
    NameFamily {
        first: &["東京", "大阪", "名古屋", "横浜", "京都"],
        second: &["テック", "フーズ", "物流", "精機", "商事"],
        suffix: &["株式会社"],
        separator: "",
        currency: None,
        region: Some(Region::Apac),
    },
    NameFamily {
        first: &["北京", "上海", "深圳", "杭州", "广州"],
        second: &["星辰", "华信", "远航", "天成"],
        suffix: &["科技有限公司", "贸易有限公司", "物流有限公司"],
        separator: "",
        currency: None,
        region: Some(Region::Apac),
    },
    NameFamily {
        first: &["서울", "부산", "한빛", "새롬"],
        second: &["솔루션즈", "테크", "물산"],
        suffix: &["주식회사", ""],
        separator: " ",
        currency: None,
        region: Some(Region::Apac),
    },
    NameFamily {
        first: &[
            "Rocket 🚀",
            "Bean There ☕",
            "Green 🌱",
            "Star ⭐",
            "Blue Wave 🌊",
        ],
        second: &["Labs", "Coffee Co.", "Studio", "Supply", "Games"],
        suffix: &[""],
        separator: " ",
        currency: None,
        region: None,
    },
];
/// One customer in this many gets an international name, the families taken in turn.
const SPECIAL_NAME_EVERY: usize = 37;

pub(super) const BUSINESS_UNITS: [&str; 4] = [
    "Subscriptions",
    "Professional Services",
    "Hardware",
    "Support",
];

/// The shapes generated company names take; some need CSV quoting (commas, quotes).
#[derive(Clone, Copy)]
enum NamePattern {
    AdjectiveNounSuffix,
    AdjectiveNounCommaSuffix,
    SurnameNoun,
    SurnameAndSurname,
    SurnamesAndPartners,
    QuotedBrand,
}

/// The customer's name, currency and region: mostly an English-style name, and for one
/// customer in [`SPECIAL_NAME_EVERY`] an international one with its own currency and region.
pub(super) fn draw_identity<'m>(
    index: usize,
    market: &'m Market,
    rng: &mut Rng,
) -> (String, &'m str, Region) {
    if index % SPECIAL_NAME_EVERY == 5 {
        let family = &NAME_FAMILIES[(index / SPECIAL_NAME_EVERY) % NAME_FAMILIES.len()];
        let currency = match family.currency.and_then(|code| market.find(code)) {
            Some(currency) => currency,
            None => market.draw_currency(rng),
        };
        let region = match family.region {
            Some(region) => region,
            None => draw_region(currency, rng),
        };
        return (family.draw(rng), currency, region);
    }
    let currency = market.draw_currency(rng);
    let region = draw_region(currency, rng);
    (draw_company_name(currency, rng), currency, region)
}

/// An English-style company name in one of the [`NamePattern`] shapes.
fn draw_company_name(currency: &str, rng: &mut Rng) -> String {
    let suffix = legal_suffix(currency, rng);
    let adjective = rng.pick(&ADJECTIVES);
    let noun = rng.pick(&NOUNS);
    let surname = rng.pick(&SURNAMES);
    let other_surname = rng.pick(&SURNAMES);
    let pattern = rng.weighted(&[
        (NamePattern::AdjectiveNounSuffix, 45),
        (NamePattern::AdjectiveNounCommaSuffix, 15),
        (NamePattern::SurnameNoun, 16),
        (NamePattern::SurnameAndSurname, 12),
        (NamePattern::SurnamesAndPartners, 7),
        (NamePattern::QuotedBrand, 5),
    ]);
    match pattern {
        NamePattern::AdjectiveNounSuffix => format!("{adjective} {noun} {suffix}"),
        NamePattern::AdjectiveNounCommaSuffix => {
            let suffix = rng.pick(&["Inc.", "LLC", "Ltd."]);
            format!("{adjective} {noun}, {suffix}")
        }
        NamePattern::SurnameNoun => format!("{surname} {noun}"),
        NamePattern::SurnameAndSurname => format!("{surname} & {other_surname} {suffix}"),
        NamePattern::SurnamesAndPartners => format!("{surname}, {other_surname} and Partners"),
        NamePattern::QuotedBrand => format!("The \"{adjective} {noun}\" Company"),
    }
}

fn legal_suffix(currency: &str, rng: &mut Rng) -> &'static str {
    match currency {
        "EUR" => rng.pick(&["GmbH", "S.A.", "B.V.", "SARL", "AG", "S.r.l."]),
        "GBP" => rng.pick(&["Ltd", "Ltd", "plc", "LLP"]),
        _ => rng.pick(&["Inc.", "Inc.", "LLC", "Corp.", "Co.", "Group"]),
    }
}

/// An accounts-payable address on a reserved `.example` domain; a few customers have none.
pub(super) fn draw_email(name: &str, index: usize, rng: &mut Rng) -> String {
    if rng.chance(0.04) {
        return String::new();
    }
    let slug: String = name
        .split_whitespace()
        .take(2)
        .flat_map(|word| word.chars())
        .filter_map(fold_to_ascii)
        .collect();
    let domain = if slug.len() < 3 {
        format!("client{}", index + 1)
    } else {
        slug
    };
    let mailbox = rng.pick(&[
        "ap", "accounts", "billing", "finance", "invoices", "payables",
    ]);
    format!("{mailbox}@{domain}.example")
}

/// The lowercase ASCII letter or digit a character is written as in a domain name, if any
/// (`Ü` → `u`, `ł` → `l`); other characters (punctuation, CJK, emoji) are dropped.
fn fold_to_ascii(c: char) -> Option<char> {
    if c.is_ascii_alphanumeric() {
        return Some(c.to_ascii_lowercase());
    }
    let folded = match c.to_lowercase().next()? {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' | 'č' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ł' => 'l',
        'ñ' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ř' => 'r',
        'ś' | 'š' => 's',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        _ => return None,
    };
    Some(folded)
}

/// A phone number in the fictional ranges of the customer's region; a few have none.
pub(super) fn draw_phone(region: Region, currency: &str, rng: &mut Rng) -> String {
    if rng.chance(0.05) {
        return String::new();
    }
    let line = rng.int(0, 9_999);
    match region {
        Region::NorthAmerica => format!("+1 {} 555 01{:02}", rng.int(201, 989), line % 100),
        Region::Latam => format!("+52 55 5555 {line:04}"),
        Region::Emea if currency == "GBP" => format!("+44 20 7946 {:04}", line % 1000),
        Region::Emea => format!("+49 30 5555 {line:04}"),
        Region::Apac => format!("+65 6555 {line:04}"),
    }
}
