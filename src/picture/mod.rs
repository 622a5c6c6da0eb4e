//! The picture for the training room: the record drawn as a swimlane timeline (one lane per agency,
//! months along the bottom, indicators where they first held, missed clocks in red), served as SVG
//! and in a page a trainer signs in to; a debrief document for facilitators; and the chronology as
//! CSV for a spreadsheet.

pub mod csv;
pub mod debrief;
pub mod drawn;
pub mod handlers;
pub mod model;
pub mod svg;
