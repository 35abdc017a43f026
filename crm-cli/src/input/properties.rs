//! Property tests of the readers: arbitrary file contents never panic, and well-formed rows
//! read back exactly.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::temp_file as temp;
use super::{customers, parse_timestamp, responses, summary, transactions};
use crm_core::Currency;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn timestamps_never_panic(text in ".{0,40}") {
        let _ = parse_timestamp(&text);
    }

    /// The digit-by-digit reading of `YYYY-MM-DD` agrees with chrono's format-string parser
    /// on every text of that shape, valid dates or not.
    #[test]
    fn plain_dates_read_as_the_format_string_does(
        text in "[0-9+ ]?[0-9]{3,4}-[0-9]{1,2}-[0-9]{1,3}",
    ) {
        let trimmed = text.trim();
        let general = chrono::NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
            .ok()
            .filter(|_| trimmed.len() == 10)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc());
        prop_assert_eq!(parse_timestamp(&text), general);
    }

    #[test]
    fn readers_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let f = temp(&bytes);
        let _ = transactions::read_csv(f.path(), Currency::USD);
        let _ = transactions::read_cdnow(f.path(), Currency::USD);
        let _ = summary::read(f.path());
        let _ = responses::read(f.path(), 0, 10, "NPS");
        let _ = customers::read(f.path());
    }

    #[test]
    fn readers_never_panic_on_header_plus_noise(body in "[a-z0-9,.;: \\-\n]{0,200}") {
        for header in [transactions::HEADER, "customer_id,timestamp,amount,currency,transaction_id",
                       "frequency,recency,T", "response_id,customer_id,timestamp,score,group,tags"] {
            let f = temp(format!("{header}\n{body}").as_bytes());
            let _ = transactions::read_csv(f.path(), Currency::USD);
            let _ = summary::read(f.path());
            let _ = responses::read(f.path(), 1, 5, "CSAT");
        }
    }

    #[test]
    fn well_formed_transactions_read_back(
        rows in proptest::collection::vec(("[a-z]{1,6}", 2000i32..2030, 1u32..13, 1u32..29, -100_000i64..100_000), 1..20)
    ) {
        let mut text = String::from("customer_id,timestamp,amount\n");
        for (c, y, m, d, cents) in &rows {
            text.push_str(&format!("{c},{y:04}-{m:02}-{d:02},{}\n", Decimal::new(*cents, 2)));
        }
        let f = temp(text.as_bytes());
        let read = transactions::read_csv(f.path(), Currency::EUR).expect("well-formed");
        prop_assert_eq!(read.len(), rows.len());
        for (i, (r, (c, _, _, _, cents))) in read.iter().zip(&rows).enumerate() {
            prop_assert_eq!(&r.customer_id, c);
            prop_assert_eq!(r.amount, Decimal::new(*cents, 2));
            prop_assert_eq!(r.currency, Currency::EUR);
            prop_assert_eq!(r.line, i as u64 + 2);
        }
    }

    #[test]
    fn scores_outside_the_scale_are_always_refused(score in 0i64..300, min in 0u8..3, max in 5u8..11) {
        let f = temp(format!("response_id,customer_id,timestamp,score\nr,c,2024-01-01,{score}\n").as_bytes());
        let ok = responses::read(f.path(), min, max, "X").is_ok();
        prop_assert_eq!(ok, (i64::from(min)..=i64::from(max)).contains(&score));
    }
}
