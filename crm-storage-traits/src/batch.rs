//! The report of a batch import.

use serde::{Deserialize, Serialize};

/// What a batch import did.
///
/// ```
/// let r = crm_storage_traits::BatchReport { inserted: 2, skipped: 1 };
/// assert_eq!(r.inserted + r.skipped, 3);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchReport {
    /// Records added.
    pub inserted: usize,
    /// Records whose id was already stored (or repeated in the batch): left as they were.
    pub skipped: usize,
}
