//! Filters, time ranges and cursor pagination.
//!
//! # Order and cursors
//!
//! [`list`](crate::Repository::list) returns records in ascending order of their id's text
//! (byte-wise, as [`Display`](std::fmt::Display) writes it); the [`Cursor`] of a page is the
//! last id on it. Ids never change, so paging through while others insert neither skips nor
//! repeats a record that existed when paging began (a record inserted meanwhile shows up if
//! its id sorts after the cursor).
//!
//! Scans ([`TransactionRepository::scan_transactions`](crate::TransactionRepository::scan_transactions))
//! go in ascending order of (time, id text) instead, page by page, in bounded memory.
//!
//! # Time ranges
//!
//! A [`TimeRange`] is half-open: the start is **inclusive**, the end **exclusive**, so
//! consecutive ranges (`[Jan, Feb)`, `[Feb, Mar)`) never count a record twice.

use chrono::{DateTime, Utc};
use crm_core::{CustomerId, Tag, UserId};
use serde::{Deserialize, Serialize};

use crate::error::{StorageError, StorageResult};
use crate::record::{Record, Status};

/// The largest page a store returns.
pub const MAX_PAGE_LIMIT: u32 = 10_000;

/// A half-open time interval: `start <= t < end`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_storage_traits::TimeRange;
/// let jan = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let feb = Utc.with_ymd_and_hms(2024, 2, 1, 0, 0, 0).unwrap();
/// let r = TimeRange::new(jan, feb)?;
/// assert!(r.contains(jan));
/// assert!(!r.contains(feb));
/// assert!(TimeRange::new(feb, jan).is_err());
/// # Ok::<(), crm_storage_traits::StorageError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl TimeRange {
    /// The range `start <= t < end`; `start` after `end` is an `Invalid` error naming
    /// `time_range`.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> StorageResult<TimeRange> {
        if start > end {
            return Err(StorageError::invalid(
                "time_range",
                "start is after end (the range is start inclusive, end exclusive)",
            ));
        }
        Ok(TimeRange { start, end })
    }

    /// Every time a store accepts (years 0 to 9999).
    ///
    /// ```
    /// use chrono::Utc;
    /// assert!(crm_storage_traits::TimeRange::all().contains(Utc::now()));
    /// ```
    pub fn all() -> TimeRange {
        use chrono::TimeZone;
        TimeRange {
            start: Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
        }
    }

    /// The inclusive start.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// The exclusive end.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// Whether `start <= t < end`.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }
}

/// Which records a [`list`](crate::Repository::list) returns. Every set field must match;
/// the default matches everything.
///
/// A field that a kind of record does not have (an owner on a transaction, a tag on a deal)
/// matches no record of that kind.
///
/// ```
/// use crm_core::{Tag, TicketStatus, UserId};
/// use crm_storage_traits::{Filter, Status};
/// let f = Filter {
///     owner: Some(UserId::from(7)),
///     tag: Some(Tag::new("vip")?),
///     status: Some(Status::Ticket(TicketStatus::Open)),
///     ..Filter::default()
/// };
/// assert!(f.customer.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Only records of this customer.
    pub customer: Option<CustomerId>,
    /// Only records owned by (customers, deals) or assigned to (tickets, interactions) this
    /// user.
    pub owner: Option<UserId>,
    /// Only records carrying this tag (customers, tickets, survey responses).
    pub tag: Option<Tag>,
    /// Only records in this lifecycle stage, ticket status or deal stage.
    pub status: Option<Status>,
    /// Only records whose [`updated_at`](Record::updated_at) is at or after this time.
    pub updated_since: Option<DateTime<Utc>>,
    /// Only records whose [`time`](Record::time) lies in this range.
    pub time: Option<TimeRange>,
}

impl Filter {
    /// Whether `record` passes the filter (the reference semantics every store follows).
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Customer, PartyKind};
    /// use crm_storage_traits::Filter;
    /// let c = Customer::new(1.into(), PartyKind::Person, "Ann", Utc::now())?;
    /// assert!(Filter::default().matches(&c));
    /// assert!(!Filter { customer: Some(2.into()), ..Filter::default() }.matches(&c));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn matches<R: Record>(&self, record: &R) -> bool {
        self.customer
            .as_ref()
            .is_none_or(|c| record.customer() == c)
            && self
                .owner
                .as_ref()
                .is_none_or(|o| record.owner() == Some(o))
            && self
                .tag
                .as_ref()
                .is_none_or(|t| record.tags().is_some_and(|tags| tags.contains(t)))
            && self.status.is_none_or(|s| record.status() == Some(s))
            && self.updated_since.is_none_or(|t| record.updated_at() >= t)
            && self.time.is_none_or(|r| r.contains(record.time()))
    }
}

/// An opaque position in a listing: pass a page's [`Page::next`] to get the page after it.
///
/// [`list`](crate::Repository::list) returns records in ascending order of their id's text
/// (byte-wise, as [`Display`](std::fmt::Display) writes it); the cursor of a page is the
/// last id on it. Ids never change, so paging through while others insert neither skips
/// nor repeats a record that existed when paging began (a record inserted meanwhile shows
/// up if its id sorts after the cursor).
///
/// ```
/// use crm_storage_traits::Cursor;
/// let c = Cursor::after_id("CUST-9");
/// assert_eq!(c.as_str(), "CUST-9");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor(String);

impl Cursor {
    /// The cursor after the record whose id is written `id`.
    pub fn after_id(id: impl Into<String>) -> Cursor {
        Cursor(id.into())
    }

    /// The id text the cursor points after.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which page to return.
///
/// ```
/// use crm_storage_traits::PageRequest;
/// let first = PageRequest::first(100);
/// assert!(first.after.is_none());
/// assert!(PageRequest::first(0).check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    /// Return records after this cursor (`None`: from the start).
    pub after: Option<Cursor>,
    /// At most this many records, 1 to [`MAX_PAGE_LIMIT`].
    pub limit: u32,
}

impl PageRequest {
    /// The first page of at most `limit` records.
    pub fn first(limit: u32) -> PageRequest {
        PageRequest { after: None, limit }
    }

    /// Checks the limit; an error names `page.limit`.
    pub fn check(&self) -> StorageResult<()> {
        if self.limit == 0 || self.limit > MAX_PAGE_LIMIT {
            return Err(StorageError::invalid(
                "page.limit",
                format!("must be within 1..={MAX_PAGE_LIMIT}"),
            ));
        }
        Ok(())
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest::first(100)
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The records, in ascending order of id text.
    pub items: Vec<crate::Versioned<T>>,
    /// The cursor for the next page; `None` when this page is the last.
    pub next: Option<Cursor>,
}

/// Where a time-ordered scan stands: after the record with this time and id text.
///
/// ```
/// use chrono::Utc;
/// use crm_storage_traits::ScanPosition;
/// let p = ScanPosition { time: Utc::now(), id: "TX-1".into() };
/// assert_eq!(p.id, "TX-1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanPosition {
    /// The time of the last record returned.
    pub time: DateTime<Utc>,
    /// The id text of the last record returned.
    pub id: String,
}
