#![doc = include_str!("../README.md")]
mod cadence;
mod campaign;
mod care;
mod contacts;
mod loyalty;

pub use cadence::{
    AbcClass, CadenceAccumulator, CadenceError, CadencePolicy, CadenceRule, CadenceState,
    CadenceSubject, ContactEvent, CountedContacts, CustomerMatch, CustomerRef, DueCustomer,
    DueReport, Touch, consent_channel_of, due,
};
pub use campaign::{
    Audience, AudienceFilter, AudienceMember, AudienceSpec, CampaignConfig, CampaignError,
    CampaignReport, CampaignResults, CampaignTally, ConfidenceLevel, CustomerLabels,
    DetectableEffect, GroupResults, GroupTally, Interval, LabelKind, MeanUplift, MemberOutcome,
    Moments, Proportion, RateUplift, SampleSize, SegmentResults, WinBackCandidate, WinBackTarget,
    analyze_campaign, campaign_tallies, rank_win_back, sample_size_per_group, select_audience,
};
pub use care::{
    CareError, CareReminder, CareSubject, DatedHoliday, FixedHoliday, HolidayCalendar, Occasion,
    OwnerReminders, care_reminders,
};
pub use contacts::{
    ChannelMix, CustomerPeriodContacts, FrequencyBucket, Interpretation, Period,
    RepeatRateByContacts, Reply, ResponseTimes, channel_mix, contacts_per_period,
    repeat_rate_by_contacts, response_times, share_within_cadence,
};
pub use loyalty::{
    Account, Bonuses, LineKind, LoyaltyError, LoyaltyJournal, LoyaltyLedger, LoyaltyProgramme,
    ProgrammeReport, Qualification, QualifyingActivity, QualifyingMeasure, Statement,
    StatementLine, TierChange, TierMove, TierReport, TierRule, birthday_bonuses, earn_from, ledger,
    member_tiers, programme_report, qualifying_points, qualifying_spend, referral_bonus,
};
