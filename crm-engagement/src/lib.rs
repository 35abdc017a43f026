#![doc = include_str!("../README.md")]
mod cadence;

pub use cadence::{
    AbcClass, CadenceAccumulator, CadenceError, CadencePolicy, CadenceRule, CadenceState,
    CadenceSubject, ContactEvent, CountedContacts, CustomerMatch, CustomerRef, DueCustomer,
    DueReport, Touch, consent_channel_of, due,
};
