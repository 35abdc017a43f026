//! Accuracy and speed of matching on generated, labelled customers.

use super::testgen::{GeneratorConfig, evaluate_matching, generate_labelled};
use super::{MatchConfig, match_customers};

/// The accuracy the crate documentation reports: 20,000 customers, 5 % duplicates, the
/// generator's default seed.
#[test]
fn accuracy_on_generated_customers_meets_the_targets() {
    let config = GeneratorConfig::default();
    assert_eq!((config.seed, config.customers), (20250101, 20_000));
    let data = generate_labelled(&config);
    let result = match_customers(&data.customers, &MatchConfig::default()).unwrap();
    let accuracy = evaluate_matching(&result, &data);
    println!("{accuracy:?} {:?}", result.stats);
    assert!(accuracy.true_pairs >= 900, "{accuracy:?}");
    assert!(accuracy.precision >= 0.98, "{accuracy:?}");
    assert!(accuracy.recall >= 0.95, "{accuracy:?}");
    // The figures the documentation reports are the ones measured.
    let reported = format!(
        "precision **{:.3}** and recall **{:.3}**",
        accuracy.precision, accuracy.recall
    );
    let docs = include_str!("mod.rs").replace("\n//! ", " ");
    assert!(
        docs.contains(&reported),
        "the module documentation should say {reported}"
    );
    let readme = include_str!("../../README.md").replace('\n', " ");
    assert!(
        readme.contains(&reported),
        "README.md should say {reported}"
    );
}

/// The speed figure: 1,000,000 customers with 5 % duplicates. Run in release:
/// `cargo test -p crm-core --release --lib -- --ignored --nocapture matching_a_million`.
#[test]
#[ignore = "a release-build measurement"]
fn matching_a_million_customers() {
    let config = GeneratorConfig {
        customers: 1_000_000,
        ..GeneratorConfig::default()
    };
    let data = generate_labelled(&config);
    let start = std::time::Instant::now();
    let result = match_customers(&data.customers, &MatchConfig::default()).unwrap();
    let elapsed = start.elapsed();
    let accuracy = evaluate_matching(&result, &data);
    println!(
        "matched 1,000,000 customers in {elapsed:?}: {accuracy:?} {:?}",
        result.stats
    );
    assert!(
        accuracy.precision >= 0.98 && accuracy.recall >= 0.95,
        "{accuracy:?}"
    );
}
